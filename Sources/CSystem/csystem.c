#define _GNU_SOURCE
#include <sys/socket.h>
#include "csystem.h"

int vtx_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

#include <sys/prctl.h>
#include <signal.h>

int vtx_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0);
}
