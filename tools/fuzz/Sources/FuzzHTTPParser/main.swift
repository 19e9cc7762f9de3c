// libFuzzer target for `RequestParser` (VTXHTTP).
//
// Every input is parsed six times: with the default limits and with tiny ones
// (so the 414/431/413 paths are reachable with short inputs), each fed
//   1. whole, then drained;
//   2. one byte at a time, draining after every byte;
//   3. in pseudo-random chunks (seeded from the input) with 0, 1, 2 or all
//      `next()` calls after each feed, then drained.
// All three must give the same sequence of requests/errors and the same
// leftover `bufferedBytes`. Along the way it checks:
//   - `feed` appends exactly the bytes given (nothing after an error);
//   - whenever `next()` returns nil, `bufferedBytes` is within the limits
//     (empty lines + request line + header block + body), so right after a
//     feed it is at most that plus the size of one read;
//   - an empty parser holds no storage (`bufferCapacity == 0`);
//   - errors are sticky: same error again, input ignored, buffer released;
//   - every request is consistent: target syntax, decoded path (no `.`/`..`
//     segments, no `\`, NUL or other controls), path/query equal to what
//     `decodeRequestPath`/`decodeQueryString` give for the raw target, header
//     syntax, Host count, no Transfer-Encoding, body length = Content-Length,
//     keep-alive as `Connection` says.
import FuzzSupport
import VTXHTTP

enum Outcome: Equatable, CustomStringConvertible {
    case request(HTTPRequest)
    case error(HTTPParseError)

    var description: String {
        switch self {
        case .request(let r):
            return "request(\(r.method) \(escaped(r.target, limit: 60)) path=\(escaped(r.path, limit: 60)) headers=\(r.headers.count) body=\(r.body.count) keepAlive=\(r.keepAlive))"
        case .error(let e):
            return "error(\(e))"
        }
    }
}

struct Run: Equatable {
    var outcomes: [Outcome] = []
    var bufferedBytes = 0
}

enum Mode: CustomStringConvertible {
    case whole, bytewise, random(seed: UInt64)
    var description: String {
        switch self {
        case .whole: return "whole"
        case .bytewise: return "byte-by-byte"
        case .random(let seed): return "random chunks (seed \(seed))"
        }
    }
}

let limitSets: [HTTPLimits] = [
    HTTPLimits(),
    HTTPLimits(requestLine: 40, headerBlock: 96, headerCount: 4, body: 24),
]

/// Most bytes a parser may hold while `next()` has nothing to return: up to
/// `maxLeadingEmptyLines` CRLFs, a request line at the limit plus CRLF, a
/// header block at the limit, and a body one byte short of the limit.
func drainedBound(_ l: HTTPLimits) -> Int {
    2 * RequestParser.maxLeadingEmptyLines + (l.requestLine + 2) + l.headerBlock + l.body
}

var currentInput: [UInt8] = []

func fail(_ what: String, _ limits: HTTPLimits, _ mode: Mode, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fuzzFail("\(what)\n  mode: \(mode)\n  limits: \(limits)\n  input: \(escaped(currentInput, limit: 600))", file: file, line: line)
}

