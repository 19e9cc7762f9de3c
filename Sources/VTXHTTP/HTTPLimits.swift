/// Size limits enforced while parsing. They bound the memory one connection
/// can pin (a 32 MB router serves many connections), so each is checked as
/// soon as the buffered bytes cross it, not only once a head is complete.
public struct HTTPLimits: Sendable, Equatable {
    /// Max bytes of the request line, excluding its line ending (→ 414).
    public var requestLine: Int
    /// Max bytes after the request line up to and including the empty line (→ 431).
    public var headerBlock: Int
    /// Max number of header lines (→ 431).
    public var headerCount: Int
    /// Max Content-Length accepted (→ 413).
    public var body: Int

    public init(requestLine: Int = 8192, headerBlock: Int = 16384, headerCount: Int = 100, body: Int = 65536) {
        self.requestLine = requestLine
        self.headerBlock = headerBlock
        self.headerCount = headerCount
        self.body = body
    }
}
