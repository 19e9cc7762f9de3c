import VTXHTTP

// The pure request/response cycle of one HTTP/1.1 connection. Bytes and events
// in, `ConnectionAction`s out; no sockets, no clock, no libuv. `Connection` is
// its thin driver.
//
// One exchange at a time: a request is parsed and dispatched only when the
// previous response has been fully handed to the kernel, so pipelined requests
// are answered in order and a slow reader stops our reading (backpressure).
// Every state change goes through `transition(to:)`; an event that does not fit
// the state is refused (no actions, a refused response's file is released).
//
// Driver contract:
// - After each event, carry out what `nextAction()` hands out until it is nil.
//   `.dispatch`, the writes and `.close` are always last of an event's actions.
//   After `.dispatch` call the handler and report `handlerReturned` when it
//   returns; after `.writeResponse` / `.writeError` report `responseWritten(pending:)`
//   at once. Their actions join the same queue, drained by the same loop (not a
//   nested call), which keeps a pipelined burst from recursing once per request.
// - Keep ONE timer, (re)started by `.armTimer` and stopped by `.stopTimer`; report
//   `timerFired`. Report `drained` when queued output is all written, `hangup` when
//   the peer closed or the socket failed.
struct ConnectionMachine {
    /// The exchange with the handler.
    private struct Exchange: Equatable {
        let id: Int
        let isHead: Bool
        /// The handler call is still on the stack: what comes after the response
        /// waits for `handlerReturned`, or pipelined requests would recurse.
        var handlerRunning: Bool
    }

    private enum State: Equatable {
        /// Kept alive between requests, nothing buffered: the idle clock runs.
        case idle
        /// A new connection, or the first bytes of a request: the header clock runs.
        case readingHead
        /// A request is with the handler; reading is paused.
        case inFlight(Exchange)
        /// The response is written and may still be queued in the socket.
        case sending(handlerRunning: Bool)
        /// The response is all out while its handler still runs.
        case answered
        /// A close-delimited stream is open: input is ignored, only a hang-up counts.
        case streaming(id: Int)
        /// Half-closed after the last response: input is discarded until EOF or the
        /// linger clock. Closing with unread input would make the kernel send a RST,
        /// which can destroy the response before the client has read it.
        case lingering
        case closed
    }

    /// Whether the connection outlives the exchange in flight.
    private enum Lifecycle {
        case keepAlive
        /// `Connection: close`, HTTP/1.0, a stream or an error: linger, then close.
        case closeAfterResponse
        /// The server is shutting down: close right after the response, no linger.
        case shuttingDown
    }

    private var state = State.readingHead
    private var lifecycle = Lifecycle.keepAlive
    private var parser: RequestParser
    private var lastID = 0
    private var pending: [ConnectionAction] = []
    /// The first action of `pending` not yet handed out.
    private var next = 0
    /// The request of `.dispatch` and the response of `.writeResponse`, until taken.
    private var incoming: HTTPRequest?
    private var outgoing: Response?
    private var refusal: HTTPParseError?
    private var streamHead: (status: Int, headers: [(String, String)])?
    private var chunk: [UInt8]?

    @_optimize(speed) init(limits: HTTPLimits) {
        parser = RequestParser(limits: limits)
    }

    // MARK: read-only view

    var phase: ConnectionPhase {
        switch state {
        case .idle: return .idle
        case .readingHead: return .readingHead
        case .inFlight: return .inFlight
        case .sending: return .sending
        case .answered: return .answered
        case .streaming: return .streaming
        case .lingering: return .lingering
        case .closed: return .closed
        }
    }

    var isStreaming: Bool { phase == .streaming }

    // MARK: events — the socket

    /// The connection was accepted: read, and the request must come within the header timeout.
    mutating func opened() {
        pending.append(.resumeReading)
        pending.append(.armTimer(.header))
    }

