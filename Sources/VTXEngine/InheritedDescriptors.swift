import VTXSystem

/// Descriptors the gateway inherited from whoever started it (a supervisor's pipes or
/// sockets, a shell's redirections) must not be handed on to every FFmpeg: `uv_spawn`
/// passes every descriptor that is not close-on-exec. A child holding its parent's
/// exit-notification descriptor (a supervisor that waits for EOF on a socket, as
/// Foundation's `Process` does) hides the gateway's death for as long as the FFmpeg it
/// left behind runs. The loop's own descriptors are close-on-exec already; this marks
/// the inherited ones, once, before the first spawn.
enum InheritedDescriptors {
    /// Sets FD_CLOEXEC on every open descriptor above stderr. Returns how many changed.
    @discardableResult
    static func markCloseOnExec() -> Int {
        var fds = Files.list("/proc/self/fd").compactMap { Int32($0) }
        if fds.isEmpty { fds = Array(3..<256) }   // no procfs: the usual range
        var changed = 0
        for fd in fds where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0 {
                changed += 1
            }
        }
        return changed
    }
}
