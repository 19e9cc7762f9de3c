import VTXHTTP
import VTXSystem
import VTXLoop

/// One client connection: the driver of its `ConnectionMachine`. The machine decides;
/// this class owns the socket, the one timer and the responder of the exchange on,
/// and carries out what the machine asks.
final class Connection {
    /// The server owns its connections from accept to close (`HTTPServer.connections`),
    /// so it outlives each: no reference count checks on the many uses a request makes.
    unowned(unsafe) let server: HTTPServer
    let socket: TCPConnection
    var machine: ConnectionMachine
    var timer: LoopTimer?
    /// The answer channel of the request with the handler, or of the open stream.
    var responder: Responder?

    @_optimize(speed) init(server: HTTPServer, socket: TCPConnection) {
        self.server = server
        self.socket = socket
        self.machine = ConnectionMachine(limits: server.limits.parser)
    }

    func start() {
        socket.onRead = { [unowned self] bytes in self.machine.received(bytes); self.drain() }
        socket.onHangup = { [unowned self] in self.machine.hangup(); self.drain() }
        socket.onDrained = { [unowned self] in self.machine.drained(); self.drain() }
        machine.opened()
        drain()
    }

    // MARK: what the responder and the server ask

    @_optimize(speed) func send(_ response: Response, for responder: Responder) {
        machine.respond(response, to: responder.id)
        drain()
    }

    func startStream(status: Int, headers: [(String, String)], for responder: Responder) {
        machine.startStream(status: status, headers: headers, for: responder.id)
        drain()
    }

    /// False if the stream is gone, or was closed because the client is too far behind.
    func streamWrite(_ bytes: [UInt8], limit: Int, for responder: Responder) -> Bool {
        machine.streamChunk(bytes, for: responder.id, queued: socket.pendingBytes, limit: limit)
        drain()
        return machine.isStreaming
    }

    func finish(_ responder: Responder) {
        machine.finish(responder.id)
        drain()
    }

    /// Shutdown: closes now if nothing is in flight, else after the response.
    func closeIfIdle() {
        machine.shutdown()
        drain()
    }

    func close() {
        machine.abort()
        drain()
    }

    // MARK: carrying out

    /// Carries out the machine's actions in order. What `.dispatch` and the writes
    /// report back queues behind them and is carried out by this same loop, so a
    /// burst of pipelined requests that are answered at once loops here instead of
    /// recursing once per request.
    @_optimize(speed) func drain() {
        while let action = machine.nextAction() { perform(action) }
    }

    @_optimize(speed) func perform(_ action: ConnectionAction) {
        switch action {
        case .armTimer(let clock):
            arm(clock)
        case .stopTimer:
            timer?.stop()
        case .pauseReading:
            socket.pauseReading()
        case .resumeReading:
            socket.resumeReading()
        case .dispatch(let id):
            guard let request = machine.takeRequest() else { return }
            let next = Responder(connection: self, id: id, peer: socket.peer)
            responder = next
            server.handler(request, next)
            machine.handlerReturned()
        case .writeResponse(let keepAlive, let isHead):
            guard let response = machine.takeResponse() else { return }
            server.onResponse?(responder?.route ?? "unmatched", response.status)
            responder = nil
            write(response, keepAlive: keepAlive, isHead: isHead)
            machine.responseWritten(pending: socket.hasPendingOutput)
        case .writeError(let isHead):
            guard let error = machine.takeError() else { return }
            write(Self.answer(to: error), keepAlive: false, isHead: isHead)
            server.onResponse?("invalid", error.status)
            machine.responseWritten(pending: socket.hasPendingOutput)
        case .writeStreamHead:
            guard let (status, headers) = machine.takeStreamHead() else { return }
            server.onResponse?(responder?.route ?? "unmatched", status)
            socket.write(ResponseHead(status: status, headers: headers)
                .serialize(date: server.dateLine(), server: server.serverLine, keepAlive: false, contentLength: nil))
        case .writeChunk:
            guard let bytes = machine.takeChunk() else { return }
            socket.write(bytes)
        case .dropResponse(_, let fd):
            if let fd { closeDescriptor(fd) }
        case .shutdownWrite:
            socket.shutdownWrite()
        case .close:
            closeNow()
        }
    }

    @_optimize(speed) func arm(_ clock: ConnectionClock) {
        guard !socket.isClosed else { return }   // a timer made now would have no owner to close it
        let ms: Int64
        switch clock {
        case .idle: ms = server.limits.keepAliveTimeoutMs
        case .header: ms = server.limits.headerTimeoutMs
        case .send: ms = server.limits.sendTimeoutMs
        case .linger: ms = server.limits.lingerTimeoutMs
        }
        if timer == nil { timer = LoopTimer(server.loop) { [unowned self] in self.machine.timerFired(); self.drain() } }
        timer?.start(afterMs: ms)
    }

    /// Puts a response on the wire: the head, then the body unless there must be none.
    @_optimize(speed) func write(_ response: Response, keepAlive: Bool, isHead: Bool) {
        // 204 and 304 never have content (RFC 9112 §6.3): no body, and no Content-Length —
        // a MUST NOT for 204 (RFC 9110 §8.6), and on a 304 it would have to be the length
        // of the 200 response, not 0. HEAD keeps the Content-Length GET would get.
        let bodiless = response.status == 204 || response.status == 304 || response.status < 200
        let head = ResponseHead(status: response.status, lines: response.lines, headers: response.headers)
        let contentLength = bodiless ? nil : response.contentLength
        let omitBody = isHead || bodiless
        let (date, name) = (server.dateLine(), server.serverLine)
        switch response.body {
        case .bytes(let body) where !omitBody:
            // Head and body in one buffer, one send.
            put(head, date, name, keepAlive, contentLength, body: body, more: false)
        case .file(let fd, let offset, let count) where !omitBody:
            put(head, date, name, keepAlive, contentLength, body: [], more: true)
            socket.sendFile(fd, offset: offset, count: count)
        case .empty, .bytes, .file:
            response.body.release()
            put(head, date, name, keepAlive, contentLength, body: [], more: false)
        }
    }

    /// Writes the head (and `body`) in the server's scratch buffer and sends it from
    /// there; one too long for it gets its own buffer.
    @_optimize(speed) func put(_ head: ResponseHead, _ date: HeaderLines, _ name: HeaderLines, _ keepAlive: Bool, _ contentLength: Int?,
             body: [UInt8], more: Bool) {
        if head.byteBound(date: date, server: name, body: body) <= HTTPServer.scratchSize {
            let n = head.write(to: server.scratch, date: date, server: name, keepAlive: keepAlive,
                               contentLength: contentLength, body: body)
            socket.write(UnsafeRawBufferPointer(start: server.scratch, count: n), more: more)
        } else {
            socket.write(head.serialize(date: date, server: name, keepAlive: keepAlive, contentLength: contentLength,
                                        body: body), more: more)
        }
    }

    /// The answer to a request the parser refused. An unknown method (the request line
    /// never became three parts) is not HEAD, so its answer keeps the body.
    static func answer(to error: HTTPParseError) -> Response {
        var response = Response.text(error.status, error.reason)
        if error.status == 405 { response.headers.append(("Allow", "GET, HEAD, POST, OPTIONS")) }
        response.close = true
        return response
    }

    func closeNow() {
        timer?.close()
        timer = nil
        socket.close()
        let last = responder
        responder = nil
        last?.connectionClosed()
        server.connectionClosed(self)
    }
}
