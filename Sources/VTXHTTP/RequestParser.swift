/// Incremental HTTP/1.1 request parser: bytes in, requests out.
///
/// The connection reads into one loop-wide buffer and calls `feed`; the
/// parser copies in only what it must keep (the bytes of requests not yet
/// returned) and `next()` hands out complete requests one at a time,
/// in order, so pipelined requests work naturally. When nothing is held,
/// `feed` parses the first request straight from the caller's bytes, so the
/// usual keep-alive request is never copied into `buf` at all.
///
/// Memory and CPU are bounded per connection:
/// - each head byte is examined once: the scan position survives between
///   feeds, so a client trickling one byte at a time costs O(n), not O(n²);
/// - every limit in `HTTPLimits` trips as soon as the buffered bytes cross
///   it, not when the head finally completes;
/// - consumed bytes are dropped, and an empty buffer releases its storage
///   (`buf = []`), so an idle keep-alive connection holds no buffer.
///
/// Every line of the head, the empty ones before the request line included,
/// ends with CRLF; a bare CR or a bare LF is a 400 (no mixed endings, so no
/// disagreement with a front proxy about where a request ends).
///
/// After an error the parser is dead: it discards its buffer, ignores
/// further input and returns the same error from every `next()`; the
/// connection should answer with `error.status` and close.
///
/// Precedence (documented because byte-at-a-time and all-at-once feeding
/// must agree, and they do because everything is decided in byte order):
/// errors are reported at the byte where they become certain. Within the
/// request line: syntax (400) → version (505) → method (405/501) → target
/// (400). Hence the HTTP/2 preface `PRI * HTTP/2.0` gets 505. At the end
/// of the head: Transfer-Encoding (400 with Content-Length, else 501) →
/// Content-Length (400) → Host (400) → body size (413).
public struct RequestParser {
    public let limits: HTTPLimits

    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks to
    /// skip "at least one"; a few covers clients that add CRLF after a body).
    public static let maxLeadingEmptyLines = 4