func parse(_ input: [UInt8], limits: HTTPLimits, mode: Mode) -> Run {
    var parser = RequestParser(limits: limits)
    var run = Run()
    var rng = SplitMix64(seed: { if case .random(let s) = mode { return s } else { return 0 } }())
    let maxChunk = [1, 3, 16, 100, 1500][rng.below(5)]
    let bound = drainedBound(limits)
    var failure: HTTPParseError? = nil
    var offset = 0

    func check(_ ok: Bool, _ what: @autoclosure () -> String, line: UInt = #line) {
        if !ok { fail(what(), limits, mode, line: line) }
    }

    /// Calls `next()` up to `pulls` times (-1: until nil or an error).
    func pull(_ pulls: Int) {
        var left = pulls < 0 ? input.count + 2 : pulls
        while failure == nil && left > 0 {
            left -= 1
            guard let result = parser.next() else {
                check(parser.error == nil, "next() returned nil with error \(String(describing: parser.error)) set")
                check(parser.bufferedBytes <= bound,
                      "bufferedBytes \(parser.bufferedBytes) exceeds the limits (\(bound)) with no complete request")
                if parser.bufferedBytes == 0 {
                    check(parser.bufferCapacity == 0, "empty parser holds \(parser.bufferCapacity) bytes of storage")
                }
                return
            }
            switch result {
            case .success(let request):
                validate(request, limits: limits, mode: mode)
                run.outcomes.append(.request(request))
            case .failure(let e):
                run.outcomes.append(.error(e))
                failure = e
                check(parser.error == e, "error property \(String(describing: parser.error)) != returned \(e)")
                check(parser.bufferedBytes == 0 && parser.bufferCapacity == 0,
                      "after error \(e): bufferedBytes \(parser.bufferedBytes), capacity \(parser.bufferCapacity)")
                check(parser.next() == .failure(e), "error not sticky")
                parser.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                check(parser.next() == .failure(e), "error not sticky after more input")
                check(parser.bufferedBytes == 0, "input after an error was buffered")
            }
        }
        if pulls < 0 { check(failure != nil || left > 0, "next() kept returning requests") }
    }

    while offset < input.count {
        let size: Int, pulls: Int
        switch mode {
        case .whole:
            size = input.count; pulls = -1
        case .bytewise:
            size = 1; pulls = -1
        case .random:
            size = min(1 + rng.below(maxChunk), input.count - offset)
            let p = rng.below(6)
            pulls = p < 3 ? -1 : p - 3 // half the time drain, else 0, 1 or 2 calls
        }
        let before = parser.bufferedBytes
        if rng.below(2) == 0 {
            input[offset..<(offset + size)].withUnsafeBytes { parser.feed($0) }
        } else {
            parser.feed(Array(input[offset..<(offset + size)]))
        }
        offset += size
        if failure != nil {
            check(parser.bufferedBytes == 0, "feed after an error buffered \(parser.bufferedBytes) bytes")
        } else {
            check(parser.bufferedBytes == before + size,
                  "feed(\(size) bytes) changed bufferedBytes \(before) -> \(parser.bufferedBytes)")
            check(before > bound || parser.bufferedBytes <= bound + size,
                  "bufferedBytes \(parser.bufferedBytes) > limits (\(bound)) + one read (\(size))")
        }
        pull(pulls)
    }
    pull(-1)
    run.bufferedBytes = parser.bufferedBytes
    return run
}

// MARK: - Request invariants

@inline(__always) func isTChar(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
    default: return false
    }
}

func lowerASCII(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    bytes.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
}

