import VTXHTTP
import VTXSystem

/// A response a route produces: status, headers and a body that is either bytes we
/// hold or a region of a file that goes out with `sendfile(2)`.
public struct Response {
    public enum Body {
        case empty
        case bytes([UInt8])
        /// An open descriptor (the connection closes it), offset and length.
        case file(fd: Int32, offset: Int, count: Int)
    }

    public var status: Int
    /// Fields many responses share, serialised once (written before `headers`).
    public var lines: HeaderLines
    public var headers: [(String, String)]
    public var body: Body
    /// Forces `Connection: close` after this response.
    public var close = false

    public init(status: Int, lines: HeaderLines = .none, headers: [(String, String)] = [], body: Body = .empty) {
        self.status = status
        self.lines = lines
        self.headers = headers
        self.body = body
    }

    /// A short text body, for errors and `/healthz`.
    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: .bytes(Array((text + "\n").utf8)))
    }

    public var contentLength: Int {
        switch body {
        case .empty: return 0
        case .bytes(let b): return b.count
        case .file(_, _, let count): return count
        }
    }
}

extension Response.Body {
    /// Closes the descriptor of a body that will not be sent.
    public func release() {
        if case .file(let fd, _, _) = self { closeDescriptor(fd) }
    }
}

/// Formats the `Date` line once per second, not once per response.
struct DateCache {
    var second = -1
    var line = HeaderLines.none

    mutating func current() -> HeaderLines {
        let now = WallClock.nowSeconds()
        if now != second {
            second = now
            line = HeaderLines([("Date", HTTPDate.format(epochSeconds: now))])
        }
        return line
    }
}
