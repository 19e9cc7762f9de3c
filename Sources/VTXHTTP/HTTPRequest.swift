/// One complete, validated request as produced by `RequestParser`.
///
/// By the time a handler sees it, the path has been percent-decoded once and
/// checked for traversal (`..`, encoded `/`, `\`, NUL…), so routes may use
/// `segments` directly to build file paths.
public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    public var version: HTTPVersion
    /// The request-target exactly as received (e.g. `/hls/a%20b.ts?x=1`).
    public var target: String
    /// Decoded path; starts with "/" (or is "*" for `OPTIONS *`).
    public var path: String
    /// `path` split on "/" without the leading empty segment:
    /// "/hls/a/b.ts" → ["hls","a","b.ts"], "/" → [], "/a/" → ["a", ""].
    public var segments: [String]
    /// Decoded query pairs in order ('+' → space).
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the connection may serve another request after this one
    /// (HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool

    public init(method: HTTPMethod = .GET,
                version: HTTPVersion = .http11,
                target: String = "/",
                path: String = "/",
                segments: [String] = [],
                query: [(name: String, value: String)] = [],
                headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [],
                keepAlive: Bool = true) {
        self.method = method
        self.version = version
        self.target = target
        self.path = path
        self.segments = segments
        self.query = query
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// First value of query parameter `name` (exact, case-sensitive match).
    public func queryValue(_ name: String) -> String? {
        for q in query where q.name == name { return q.value }
        return nil
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.version == rhs.version && lhs.target == rhs.target
            && lhs.path == rhs.path && lhs.segments == rhs.segments
            && lhs.query.count == rhs.query.count
            && zip(lhs.query, rhs.query).allSatisfy { $0.name == $1.name && $0.value == $1.value }
            && lhs.headers == rhs.headers && lhs.body == rhs.body && lhs.keepAlive == rhs.keepAlive
    }
}