    // All offsets below are relative to `readIndex`, so dropping consumed
    // bytes from the front never invalidates them.
    var buf: [UInt8] = []
    /// Start of the first unreturned request in `buf`.
    var readIndex = 0
    var scan = HeadScan()
    var head = PendingHead()
    /// Offset of the body once the head is complete, -1 while scanning it.
    var bodyStart = -1
    var bodyLength = 0
    var failure: HTTPParseError? = nil
    var failedMethod: HTTPMethod? = nil
    /// How many bytes the request that `feed` parsed straight from the
    /// caller's bytes took; it waits in `head` for `next()`. 0 when none.
    var readyLength = 0
    /// The error `feed` ran into parsing straight from the caller's bytes
    /// (then `readyLength` counts those bytes), for `next()` to report.
    var pendingFailure: HTTPParseError? = nil

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes held for requests not yet returned (a partial request and/or
    /// pipelined ones). Connections can use it for backpressure.
    public var bufferedBytes: Int { buf.count - readIndex + readyLength }

    /// Capacity of the internal buffer; 0 whenever nothing is buffered.
    public var bufferCapacity: Int { buf.capacity }

    /// The error the parser stopped on, if any.
    public var error: HTTPParseError? { failure }

    /// The method of the request being parsed, or of the one that failed, once
    /// its request line had its three parts (nil before that, or when the
    /// method is not one we serve). The connection needs it to leave the body
    /// out of an error answered to HEAD (RFC 9110 §9.3.2).
    public var currentMethod: HTTPMethod? {
        if failure != nil { return failedMethod }
        return head.methodKnown ? head.request.method : nil
    }

    /// Appends received bytes. Ignored after an error.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        if buf.isEmpty && readyLength == 0 {
            // Nothing held (a keep-alive connection between requests, the
            // usual case): parse straight from the caller's bytes and keep
            // only what is left over, instead of copying the request into
            // `buf` to parse it there. The same `step` decides in the same
            // byte order, so the outcome cannot differ.
            bytes.withMemoryRebound(to: UInt8.self) { p in
                switch step(p) {
                case .needMore:
                    // Size the buffer for exactly this body instead of letting
                    // Array double past it (a 64 KiB body must not pin 128 KiB).
                    if bodyStart >= 0 { buf.reserveCapacity(max(p.count, bodyStart + bodyLength)) }
                    buf.append(contentsOf: p)
                case .failed(let e):
                    // Reported by `next()`, as if the bytes had been buffered:
                    // feeding only ever adds to `bufferedBytes`.
                    pendingFailure = e
                    readyLength = p.count
                case .complete(let length):
                    // The request waits in `head` for `next()`.
                    readyLength = length
                    if length < p.count { buf.append(contentsOf: UnsafeBufferPointer(rebasing: p[length...])) }
                }
            }
            return
        }
        // Drop consumed bytes once they are at least half the buffer: keeps
        // the copy cost amortised O(1) per byte even if the caller feeds
        // again before draining a pipelined backlog.
        if readIndex > 0 && readIndex >= buf.count - readIndex { compact() }
        bytes.withMemoryRebound(to: UInt8.self) { buf.append(contentsOf: $0) }
    }

    /// Appends received bytes. Ignored after an error.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete request, an error, or nil when more bytes are needed.
    /// After an error, always returns that error again.
    public mutating func next() -> Result<HTTPRequest, HTTPParseError>? {
        if readyLength > 0 {
            readyLength = 0
            if let e = pendingFailure { return fail(e) }
            return .success(takeRequest())
        }
        if let e = failure { return .failure(e) }
        // A second reference to the storage (no copy: nothing writes to
        // `buf` while parsing) lets `step` run on a raw pointer while
        // `self`'s other fields are updated.
        let bytes = buf
        let base = readIndex
        let result = bytes.withUnsafeBufferPointer { whole in step(UnsafeBufferPointer(rebasing: whole[base...])) }
        switch result {
        case .needMore:
            compact()
            if bodyStart >= 0 && buf.capacity < bodyStart + bodyLength { buf.reserveCapacity(bodyStart + bodyLength) }
            return nil
        case .failed(let e):
            return fail(e)
        case .complete(let length):
            readIndex += length
            if readIndex == buf.count {
                buf = [] // idle connection: hold no storage
                readIndex = 0
            }
            return .success(takeRequest())
        }
    }

    enum Step {
        case needMore
        case failed(HTTPParseError)
        /// `head.request` is complete; it took this many bytes of the input.
        case complete(length: Int)
    }

    /// Parses at most one request from `p`, the bytes not yet returned
    /// (offsets in `scan` and `bodyStart` are relative to its start).
    mutating func step(_ p: UnsafeBufferPointer<UInt8>) -> Step {
        if bodyStart < 0 {
            switch scanHead(p) {
            case .needMore: return .needMore
            case .error(let e): return .failed(e)
            case .complete(let start):
                if let e = finishHead() { return .failed(e) }
                bodyStart = start
            }
        }
        let needed = bodyStart + bodyLength
        if p.count < needed { return .needMore }

        if bodyLength > 0 { head.request.body = Array(UnsafeBufferPointer(rebasing: p[bodyStart..<needed])) }
        switch head.request.version {
        case .http11: head.request.keepAlive = !head.connectionClose
        case .http10: head.request.keepAlive = head.connectionKeepAlive && !head.connectionClose
        }
        scan = HeadScan()
        bodyStart = -1
        bodyLength = 0
        return .complete(length: needed)
    }

    /// Moves the complete request out of `head` (a swap: no retain/release
    /// per field, no Optional to copy through) and clears the rest.
    mutating func takeRequest() -> HTTPRequest {
        var request = HTTPRequest()
        swap(&request, &head.request)
        head.resetFraming()
        return request
    }

    // MARK: Buffer management

    /// Drops consumed bytes from the front. O(remaining), so it is done when
    /// `next()` runs out of complete requests (or lazily in `feed`), never
    /// once per pipelined request.
    mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buf.count {
            buf = []
        } else {
            buf.removeSubrange(0..<readIndex)
        }
        readIndex = 0
    }

    mutating func fail(_ e: HTTPParseError) -> Result<HTTPRequest, HTTPParseError> {
        failure = e
        failedMethod = head.methodKnown ? head.request.method : nil
        pendingFailure = nil
        readyLength = 0
        buf = []
        readIndex = 0
        head = PendingHead()
        return .failure(e)
    }

    // MARK: Head scanning

    enum HeadScanResult {
        case needMore
        case error(HTTPParseError)
        case complete(bodyStart: Int)
    }

    /// Resumable scan position through the head.
    struct HeadScan {
        /// Next byte to examine.
        var pos = 0
        /// Start of the current line.
        var lineStart = 0
        /// The previous byte was a CR; the next one must be LF.
        var pendingCR = false
        /// Empty lines skipped before the request line.
        var emptyLines = 0
        /// Start of the header block, -1 until the request line is done.
        var headersStart = -1
        var headerLines = 0
    }

    /// What has been parsed of the current head so far (lines are parsed as
    /// soon as they end, so the head is never walked twice).
    struct PendingHead {
        /// The request as far as parsed; moved out whole when complete.
        var request = HTTPRequest()
        /// `request.method` was read from the request line (not the default).
        var methodKnown = false
        var hostCount = 0
        var contentLength: Int? = nil
        /// First Content-Length problem; reported only at the end of the
        /// head so Transfer-Encoding can take precedence.
        var contentLengthError: HTTPParseError? = nil
        var transferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        /// Offsets of the header fields so far (see `HTTPHeaders.Storage`).
        var headerTable: [UInt8] = []
        var headerCount = 0

        /// Clears everything but `request` (already moved out).
        mutating func resetFraming() {
            methodKnown = false
            hostCount = 0
            contentLength = nil
            contentLengthError = nil
            transferEncoding = false
            connectionClose = false
            connectionKeepAlive = false
            headerCount = 0 // `headerTable` was moved into the request
        }
    }

    mutating func scanHead(_ p: UnsafeBufferPointer<UInt8>) -> HeadScanResult {
        let end = p.count
        var i = scan.pos
        while i < end {
            if !scan.pendingCR {
                // Bytes that are neither control characters nor past a limit
                // need nothing but skipping; only CR, LF, HTAB, other
                // controls and the byte at a limit take the full path below.
                let limit = scan.headersStart < 0 ? scan.lineStart + limits.requestLine
                                                  : scan.headersStart + limits.headerBlock
                i = skipPlainHeadBytes(p, from: i, to: min(end, max(limit, i)))
                if i == end { break }
            }
            let b = p[i]
            // Limits first, so the byte that crosses one is refused even if
            // it would have completed the line.
            if scan.headersStart < 0 {
                if b != asciiCR && b != asciiLF && i - scan.lineStart >= limits.requestLine {
                    return .error(HTTPParseError(status: 414, reason: "request line too long"))
                }
            } else if i - scan.headersStart >= limits.headerBlock {
                return .error(HTTPParseError(status: 431, reason: "header block too large"))
            }

            if scan.pendingCR {
                scan.pendingCR = false
                guard b == asciiLF else { return .error(.badRequest("bare CR in head")) }
                scan.pos = i + 1
                if let r = endOfLine(p, contentEnd: i - 1, next: i + 1) { return r }
            } else if b == asciiLF {
                // One line ending, CRLF, everywhere in the head. A bare LF is
                // a line end to some parsers and not to others (llhttp's strict
                // mode, many proxies): accepting it lets a request hide inside
                // a header value that a front proxy forwarded as one field.
                return .error(.badRequest("bare LF in head"))
            } else if b == asciiCR {
                scan.pendingCR = true
            } else if isForbiddenHeadControl(b) {
                return .error(.badRequest("control character in head"))
            }
            i += 1
        }
        scan.pos = end
        return .needMore
    }

    /// A line `[scan.lineStart, contentEnd)` ended; the next starts at `next`.
    /// Returns nil to keep scanning.
    mutating func endOfLine(_ p: UnsafeBufferPointer<UInt8>, contentEnd: Int, next: Int) -> HeadScanResult? {
        let start = scan.lineStart
        scan.lineStart = next
        if scan.headersStart < 0 {
            if contentEnd == start {
                scan.emptyLines += 1
                if scan.emptyLines > Self.maxLeadingEmptyLines {
                    return .error(.badRequest("too many empty lines before request line"))
                }
                return nil
            }
            if let e = parseRequestLine(p, start, contentEnd) { return .error(e) }
            scan.headersStart = next
            return nil
        }
        if contentEnd == start {
            if head.headerCount > 0 {
                var table: [UInt8] = []
                swap(&table, &head.headerTable)
                table.append(contentsOf: UnsafeBufferPointer(rebasing: p[scan.headersStart..<start]))
                head.request.headers = HTTPHeaders(received: table, count: head.headerCount)
            }
            return .complete(bodyStart: next)
        }
        scan.headerLines += 1
        if scan.headerLines > limits.headerCount {
            return .error(HTTPParseError(status: 431, reason: "too many header fields"))
        }
        if let e = parseHeaderLine(p, start, contentEnd) { return .error(e) }
        return nil
    }

    /// Whole-head checks that need every header; sets `bodyLength`.
    mutating func finishHead() -> HTTPParseError? {
        if head.transferEncoding {
            if head.contentLength != nil || head.contentLengthError != nil {
                return .badRequest("Transfer-Encoding with Content-Length")
            }
            return HTTPParseError(status: 501, reason: "Transfer-Encoding not supported")
        }
        if let e = head.contentLengthError { return e }
        if head.hostCount > 1 { return .badRequest("multiple Host headers") }
        if head.request.version == .http11 && head.hostCount == 0 { return .badRequest("missing Host header") }
        let length = head.contentLength ?? 0
        if length > limits.body { return HTTPParseError(status: 413, reason: "body too large") }
        bodyLength = length
        return nil
    }
}
