import XCTest
@testable import VTXHTTP

/// Line endings, control characters and header-line syntax.
final class HeadSyntaxTests: XCTestCase {
    func testBareCR() {
        assertError("GET / HTTP/1.1\rHost: h\r\n\r\n", 400, "bare CR in head")
        assertError("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "bare CR in head")
        assertError("GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", 400, "bare CR in head")
        assertError("GET / HTTP/1.1\r\nHost: h\r\n\rX", 400, "bare CR in head")
        assertError("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bare CR in head")
        assertError("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bare CR in head")
    }

    func testBareLF() {
        // Anywhere in the head: request line, header line, end of head,
        // leading empty line, and mixed with CRLF.
        assertError("GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "bare LF in head")
        assertError("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, "bare LF in head")
        assertError("GET / HTTP/1.1\r\nHost: h\r\n\n", 400, "bare LF in head")
        assertError("GET / HTTP/1.1\nHost: h\n\n", 400, "bare LF in head")
        assertError("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bare LF in head")
        // The body is not the head: an LF there is data.
        XCTAssertEqual(parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n\n\n")?.body, [0x0A, 0x0A])
    }

    /// Issue 13: a bare LF inside a CRLF header block used to end the line, so
    /// `Content-Length: 23` swallowed a second request's head as a body for a
    /// front proxy while we answered the hidden `GET /admin`. Now the whole
    /// input yields one 400 and nothing else.
    func testBareLFSmugglingGetsOneError() {
        let input = "GET / HTTP/1.1\r\nHost: x\r\nDummy: x\nContent-Length: 23\r\n\r\n"
            + "GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        let run = parse(input)
        XCTAssertEqual(run.outcomes, [.error(HTTPParseError(status: 400, reason: "bare LF in head"))])
        XCTAssertEqual(run.bufferedBytes, 0)
    }

    func testControlCharacters() {
        for c: UInt8 in [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F] {
            var value = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: a")
            value += [c] + bytes("b\r\n\r\n")
            assertError(value, 400, "control character in head")
            var target = bytes("GET /a")
            target += [c] + bytes(" HTTP/1.1\r\nHost: h\r\n\r\n")
            assertError(target, 400, "control character in head")
            var name = bytes("GET / HTTP/1.1\r\nHost: h\r\nX")
            name += [c] + bytes(": v\r\n\r\n")
            assertError(name, 400, "control character in head")
        }
    }

    /// The scanner skips plain bytes eight at a time: a control byte must be
    /// found at every offset within a word, next to obs-text (>= 0x80, whose
    /// high bit must not mask it) and next to DEL's neighbours.
    func testControlCharacterAtEveryAlignment() {
        for offset in 0..<17 {
            for c: UInt8 in [0x00, 0x1F, 0x7F] {
                for filler: UInt8 in [0x61, 0x80, 0xFF, 0x7E, 0x20] {
                    var input = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ")
                    input += [UInt8](repeating: filler, count: offset) + [c] + [UInt8](repeating: filler, count: 9)
                    input += bytes("\r\n\r\n")
                    assertError(input, 400, "control character in head")
                }
            }
            var clean = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ")
            clean += [UInt8](repeating: 0x80, count: offset) + [0x20, 0x7E, 0xFF, 0x21] + bytes("\r\n\r\n")
            XCTAssertNotNil(parseOne(clean))
        }
    }

    func testHTABOnlyAllowedInValues() {
        XCTAssertEqual(parseOne(get("/", "X:\tv\t\r\n"))?.headers["x"], "v")
        assertError("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid method")
        assertError("GET /\tHTTP/1.1\r\nHost: h\r\n\r\n", 400, "missing HTTP version")
        assertError("GET / HTTP/1.1\t\r\nHost: h\r\n\r\n", 400, "malformed HTTP version")
        assertError("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid character in request target")
        assertError(get("/", "X\t: v\r\n"), 400, "invalid header name")
    }

    func testObsoleteLineFolding() {
        assertError(get("/", "X: a\r\n b\r\n"), 400, "obsolete line folding")
        assertError(get("/", "X: a\r\n\tb\r\n"), 400, "obsolete line folding")
        assertError("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "obsolete line folding")
    }

    func testHeaderNameSyntax() {
        assertError(get("/", "X : v\r\n"), 400, "invalid header name")
        assertError("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "invalid header name")
        assertError(get("/", "X(y): v\r\n"), 400, "invalid header name")
        assertError(get("/", "Ãœ: v\r\n"), 400, "invalid header name")
        assertError(get("/", "NoColonHere\r\n"), 400, "missing colon in header line")
        assertError(get("/", ": v\r\n"), 400, "empty header name")
        XCTAssertEqual(parseOne(get("/", "X-!#$%&'*+-.^_`|~09az: v\r\n"))?.headers["x-!#$%&'*+-.^_`|~09AZ"], "v")
        XCTAssertEqual(parseOne(get("/", "X: a: b\r\n"))?.headers["x"], "a: b", "only the first colon separates")
    }
}
