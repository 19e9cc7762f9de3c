import XCTest
@testable import VTXHTTP

/// Basic parsing, pipelining, buffering and keep-alive.
final class RequestParserTests: XCTestCase {
    func testSimpleGet() throws {
        let r = try XCTUnwrap(parseOne("GET /hls/a/b.ts?x=1&y=a+b HTTP/1.1\r\nHost: example\r\nUser-Agent: t/1\r\n\r\n"))
        XCTAssertEqual(r.method, .GET)
        XCTAssertEqual(r.version, .http11)
        XCTAssertEqual(r.target, "/hls/a/b.ts?x=1&y=a+b")
        XCTAssertEqual(r.path, "/hls/a/b.ts")
        XCTAssertEqual(r.segments, ["hls", "a", "b.ts"])
        XCTAssertEqual(r.query.map { $0.name }, ["x", "y"])
        XCTAssertEqual(r.queryValue("y"), "a b")
        XCTAssertNil(r.queryValue("z"))
        XCTAssertEqual(r.headers.count, 2)
        XCTAssertEqual(r.headers["host"], "example")
        XCTAssertEqual(r.headers["USER-AGENT"], "t/1")
        XCTAssertEqual(r.body, [])
        XCTAssertTrue(r.keepAlive)
    }

    func testOtherMethods() throws {
        XCTAssertEqual(parseOne("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")?.method, .HEAD)
        XCTAssertEqual(parseOne("OPTIONS /x HTTP/1.1\r\nHost: h\r\n\r\n")?.method, .OPTIONS)
        XCTAssertEqual(parseOne("POST /x HTTP/1.1\r\nHost: h\r\n\r\n")?.method, .POST)
    }

    func testBareLFAndMixedLineEndingsRejected() {
        // Were accepted until issue 13 (RFC 9112 §2.2 allows either); one
        // rule, CRLF only, leaves no room for a proxy to disagree.
        assertError("GET /a HTTP/1.1\nHost: h\r\nX: 1\n\n", 400, "bare LF in head")
        assertError("GET /a HTTP/1.1\r\nHost: h\n\r\n", 400, "bare LF in head")
    }

    func testPostWithBody() throws {
        let r = try XCTUnwrap(parseOne("POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello\r\n\0wor"))
        XCTAssertEqual(r.body, bytes("hello\r\n\0wor"), "body bytes are not validated as head bytes")
    }

    func testContentLengthZero() throws {
        let r = try XCTUnwrap(parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"))
        XCTAssertEqual(r.body, [])
    }

    func testIncompleteBodyWaits() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"
        let run = parse(input)
        XCTAssertEqual(run.outcomes, [])
        XCTAssertEqual(run.bufferedBytes, input.utf8.count)
    }

    func testIncompleteHeadWaits() {
        let run = parse("GET / HTTP/1.1\r\nHost: h\r\n")
        XCTAssertEqual(run.outcomes, [])
        XCTAssertEqual(run.bufferedBytes, 25)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: h\r\n\r").outcomes, [], "CR at the end may still become CRLF")
    }

    func testPipelining() throws {
        let input = get("/one") + "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" + get("/three") + "GET /fo"
        let run = parse(input)
        XCTAssertEqual(run.outcomes.count, 3)
        guard run.outcomes.count == 3,
              case .request(let a) = run.outcomes[0], case .request(let b) = run.outcomes[1],
              case .request(let c) = run.outcomes[2] else { return XCTFail("\(run.outcomes)") }
        XCTAssertEqual(a.path, "/one")
        XCTAssertEqual(b.path, "/two")
        XCTAssertEqual(b.body, bytes("abc"))
        XCTAssertEqual(c.path, "/three")
        XCTAssertEqual(run.bufferedBytes, 7, "the partial fourth request stays buffered")
    }

    func testPipelinedRequestThenError() {
        let run = parse(get("/ok") + "BAD LINE\r\n\r\n")
        XCTAssertEqual(run.outcomes.count, 2)
        if case .request(let r)? = run.outcomes.first { XCTAssertEqual(r.path, "/ok") } else { XCTFail() }
        XCTAssertEqual(run.outcomes.last, .error(HTTPParseError(status: 400, reason: "missing HTTP version")))
    }

    func testNextOneAtATimeKeepsFollowingBytes() throws {
        var p = RequestParser()
        let first = get("/1"), second = get("/2")
        p.feed(bytes(first + second))
        XCTAssertEqual(try p.next()?.get().path, "/1")
        XCTAssertEqual(p.bufferedBytes, second.utf8.count)
        // A later feed compacts the consumed prefix away before appending.
        p.feed(bytes("GET /3"))
        XCTAssertEqual(p.buf.count, second.utf8.count + 6)
        XCTAssertEqual(try p.next()?.get().path, "/2")
        XCTAssertNil(p.next())
        XCTAssertEqual(p.bufferedBytes, 6)
        XCTAssertEqual(p.buf.count, 6, "only the partial request is kept")
    }

