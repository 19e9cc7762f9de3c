import VTXHTTP

// Value types shared by `ConnectionMachine` and its driver, `Connection`.

/// The connection's one timer, by what it waits for. The driver maps each to its
/// `ServerLimits` duration; the machine knows no milliseconds.
enum ConnectionClock: Equatable {
    /// Keep-alive: nothing buffered between requests.
    case idle
    /// A request head must be complete (slowloris → 408).
    case header
    /// A response's bytes are stuck in the socket.
    case send
    /// The half-closed connection discards input until the client's EOF.
    case linger
}

/// What the machine asks its driver to do, in order: plain values. What an action
/// carries (the request, the response, the error, a stream's head or chunk) waits in
/// the machine until the driver takes it (`takeRequest`, `takeResponse`, …): an
/// action queued and handed out is copied, and copying those cost their every
/// field's retain and release.
enum ConnectionAction {
    /// (Re)starts the one timer.
    case armTimer(ConnectionClock)
    case stopTimer
    /// Backpressure: no reading while a request is with the handler or its
    /// response is still queued.
    case pauseReading
    case resumeReading
    /// Hands the request (`takeRequest()`) to the handler with a `Responder` for
    /// exchange `id`. Always last; report `handlerReturned` as soon as the handler returns.
    case dispatch(id: Int)
    /// Writes the response of the exchange in flight (`takeResponse()`). Always last;
    /// report `responseWritten(pending:)` right after.
    case writeResponse(keepAlive: Bool, isHead: Bool)
    /// Answers a request that failed to parse (or whose head timed out; `takeError()`), then
    /// the connection ends. Always last; report `responseWritten(pending:)` right after.
    case writeError(isHead: Bool)
    /// Writes the head of a close-delimited stream (SSE; `takeStreamHead()`). Always last.
    case writeStreamHead
    /// Appends bytes to the open stream (`takeChunk()`). Always last.
    case writeChunk
    /// A response that cannot go out (answered twice, or not the one in flight):
    /// close the file descriptor of its body, if it has one.
    case dropResponse(status: Int, fd: Int32?)
    /// Half-closes our side: the client sees EOF after the last response.
    case shutdownWrite
    /// Closes the socket and the timer and tells the in-flight responder. Always last.
    case close
}

/// Where a connection is, as tests and diagnostics see it.
enum ConnectionPhase: Equatable {
    case idle, readingHead, inFlight, sending, answered, streaming, lingering, closed
}
