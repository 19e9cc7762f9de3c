/// A response status line plus header fields, serialised straight to bytes.
///
/// The standard fields (Date, Server, Connection, Content-Length) are written
/// by `serialize` from its arguments so handlers cannot forget or duplicate
/// them; `headers` holds the rest, in order.
public struct ResponseHead: Sendable {
    public var status: Int
    public var headers: [(String, String)]

    public init(status: Int, headers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
    }

    /// Serialises `HTTP/1.1 <status> <reason>\r\n`, then `Date`, `Server`
    /// (omitted when `server` is empty), `Connection: keep-alive|close`,
    /// `Content-Length` if given, then `headers`, then the blank line.
    public func serialize(date: String, server: String, keepAlive: Bool, contentLength: Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 48)
        serialize(into: &out, date: date, server: server, keepAlive: keepAlive, contentLength: contentLength)
        return out
    }

    /// Same as `serialize(date:server:keepAlive:contentLength:)`, appending to
    /// `out` so a connection can reuse one output buffer.
    ///
    /// CR, LF and NUL are dropped from names and values: a value built from
    /// request data must never be able to inject a header or split the
    /// response.
    public func serialize(into out: inout [UInt8], date: String, server: String, keepAlive: Bool, contentLength: Int?) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status, to: &out)
        out.append(asciiSP)
        out.append(contentsOf: reasonPhrase(status).utf8)
        out.append(asciiCR); out.append(asciiLF)

        appendField("Date", date, to: &out)
        if !server.isEmpty { appendField("Server", server, to: &out) }
        appendField("Connection", keepAlive ? "keep-alive" : "close", to: &out)
        if let contentLength {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(contentLength, to: &out)
            out.append(asciiCR); out.append(asciiLF)
        }
        for (name, value) in headers { appendField(name, value, to: &out) }
        out.append(asciiCR); out.append(asciiLF)
    }
}

@inline(__always)
func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
    appendSanitized(name, to: &out)
    out.append(asciiColon); out.append(asciiSP)
    appendSanitized(value, to: &out)
    out.append(asciiCR); out.append(asciiLF)
}

/// Appends `s` without CR, LF or NUL (bulk copy in the normal clean case).
/// Over the contiguous UTF-8 bytes: the String.UTF8View iterator costs ~15
/// instructions a byte, and a response head has a few hundred.
@inline(__always)
func appendSanitized(_ s: String, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { u in
        var clean = true
        for b in u where b == asciiCR || b == asciiLF || b == 0 {
            clean = false
            break
        }
        if clean {
            out.append(contentsOf: u)
        } else {
            for b in u where b != asciiCR && b != asciiLF && b != 0 { out.append(b) }
        }
    }
}

/// Appends the decimal digits of `n` (negative numbers get a "-").
func appendDecimal(_ n: Int, to out: inout [UInt8]) {
    if n < 0 { out.append(0x2D) }
    // Work with the magnitude as UInt so Int.min does not overflow.
    var m = n.magnitude
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { d in
        repeat {
            d[count] = ascii0 &+ UInt8(m % 10)
            m /= 10
            count += 1
        } while m > 0
        while count > 0 {
            count -= 1
            out.append(d[count])
        }
    }
}
