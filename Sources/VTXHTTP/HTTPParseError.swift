/// Why a request was rejected: the HTTP status the connection should answer
/// with (before closing) and a short human-readable reason for logs.
///
/// The reason strings are static literals so building an error never
/// allocates; tests compare them, so keep them stable.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    @inline(__always)
    static func badRequest(_ reason: String) -> HTTPParseError {
        HTTPParseError(status: 400, reason: reason)
    }
}
