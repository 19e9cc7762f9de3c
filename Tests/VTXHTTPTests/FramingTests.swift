import XCTest
@testable import VTXHTTP

/// Message framing: Content-Length, Transfer-Encoding, Host.
final class FramingTests: XCTestCase {
    func post(_ headers: String, body: String = "") -> String {
        "POST / HTTP/1.1\r\nHost: h\r\n\(headers)\r\n\(body)"
    }

    func testInvalidContentLength() {
        for v in ["-1", "abc", "+5", "", " ", "1e3", "5 5", "0x10", "5;", "99999999999999999999999", "9223372036854775808", ","] {
            assertError(post("Content-Length: \(v)\r\n"), 400, "invalid Content-Length")
        }
    }

    func testContentLengthMaxIntIsTooLargeNotInvalid() {
        assertError(post("Content-Length: 9223372036854775807\r\n"), 413)
    }

    func testLeadingZerosAccepted() {
        XCTAssertEqual(parseOne(post("Content-Length: 0003\r\n", body: "abc"))?.body, bytes("abc"))
        XCTAssertEqual(parseOne(post("Content-Length: 00000000000000000000000012\r\n", body: "0123456789ab"))?.body.count, 12)
    }

    func testDuplicateContentLength() {
        assertError(post("Content-Length: 3\r\nContent-Length: 4\r\n", body: "abcd"), 400, "conflicting Content-Length")
        assertError(post("Content-Length: 3, 4\r\n", body: "abcd"), 400, "conflicting Content-Length")
        XCTAssertEqual(parseOne(post("Content-Length: 3\r\ncontent-length: 3\r\n", body: "abc"))?.body, bytes("abc"))
        XCTAssertEqual(parseOne(post("Content-Length: 3, 3\r\n", body: "abc"))?.body, bytes("abc"))
        assertError(post("Content-Length: 3\r\nContent-Length: x\r\n", body: "abc"), 400, "invalid Content-Length")
    }

    func testTransferEncodingNotImplemented() {
        assertError(post("Transfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 501, "Transfer-Encoding not supported")
        assertError(post("transfer-encoding: identity\r\n"), 501)
        assertError(post("Transfer-Encoding:\r\n"), 501)
        assertError(get("/", "Transfer-Encoding: gzip, chunked\r\n"), 501)
    }

    func testTransferEncodingWithContentLengthIsSmuggling() {
        assertError(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", body: "0\r\n\r\n"), 400, "Transfer-Encoding with Content-Length")
        assertError(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 400, "Transfer-Encoding with Content-Length")
        assertError(post("Content-Length: nope\r\nTransfer-Encoding: chunked\r\n"), 400, "Transfer-Encoding with Content-Length")
    }

    func testHost() {
        assertError("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, "missing Host header")
        assertError("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "multiple Host headers")
        assertError("GET / HTTP/1.1\r\nHost: a\r\nhOsT: a\r\n\r\n", 400, "multiple Host headers")
        assertError("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "multiple Host headers")
        XCTAssertNotNil(parseOne("GET / HTTP/1.1\r\nX-Host: a\r\nHost: b\r\nHosts: c\r\n\r\n"))
    }

    func testBodyDoesNotStartUntilHeadEnds() {
        // A Content-Length on a GET still frames a body (RFC 9112 §6.3).
        let run = parse(get("/", "Content-Length: 2\r\n") + "xy" + get("/next"))
        XCTAssertEqual(run.outcomes.count, 2)
        if case .request(let r)? = run.outcomes.first { XCTAssertEqual(r.body, bytes("xy")) }
    }
}
