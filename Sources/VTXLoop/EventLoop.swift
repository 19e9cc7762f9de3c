import CUV
@_exported import VTXSystem

/// An error from libuv or the kernel, with its message.
public struct LoopError: Error, CustomStringConvertible {
    public var code: Int32
    public var description: String

    public init(uv code: Int32) {
        self.code = code
        self.description = String(cString: uv_strerror(code))
    }

    public init(errno code: Int32, _ what: String) {
        self.code = -code
        self.description = what + ": " + errnoDescription(code)
    }
}

/// The single libuv loop of the process. Owns the one read buffer every socket and
/// pipe reads into, so an idle connection holds no buffer of its own.
public final class EventLoop {
    let raw: UnsafeMutablePointer<uv_loop_t>
    /// Loop-wide read buffer: data handed to a read callback is valid only during the call.
    let readBuffer: UnsafeMutableRawBufferPointer
    static let readBufferSize = 64 * 1024

    public init() {
        raw = .allocate(capacity: 1)
        let rc = uv_loop_init(raw)
        precondition(rc == 0, "uv_loop_init: \(rc)")
        readBuffer = .allocate(byteCount: EventLoop.readBufferSize, alignment: 16)
        raw.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        // A peer that hangs up mid-write must give EPIPE, not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>?) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop!.pointee.data).takeUnretainedValue()
    }

    /// Runs until no active handle remains or `stop()` is called.
    public func run() { uv_run(raw, UV_RUN_DEFAULT) }

    /// Runs one iteration without blocking (tests).
    @discardableResult
    public func runOnce(wait: Bool = false) -> Bool { uv_run(raw, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0 }

    public func stop() { uv_stop(raw) }

    /// The loop's cached monotonic time in ms (updated once per iteration).
    public var nowMs: Int64 { Int64(uv_now(raw)) }

    public func updateTime() { uv_update_time(raw) }

    /// Number of handles still open (active or not), for leak checks in tests.
    public var openHandleCount: Int {
        var count = 0
        withUnsafeMutablePointer(to: &count) { ptr in
            uv_walk(raw, { _, arg in arg!.assumingMemoryBound(to: Int.self).pointee += 1 }, ptr)
        }
        return count
    }

    /// Closes the loop; 0 means every handle was closed and freed (libuv's `close_loop`).
    public func close() -> Int32 {
        let rc = uv_loop_close(raw)
        if rc == 0 {
            raw.deallocate()
            readBuffer.deallocate()
        }
        return rc
    }
}

/// Casts any libuv handle pointer to the generic `uv_handle_t*`.
@inline(__always)
func asHandle<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: uv_handle_t.self)
}

@inline(__always)
func asStream<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: uv_stream_t.self)
}

/// The owner pattern every handle here follows: `handle.data` holds a +1 reference to
/// its Swift owner from init until the close callback, which releases it and frees the
/// C memory. So a handle is never freed before libuv is done with it.
protocol HandleOwner: AnyObject {
    /// Called from the close callback, after which the C memory is freed.
    func didClose()
}

/// A handle whose owner holds one callback (timer, signal, fs event): closing drops
/// the callback (and what it captures) at once and closes the handle, once.
protocol CallbackHandleOwner: HandleOwner {
    var isClosed: Bool { get set }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { get }
    func dropCallback()
    /// `{ handleClosed($0, as: Self.self) }` with the concrete type (see `closeHandle`).
    static var closed: uv_close_cb { get }
}

extension CallbackHandleOwner {
    func closeOnce() {
        guard !isClosed else { return }
        isClosed = true
        dropCallback()
        closeHandle(uvHandle, Self.closed)
    }

    func didClose() {}
}

func retainOwner(_ owner: HandleOwner, in handle: UnsafeMutablePointer<uv_handle_t>) {
    handle.pointee.data = Unmanaged.passRetained(owner as AnyObject).toOpaque()
}

/// The owner of a handle, `T` being the type that made it: `data` is set only by
/// `retainOwner(self, …)` in `T`'s own init, so no cast is needed to know it.
func owner<T: HandleOwner>(_ handle: UnsafeMutablePointer<uv_handle_t>?, as: T.Type) -> T? {
    guard let data = handle?.pointee.data else { return nil }
    return Unmanaged<T>.fromOpaque(data).takeUnretainedValue()
}

/// Closes `handle`. `closed` is its owner type's close callback,
/// `{ handleClosed($0, as: Owner.self) }`: a C callback cannot be generic, and finding
/// the owner's `didClose` through a protocol cast cost ~650 instructions a close.
func closeHandle(_ handle: UnsafeMutablePointer<uv_handle_t>, _ closed: uv_close_cb) {
    guard uv_is_closing(handle) == 0 else { return }
    uv_close(handle, closed)
}

/// What every close callback does: the owner's `didClose`, then its reference is
/// released and the handle's memory freed.
func handleClosed<T: HandleOwner>(_ handle: UnsafeMutablePointer<uv_handle_t>?, as: T.Type) {
    guard let handle, let data = handle.pointee.data else { return }
    let obj = Unmanaged<T>.fromOpaque(data).takeRetainedValue()
    obj.didClose()
    handle.pointee.data = nil
    UnsafeMutableRawPointer(handle).deallocate()
}
