import CUV

/// Delivers a Unix signal (SIGINT, SIGTERM, SIGHUP) as a loop callback.
/// Unreferenced, so a watcher alone does not keep the loop running.
public final class SignalWatcher: CallbackHandleOwner {
    let handle: UnsafeMutablePointer<uv_signal_t>
    var callback: ((Int32) -> Void)?
    var isClosed = false

    public init(_ loop: EventLoop, signal signum: Int32, _ callback: @escaping (Int32) -> Void) {
        handle = .allocate(capacity: 1)
        uv_signal_init(loop.raw, handle)
        self.callback = callback
        retainOwner(self, in: asHandle(handle))
        uv_signal_start(handle, { h, sig in
            owner(asHandle(h!), as: SignalWatcher.self)?.callback?(sig)
        }, signum)
        uv_unref(asHandle(handle))
    }

    public func close() { closeOnce() }
    func dropCallback() { callback = nil }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { asHandle(handle) }
    static let closed: uv_close_cb = { handleClosed($0, as: SignalWatcher.self) }
}
