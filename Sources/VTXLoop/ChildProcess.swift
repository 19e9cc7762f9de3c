import CUV

/// A child process started with `uv_spawn`: stdin on /dev/null; stderr and stdout each
/// piped to us (their own pipe and callback) when a callback is given, else on
/// /dev/null; in a session (and process group) of its own so a signal to the group
/// reaches anything it forked.
///
/// Up to three handles, one owner: the process handle is closed in its exit callback,
/// each pipe at EOF (or at exit, after a last drain). The owner stays alive until all
/// close callbacks have run.
public final class ChildProcess {
    public let pid: Int32
    let process: ProcessHandle
    let stderrPipe: PipeReader?
    let stdoutPipe: PipeReader?

    /// `onStderr` and `onStdout` get chunks of their stream (valid during the call
    /// only); `onExit` gets the exit status and the terminating signal (0 if none),
    /// once, after the last chunk of both.
    public static func spawn(
        _ loop: EventLoop,
        arguments: [String],
        onStderr: ((UnsafeRawBufferPointer) -> Void)? = nil,
        onStdout: ((UnsafeRawBufferPointer) -> Void)? = nil,
        onExit: @escaping (_ status: Int64, _ signal: Int32) -> Void
    ) -> Result<ChildProcess, LoopError> {
        precondition(!arguments.isEmpty)
        let errPipe = onStderr.map { PipeReader(loop, onData: $0) }
        let outPipe = onStdout.map { PipeReader(loop, onData: $0) }
        let process = ProcessHandle()
        let cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }

        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        for (fd, pipe) in [(0, nil), (1, outPipe), (2, errPipe)] {
            guard let pipe else { stdio[fd].flags = UV_IGNORE; continue }   // /dev/null
            stdio[fd].flags = uv_stdio_flags(rawValue: UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
            stdio[fd].data.stream = asStream(pipe.handle)
        }

        var options = uv_process_options_t()
        options.exit_cb = { h, status, sig in
            owner(asHandle(h!), as: ProcessHandle.self)?.exited(status: status, signal: sig)
        }
        options.flags = UInt32(UV_PROCESS_DETACHED.rawValue)   // setsid(): own process group
        let rc: Int32 = cArgs.withUnsafeBufferPointer { argv in
            stdio.withUnsafeMutableBufferPointer { stdioBuf in
                options.file = UnsafePointer(argv[0])
                options.args = UnsafeMutablePointer(mutating: argv.baseAddress)
                options.stdio_count = 3
                options.stdio = stdioBuf.baseAddress
                return uv_spawn(loop.raw, process.handle, &options)
            }
        }
        if rc != 0 {
            process.close()
            errPipe?.close()
            outPipe?.close()
            return .failure(LoopError(uv: rc))
        }
        let child = ChildProcess(pid: process.handle.pointee.pid, process: process, stderr: errPipe, stdout: outPipe)
        process.onExit = { [errPipe, outPipe] status, sig in
            outPipe?.drainAndClose()
            errPipe?.drainAndClose()
            onExit(status, sig)
        }
        errPipe?.startReading()
        outPipe?.startReading()
        return .success(child)
    }

    init(pid: Int32, process: ProcessHandle, stderr: PipeReader?, stdout: PipeReader?) {
        self.pid = pid
        self.process = process
        self.stderrPipe = stderr
        self.stdoutPipe = stdout
    }

    /// Sends `sig` to the child's whole process group.
    @discardableResult
    public func signalGroup(_ sig: Int32) -> Bool {
        guard !process.hasExited else { return false }
        return kill(-pid, sig) == 0 || kill(pid, sig) == 0
    }

    public var hasExited: Bool { process.hasExited }
}

/// Owner of the `uv_process_t`.
final class ProcessHandle: HandleOwner {
    let handle: UnsafeMutablePointer<uv_process_t> = .allocate(capacity: 1)
    var onExit: ((Int64, Int32) -> Void)?
    var hasExited = false

    init() {
        handle.initialize(to: uv_process_t())
        retainOwner(self, in: asHandle(handle))
    }

    func exited(status: Int64, signal: Int32) {
        hasExited = true
        let callback = onExit
        onExit = nil
        close()
        callback?(status, signal)
    }

    func close() { closeHandle(asHandle(handle)) { handleClosed($0, as: ProcessHandle.self) } }
    func didClose() {}
}

/// Owner of a `uv_pipe_t` we only read from (a child's stderr or stdout).
final class PipeReader: HandleOwner {
    let handle: UnsafeMutablePointer<uv_pipe_t> = .allocate(capacity: 1)
    var onData: ((UnsafeRawBufferPointer) -> Void)?
    var isClosed = false

    init(_ loop: EventLoop, onData: @escaping (UnsafeRawBufferPointer) -> Void) {
        uv_pipe_init(loop.raw, handle, 0)
        self.onData = onData
        retainOwner(self, in: asHandle(handle))
    }

    func startReading() {
        uv_read_start(asStream(handle), { h, _, buf in
            let loop = EventLoop.from(h!.pointee.loop)
            buf!.pointee.base = loop.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            buf!.pointee.len = loop.readBuffer.count
        }, { stream, nread, buf in
            guard let reader = owner(asHandle(stream!), as: PipeReader.self) else { return }
            if nread > 0 {
                reader.onData?(UnsafeRawBufferPointer(start: buf!.pointee.base, count: nread))
            } else if nread < 0 {
                reader.close()   // EOF or error
            }
        })
    }

    /// At exit the child's pipe may still hold bytes; read what is there, then close,
    /// even if a grandchild keeps the write end open.
    func drainAndClose() {
        guard !isClosed else { return }
        var fd: uv_os_fd_t = -1
        if uv_fileno(asHandle(handle), &fd) == 0 {
            let loop = EventLoop.from(handle.pointee.loop)
            for _ in 0..<16 {
                let n = read(fd, loop.readBuffer.baseAddress, loop.readBuffer.count)
                if n <= 0 { break }
                onData?(UnsafeRawBufferPointer(start: loop.readBuffer.baseAddress, count: n))
            }
        }
        close()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        onData = nil
        closeHandle(asHandle(handle)) { handleClosed($0, as: PipeReader.self) }
    }

    func didClose() {}
}