/// Checks a decoded path without using the library: starts with "/", no
/// control characters or `\`, no "." or ".." segment; returns its segments.
func independentSegments(_ path: String, _ fail: (String) -> Never) -> [String] {
    let u = Array(path.utf8)
    guard u.first == 0x2F else { fail("decoded path does not start with /: \(escaped(u))") }
    for b in u where b < 0x20 || b == 0x7F || b == 0x5C {
        fail("decoded path contains byte 0x\(String(b, radix: 16)): \(escaped(u))")
    }
    if u.count == 1 { return [] }
    let segments = u[1...].split(separator: 0x2F, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    for s in segments where s == "." || s == ".." {
        fail("decoded path has a dot segment: \(escaped(u))")
    }
    return segments
}

func samePairs(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
}

func validate(_ r: HTTPRequest, limits: HTTPLimits, mode: Mode) {
    func bad(_ what: String) -> Never {
        fail("invalid request \(Outcome.request(r)): \(what)", limits, mode)
    }

    // Target: visible ASCII, no fragment, within the request-line limit.
    let t = Array(r.target.utf8)
    if t.isEmpty || t.count > limits.requestLine { bad("target length \(t.count)") }
    for b in t where b < 0x21 || b > 0x7E || b == 0x23 { bad("target byte 0x\(String(b, radix: 16))") }

    if r.target == "*" {
        if r.method != .OPTIONS || r.path != "*" || !r.segments.isEmpty || !r.query.isEmpty { bad("asterisk-form") }
    } else {
        var pathStart = 0
        if t[0] != 0x2F {
            let lower = lowerASCII(t[...].prefix(8))
            let scheme: Int
            if lower.starts(with: Array("http://".utf8)) { scheme = 7 }
            else if lower.starts(with: Array("https://".utf8)) { scheme = 8 }
            else { bad("target is neither origin-form nor absolute-form") }
            var a = scheme
            while a < t.count && t[a] != 0x2F && t[a] != 0x3F { a += 1 }
            if a == scheme { bad("empty authority accepted") }
            pathStart = a
        }
        var q = pathStart
        while q < t.count && t[q] != 0x3F { q += 1 }

        let segments = independentSegments(r.path, bad)
        if segments != r.segments { bad("segments \(r.segments) != split of path \(segments)") }

        if q == pathStart {
            if r.path != "/" { bad("absolute-form without path should be /") }
        } else {
            let raw = String(decoding: t[pathStart..<q], as: UTF8.self)
            switch decodeRequestPath(raw[...]) {
            case .success(let d):
                if d.path != r.path || d.segments != r.segments {
                    bad("decodeRequestPath(\(escaped(raw))) = \(escaped(d.path)) differs from request path")
                }
            case .failure(let e):
                bad("decodeRequestPath(\(escaped(raw))) fails (\(e)) but the parser accepted it")
            }
        }
        if q < t.count {
            let raw = String(decoding: t[(q + 1)...], as: UTF8.self)
            switch decodeQueryString(raw[...]) {
            case .success(let pairs):
                if !samePairs(pairs, r.query) { bad("decodeQueryString(\(escaped(raw))) differs from request query") }
            case .failure(let e):
                bad("decodeQueryString(\(escaped(raw))) fails (\(e)) but the parser accepted it")
            }
        } else if !r.query.isEmpty {
            bad("query without ?")
        }
    }

    // Headers.
    if r.headers.count > limits.headerCount { bad("\(r.headers.count) headers > limit \(limits.headerCount)") }
    for h in r.headers {
        let name = Array(h.name.utf8)
        if name.isEmpty || !name.allSatisfy(isTChar) { bad("header name \(escaped(name))") }
        let value = Array(h.value.utf8)
        if let f = value.first, f == 0x20 || f == 0x09 { bad("header value not trimmed: \(escaped(value))") }
        if let l = value.last, l == 0x20 || l == 0x09 { bad("header value not trimmed: \(escaped(value))") }
        for b in value where (b < 0x20 && b != 0x09) || b == 0x7F { bad("control byte in header value \(escaped(value))") }
    }
    let hosts = r.headers.values("host").count
    if r.version == .http11 ? hosts != 1 : hosts > 1 { bad("\(hosts) Host headers for \(r.version)") }
    if r.headers.contains("transfer-encoding") { bad("Transfer-Encoding accepted") }

    // Body length = Content-Length (all elements of all fields equal).
    var length: Int? = nil
    for v in r.headers.values("content-length") {
        for element in v.utf8.split(separator: 0x2C, omittingEmptySubsequences: true) {
            let digits = element.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            if digits.isEmpty { continue }
            var n = 0
            for d in digits {
                guard d >= 0x30 && d <= 0x39 else { bad("Content-Length \(escaped(v)) accepted") }
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(d - 0x30))
                if o1 || o2 { bad("overflowing Content-Length accepted") }
                n = s
            }
            if let l = length, l != n { bad("conflicting Content-Length accepted") }
            length = n
        }
    }
    if r.body.count != (length ?? 0) { bad("body \(r.body.count) bytes, Content-Length \(String(describing: length))") }
    if r.body.count > limits.body { bad("body over the limit") }

    // Keep-alive.
    let close = r.headers.containsToken("connection", "close")
    let keepAlive = r.headers.containsToken("connection", "keep-alive")
    let expected = r.version == .http11 ? !close : (keepAlive && !close)
    if r.keepAlive != expected { bad("keepAlive \(r.keepAlive), Connection says \(expected)") }
}

// MARK: - Entry point

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    currentInput = input
    let seed = fnv1a(input)
    for limits in limitSets {
        let whole = parse(input, limits: limits, mode: .whole)
        for mode in [Mode.bytewise, .random(seed: seed)] {
            let other = parse(input, limits: limits, mode: mode)
            if other != whole {
                fail("whole vs \(mode) differ:\n  whole: \(whole.outcomes) buffered=\(whole.bufferedBytes)\n  \(mode): \(other.outcomes) buffered=\(other.bufferedBytes)", limits, mode)
            }
        }
    }
    return 0
}