    func testBufferReleasedWhenEmpty() throws {
        var p = RequestParser()
        XCTAssertNil(p.next())
        XCTAssertEqual(p.bufferCapacity, 0)
        p.feed(bytes(get("/a") + get("/b")))
        XCTAssertGreaterThan(p.bufferCapacity, 0)
        XCTAssertNotNil(p.next())
        XCTAssertNotNil(p.next())
        XCTAssertEqual(p.bufferedBytes, 0)
        XCTAssertEqual(p.bufferCapacity, 0, "idle keep-alive connection must hold no buffer")
        XCTAssertNil(p.next())
        XCTAssertEqual(p.bufferCapacity, 0)
    }

    func testBodyBufferSizedExactly() {
        var p = RequestParser()
        p.feed(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n"))
        XCTAssertNil(p.next())
        XCTAssertLessThan(p.bufferCapacity, 65536 + 4096, "no doubling past the announced body")
        p.feed([UInt8](repeating: 0x61, count: 65536))
        guard case .success(let r)? = p.next() else { return XCTFail() }
        XCTAssertEqual(r.body.count, 65536)
        XCTAssertEqual(p.bufferCapacity, 0)
    }

    /// `feed` parses a request that arrives whole straight from the caller's
    /// bytes, but what it observes stays that of buffering: the bytes count
    /// as buffered and an error waits for `next()`.
    func testFeedOnlyBuffersUntilNext() throws {
        var p = RequestParser()
        p.feed(bytes("GET /\r\n\r\n"))
        XCTAssertEqual(p.bufferedBytes, 9)
        XCTAssertNil(p.error)
        p.feed(bytes("more"))
        XCTAssertEqual(p.bufferedBytes, 13)
        XCTAssertEqual(p.next(), .failure(HTTPParseError(status: 400, reason: "missing HTTP version")))
        XCTAssertEqual(p.bufferedBytes, 0)

        var q = RequestParser()
        q.feed(bytes(get("/a") + "GET"))
        XCTAssertEqual(q.bufferedBytes, get("/a").utf8.count + 3)
        XCTAssertEqual(try q.next()?.get().path, "/a")
        XCTAssertEqual(q.bufferedBytes, 3)
    }

    func testFeedRawBuffer() throws {
        var p = RequestParser()
        let input = bytes(get("/raw"))
        input.withUnsafeBytes { p.feed($0) }
        p.feed(UnsafeRawBufferPointer(start: nil, count: 0))
        XCTAssertEqual(try p.next()?.get().path, "/raw")
    }

    func testErrorIsSticky() {
        var p = RequestParser()
        p.feed(bytes("GET / HTTP/9.9\r\n"))
        let e = HTTPParseError(status: 505, reason: "HTTP version not supported")
        XCTAssertEqual(p.next(), .failure(e))
        XCTAssertEqual(p.error, e)
        p.feed(bytes(get("/")))
        XCTAssertEqual(p.next(), .failure(e))
        XCTAssertEqual(p.next(), .failure(e))
        XCTAssertEqual(p.bufferedBytes, 0)
        XCTAssertEqual(p.bufferCapacity, 0)
    }

    /// Slowloris: byte-at-a-time feeding must not rescan the head. The
    /// verifier asserts the scan position equals the buffered byte count after
    /// every nil; here also a large head stays fast.
    func testByteAtATimeDoesNotRescan() {
        var head = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 0..<90 { head += "X-Pad-\(i): " + String(repeating: "v", count: 150) + "\r\n" }
        head += "\r\n"
        XCTAssertLessThan(head.utf8.count, 16384)
        var p = RequestParser()
        var got = 0
        for b in head.utf8 {
            p.feed([b])
            if case .success? = p.next() { got += 1 } else {
                XCTAssertEqual(p.scan.pos, p.bufferedBytes)
            }
        }
        XCTAssertEqual(got, 1)
        XCTAssertEqual(p.bufferCapacity, 0)
    }

    func testLeadingEmptyLinesIgnored() throws {
        XCTAssertEqual(parseOne("\r\n" + get("/a"))?.path, "/a")
        XCTAssertEqual(parseOne("\r\n\r\n\r\n\r\n" + get("/b"))?.path, "/b")
        assertError("\n\r\n" + get("/b"), 400, "bare LF in head")
        // Also between pipelined requests (a stray CRLF after a POST body).
        let run = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx\r\n" + get("/c"))
        XCTAssertEqual(run.outcomes.count, 2)
    }

    func testTooManyLeadingEmptyLines() {
        assertError(String(repeating: "\r\n", count: 5) + get("/"), 400, "too many empty lines before request line")
        XCTAssertNotNil(parseOne(String(repeating: "\r\n", count: 4) + get("/")))
    }

    // MARK: keep-alive

    func testKeepAliveHTTP11() {
        XCTAssertEqual(parseOne(get("/"))?.keepAlive, true)
        XCTAssertEqual(parseOne(get("/", "Connection: close\r\n"))?.keepAlive, false)
        XCTAssertEqual(parseOne(get("/", "Connection: CLOSE\r\n"))?.keepAlive, false)
        XCTAssertEqual(parseOne(get("/", "Connection: keep-alive, Close\r\n"))?.keepAlive, false)
        XCTAssertEqual(parseOne(get("/", "Connection: Upgrade,close , foo\r\n"))?.keepAlive, false)
        XCTAssertEqual(parseOne(get("/", "Connection: foo\r\nConnection: close\r\n"))?.keepAlive, false)
        XCTAssertEqual(parseOne(get("/", "Connection: closed\r\n"))?.keepAlive, true)
        XCTAssertEqual(parseOne(get("/", "Connection: keep-alive\r\n"))?.keepAlive, true)
        XCTAssertEqual(parseOne(get("/", "X-Connection: close\r\n"))?.keepAlive, true)
    }

    func testKeepAliveHTTP10() {
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\n\r\n")?.keepAlive, false)
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\n\r\n")?.version, .http10)
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?.keepAlive, true)
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive, true)
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")?.keepAlive, false)
        XCTAssertEqual(parseOne("GET / HTTP/1.0\r\nConnection: foo\r\n\r\n")?.keepAlive, false)
    }

    // MARK: header values

    func testHeaderValuesAndOrder() throws {
        let r = try XCTUnwrap(parseOne(get("/", "A: 1\r\nb:2\r\nA:  \t3 \t\r\nEmpty:\r\nTab: x\ty\r\n")))
        XCTAssertEqual(r.headers.map { $0.name }, ["Host", "A", "b", "A", "Empty", "Tab"])
        XCTAssertEqual(r.headers.values("a"), ["1", "3"])
        XCTAssertEqual(r.headers["B"], "2")
        XCTAssertEqual(r.headers["empty"], "")
        XCTAssertEqual(r.headers["tab"], "x\ty", "HTAB inside a value is allowed")
    }

    func testObsTextInValueAccepted() throws {
        var input = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: caf")
        input += [0xE9] + bytes("\r\n\r\n")
        let r = try XCTUnwrap(parseOne(input))
        XCTAssertEqual(r.headers["x"], "caf\u{FFFD}", "obs-text is kept (lossily) rather than rejected")
    }

    func testHostOptionalForHTTP10() {
        XCTAssertNotNil(parseOne("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertNotNil(parseOne("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "empty Host is allowed (RFC 9112 §3.2)")
    }

    // MARK: the method of a failed request (HEAD errors have no body)

    /// Feeds `input` at once and returns the error and `currentMethod` after it.
    func failure(_ input: String) -> (HTTPParseError?, HTTPMethod?) {
        var p = RequestParser()
        p.feed(bytes(input))
        while case .success? = p.next() {}
        return (p.error, p.currentMethod)
    }

    func testCurrentMethodOfAFailedRequest() {
        XCTAssertEqual(failure("HEAD / HTTP/1.1\r\n\r\n").1, .HEAD, "missing Host")
        XCTAssertEqual(failure("HEAD / HTTP/2.0\r\nHost: h\r\n\r\n").0?.status, 505)
        XCTAssertEqual(failure("HEAD / HTTP/2.0\r\nHost: h\r\n\r\n").1, .HEAD, "505 is decided after the method is read")
        XCTAssertEqual(failure("HEAD /a%zz HTTP/1.1\r\nHost: h\r\n\r\n").1, .HEAD)
        XCTAssertEqual(failure("HEAD / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n").1, .HEAD)
        XCTAssertEqual(failure("HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n").0?.status, 413)
        XCTAssertEqual(failure("HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n").1, .HEAD)
        XCTAssertEqual(failure("GET / HTTP/1.1\r\n\r\n").1, .GET)
        // The request line never had its three parts, or names no method we serve.
        XCTAssertNil(failure("HEAD /\r\n\r\n").1)
        XCTAssertNil(failure("HEAD / HTTP/1.1\nHost: h\r\n\r\n").1)
        XCTAssertNil(failure("PUT / HTTP/1.1\r\nHost: h\r\n\r\n").1)
        // A pipelined HEAD after a good GET: the failed one counts.
        XCTAssertEqual(failure(get("/") + "HEAD / HTTP/1.1\r\n\r\n").1, .HEAD)
        XCTAssertEqual(failure("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" + "GET / HTTP/1.1\r\n\r\n").1, .GET)
    }

    func testCurrentMethodWhileParsing() {
        var p = RequestParser()
        p.feed(bytes("HEAD / HTTP/1.1"))
        XCTAssertNil(p.next())
        XCTAssertNil(p.currentMethod, "the request line has not ended")
        p.feed(bytes("\r\nHost: h\r\n"))
        XCTAssertNil(p.next())
        XCTAssertEqual(p.currentMethod, .HEAD)
        p.feed(bytes("\r\n"))
        XCTAssertEqual(try p.next()?.get().method, .HEAD)
        XCTAssertNil(p.currentMethod, "a returned request leaves nothing pending")
    }
}
