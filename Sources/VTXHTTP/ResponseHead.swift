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
    ///
    /// CR, LF and NUL are dropped from names and values: a value built from
    /// request data must never be able to inject a header or split the response.
    /// Written through a pointer into room allocated once for the longest it can
    /// be: appending to an array byte by byte cost ~9,000 instructions a response.
    public func serialize(date: String, server: String, keepAlive: Bool, contentLength: Int?) -> [UInt8] {
        let reason = reasonPhrase(status)
        let connection = keepAlive ? "keep-alive" : "close"
        // The fixed text and two numbers of at most 20 digits, then 4 bytes (": ", CRLF) a field.
        var bound = 128 + reason.utf8.count + date.utf8.count + server.utf8.count + connection.utf8.count
        for (name, value) in headers { bound += name.utf8.count + value.utf8.count + 4 }
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            var w = HeadWriter(base: buffer.baseAddress!)
            w.put("HTTP/1.1 ")
            w.putDecimal(status)
            w.put(asciiSP)
            w.putClean(reason)
            w.putCRLF()
            w.putField("Date", date)
            if !server.isEmpty { w.putField("Server", server) }
            w.putField("Connection", connection)
            if let contentLength {
                w.put("Content-Length: ")
                w.putDecimal(contentLength)
                w.putCRLF()
            }
            for (name, value) in headers { w.putField(name, value) }
            w.putCRLF()
            written = w.count
        }
    }

    /// Same as `serialize(date:server:keepAlive:contentLength:)`, appended to `out`.
    public func serialize(into out: inout [UInt8], date: String, server: String, keepAlive: Bool, contentLength: Int?) {
        out.append(contentsOf: serialize(date: date, server: server, keepAlive: keepAlive, contentLength: contentLength))
    }
}

/// Writes a response head into memory reserved for it (see `serialize(into:)`).
struct HeadWriter {
    let base: UnsafeMutablePointer<UInt8>
    var count = 0

    @inline(__always) mutating func put(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func putCRLF() {
        put(asciiCR)
        put(asciiLF)
    }

    mutating func put(_ s: StaticString) {
        (base + count).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    /// `s` without CR, LF or NUL.
    mutating func putClean(_ s: String) {
        var s = s
        let destination = base + count
        count += s.withUTF8 { u -> Int in
            var n = 0
            for b in u where b != asciiCR && b != asciiLF && b != 0 {
                destination[n] = b
                n += 1
            }
            return n
        }
    }

    mutating func putField(_ name: String, _ value: String) {
        putClean(name)
        put(asciiColon)
        put(asciiSP)
        putClean(value)
        putCRLF()
    }

    /// The decimal digits of `n`, "-" first if negative: at most 20 bytes.
    mutating func putDecimal(_ n: Int) {
        if n < 0 { put(0x2D) }
        var m = n.magnitude
        var digits = 0
        var probe = m
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        count += digits
        var i = count
        repeat {
            i -= 1
            base[i] = ascii0 &+ UInt8(m % 10)
            m /= 10
        } while m > 0
    }
}

