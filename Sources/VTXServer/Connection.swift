import VTXHTTP
import VTXSystem
import VTXLoop

/// One client connection: parser state, at most one request in flight, one timer.
/// Requests are answered strictly in order: the next pipelined request is parsed
/// only after the previous response has been fully handed to the kernel.
final class Connection {
    unowned let server: HTTPServer
    let socket: TCPConnection
    var parser: RequestParser
    var timer: LoopTimer?
    var inFlight: Responder?
    var streaming = false
    var closeAfterResponse = false
    var closed = false
    /// Half-closed after the last response, discarding input until EOF or the linger timeout.
    var lingering = false

    enum Wait { case idle, header, sending, linger, none }
    var waiting = Wait.none

    init(server: HTTPServer, socket: TCPConnection) {
        self.server = server
        self.socket = socket
        self.parser = RequestParser(limits: server.limits.parser)
    }

    func start() {
        socket.onRead = { [unowned self] bytes in self.received(bytes) }
        socket.onHangup = { [unowned self] in self.close() }
        socket.onDrained = { [unowned self] in self.drained() }
        socket.start()
        // A new connection must send its request within the header timeout.
        arm(.header)
    }

    func arm(_ wait: Wait) {
        waiting = wait
        let ms: Int64
        switch wait {
        case .idle: ms = server.limits.keepAliveTimeoutMs
        case .header: ms = server.limits.headerTimeoutMs
        case .sending: ms = server.limits.sendTimeoutMs
        case .linger: ms = server.limits.lingerTimeoutMs
        case .none: timer?.stop(); return
        }
        if timer == nil { timer = LoopTimer(server.loop) { [unowned self] in self.timedOut() } }
        timer?.start(afterMs: ms)
    }

    func timedOut() {
        switch waiting {
        case .header:
            // Slowloris or a silent client: 408 and close (nginx sends nothing; RFC 9110 allows 408).
            if inFlight == nil && !streaming {
                closeAfterResponse = true
                writeError(HTTPParseError(status: 408, reason: "request header timeout"))
            } else { close() }
        case .idle, .sending, .linger: close()
        case .none: break
        }
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        if waiting == .idle { arm(.header) }   // first byte of the next request
        parser.feed(bytes)
        processRequests()
    }

    /// Parses and dispatches requests while the previous one is done. A handler that
    /// answers at once returns here (no recursion per pipelined request).
    func processRequests() {
        while !closed && !lingering && inFlight == nil && !streaming && !socket.hasPendingOutput {
            if closeAfterResponse { closeGracefully(); return }
            guard let result = parser.next() else {
                if parser.bufferedBytes == 0 {
                    if waiting != .idle { arm(.idle) }
                } else if waiting != .header {
                    arm(.header)
                }
                socket.resumeReading()
                return
            }
            switch result {
            case .failure(let error):
                closeAfterResponse = true
                writeError(error)
                return
            case .success(let request):
                dispatch(request)
            }
        }
        // Backpressure: no reading while a response is pending.
        if !closed && !streaming && (inFlight != nil || socket.hasPendingOutput) { socket.pauseReading() }
    }

    var dispatching = false

    func dispatch(_ request: HTTPRequest) {
        arm(.none)
        let responder = Responder(connection: self, peer: socket.peer, isHead: request.method == .HEAD, keepAlive: request.keepAlive)
        inFlight = responder
        if !request.keepAlive { closeAfterResponse = true }
        socket.pauseReading()
        dispatching = true
        server.handler(request, responder)
        dispatching = false
    }

    func writeError(_ error: HTTPParseError) {
        var response = Response.text(error.status, error.reason)
        if error.status == 405 { response.headers.append(("Allow", "GET, HEAD, POST, OPTIONS")) }
        response.close = true
        let bytes = head(for: response, keepAlive: false, contentLength: response.contentLength)
        // An answer to HEAD never has a body (RFC 9110 §9.3.2), an error neither:
        // a client reading it as bodiless would take the text for the next response.
        // Content-Length stays what GET would get. Unknown method (the request line
        // never became three parts): the body is sent.
        let isHead = parser.currentMethod == .HEAD
        socket.write(isHead ? bytes : bytes + bodyBytes(response))
        server.onResponse?("invalid", error.status)
        finishIfDrained()
    }

