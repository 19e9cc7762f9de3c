import VTXHTTP
import VTXSystem
import VTXLoop

/// Limits of the connection layer (see README, "HTTP server").
public struct ServerLimits {
    public var maxConnections = 512
    /// A request head must be complete this long after its first byte (slowloris → 408).
    public var headerTimeoutMs: Int64 = 10_000
    /// An idle keep-alive connection is closed after this.
    public var keepAliveTimeoutMs: Int64 = 15_000
    /// A response with output stuck in the socket this long is abandoned.
    public var sendTimeoutMs: Int64 = 60_000
    /// After a final response (`Connection: close`, an error), how long the half-closed
    /// connection keeps reading and discarding what the client still sends before it is
    /// closed (RFC 9112 §9.6; nginx's lingering close).
    public var lingerTimeoutMs: Int64 = 2_000
    public var parser = HTTPLimits()

    public init() {}
}

/// Accepts connections, parses requests, answers them in order through a handler.
/// Knows nothing of routes: `handler` gets each request and a `Responder`.
public final class HTTPServer {
    /// The request is handed over (`consuming`): the router moves it into its route request
    /// instead of copying it, which retained its every field.
    public typealias Handler = (consuming HTTPRequest, Responder) -> Void

    let loop: EventLoop
    let limits: ServerLimits
    /// The `Server` line of every response (none when the name is empty).
    let serverLine: HeaderLines
    let handler: Handler
    var listeners: [TCPListener] = []
    /// The open connections: the server owns them from accept to close.
    var connections: [ObjectIdentifier: Connection] = [:]
    var dates = DateCache()
    /// Where response heads (and small bodies with them) are written before they are
    /// sent: one buffer for the server, as the loop is single-threaded and a head is
    /// handed to the kernel (or copied to its connection's queue) before the next is
    /// written. Pages are touched only as far as the longest head.
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: HTTPServer.scratchSize)
    static let scratchSize = 16 * 1024
    var shuttingDown = false
    var shutdownTimer: LoopTimer?

    /// Called after every response head is queued: (route pattern, status).
    public var onResponse: ((String, Int) -> Void)?

    public init(loop: EventLoop, limits: ServerLimits = ServerLimits(), serverName: String, handler: @escaping Handler) {
        self.loop = loop
        self.limits = limits
        self.serverLine = serverName.isEmpty ? .none : HeaderLines([("Server", serverName)])
        self.handler = handler
    }

    /// Binds `host:port` (numeric) and starts accepting. Returns the bound port.
    @discardableResult
    public func listen(host: String, port: Int) throws(LoopError) -> Int {
        let listener = try TCPListener(loop, host: host, port: port)
        listener.start { [unowned self] fd, peer in self.accepted(fd: fd, peer: peer) }
        listeners.append(listener)
        return listener.port
    }

    deinit { scratch.deallocate() }

    public var openConnections: Int { connections.count }

    func accepted(fd: Int32, peer: String) {
        if shuttingDown || connections.count >= limits.maxConnections {
            // Over the limit: a best-effort 503 straight to the socket, then close.
            var head = ResponseHead(status: 503, headers: [("Content-Type", "text/plain; charset=utf-8")])
                .serialize(date: dates.current(), server: serverLine, keepAlive: false, contentLength: 21)
            head += Array("too many connections\n".utf8)
            _ = head.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            closeDescriptor(fd)
            onResponse?("overload", 503)
            return
        }
        let connection = Connection(server: self, socket: TCPConnection(loop, fd: fd, peer: peer))
        connections[ObjectIdentifier(connection)] = connection
        peakSinceTrim = max(peakSinceTrim, connections.count)
        connection.start()
    }

    func connectionClosed(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
        if shuttingDown && connections.isEmpty { finishShutdown() }
        // The last connection of a burst gone: its buffers go back to the device, not
        // to malloc's free lists (a health check now and then does not trim).
        if connections.count <= 1 && peakSinceTrim >= HTTPServer.burstConnections {
            peakSinceTrim = connections.count
            FreeHeap.giveBack()
        }
    }

    /// Most connections open at once since the heap was last trimmed.
    var peakSinceTrim = 0
    static let burstConnections = 16

    var shutdownDone: (() -> Void)?

    /// Stops accepting, closes idle connections, lets in-flight responses finish for up
    /// to `graceMs`, then closes the rest and calls `done`.
    public func shutdown(graceMs: Int64 = 1500, done: @escaping () -> Void) {
        guard !shuttingDown else { return }
        shuttingDown = true
        shutdownDone = done
        listeners.forEach { $0.close() }
        listeners = []
        for connection in Array(connections.values) { connection.closeIfIdle() }
        if connections.isEmpty { finishShutdown(); return }
        shutdownTimer = LoopTimer(loop) { [unowned self] in
            for connection in Array(self.connections.values) { connection.close() }
            self.finishShutdown()
        }
        shutdownTimer?.start(afterMs: graceMs)
    }

    func finishShutdown() {
        shutdownTimer?.close()
        shutdownTimer = nil
        let done = shutdownDone
        shutdownDone = nil
        done?()
    }

    func dateLine() -> HeaderLines { dates.current() }
}
