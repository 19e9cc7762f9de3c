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
    public var headers: [(String, String)]
    public var body: Body
    /// Forces `Connection: close` after this response.
    public var close = false

    public init(status: Int, headers: [(String, String)] = [], body: Body = .empty) {
        self.status = status
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

/// Formats the `Date` header once per second, not once per response.
struct DateCache {
    var second = -1
    var text = ""

    mutating func current() -> String {
        let now = WallClock.nowSeconds()
        if now != second {
            second = now
            text = HTTPDate.format(epochSeconds: now)
        }
        return text
    }
}
