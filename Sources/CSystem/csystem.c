#define _GNU_SOURCE
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include "csystem.h"

int vtx_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

#include <sys/prctl.h>
#include <signal.h>

int vtx_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0);
}

int vtx_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
