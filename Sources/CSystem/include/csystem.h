// libc headers that Swift's Glibc module does not bring in.
#include <sys/vfs.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <malloc.h>

/// accept4(2) needs _GNU_SOURCE, which Swift's Glibc module is not built with.
int vtx_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// pipe2(fds, O_CLOEXEC), for the same reason: a helper spawned by another thread
/// must not inherit either end.
int vtx_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, sig): prctl is variadic, which Swift cannot call.
int vtx_set_parent_death_signal(int sig);
