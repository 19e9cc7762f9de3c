import CUV

/// inotify on one directory through `uv_fs_event`: how the engine learns that FFmpeg
/// wrote a playlist, without polling.
public final class FSWatch: CallbackHandleOwner {
    let handle: UnsafeMutablePointer<uv_fs_event_t>
    var callback: ((String?) -> Void)?
    var isClosed = false

    /// Starts watching `path`; the callback gets the changed entry's name.
    public init(_ loop: EventLoop, path: String, _ callback: @escaping (String?) -> Void) throws(LoopError) {
        handle = .allocate(capacity: 1)
        uv_fs_event_init(loop.raw, handle)
        self.callback = callback
        retainOwner(self, in: asHandle(handle))
        let rc = uv_fs_event_start(handle, { h, name, _, status in
            guard status == 0 else { return }
            owner(asHandle(h!), as: FSWatch.self)?.callback?(name.map { String(cString: $0) })
        }, path, 0)
        if rc != 0 {
            close()
            throw LoopError(uv: rc)
        }
    }

    public func close() { closeOnce() }
    func dropCallback() { callback = nil }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { asHandle(handle) }
    static let closed: uv_close_cb = { handleClosed($0, as: FSWatch.self) }
}
