import XCTest
@testable import VTXHTTP

/// Request-line grammar: methods, versions, request-target forms.
final class RequestLineTests: XCTestCase {
    func line(_ l: String) -> String { l + "\r\nHost: h\r\n\r\n" }

    func testSupportedMethods() {
        XCTAssertEqual(parseOne(line("GET / HTTP/1.1"))?.method, .GET)
        XCTAssertEqual(parseOne(line("HEAD / HTTP/1.1"))?.method, .HEAD)
        XCTAssertEqual(parseOne(line("POST / HTTP/1.1"))?.method, .POST)
        XCTAssertEqual(parseOne(line("OPTIONS / HTTP/1.1"))?.method, .OPTIONS)
    }

    func testKnownButNotAllowedMethods() {
        for m in ["PUT", "DELETE", "PATCH", "TRACE", "CONNECT"] {
            assertError(line("\(m) / HTTP/1.1"), 405, "method not allowed")
        }
        assertError(line("CONNECT example.com:443 HTTP/1.1"), 405)
    }

    func testUnknownTokenMethods() {
        for m in ["FOO", "get", "Get", "PROPFIND", "GETS", "X", "M-SEARCH", "BREW"] {
            assertError(line("\(m) / HTTP/1.1"), 501, "method not implemented")
        }
    }

    func testMethodNotAToken() {
        assertError(line("G@T / HTTP/1.1"), 400, "invalid method")
        assertError(line("GE\"T / HTTP/1.1"), 400, "invalid method")
        assertError(line("GET(x) / HTTP/1.1"), 400, "invalid method")
    }

    func testVersions() {
        XCTAssertEqual(parseOne(line("GET / HTTP/1.0"))?.version, .http10)
        XCTAssertEqual(parseOne(line("GET / HTTP/1.1"))?.version, .http11)
        for v in ["HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"] {
            assertError(line("GET / \(v)"), 505, "HTTP version not supported")
        }
        for v in ["http/1.1", "HTTP/1.1x", "HTTP/11", "HTTP/1", "HTTP/1.", "HTTP/a.b", "HTTPS/1.1", "HTTP/1.1.1", "HTTP 1.1", "HTTP/10.0"] {
            assertError(line("GET / \(v)"), 400)
        }
    }

    func testHTTP09AndMalformedLines() {
        assertError("GET /\r\n\r\n", 400, "missing HTTP version")
        assertError("GET\r\n\r\n", 400, "missing request target")
        assertError(line("GET  / HTTP/1.1"), 400, "malformed request line")
        assertError(line("GET /  HTTP/1.1"), 400, "malformed HTTP version")
        assertError(line("GET / HTTP/1.1 "), 400, "malformed HTTP version")
        assertError(line(" GET / HTTP/1.1"), 400, "malformed request line")
        assertError(line("GET / HTTP/1.1 extra"), 400)
    }

    /// The HTTP/2 connection preface gets 505 (the version is checked before
    /// the method, so "PRI" never gets as far as the 501 path).
    func testHTTP2Preface() {
        assertError("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP version not supported")
    }

    /// Precedence within the request line: syntax → version → method → target.
    func testRequestLinePrecedence() {
        assertError(line("PUT / HTTP/2.0"), 505)
        assertError(line("PUT /a#b HTTP/1.1"), 405)
        assertError(line("FOO * HTTP/1.1"), 501)
        // Errors in the request line win over anything later in the head.
        assertError("PUT / HTTP/1.1\r\nBad Header: x\r\n\r\n", 405)
    }

    func testAsteriskForm() throws {
        let r = try XCTUnwrap(parseOne(line("OPTIONS * HTTP/1.1")))
        XCTAssertEqual(r.target, "*")
        XCTAssertEqual(r.path, "*")
        XCTAssertEqual(r.segments, [])
        XCTAssertEqual(r.query.count, 0)
        assertError(line("GET * HTTP/1.1"), 400, "asterisk-form target requires OPTIONS")
        assertError(line("OPTIONS *x HTTP/1.1"), 400, "invalid request target")
    }