    /// Bytes arrived. Between requests they are parsed at once; while an exchange
    /// is on they are kept for later; a stream or a lingering close drops them.
    @_optimize(speed) mutating func received(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .idle:
            transition(to: .readingHead)   // the first byte of the next request starts its clock
            pending.append(.armTimer(.header))
            parser.feed(bytes)
            readNext()
        case .readingHead:
            parser.feed(bytes)
            readNext()
        case .inFlight, .sending, .answered:
            parser.feed(bytes)
            pending.append(.pauseReading)
        case .streaming, .lingering, .closed:
            break
        }
    }

    /// Everything queued went out to the kernel.
    @_optimize(speed) mutating func drained() {
        if case .sending(let handlerRunning) = state { responseOut(handlerRunning: handlerRunning) }
    }

    /// The peer closed its side, or the socket failed.
    mutating func hangup() {
        closeNow()
    }

    /// The timer fired: the clock that runs says what it means.
    mutating func timerFired() {
        switch state {
        case .readingHead:
            // Slowloris or a silent client: 408 and close (nginx sends nothing; RFC 9110 allows 408).
            answerError(HTTPParseError(status: 408, reason: "request header timeout"))
        case .idle, .sending, .lingering:
            closeNow()
        case .inFlight, .answered, .streaming, .closed:
            break   // no clock runs: a stray fire
        }
    }

    // MARK: events — the handler and its responder

    /// The handler of `.dispatch` returned.
    @_optimize(speed) mutating func handlerReturned() {
        switch state {
        case .inFlight(var exchange) where exchange.handlerRunning:
            exchange.handlerRunning = false
            transition(to: .inFlight(exchange))   // it answers later
        case .sending(handlerRunning: true):
            transition(to: .sending(handlerRunning: false))
        case .answered:
            finishExchange()
        default:
            break
        }
    }

    /// The handler's answer to exchange `id`.
    @_optimize(speed) mutating func respond(_ response: Response, to id: Int) {
        guard case .inFlight(let exchange) = state, exchange.id == id else {
            if case .file(let fd, _, _) = response.body {
                pending.append(.dropResponse(status: response.status, fd: fd))
            } else {
                pending.append(.dropResponse(status: response.status, fd: nil))
            }
            return
        }
        if response.close { closeAfterResponse() }
        transition(to: .sending(handlerRunning: exchange.handlerRunning))
        outgoing = response
        pending.append(.writeResponse(keepAlive: lifecycle == .keepAlive, isHead: exchange.isHead))
    }

    /// The write of `.writeResponse` / `.writeError` is done; `pending`: some of it is
    /// still queued in the socket.
    @_optimize(speed) mutating func responseWritten(pending stillQueued: Bool) {
        guard case .sending(let handlerRunning) = state else { return }
        if stillQueued {
            pending.append(.armTimer(.send))
        } else {
            responseOut(handlerRunning: handlerRunning)
        }
    }

    /// Exchange `id` becomes a close-delimited stream: the head goes out and reading
    /// resumes, so that a client hang-up is noticed.
    mutating func startStream(status: Int, headers: [(String, String)], for id: Int) {
        guard case .inFlight(let exchange) = state, exchange.id == id else { return }
        closeAfterResponse()
        transition(to: .streaming(id: id))
        pending.append(.resumeReading)
        streamHead = (status, headers)
        pending.append(.writeStreamHead)
    }

    /// A chunk for the stream of exchange `id`. `queued`: bytes the socket still
    /// holds. A client that cannot keep up (more than `limit`) is dropped, not buffered for.
    mutating func streamChunk(_ bytes: [UInt8], for id: Int, queued: Int, limit: Int) {
        guard case .streaming(let current) = state, current == id else { return }
        if queued + bytes.count > limit {
            closeNow()
        } else {
            chunk = bytes
            pending.append(.writeChunk)
        }
    }

    /// The responder of exchange `id` ends it (a stream's end): the connection closes.
    mutating func finish(_ id: Int) {
        switch state {
        case .inFlight(let exchange) where exchange.id == id: closeNow()
        case .streaming(let current) where current == id: closeNow()
        default: break   // a responder of an earlier exchange: not its connection anymore
        }
    }

    // MARK: events — the server

    /// The server shuts down: an idle connection closes now, one with an exchange
    /// on closes right after it (without lingering).
    mutating func shutdown() {
        switch state {
        case .idle, .readingHead, .answered, .lingering:
            closeNow()
        case .inFlight, .sending, .streaming:
            lifecycle = .shuttingDown
        case .closed:
            break
        }
    }

    /// The server gives up on the connection (the shutdown grace ran out).
    mutating func abort() {
        closeNow()
    }

    // MARK: internals

    /// THE single place where the state changes; refuses moves the cycle does not
    /// have (a bug in this file, caught by the tests' debug builds).
    private mutating func transition(to next: State) {
        guard Self.allows(from: state, to: next) else {
            assertionFailure("connection: illegal move \(state) → \(next)")
            return
        }
        state = next
    }

    private static func allows(from: State, to: State) -> Bool {
        switch (from, to) {
        case (.closed, _): return false
        case (_, .closed): return true
        case (.streaming, _), (.lingering, _): return false   // only closing ends them
        case (.sending(handlerRunning: true), let next):      // the handler must return first
            return next == .answered || next == .sending(handlerRunning: false)
        case (.inFlight(let exchange), let next):
            switch next {
            case .inFlight(let same): return same.id == exchange.id && exchange.handlerRunning && !same.handlerRunning
            case .sending, .streaming: return true
            default: return false
            }
        case (_, .streaming), (_, .answered): return false
        case (.idle, let next): return next == .readingHead
        case (.readingHead, .lingering): return false
        default: return true   // between exchanges: idle, a head, the next request, an error answer, lingering
        }
    }

    /// The next action to carry out, in order; nil when none is left. Events
    /// queue their actions here and the driver drains them: one array per
    /// connection, kept (cleared, not freed) between events, where returning a
    /// fresh array from each event cost an allocation and its copies (~2,500
    /// instructions per keep-alive request).
    /// The request of the `.dispatch` just handed out (once).
    @_optimize(speed) mutating func takeRequest() -> HTTPRequest? {
        var request: HTTPRequest? = nil
        swap(&request, &incoming)   // moved out: a copy would retain its every field
        return request
    }

    /// The response of the `.writeResponse` just handed out (once).
    @_optimize(speed) mutating func takeResponse() -> Response? {
        var response: Response? = nil
        swap(&response, &outgoing)
        return response
    }

    /// The error of the `.writeError` just handed out (once).
    mutating func takeError() -> HTTPParseError? {
        defer { refusal = nil }
        return refusal
    }

    /// The head of the `.writeStreamHead` just handed out (once).
    mutating func takeStreamHead() -> (status: Int, headers: [(String, String)])? {
        defer { streamHead = nil }
        return streamHead
    }

    /// The bytes of the `.writeChunk` just handed out (once).
    mutating func takeChunk() -> [UInt8]? {
        var bytes: [UInt8]? = nil
        swap(&bytes, &chunk)
        return bytes
    }

    @_optimize(speed) mutating func nextAction() -> ConnectionAction? {
        guard next < pending.count else { return nil }
        let action = pending[next]
        next += 1
        if next == pending.count {
            pending.removeAll(keepingCapacity: true)
            next = 0
        }
        return action
    }

    /// Parses the next request, if the previous exchange is over; a handler that
    /// answers at once comes back here through `handlerReturned`, not recursively.
    @_optimize(speed) private mutating func readNext() {
        switch parser.next() {   // switched on, not bound: a bound copy retained the request's fields
        case nil:
            let next: State = parser.bufferedBytes == 0 ? .idle : .readingHead
            if next != state {
                transition(to: next)
                pending.append(.armTimer(next == .idle ? .idle : .header))
            }
            pending.append(.resumeReading)
        case .failure(let error):
            answerError(error)
        case .success(let request):
            lastID += 1
            if !request.keepAlive { closeAfterResponse() }
            transition(to: .inFlight(Exchange(id: lastID, isHead: request.method == .HEAD, handlerRunning: true)))
            pending.append(.stopTimer)
            pending.append(.pauseReading)
            incoming = request
            pending.append(.dispatch(id: lastID))
        }
    }

    /// A request that cannot be served: its status, then the connection ends.
    private mutating func answerError(_ error: HTTPParseError) {
        closeAfterResponse()
        transition(to: .sending(handlerRunning: false))
        // An answer to HEAD never has a body (RFC 9110 §9.3.2), an error neither: a
        // client reading it as bodiless would take the text for the next response.
        refusal = error
        pending.append(.writeError(isHead: parser.currentMethod == .HEAD))
    }

    /// The response is all in the kernel: the next exchange may begin, unless the
    /// handler that produced it has not returned yet.
    @_optimize(speed) private mutating func responseOut(handlerRunning: Bool) {
        if handlerRunning {
            transition(to: .answered)
        } else {
            finishExchange()
        }
    }

    @_optimize(speed) private mutating func finishExchange() {
        switch lifecycle {
        case .keepAlive:
            readNext()
        case .closeAfterResponse:
            transition(to: .lingering)
            pending.append(.shutdownWrite)
            pending.append(.resumeReading)
            pending.append(.armTimer(.linger))
        case .shuttingDown:
            closeNow()
        }
    }

    private mutating func closeAfterResponse() {
        if lifecycle == .keepAlive { lifecycle = .closeAfterResponse }
    }

    private mutating func closeNow() {
        guard state != .closed else { return }
        transition(to: .closed)
        pending.append(.close)
    }
}
