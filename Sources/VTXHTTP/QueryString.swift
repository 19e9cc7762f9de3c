/// Decodes a raw query string (the part after "?", without it) into ordered
/// name/value pairs, `application/x-www-form-urlencoded` style:
/// split on "&", then on the first "="; "+" becomes a space and `%XX` is
/// decoded, in names and values alike. Empty pieces ("a&&b") are skipped and
/// a piece without "=" gets an empty value.
///
/// An invalid escape, an encoded NUL (which would truncate C strings
/// downstream) or decoded bytes that are not UTF-8 → 400.
public func decodeQueryString(_ raw: Substring) -> Result<[(name: String, value: String)], HTTPParseError> {
    withUTF8Bytes(raw) { p in decodeQueryBytes(p) }
}

/// `decodeQueryString` over raw bytes (valid UTF-8), used by the parser.
func decodeQueryBytes(_ p: UnsafeBufferPointer<UInt8>) -> Result<[(name: String, value: String)], HTTPParseError> {
    if p.isEmpty { return .success([]) }
    var pairs: [(name: String, value: String)] = []
    var scratch: [UInt8] = [] // reused across components that need decoding
    var i = 0
    let n = p.count
    while i <= n {
        var j = i
        while j < n && p[j] != asciiAmp { j += 1 }
        if j > i {
            var eq = i
            while eq < j && p[eq] != asciiEquals { eq += 1 }
            let nameEnd = eq
            let valueStart = eq < j ? eq + 1 : j
            let name: String, value: String
            switch decodeQueryComponent(p, i, nameEnd, &scratch) {
            case .success(let s): name = s
            case .failure(let e): return .failure(e)
            }
            switch decodeQueryComponent(p, valueStart, j, &scratch) {
            case .success(let s): value = s
            case .failure(let e): return .failure(e)
            }
            pairs.append((name: name, value: value))
        }
        i = j + 1
    }
    return .success(pairs)
}

func decodeQueryComponent(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ scratch: inout [UInt8]) -> Result<String, HTTPParseError> {
    var needsDecode = false
    var i = start
    while i < end {
        let b = p[i]
        if b == asciiPercent || b == asciiPlus { needsDecode = true; break }
        i += 1
    }
    // Slices between ASCII delimiters of valid UTF-8 are valid UTF-8.
    if !needsDecode { return .success(makeString(p, start, end)) }

    scratch.removeAll(keepingCapacity: true)
    let refused = percentDecode(p, start, end, into: &scratch, plusIsSpace: true, invalid: "invalid percent escape in query") {
        $0 == 0 ? "NUL in query" : nil
    }
    if let refused { return .failure(.badRequest(refused)) }
    guard let s = String(validating: scratch, as: UTF8.self) else {
        return .failure(.badRequest("invalid UTF-8 in query"))
    }
    return .success(s)
}
