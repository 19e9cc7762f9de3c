/// Percent-decodes a raw request path exactly once and rejects every shape
/// that could escape a route's directory or confuse a file system:
///
/// - the path must start with "/";
/// - invalid escapes (`%`, `%4`, `%zz`) → 400;
/// - `%2F` / `%2f` (a "/" that was not a separator) → 400 — otherwise
///   "a%2F..%2Fb" would split differently before and after decoding;
/// - `\` raw or `%5C` → 400 (a separator on some systems);
/// - NUL and every other control character, raw or encoded → 400 (NUL
///   truncates C strings; CR/LF could be reflected into a `Location` header);
/// - decoded bytes that are not valid UTF-8 → 400;
/// - any segment equal to `.` or `..` after decoding (so `%2e%2e`, `.%2e`
///   too) → 400.
///
/// Decoding once means `%252e` becomes the literal text `%2e`, which is a
/// harmless file name, never a dot. The parser calls this before any route
/// sees the request; it is public so it can be fuzzed on its own.
///
/// Segments are the decoded path split on "/" without the leading empty
/// one: "/hls/a/b.ts" → ["hls","a","b.ts"], "/" → [], "/a/" → ["a",""]
/// (a trailing empty segment keeps "directory" URLs distinguishable).
public func decodeRequestPath(_ raw: Substring) -> Result<(path: String, segments: [String]), HTTPParseError> {
    withUTF8Bytes(raw) { p in decodePathBytes(p) }
}

func decodePathBytes(_ p: UnsafeBufferPointer<UInt8>) -> Result<(path: String, segments: [String]), HTTPParseError> {
    guard p.count > 0, p[0] == asciiSlash else { return .failure(.badRequest("path must start with /")) }

    // Fast path: nothing to decode (the common case), so validate in place
    // and build the String straight from the input bytes (callers pass
    // valid UTF-8: a Substring's bytes or the parser's ASCII-only target).
    if !p.contains(asciiPercent) {
        if let e = validateDecodedPath(p) { return .failure(e) }
        return .success((String(decoding: p, as: UTF8.self), splitPathSegments(p)))
    }

    var out = [UInt8]()
    out.reserveCapacity(p.count)
    let refused = percentDecode(p, 0, p.count, into: &out, plusIsSpace: false, invalid: "invalid percent escape in path") {
        $0 == asciiSlash ? "encoded slash in path" : nil
    }
    if let refused { return .failure(.badRequest(refused)) }
    if let e = out.withUnsafeBufferPointer({ validateDecodedPath($0) }) { return .failure(e) }
    guard let path = String(validating: out, as: UTF8.self) else {
        return .failure(.badRequest("invalid UTF-8 in path"))
    }
    return .success((path, out.withUnsafeBufferPointer { splitPathSegments($0) }))
}

/// Checks decoded path bytes: no `\`, no control characters, no `.`/`..`
/// segments. Every "/" here is a real separator (encoded ones were refused).
func validateDecodedPath(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParseError? {
    var segStart = 1 // p[0] is the leading "/"
    var i = 1
    let n = p.count
    while i <= n {
        if i == n || p[i] == asciiSlash {
            let len = i - segStart
            if (len == 1 && p[segStart] == asciiDot) || (len == 2 && p[segStart] == asciiDot && p[segStart + 1] == asciiDot) {
                return .badRequest("dot segment in path")
            }
            segStart = i + 1
        } else {
            let b = p[i]
            if b == asciiBackslash { return .badRequest("backslash in path") }
            if b < 0x20 || b == 0x7F { return .badRequest("control character in path") }
        }
        i += 1
    }
    return nil
}

/// Splits a validated path (starting with "/") into its segments.
func splitPathSegments(_ p: UnsafeBufferPointer<UInt8>) -> [String] {
    // Over the bytes (valid UTF-8, split at ASCII "/" only): String indices cost
    // several times more, on every request.
    if p.count <= 1 { return [] } // "/"
    var slashes = 0
    for b in p where b == asciiSlash { slashes += 1 }
    var result: [String] = []
    result.reserveCapacity(slashes) // one allocation, not 1→2→4
    var segStart = 1
    for i in 1..<p.count where p[i] == asciiSlash {
        result.append(String(decoding: UnsafeBufferPointer(rebasing: p[segStart..<i]), as: UTF8.self))
        segStart = i + 1
    }
    result.append(String(decoding: UnsafeBufferPointer(rebasing: p[segStart..<p.count]), as: UTF8.self))
    return result
}

/// Appends `p[start..<end]` percent-decoded to `out` (`+` as a space when
/// `plusIsSpace`: the form encoding of query strings). Returns the error message:
/// `invalid` for a malformed escape, or what `refuse` says of a decoded byte that
/// must not appear (an encoded "/" in a path, NUL in a query).
func percentDecode(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8],
                   plusIsSpace: Bool, invalid: String, refuse: (UInt8) -> String?) -> String? {
    var i = start
    while i < end {
        let b = p[i]
        if b == asciiPercent {
            guard i + 2 < end, let hi = hexValue(p[i + 1]), let lo = hexValue(p[i + 2]) else { return invalid }
            let d = hi << 4 | lo
            if let message = refuse(d) { return message }
            out.append(d)
            i += 3
        } else {
            out.append(plusIsSpace && b == asciiPlus ? asciiSP : b)
            i += 1
        }
    }
    return nil
}
