import XCTest
@testable import VTXHTTP

/// Size and count limits: each trips at limit+1, and as soon as the buffered
/// bytes cross it (before the head is complete).
final class LimitTests: XCTestCase {
    /// A request line of exactly `length` bytes (without CRLF).
    func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    func testRequestLineAtLimitAccepted() {
        let line = requestLine(length: 8192)
        XCTAssertEqual(line.utf8.count, 8192)
        XCTAssertNotNil(parseOne(line + "\r\nHost: h\r\n\r\n"))
    }

    func testRequestLineOverLimit() {
        assertError(requestLine(length: 8193) + "\r\nHost: h\r\n\r\n", 414, "request line too long")
    }

    func testRequestLineOverLimitDetectedBeforeLineEnd() {
        // No line end at all: the 8193rd byte alone must trigger 414.
        let partial = "GET /" + String(repeating: "a", count: 8188)
        XCTAssertEqual(partial.utf8.count, 8193)
        assertError(partial, 414)
        let run = parse(String(partial.dropLast()))
        XCTAssertEqual(run.outcomes, [], "8192 bytes without a line end are still fine")
    }

    /// Small limits at every alignment of the 8-byte skip: the byte that
    /// crosses a limit is refused wherever it falls in a word.
    func testLimitsTripAtEveryAlignment() {
        for limit in 14..<31 {
            let line = requestLine(length: limit)
            XCTAssertNotNil(parseOne(line + "\r\nHost: h\r\n\r\n", limits: HTTPLimits(requestLine: limit)))
            assertError(requestLine(length: limit + 1) + "\r\nHost: h\r\n\r\n", 414, limits: HTTPLimits(requestLine: limit))
        }
        for size in 20..<37 {
            let limits = HTTPLimits(headerBlock: size)
            XCTAssertNotNil(parseOne("GET / HTTP/1.1\r\n" + headerBlock(size: size), limits: limits))
            assertError("GET / HTTP/1.1\r\n" + headerBlock(size: size + 1), 431, limits: limits)
        }
    }

    func testLeadingEmptyLinesDoNotCountTowardsRequestLine() {
        XCTAssertNotNil(parseOne("\r\n\r\n" + requestLine(length: 8192) + "\r\nHost: h\r\n\r\n"))
    }

    /// Header block (after the request line, through the empty line) of exactly `size` bytes.
    func headerBlock(size: Int) -> String {
        let base = "Host: h\r\nX: \r\n\r\n".utf8.count
        return "Host: h\r\nX: " + String(repeating: "v", count: size - base) + "\r\n\r\n"
    }

    func testHeaderBlockAtLimitAccepted() {
        let block = headerBlock(size: 16384)
        XCTAssertEqual(block.utf8.count, 16384)
        XCTAssertNotNil(parseOne("GET / HTTP/1.1\r\n" + block))
    }

    func testHeaderBlockOverLimit() {
        assertError("GET / HTTP/1.1\r\n" + headerBlock(size: 16385), 431, "header block too large")
        // The limit trips before the line ending is looked at: an over-long
        // block ending in a bare LF is still a 431, not a 400.
        assertError("GET / HTTP/1.1\r\n" + headerBlock(size: 16386).dropLast() + "\n", 431) // dropLast: "\r\n" is one Character
    }

    func testHeaderBlockOverLimitDetectedBeforeHeadEnd() {
        let partial = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 16384)
        assertError(partial, 431)
        // Many small complete lines that never end the head, too.
        var lines = "GET / HTTP/1.1\r\nHost: h\r\n"
        for _ in 0..<60 { lines += "X-Long: " + String(repeating: "z", count: 300) + "\r\n" }
        assertError(lines, 431, "header block too large")
    }

    func testHeaderCount() {
        var ok = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1..<100 { ok += "X-\(i): v\r\n" }
        XCTAssertEqual(parseOne(ok + "\r\n")?.headers.count, 100)
        assertError(ok + "X-100: v\r\n\r\n", 431, "too many header fields")
        // Detected when the 101st line ends, before the head is complete.
        assertError(ok + "X-100: v\r\n", 431, "too many header fields")
    }

    func testBodyLimit() {
        let body = String(repeating: "b", count: 65536)
        XCTAssertEqual(parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n" + body)?.body.count, 65536)
        // 413 as soon as the head is complete: no body bytes need to arrive.
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n", 413, "body too large")
    }

    func testCustomLimits() {
        let limits = HTTPLimits(requestLine: 20, headerBlock: 30, headerCount: 2, body: 4)
        XCTAssertNotNil(parseOne("GET /123456 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits)) // line = 20
        assertError("GET /1234567 HTTP/1.1\r\nHost: h\r\n\r\n", 414, limits: limits)
        assertError("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 431, "too many header fields", limits: limits)
        XCTAssertNotNil(parseOne("GET / HTTP/1.1\r\nHost: h\r\nA: 12345678901234\r\n\r\n", limits: limits)) // block = 30
        assertError("GET / HTTP/1.1\r\nHost: h\r\nA: 123456789012345\r\n\r\n", 431, "header block too large", limits: limits)
        XCTAssertEqual(parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd",
                                limits: HTTPLimits(body: 4))?.body, bytes("abcd"))
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabcde", 413, limits: HTTPLimits(body: 4))
    }

    func testDefaults() {
        let l = HTTPLimits()
        XCTAssertEqual([l.requestLine, l.headerBlock, l.headerCount, l.body], [8192, 16384, 100, 65536])
    }
}