    func testAbsoluteForm() throws {
        let r = try XCTUnwrap(parseOne(line("GET http://example.com:8080/hls/a%20b.ts?x=1 HTTP/1.1")))
        XCTAssertEqual(r.target, "http://example.com:8080/hls/a%20b.ts?x=1")
        XCTAssertEqual(r.path, "/hls/a b.ts")
        XCTAssertEqual(r.segments, ["hls", "a b.ts"])
        XCTAssertEqual(r.queryValue("x"), "1")
        XCTAssertEqual(parseOne(line("GET HTTPS://h HTTP/1.1"))?.path, "/")
        let q = try XCTUnwrap(parseOne(line("GET http://h?a=b HTTP/1.1")))
        XCTAssertEqual(q.path, "/")
        XCTAssertEqual(q.queryValue("a"), "b")
        assertError(line("GET http:///x HTTP/1.1"), 400, "empty authority in request target")
        assertError(line("GET http://h/../x HTTP/1.1"), 400, "dot segment in path")
    }

    func testInvalidTargets() {
        assertError(line("GET ftp://h/x HTTP/1.1"), 400, "invalid request target")
        assertError(line("GET example.com/x HTTP/1.1"), 400, "invalid request target")
        assertError(line("GET x HTTP/1.1"), 400, "invalid request target")
        assertError(line("GET ?a=b HTTP/1.1"), 400, "invalid request target")
        assertError(line("GET /a#frag HTTP/1.1"), 400, "fragment in request target")
        assertError(line("GET /#x HTTP/1.1"), 400, "fragment in request target")
        assertError(line("GET /a?b#c HTTP/1.1"), 400, "fragment in request target")
        var nonASCII = bytes("GET /caf")
        nonASCII += [0xC3, 0xA9] + bytes(" HTTP/1.1\r\nHost: h\r\n\r\n")
        assertError(nonASCII, 400, "invalid character in request target")
    }

    func testOriginFormWithQuery() throws {
        let r = try XCTUnwrap(parseOne(line("GET /live/index.m3u8?token=a%2Fb&x HTTP/1.1")))
        XCTAssertEqual(r.path, "/live/index.m3u8")
        XCTAssertEqual(r.segments, ["live", "index.m3u8"])
        XCTAssertEqual(r.query.map { $0.name }, ["token", "x"])
        XCTAssertEqual(r.queryValue("token"), "a/b")
        XCTAssertEqual(r.queryValue("x"), "")
        XCTAssertEqual(parseOne(line("GET /? HTTP/1.1"))?.query.count, 0)
        assertError(line("GET /?a=%zz HTTP/1.1"), 400, "invalid percent escape in query")
    }

    /// The target is walked eight bytes at a time: every special byte must be
    /// seen wherever it falls in a word, and "/"s counted exactly.
    func testTargetBytesAtEveryAlignment() {
        for offset in 0..<17 {
            let pad = String(repeating: "a", count: offset)
            assertError("GET /\(pad)#x HTTP/1.1\r\nHost: h\r\n\r\n", 400, "fragment in request target")
            var high = bytes("GET /\(pad)")
            high += [0xC3, 0xA9] + bytes("b HTTP/1.1\r\nHost: h\r\n\r\n")
            assertError(high, 400, "invalid character in request target")
            assertError("GET /\(pad)\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid character in request target")
            XCTAssertEqual(parseOne(get("/\(pad)?q=/x/y"))?.query.first?.value, "/x/y")
            XCTAssertEqual(parseOne(get("/\(pad)%41/b"))?.segments, [pad + "A", "b"])
            let path = "/" + (0..<offset).map { $0 % 3 == 0 ? "/" : "x" }.joined()
            let expected = Array(path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init))
            XCTAssertEqual(parseOne(get(path))?.segments, path == "/" ? [] : expected, path)
            XCTAssertEqual(parseOne(get(path + "?a=b"))?.path, path)
        }
    }
}