    func head(for response: Response, keepAlive: Bool, contentLength: Int?) -> [UInt8] {
        ResponseHead(status: response.status, headers: response.headers)
            .serialize(date: server.dateHeader(), server: server.serverName, keepAlive: keepAlive, contentLength: contentLength)
    }

    func bodyBytes(_ response: Response) -> [UInt8] {
        if case .bytes(let b) = response.body { return b }
        return []
    }

    /// Sends the response of the request in flight.
    func send(_ response: Response, for responder: Responder) {
        guard !closed, responder === inFlight else {
            if case .file(let fd, _, _) = response.body { closeDescriptor(fd) }
            return
        }
        if response.close || server.shuttingDown { closeAfterResponse = true }
        let keepAlive = !closeAfterResponse
        server.onResponse?(responder.route, response.status)
        // 204 and 304 never have content (RFC 9112 §6.3): no body, and no Content-Length —
        // a MUST NOT for 204 (RFC 9110 §8.6), and on a 304 it would have to be the length
        // of the 200 response, not 0.
        let bodiless = response.status == 204 || response.status == 304 || response.status < 200
        let headBytes = head(for: response, keepAlive: keepAlive, contentLength: bodiless ? nil : response.contentLength)
        let omitBody = responder.isHead || bodiless
        inFlight = nil
        switch response.body {
        case .empty:
            socket.write(headBytes)
        case .bytes(let body):
            socket.write(omitBody ? headBytes : headBytes + body)
        case .file(let fd, let offset, let count):
            if omitBody {
                closeDescriptor(fd)
                socket.write(headBytes)
            } else {
                socket.write(headBytes, more: true)
                socket.sendFile(fd, offset: offset, count: count)
            }
        }
        finishIfDrained()
    }

    /// After a response: if it all went out, go on with the next request or close.
    func finishIfDrained() {
        guard !closed, !lingering else { return }
        if socket.hasPendingOutput {
            arm(.sending)
            return
        }
        if dispatching { return }   // processRequests' loop goes on
        if closeAfterResponse {
            closeGracefully()
            return
        }
        processRequests()
    }

    func drained() {
        if streaming { arm(.none); return }
        finishIfDrained()
    }

    func startStream(status: Int, headers: [(String, String)], for responder: Responder) {
        guard !closed, responder === inFlight else { return }
        streaming = true
        closeAfterResponse = true
        server.onResponse?(responder.route, status)
        socket.write(ResponseHead(status: status, headers: headers)
            .serialize(date: server.dateHeader(), server: server.serverName, keepAlive: false, contentLength: nil))
        // Keep reading so a client hang-up is noticed; further request bytes are ignored.
        socket.onRead = { _ in }
        socket.resumeReading()
    }

    func streamWrite(_ bytes: [UInt8], limit: Int) -> Bool {
        guard !closed, streaming else { return false }
        if socket.pendingBytes + bytes.count > limit {
            close()   // a client that cannot keep up is dropped, not buffered for
            return false
        }
        socket.write(bytes)
        return !closed
    }

    /// Ends the connection after its last response has gone out. Closing a socket with
    /// unread input makes the kernel send a RST, which can destroy the response before the
    /// client has read it (a 413 while the body is still arriving, a 400 after pipelined
    /// bytes). So: half-close (the client sees EOF after the response), discard whatever
    /// still arrives, and close on the client's EOF or after `lingerTimeoutMs`.
    func closeGracefully() {
        guard !closed, !lingering else { return }
        if server.shuttingDown { close(); return }
        lingering = true
        socket.shutdownWrite()
        socket.onRead = { _ in }
        socket.resumeReading()
        arm(.linger)
    }

    /// Closes now if no request is in flight (shutdown).
    func closeIfIdle() {
        if inFlight == nil && !streaming && !socket.hasPendingOutput { close() } else { closeAfterResponse = true }
    }

    func close() {
        guard !closed else { return }
        closed = true
        timer?.close()
        timer = nil
        socket.close()
        let responder = inFlight
        inFlight = nil
        responder?.connectionClosed()
        server.connectionClosed(self)
    }
}
