/// The one way to start a program outside the event loop, always from an argv
/// (no shell, so nothing to quote):
///
/// - `run` spawns it (`posix_spawnp`), reads its stdout through a pipe to the end
///   and waits for it. It blocks, so only one-shot commands use it (`--check` asks
///   FFmpeg what it supports).
/// - `exec` replaces this process with it (the parent-death step, `ParentDeath`).
///
/// The daemon starts FFmpeg with `ChildProcess` (`uv_spawn`) instead: its loop must
/// never wait, so the child's exit comes through libuv's SIGCHLD handling and its
/// stderr is read as loop events, neither of which a blocking `waitpid` can give.
public enum HelperProcess {
    /// What a helper left behind.
    public struct Finished: Equatable {
        /// Its exit code; nil when a signal ended it (or it could not be waited for).
        public var exitCode: Int32?
        /// Its stdout, at most the limit given to `run`.
        public var output: [UInt8]
    }

    /// Runs `argv` (PATH searched) with stdin and stderr on /dev/null, and returns
    /// once it has exited. nil when it could not be started. Past `outputLimit` the
    /// pipe is closed, so a helper that talks too much ends on SIGPIPE instead of
    /// blocking us.
    public static func run(_ argv: [String], outputLimit: Int = 1 << 20) -> Finished? {
        precondition(!argv.isEmpty)
        var pipeEnds: [Int32] = [-1, -1]
        guard vtx_pipe_cloexec(&pipeEnds) == 0 else { return nil }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        guard let pid = spawn(argv, stdout: writeEnd) else {
            closeDescriptor(readEnd)
            closeDescriptor(writeEnd)
            return nil
        }
        // Only the child may hold the write end, or the read below never sees EOF.
        closeDescriptor(writeEnd)
        let output = (try? Files.readToEnd(readEnd, limit: outputLimit).get()) ?? []
        closeDescriptor(readEnd)
        return Finished(exitCode: waitForExit(pid), output: output)
    }

    /// Replaces this process with `argv` (PATH searched, as `execvp`). Returns only
    /// when that failed, with the errno.
    public static func exec(_ argv: [String]) -> Int32 {
        precondition(!argv.isEmpty)
        return withCArguments(argv) { cArgs in
            execvp(argv[0], cArgs)
            return errno
        }
    }

    private static func spawn(_ argv: [String], stdout: Int32) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { return nil }
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on fd 1; the pipe's own two ends close at exec.
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Default dispositions and no blocked signal, as uv_spawn gives FFmpeg: we
        // ignore SIGPIPE (sockets), and a helper inheriting that would not die on
        // the pipe we close past the output limit.
        var attributes = posix_spawnattr_t()
        guard posix_spawnattr_init(&attributes) == 0 else { return nil }
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = withCArguments(argv) { cArgs in
            posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        }
        return rc == 0 ? pid : nil
    }

    private static func waitForExit(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        // WIFEXITED / WEXITSTATUS are C macros Swift cannot call.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : nil
    }

    /// `argv` as the NULL-terminated `char *argv[]` that exec and spawn take,
    /// valid during `body`.
    private static func withCArguments<R>(_ argv: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        return body(cArgs)
    }
}
