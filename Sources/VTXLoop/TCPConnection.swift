import CUV

/// One accepted client socket, watched with `uv_poll`.
///
/// Reading uses the loop's shared buffer: bytes are handed to `onRead` and must be
/// consumed during the call. Output is a queue of byte chunks and at most one file
/// region, which goes out with `sendfile(2)` when the socket is writable — a segment
/// is never copied into our memory, and a slow client only ever costs the kernel's
/// socket buffer.
public final class TCPConnection: HandleOwner {
    let handle: UnsafeMutablePointer<uv_poll_t> = .allocate(capacity: 1)
    let loop: EventLoop
    public let fd: Int32
    public let peer: String

    /// Bytes received; valid only during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// The peer closed its side or the socket failed; the owner should `close()`.
    public var onHangup: (() -> Void)?
    /// Everything queued has been written.
    public var onDrained: (() -> Void)?

    var output: [UInt8] = []
    var outputOffset = 0
    var file: (fd: Int32, offset: Int, remaining: Int)?
    var readingPaused = false
    /// A pause takes the read watch away only once a read event comes while paused.
    /// Most pauses last one synchronous dispatch: dropping the watch and adding it back
    /// at once cost two `epoll_ctl` calls a request. A pause that outlasts a loop turn
    /// with bytes waiting costs one spurious wake-up, then the watch goes.
    var pauseApplied = false
    var watching: Int32 = 0
    public private(set) var isClosed = false

    public init(_ loop: EventLoop, fd: Int32, peer: String) {
        self.loop = loop
        self.fd = fd
        self.peer = peer
        uv_poll_init(loop.raw, handle, fd)
        retainOwner(self, in: asHandle(handle))
    }

    /// Starts delivering reads.
    public func start() { updateWatch() }

    public func pauseReading() { readingPaused = true }
    @_optimize(speed) public func resumeReading() {
        readingPaused = false
        pauseApplied = false
        updateWatch()
    }

    /// Bytes queued and not yet accepted by the kernel.
    public var pendingBytes: Int { output.count - outputOffset + (file?.remaining ?? 0) }
    public var hasPendingOutput: Bool { pendingBytes > 0 }

    /// Queues bytes; tries to write at once (most responses fit the socket buffer).
    public func write(_ bytes: [UInt8], more: Bool = false) {
        guard !isClosed, !bytes.isEmpty else { return }
        if output.isEmpty { output = bytes; outputOffset = 0 } else { output.append(contentsOf: bytes) }
        if !more { flush(notify: false) }
    }

    /// Sends `bytes` now when nothing is queued before them, and queues (copies) only
    /// what the kernel does not take: the caller's buffer is free again on return.
    /// `more`: a file region follows (the bytes go out with MSG_MORE).
    @_optimize(speed) public func write(_ bytes: UnsafeRawBufferPointer, more: Bool = false) {
        guard !isClosed, let base = bytes.baseAddress, bytes.count > 0 else { return }
        var sent = 0
        if output.isEmpty && file == nil {
            while sent < bytes.count {
                let n = send(fd, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0))
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { break }
                    failed(); return
                }
                sent += n
            }
        }
        if sent < bytes.count {
            if output.isEmpty { outputOffset = 0 }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[sent...]))
        }
        if !more { flush(notify: false) }
    }

    /// Queues `count` bytes of `fileFD` from `offset`; the connection closes `fileFD` when done.
    @_optimize(speed) public func sendFile(_ fileFD: Int32, offset: Int, count: Int) {
        precondition(file == nil, "one file at a time")
        guard !isClosed else { closeDescriptor(fileFD); return }
        if count == 0 { closeDescriptor(fileFD); flush(notify: false); return }
        file = (fileFD, offset, count)
        flush(notify: false)
    }

    /// Writes as much as the kernel takes now; watches for writability for the rest.
    /// `notify` (from a writable event only) reports a drained queue, so a write made
    /// inside a handler never re-enters it.
    @_optimize(speed) func flush(notify: Bool) {
        while outputOffset < output.count {
            let more = file != nil ? MSG_MORE : 0
            let n = output.withUnsafeBytes { buf in
                send(fd, buf.baseAddress! + outputOffset, buf.count - outputOffset, Int32(MSG_NOSIGNAL) | Int32(more))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { updateWatch(); return }
                failed(); return
            }
            outputOffset += n
        }
        output = []
        outputOffset = 0
        while var f = file {
            var off = off_t(f.offset)
            let n = sendfile(fd, f.fd, &off, f.remaining)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { updateWatch(); return }
                failed(); return
            }
            if n == 0 {  // the file shrank under us (FFmpeg rewrote it): end the response
                failed(); return
            }
            f.offset += n
            f.remaining -= n
            if f.remaining == 0 { closeDescriptor(f.fd); file = nil } else { file = f }
        }
        updateWatch()
        if notify { onDrained?() }
    }

    func failed() {
        output = []
        outputOffset = 0
        if let f = file { closeDescriptor(f.fd); file = nil }
        onHangup?()
    }

    @_optimize(speed) func updateWatch() {
        guard !isClosed else { return }
        var events: Int32 = 0
        if !(readingPaused && pauseApplied) { events |= Int32(UV_READABLE.rawValue) | Int32(UV_DISCONNECT.rawValue) }
        if hasPendingOutput { events |= Int32(UV_WRITABLE.rawValue) }
        guard events != watching else { return }
        watching = events
        if events == 0 { uv_poll_stop(handle); return }
        uv_poll_start(handle, events) { h, status, events in
            owner(asHandle(h!), as: TCPConnection.self)?.onEvents(status: status, events: events)
        }
    }

    @_optimize(speed) func onEvents(status: Int32, events: Int32) {
        if status < 0 { onHangup?(); return }
        if events & Int32(UV_WRITABLE.rawValue) != 0 { flush(notify: true) }
        guard !isClosed else { return }
        if readingPaused {
            // Bytes (or the peer's EOF) wait while we may not read: now the watch goes.
            if events & Int32(UV_READABLE.rawValue | UV_DISCONNECT.rawValue) != 0 {
                pauseApplied = true
                updateWatch()
            }
            return
        }
        if events & Int32(UV_READABLE.rawValue) != 0 { readAvailable() }
        else if events & Int32(UV_DISCONNECT.rawValue) != 0 { onHangup?() }
    }

    @_optimize(speed) func readAvailable() {
        let buffer = loop.readBuffer
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n > 0 {
            onRead?(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
        } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            onHangup?()
        }
    }

    /// Half-closes our side after the last byte (for close-delimited responses).
    public func shutdownWrite() { if !isClosed { shutdown(fd, Int32(SHUT_WR)) } }

    /// Closes the connection; the socket is closed after libuv releases the handle.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        onRead = nil
        onHangup = nil
        onDrained = nil
        if let f = file { closeDescriptor(f.fd); file = nil }
        output = []
        closeHandle(asHandle(handle)) { handleClosed($0, as: TCPConnection.self) }
    }

    func didClose() { closeDescriptor(fd) }
}
