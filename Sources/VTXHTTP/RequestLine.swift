// Request-line parsing: `method SP request-target SP HTTP-version`
// (RFC 9112 §3), exactly single spaces, no HTAB, nothing after the version.

extension RequestParser {
    /// Parses the request line `p[start..<end]` into `head`.
    mutating func parseRequestLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> HTTPParseError? {
        var sp1 = start
        while sp1 < end && p[sp1] != asciiSP { sp1 += 1 }
        if sp1 == start { return .badRequest("malformed request line") }
        var i = start
        while i < sp1 {
            if !isTokenByte(p[i]) { return .badRequest("invalid method") }
            i += 1
        }
        if sp1 == end { return .badRequest("missing request target") }
        // The walk that finds the second SP also classifies the target's
        // bytes, so the target is read once; its errors wait their turn below.
        let target = scanTarget(p, sp1 + 1, end)
        let sp2 = target.end
        // "GET /" is HTTP/0.9; we do not speak it.
        if sp2 == end { return .badRequest("missing HTTP version") }
        if sp2 == sp1 + 1 { return .badRequest("malformed request line") }

        // The line has its three parts: the method is known from here on, even
        // if a later check fails, so an error answer to HEAD carries no body.
        let method = classifyMethod(p, start, sp1)
        if case .supported(let m) = method {
            head.request.method = m
            head.methodKnown = true
        }

        switch parseVersion(p, sp2 + 1, end) {
        case .malformed: return .badRequest("malformed HTTP version")
        case .unsupported: return HTTPParseError(status: 505, reason: "HTTP version not supported")
        case .supported(let v): head.request.version = v
        }

        switch method {
        case .supported: break
        case .notAllowed: return HTTPParseError(status: 405, reason: "method not allowed")
        case .unknown: return HTTPParseError(status: 501, reason: "method not implemented")
        }

        return parseTarget(p, sp1 + 1, sp2, target)
    }

    /// What one walk over a request-target found.
    struct TargetScan {
        /// The SP that ends the target, or the end of the line.
        var end: Int
        /// First byte that is not visible ASCII, or a "#"; -1 if none.
        var firstBad = -1
        /// First "?", or `end`.
        var query = -1
        /// A "%" before the query.
        var percent = false
        /// "/"s before the query.
        var slashes = 0
    }

    /// Walks the target from `from` to the next SP (or `lineEnd`), eight
    /// bytes per step while they are plain path bytes (visible ASCII but
    /// `# ? %` and SP).
    func scanTarget(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ lineEnd: Int) -> TargetScan {
        var t = TargetScan(end: lineEnd)
        var i = from
        let raw = UnsafeRawPointer(p.baseAddress!)
        while true {
            if t.query < 0 {
                while i + 8 <= lineEnd {
                    let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if x & 0x8080_8080_8080_8080 != 0 || swarHasLess(x, 0x21) || swarHas(x, 0x7F)
                        || swarHas(x, asciiHash) || swarHas(x, asciiQuestion) || swarHas(x, asciiPercent) { break }
                    t.slashes += swarMatches(x, asciiSlash).nonzeroBitCount
                    i += 8
                }
            }
            if i == lineEnd { break }
            let b = p[i]
            if b == asciiSP {
                t.end = i
                break
            }
            if t.firstBad < 0 && (b < 0x21 || b > 0x7E || b == asciiHash) { t.firstBad = i }
            if t.query < 0 {
                if b == asciiQuestion { t.query = i }
                else if b == asciiPercent { t.percent = true }
                else if b == asciiSlash { t.slashes += 1 }
            }
            i += 1
        }
        if t.query < 0 { t.query = t.end }
        return t
    }

    enum VersionParse { case supported(HTTPVersion), unsupported, malformed }

