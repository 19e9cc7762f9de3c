import XCTest
@testable import VTXHTTP

/// One thing `next()` produced.
enum Outcome: Equatable, CustomStringConvertible {
    case request(HTTPRequest)
    case error(HTTPParseError)

    var description: String {
        switch self {
        case .request(let r): return "request(\(r.method) \(r.target) body=\(r.body.count))"
        case .error(let e): return "error(\(e))"
        }
    }
}

/// Everything observable after feeding an input: outcomes in order plus what
/// is left buffered.
struct ParseRun: Equatable {
    var outcomes: [Outcome] = []
    var bufferedBytes = 0
}

/// Like swift-nio's ByteToMessageDecoderVerifier: feeds the same input whole,
/// one byte at a time, and in a few pseudo-random chunkings, draining `next()`
/// after every feed, and requires identical results. Also checks invariants
/// that must hold after every step (errors are sticky, no rescan of the head,
/// empty buffer holds no storage).
enum ParserVerifier {
    static func run(_ input: [UInt8], limits: HTTPLimits, chunks: [Int],
                    file: StaticString, line: UInt) -> ParseRun {
        var parser = RequestParser(limits: limits)
        var run = ParseRun()
        var offset = 0
        var chunkIndex = 0
        var stopped = false
        while offset < input.count && !stopped {
            let size = min(chunks[chunkIndex % chunks.count], input.count - offset)
            chunkIndex += 1
            input[offset..<(offset + size)].withUnsafeBytes { parser.feed($0) }
            offset += size
            stopped = drain(&parser, into: &run.outcomes, file: file, line: line)
        }
        run.bufferedBytes = parser.bufferedBytes
        if parser.bufferedBytes == 0 {
            XCTAssertEqual(parser.bufferCapacity, 0, "empty parser must hold no storage", file: file, line: line)
        }
        return run
    }

    /// Returns true once an error was produced.
    static func drain(_ parser: inout RequestParser, into out: inout [Outcome],
                      file: StaticString, line: UInt) -> Bool {
        while let r = parser.next() {
            switch r {
            case .success(let req):
                out.append(.request(req))
            case .failure(let e):
                out.append(.error(e))
                // Sticky: the same error again, whatever is fed afterwards.
                XCTAssertEqual(parser.next(), .failure(e), file: file, line: line)
                parser.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                XCTAssertEqual(parser.next(), .failure(e), file: file, line: line)
                XCTAssertEqual(parser.bufferedBytes, 0, file: file, line: line)
                return true
            }
        }
        // nil = need more: the scan must have consumed everything buffered
        // of the head, so the next feed resumes instead of rescanning.
        if parser.bodyStart < 0 {
            XCTAssertEqual(parser.scan.pos, parser.bufferedBytes, "head scan must resume, not restart", file: file, line: line)
        }
        return false
    }

    static func verify(_ input: [UInt8], limits: HTTPLimits = HTTPLimits(),
                       file: StaticString = #filePath, line: UInt = #line) -> ParseRun {
        let whole = run(input, limits: limits, chunks: [max(input.count, 1)], file: file, line: line)
        let bytewise = run(input, limits: limits, chunks: [1], file: file, line: line)
        XCTAssertEqual(whole, bytewise, "whole vs byte-by-byte differ", file: file, line: line)
        // A few deterministic irregular chunkings.
        for seed in [7, 31, 1009] {
            var chunks: [Int] = []
            var x = seed
            for _ in 0..<16 {
                x = (x &* 1_103_515_245 &+ 12345) & 0x7fff_ffff
                chunks.append(1 + x % 97)
            }
            let chunked = run(input, limits: limits, chunks: chunks, file: file, line: line)
            XCTAssertEqual(whole, chunked, "whole vs chunked(seed \(seed)) differ", file: file, line: line)
        }
        return whole
    }
}

// MARK: - Convenience assertions used by the test cases

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Parses `input` (whole and byte-by-byte) and returns the outcomes.
@discardableResult
func parse(_ input: String, limits: HTTPLimits = HTTPLimits(),
           file: StaticString = #filePath, line: UInt = #line) -> ParseRun {
    ParserVerifier.verify(bytes(input), limits: limits, file: file, line: line)
}

/// Asserts `input` yields exactly one request and nothing left over; returns it.
func parseOne(_ input: String, limits: HTTPLimits = HTTPLimits(),
              file: StaticString = #filePath, line: UInt = #line) -> HTTPRequest? {
    parseOne(bytes(input), limits: limits, file: file, line: line)
}

func parseOne(_ input: [UInt8], limits: HTTPLimits = HTTPLimits(),
              file: StaticString = #filePath, line: UInt = #line) -> HTTPRequest? {
    let run = ParserVerifier.verify(input, limits: limits, file: file, line: line)
    guard run.outcomes.count == 1, case .request(let r) = run.outcomes[0] else {
        XCTFail("expected one request, got \(run.outcomes)", file: file, line: line)
        return nil
    }
    XCTAssertEqual(run.bufferedBytes, 0, file: file, line: line)
    return r
}

/// Asserts `input` yields (after any complete requests) an error with `status`.
func assertError(_ input: String, _ status: Int, _ reason: String? = nil, limits: HTTPLimits = HTTPLimits(),
                 file: StaticString = #filePath, line: UInt = #line) {
    assertError(bytes(input), status, reason, limits: limits, file: file, line: line)
}

func assertError(_ input: [UInt8], _ status: Int, _ reason: String? = nil, limits: HTTPLimits = HTTPLimits(),
                 file: StaticString = #filePath, line: UInt = #line) {
    let run = ParserVerifier.verify(input, limits: limits, file: file, line: line)
    guard case .error(let e)? = run.outcomes.last else {
        XCTFail("expected error \(status), got \(run.outcomes)", file: file, line: line)
        return
    }
    XCTAssertEqual(e.status, status, "reason: \(e.reason)", file: file, line: line)
    if let reason { XCTAssertEqual(e.reason, reason, file: file, line: line) }
}

/// A minimal valid HTTP/1.1 GET for `target` with extra header lines.
func get(_ target: String, _ extra: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: example\r\n\(extra)\r\n"
}
