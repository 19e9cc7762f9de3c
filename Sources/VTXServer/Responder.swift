import VTXHTTP
import VTXSystem
import VTXLoop

/// The answer channel of one request. A route may answer at once or later (a playlist
/// request held until FFmpeg has written segments), or turn it into an open stream (SSE).
/// Answering twice is ignored; answering after the client left is a no-op.
public final class Responder {
    /// Strong, and let go as soon as it is not needed: when the answer is handed over
    /// (`send`) or the connection closes (`connectionClosed`). A weak reference gave
    /// every Connection a side table, which made each of its retains and releases
    /// take the slow path.
    var connection: Connection?
    /// Which exchange of the connection this answers; the connection's machine refuses
    /// an answer to any other.
    let id: Int
    public let peer: String
    /// The route pattern that handled the request (bounded label for metrics).
    public var route = "unmatched"
    public private(set) var answered = false
    /// Called once if the client goes away before the answer or while streaming.
    public var onClose: (() -> Void)?

    init(connection: Connection, id: Int, peer: String) {
        self.connection = connection
        self.id = id
        self.peer = peer
    }

    @_optimize(speed) public func send(_ response: Response) {
        guard !answered else {
            response.body.release()
            return
        }
        answered = true
        guard let connection else {
            response.body.release()
            return
        }
        self.connection = nil   // answered: nothing more goes through it
        connection.send(response, for: self)
    }

    /// Starts a close-delimited stream (Server-Sent Events): the head goes out now,
    /// then `write` appends chunks until `finish`.
    public func startStream(status: Int = 200, headers: [(String, String)]) {
        guard !answered, let connection else { return }
        answered = true
        connection.startStream(status: status, headers: headers, for: self)
    }

    /// Appends to an open stream; false if the client is gone or too far behind
    /// (more than `limit` bytes queued), in which case the stream is closed.
    @discardableResult
    public func write(_ bytes: [UInt8], limit: Int = 64 * 1024) -> Bool {
        guard let connection else { return false }
        return connection.streamWrite(bytes, limit: limit, for: self)
    }

    /// Ends a stream (closes the connection).
    public func finish() { connection?.finish(self) }

    func connectionClosed() {
        connection = nil
        let callback = onClose
        onClose = nil
        callback?()
    }
}
