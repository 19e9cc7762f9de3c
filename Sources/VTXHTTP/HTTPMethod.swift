/// The request methods VTX Link serves.
///
/// The set is deliberately closed: the parser rejects every other method
/// (405 for well-known ones such as PUT, 501 for unknown tokens), so route
/// handlers can `switch` exhaustively and never see a method they did not
/// plan for.
public enum HTTPMethod: String, Sendable {
    case GET, HEAD, POST, OPTIONS
}

/// The protocol versions the parser accepts. Everything else that is
/// well-formed (`HTTP/2.0`, `HTTP/1.2`, …) is answered with 505.
public enum HTTPVersion: Sendable {
    case http10, http11
}
