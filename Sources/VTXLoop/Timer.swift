import CUV

/// A one-shot or repeating timer. Armed only when something is due: an idle gateway
/// has none running, so it never wakes up.
public final class LoopTimer: CallbackHandleOwner {
    let handle: UnsafeMutablePointer<uv_timer_t>
    var callback: (() -> Void)?
    public internal(set) var isClosed = false

    public init(_ loop: EventLoop, _ callback: @escaping () -> Void) {
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.raw, handle)
        self.callback = callback
        retainOwner(self, in: asHandle(handle))
    }

    /// (Re)arms the timer to fire once after `ms`, or every `repeatMs` if non-zero.
    public func start(afterMs ms: Int64, repeatMs: Int64 = 0) {
        guard !isClosed else { return }
        uv_timer_start(handle, { h in
            owner(asHandle(h!), as: LoopTimer.self)?.callback?()
        }, UInt64(max(0, ms)), UInt64(max(0, repeatMs)))
    }

    public func stop() { if !isClosed { uv_timer_stop(handle) } }

    public var isActive: Bool { !isClosed && uv_is_active(asHandle(handle)) != 0 }

    public func close() { closeOnce() }
    func dropCallback() { callback = nil }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { asHandle(handle) }
    static let closed: uv_close_cb = { handleClosed($0, as: LoopTimer.self) }
}
