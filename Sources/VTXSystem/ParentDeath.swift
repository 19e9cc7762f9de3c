/// FFmpeg must not outlive a gateway killed with SIGKILL: it ignores a broken stderr
/// pipe and would go on writing to the RAM disk. `uv_spawn` cannot run code between
/// fork and exec, so the gateway spawns itself with `--exec-child PARENT PROGRAM ARGS…`:
/// that short-lived step asks the kernel for SIGKILL on parent death
/// (`PR_SET_PDEATHSIG`, kept across `execve`) and then becomes FFmpeg.
public enum ParentDeath {
    public static let flag = "--exec-child"

    /// argv that runs `argv` under the parent-death guard, through our own executable.
    public static func wrap(_ argv: [String]) -> [String] {
        guard let me = selfExecutable else { return argv }
        return [me, flag, String(getpid())] + argv
    }

    /// Our executable's path, read once (the file may be replaced later by an upgrade).
    nonisolated(unsafe) public static var selfExecutable: String? = Files.linkTarget("/proc/self/exe")

    /// The child side (called first thing in main): set the signal, make sure the
    /// parent did not die before it was set, exec the program. Never returns.
    public static func execChild(_ args: ArraySlice<String>) -> Never {
        guard args.count >= 2, let parent = Int32(args[args.startIndex]) else { exit(127) }
        _ = vtx_set_parent_death_signal(SIGKILL)
        if getppid() != parent { exit(1) }
        let program = Array(args.dropFirst())
        let failure = HelperProcess.exec(program)
        Log.emitRaw("vtx-link: cannot run \(program[0]): \(errnoDescription(failure))\n")
        exit(127)
    }
}
