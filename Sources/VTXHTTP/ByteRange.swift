/// The outcome of a `Range` request header against a resource of known size.
///
/// Only a single byte range is honoured. Multiple ranges, other units and
/// malformed values are ignored (`.full`, i.e. 200 with the whole body), as
/// nginx does: a Range header is an optimisation the server may skip.
public enum ByteRange: Equatable, Sendable {
    /// Serve the whole resource (no Range, or one we ignore).
    case full
    /// Serve bytes `first...last` (inclusive, both within the resource) with 206.
    case partial(first: Int, last: Int)
    /// Answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Evaluates `header` (the Range field value) for a resource of `size` bytes.
    /// Accepts `bytes=a-b`, `bytes=a-` and `bytes=-n` (unit case-insensitive,
    /// OWS around the range tolerated). A first byte at or past `size`, or a
    /// zero-length suffix, is unsatisfiable; `last` is clamped to `size - 1`.
    public static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, size >= 0 else { return .full }
        return withUTF8Bytes(header[...]) { p in parseBytes(p, size: size) }
    }

    static func parseBytes(_ p: UnsafeBufferPointer<UInt8>, size: Int) -> ByteRange {
        var s = 0, e = p.count
        while s < e && (p[s] == asciiSP || p[s] == asciiHTAB) { s += 1 }
        while e > s && (p[e - 1] == asciiSP || p[e - 1] == asciiHTAB) { e -= 1 }
        guard e - s >= 6, bytesEqualLowercase(p, s, s + 6, "bytes=") else { return .full }
        s += 6
        while s < e && (p[s] == asciiSP || p[s] == asciiHTAB) { s += 1 }

        var dash = s
        while dash < e && p[dash] != 0x2D { // "-"
            if !isDigit(p[dash]) { return .full } // also rejects "," (multiple ranges)
            dash += 1
        }
        guard dash < e else { return .full }
        guard let last = saturatingDigits(p, dash + 1, e) else { return .full }

        if dash == s {
            // Suffix range "-n": the final n bytes.
            guard let n = last else { return .full } // "bytes=-"
            if n == 0 || size == 0 { return .unsatisfiable }
            return .partial(first: n >= size ? 0 : size - n, last: size - 1)
        }
        guard let first = saturatingDigits(p, s, dash) ?? nil else { return .full }
        if let last, last < first { return .full } // invalid, ignore
        if first >= size { return .unsatisfiable }
        let end = min(last ?? (size - 1), size - 1)
        return .partial(first: first, last: end)
    }

    /// Parses `p[start..<end]` as digits, saturating at Int.max (a huge
    /// position is simply "past the end"). Outer nil: not all digits;
    /// inner nil: empty.
    static func saturatingDigits(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int?? {
        if start == end { return .some(nil) }
        var n = 0
        var i = start
        while i < end {
            let b = p[i]
            guard isDigit(b) else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(b &- ascii0))
            n = (o1 || o2) ? Int.max : a
            i += 1
        }
        return .some(n)
    }
}
