/// Header fields serialised once — `Name: value\r\n` each, CR, LF and NUL dropped —
/// for lines many responses share: the HLS type and CORS fields, this second's
/// `Date`, the `Server` line. A response copies them in one `memcpy` instead of
/// checking every byte again.
public struct HeaderLines: Sendable, Equatable {
    public let bytes: [UInt8]

    public static let none = HeaderLines(bytes: [])

    init(bytes: [UInt8]) { self.bytes = bytes }

    public init(_ fields: [(String, String)]) {
        var bound = 0
        for (name, value) in fields { bound += name.utf8.count + value.utf8.count + 4 }
        bytes = [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            var w = HeadWriter(base: buffer.baseAddress!)
            for (name, value) in fields { w.putField(name, value) }
            written = w.count
        }
    }
}

/// A response status line plus header fields, serialised straight to bytes.
///
/// The standard fields (Date, Server, Connection, Content-Length) are written
/// by `serialize` from its arguments so handlers cannot forget or duplicate
/// them; `lines` (shared, serialised once) and `headers` hold the rest, in order.
public struct ResponseHead: Sendable {
    public var status: Int
    public var lines: HeaderLines
    public var headers: [(String, String)]

    public init(status: Int, lines: HeaderLines = .none, headers: [(String, String)] = []) {
        self.status = status
        self.lines = lines
        self.headers = headers
    }

    /// Serialises `HTTP/1.1 <status> <reason>\r\n`, then `date` and `server` (each
    /// a whole line, or none), `Connection: keep-alive|close`, `Content-Length` if
    /// given, `lines`, `headers`, the blank line — and `body` after it, in the same
    /// allocation, so a response held in memory goes out as one buffer.
    ///
    /// CR, LF and NUL are dropped from names and values: a value built from
    /// request data must never be able to inject a header or split the response.
    /// Written through a pointer into room allocated once for the longest it can
    /// be: appending to an array byte by byte cost ~9,000 instructions a response.
    public func serialize(date: HeaderLines, server: HeaderLines, keepAlive: Bool, contentLength: Int?,
                          body: [UInt8] = []) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteBound(date: date, server: server, body: body)) { buffer, written in
            written = write(to: buffer.baseAddress!, date: date, server: server, keepAlive: keepAlive,
                            contentLength: contentLength, body: body)
        }
    }

    /// The most bytes `write(to:…)` can write with these arguments.
    public func byteBound(date: HeaderLines, server: HeaderLines, body: [UInt8] = []) -> Int {
        // The fixed text and two numbers of at most 20 digits, then 4 bytes (": ", CRLF) a field.
        var bound = 96 + reasonPhrase(status).utf8.count + date.bytes.count + server.bytes.count + lines.bytes.count + body.count
        for (name, value) in headers { bound += name.utf8.count + value.utf8.count + 4 }
        return bound
    }

    /// `serialize(…)` into memory the caller holds, at least `byteBound(…)` bytes;
    /// returns the count written. A connection writes heads into one buffer it reuses
    /// (an allocation per response was ~700 instructions).
    public func write(to base: UnsafeMutablePointer<UInt8>, date: HeaderLines, server: HeaderLines, keepAlive: Bool,
                      contentLength: Int?, body: [UInt8] = []) -> Int {
        var w = HeadWriter(base: base)
        w.put("HTTP/1.1 ")
        w.putDecimal(status)
        w.put(asciiSP)
        w.putClean(reasonPhrase(status))
        w.putCRLF()
        w.put(date.bytes)
        w.put(server.bytes)
        w.put(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n")
        if let contentLength {
            w.put("Content-Length: ")
            w.putDecimal(contentLength)
            w.putCRLF()
        }
        w.put(lines.bytes)
        for (name, value) in headers { w.putField(name, value) }
        w.putCRLF()
        w.put(body)
        return w.count
    }

    /// The same with `date` and `server` as values (`server` omitted when empty).
    public func serialize(date: String, server: String, keepAlive: Bool, contentLength: Int?) -> [UInt8] {
        serialize(date: HeaderLines([("Date", date)]), server: server.isEmpty ? .none : HeaderLines([("Server", server)]),
                  keepAlive: keepAlive, contentLength: contentLength)
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

    /// Bytes already clean (serialised `HeaderLines`, a body).
    mutating func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            guard let source = b.baseAddress else { return }
            (base + count).update(from: source, count: b.count)
            count += b.count
        }
    }

    /// `s` without CR, LF or NUL. Text almost never has them: one look for a
    /// control byte (all three are below 14), then one copy.
    mutating func putClean(_ s: String) {
        var s = s
        s.withUTF8 { u in
            guard let source = u.baseAddress else { return }
            var clean = true
            for b in u where b < 14 && (b == asciiCR || b == asciiLF || b == 0) {
                clean = false
                break
            }
            if clean {
                (base + count).update(from: source, count: u.count)
                count += u.count
                return
            }
            for b in u where b != asciiCR && b != asciiLF && b != 0 {
                base[count] = b
                count += 1
            }
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