    /// `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 §2.3).
    func parseVersion(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> VersionParse {
        guard end - start == 8,
              p[start] == 0x48, p[start + 1] == 0x54, p[start + 2] == 0x54, p[start + 3] == 0x50, // HTTP
              p[start + 4] == asciiSlash, isDigit(p[start + 5]), p[start + 6] == asciiDot, isDigit(p[start + 7])
        else { return .malformed }
        if p[start + 5] == 0x31 { // "1."
            if p[start + 7] == 0x31 { return .supported(.http11) }
            if p[start + 7] == 0x30 { return .supported(.http10) }
        }
        return .unsupported
    }

    enum MethodClass { case supported(HTTPMethod), notAllowed, unknown }

    /// Methods are case-sensitive (RFC 9110 §9.1): "get" is an unknown token.
    func classifyMethod(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> MethodClass {
        func eq(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard end - start == n else { return false }
            let l = s.utf8Start
            for k in 0..<n where p[start + k] != l[k] { return false }
            return true
        }
        switch end - start {
        case 3:
            if eq("GET") { return .supported(.GET) }
            if eq("PUT") { return .notAllowed }
        case 4:
            if eq("HEAD") { return .supported(.HEAD) }
            if eq("POST") { return .supported(.POST) }
        case 5:
            if eq("PATCH") || eq("TRACE") { return .notAllowed }
        case 6:
            if eq("DELETE") { return .notAllowed }
        case 7:
            if eq("OPTIONS") { return .supported(.OPTIONS) }
            if eq("CONNECT") { return .notAllowed }
        default: break
        }
        return .unknown
    }

    /// request-target (RFC 9112 §3.2): origin-form, absolute-form (http/https;
    /// only the path and query are used) or `*` for OPTIONS. Visible ASCII
    /// only; a fragment is never sent by a conforming client → 400.
    mutating func parseTarget(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ t: TargetScan) -> HTTPParseError? {
        if t.firstBad >= 0 {
            if p[t.firstBad] == asciiHash { return .badRequest("fragment in request target") }
            return .badRequest("invalid character in request target")
        }
        let query = t.query, percent = t.percent, slashes = t.slashes
        head.request.target = makeString(p, start, end)

        if p[start] == asciiSlash && !percent {
            // origin-form with nothing to decode (almost every request): the
            // decoded path is the raw one, so validate and split it in one
            // walk, and share the target's String when there is no query.
            if let e = validateAndSplitPlainPath(p, start, query, slashes) { return e }
            head.request.path = query == end ? head.request.target : makeString(p, start, query)
            if query < end {
                switch decodeQueryBytes(UnsafeBufferPointer(rebasing: p[(query + 1)..<end])) {
                case .success(let pairs): head.request.query = pairs
                case .failure(let e): return e
                }
            } else {
                head.request.query = []
            }
            return nil
        }

        if end - start == 1 && p[start] == 0x2A { // "*"
            guard head.request.method == .OPTIONS else { return .badRequest("asterisk-form target requires OPTIONS") }
            head.request.path = "*"
            head.request.segments = []
            head.request.query = []
            return nil
        }

        let pathStart: Int
        if p[start] == asciiSlash {
            pathStart = start
        } else if let authority = absoluteFormAuthorityStart(p, start, end) {
            var a = authority
            while a < end && p[a] != asciiSlash && p[a] != asciiQuestion { a += 1 }
            if a == authority { return .badRequest("empty authority in request target") }
            pathStart = a
        } else {
            return .badRequest("invalid request target")
        }

        var q = pathStart
        while q < end && p[q] != asciiQuestion { q += 1 }

        if q == pathStart {
            // absolute-form without a path ("http://h" or "http://h?x") means "/".
            head.request.path = "/"
            head.request.segments = []
        } else {
            switch decodePathBytes(UnsafeBufferPointer(rebasing: p[pathStart..<q])) {
            case .success(let r):
                head.request.path = r.path
                head.request.segments = r.segments
            case .failure(let e):
                return e
            }
        }

        if q < end {
            switch decodeQueryBytes(UnsafeBufferPointer(rebasing: p[(q + 1)..<end])) {
            case .success(let pairs): head.request.query = pairs
            case .failure(let e): return e
            }
        } else {
            head.request.query = []
        }
        return nil
    }

    /// `validateDecodedPath` and `splitPathSegments` in one walk, for a path
    /// `p[start..<end]` of visible ASCII without "%" (so no control
    /// characters, and decoding would change nothing). Errors come in byte
    /// order, as `validateDecodedPath` reports them.
    mutating func validateAndSplitPlainPath(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                                            _ slashes: Int) -> HTTPParseError? {
        var segments: [String] = []
        if end - start > 1 { // "/" has no segments
            segments.reserveCapacity(slashes) // one allocation, not 1→2→4
            var segStart = start + 1
            var i = segStart
            while true {
                if i == end || p[i] == asciiSlash {
                    let len = i - segStart
                    if (len == 1 && p[segStart] == asciiDot)
                        || (len == 2 && p[segStart] == asciiDot && p[segStart + 1] == asciiDot) {
                        return .badRequest("dot segment in path")
                    }
                    segments.append(makeString(p, segStart, i))
                    if i == end { break }
                    segStart = i + 1
                } else if p[i] == asciiBackslash {
                    return .badRequest("backslash in path")
                }
                i += 1
            }
        }
        head.request.segments = segments
        return nil
    }

    /// Offset just past "http://" or "https://" (scheme case-insensitive), or nil.
    func absoluteFormAuthorityStart(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        if end - start >= 7 && bytesEqualLowercase(p, start, start + 7, "http://") { return start + 7 }
        if end - start >= 8 && bytesEqualLowercase(p, start, start + 8, "https://") { return start + 8 }
        return nil
    }
}
