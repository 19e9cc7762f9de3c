// Header-line parsing: `field-name ":" OWS field-value OWS` (RFC 9112 §5).
// Framing-relevant fields are classified here, on the raw bytes, so the end
// of the head needs no second pass over the header list.

extension RequestParser {
    mutating func parseHeaderLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> HTTPParseError? {
        let first = p[start]
        if first == asciiSP || first == asciiHTAB {
            // obs-fold (RFC 9112 §5.2): rejecting beats guessing how an
            // upstream or a cache would have joined the lines.
            return .badRequest("obsolete line folding")
        }
        var colon = start
        while colon < end && p[colon] != asciiColon {
            // Also catches whitespace before the colon (RFC 9112 §5.1 MUST reject).
            if !isTokenByte(p[colon]) { return .badRequest("invalid header name") }
            colon += 1
        }
        if colon == end { return .badRequest("missing colon in header line") }
        if colon == start { return .badRequest("empty header name") }

        var vs = colon + 1, ve = end
        while vs < ve && (p[vs] == asciiSP || p[vs] == asciiHTAB) { vs += 1 }
        while ve > vs && (p[ve - 1] == asciiSP || p[ve - 1] == asciiHTAB) { ve -= 1 }

        switch colon - start {
        case 4:
            if bytesEqualLowercase(p, start, colon, "host") { head.hostCount += 1 }
        case 10:
            if bytesEqualLowercase(p, start, colon, "connection") { noteConnection(p, vs, ve) }
        case 14:
            if bytesEqualLowercase(p, start, colon, "content-length") { noteContentLength(p, vs, ve) }
        case 17:
            if bytesEqualLowercase(p, start, colon, "transfer-encoding") { head.transferEncoding = true }
        default:
            break
        }

        // No String yet: the field is kept as offsets into the header block,
        // which `endOfLine` appends once the head is complete (the layout of
        // `HTTPHeaders.Storage.received`).
        if head.headerCount == 0 {
            // One allocation when the whole head is already here (the usual
            // case): the rest of the block plus a dozen table entries. Capped
            // so a body that follows in the same read does not inflate it.
            head.headerTable.reserveCapacity(min(p.count - start, 2048) + 16 * 12)
        }
        let base = scan.headersStart
        let entry = SIMD4<UInt32>(UInt32(truncatingIfNeeded: start - base), UInt32(truncatingIfNeeded: colon - base),
                                  UInt32(truncatingIfNeeded: vs - base), UInt32(truncatingIfNeeded: ve - base))
        withUnsafeBytes(of: entry) { head.headerTable.append(contentsOf: $0) }
        head.headerCount += 1
        return nil
    }

    /// `Connection` is a comma list of case-insensitive tokens.
    mutating func noteConnection(_ p: UnsafeBufferPointer<UInt8>, _ vs: Int, _ ve: Int) {
        var close = false, keepAlive = false
        _ = anyListElement(p, vs, ve) { s, e in
            if bytesEqualLowercase(p, s, e, "close") { close = true }
            else if bytesEqualLowercase(p, s, e, "keep-alive") { keepAlive = true }
            return false
        }
        if close { head.connectionClose = true }
        if keepAlive { head.connectionKeepAlive = true }
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6). A list of identical values
    /// ("5, 5"), like repeated identical fields, is tolerated; anything else
    /// (sign, space inside, empty, overflow, differing values) is an error,
    /// recorded for the end of the head.
    mutating func noteContentLength(_ p: UnsafeBufferPointer<UInt8>, _ vs: Int, _ ve: Int) {
        if head.contentLengthError != nil { return }
        var problem: HTTPParseError? = nil
        var value = head.contentLength
        var sawElement = false
        _ = anyListElement(p, vs, ve) { s, e in
            sawElement = true
            var n = 0
            var k = s
            while k < e {
                let b = p[k]
                guard isDigit(b) else {
                    problem = .badRequest("invalid Content-Length")
                    return true
                }
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(b &- ascii0))
                if o1 || o2 {
                    problem = .badRequest("invalid Content-Length")
                    return true
                }
                n = a
                k += 1
            }
            if let v = value, v != n {
                problem = .badRequest("conflicting Content-Length")
                return true
            }
            value = n
            return false
        }
        // Empty value or only commas: no length at all.
        if problem == nil && !sawElement { problem = .badRequest("invalid Content-Length") }
        if let problem {
            head.contentLengthError = problem
        } else {
            head.contentLength = value
        }
    }
}
