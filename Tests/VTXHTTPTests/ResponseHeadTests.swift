import XCTest
@testable import VTXHTTP

final class ResponseHeadTests: XCTestCase {
    let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testExactBytesKeepAlive() {
        let head = ResponseHead(status: 200, headers: [("Content-Type", "video/mp2t"), ("Cache-Control", "no-cache")])
        let out = head.serialize(date: date, server: "vtx-link", keepAlive: true, contentLength: 1234)
        XCTAssertEqual(text(out),
                       "HTTP/1.1 200 OK\r\n" +
                       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" +
                       "Server: vtx-link\r\n" +
                       "Connection: keep-alive\r\n" +
                       "Content-Length: 1234\r\n" +
                       "Content-Type: video/mp2t\r\n" +
                       "Cache-Control: no-cache\r\n" +
                       "\r\n")
    }

    func testExactBytesCloseWithoutLength() {
        let out = ResponseHead(status: 404).serialize(date: date, server: "s", keepAlive: false, contentLength: nil)
        XCTAssertEqual(out, bytes("HTTP/1.1 404 Not Found\r\nDate: \(date)\r\nServer: s\r\nConnection: close\r\n\r\n"))
    }

    func testZeroLengthAndStatusVariants() {
        XCTAssertEqual(text(ResponseHead(status: 304).serialize(date: date, server: "s", keepAlive: true, contentLength: 0)),
                       "HTTP/1.1 304 Not Modified\r\nDate: \(date)\r\nServer: s\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
        XCTAssertTrue(text(ResponseHead(status: 206).serialize(date: date, server: "s", keepAlive: true, contentLength: 9_876_543_210))
            .contains("\r\nContent-Length: 9876543210\r\n"))
        XCTAssertTrue(text(ResponseHead(status: 431).serialize(date: date, server: "s", keepAlive: false, contentLength: nil))
            .hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        XCTAssertTrue(text(ResponseHead(status: 299).serialize(date: date, server: "s", keepAlive: false, contentLength: nil))
            .hasPrefix("HTTP/1.1 299 Success\r\n"))
    }

    func testEmptyServerOmitted() {
        let out = ResponseHead(status: 204).serialize(date: date, server: "", keepAlive: true, contentLength: nil)
        XCTAssertEqual(text(out), "HTTP/1.1 204 No Content\r\nDate: \(date)\r\nConnection: keep-alive\r\n\r\n")
    }

    func testHeaderInjectionStripped() {
        let head = ResponseHead(status: 302, headers: [("Location", "/a\r\nSet-Cookie: x=1"), ("X\n", "v\0")])
        let out = text(head.serialize(date: date, server: "s", keepAlive: false, contentLength: 0))
        XCTAssertTrue(out.contains("\r\nLocation: /aSet-Cookie: x=1\r\n"))
        XCTAssertTrue(out.contains("\r\nX: v\r\n"))
        XCTAssertFalse(out.contains("\r\nSet-Cookie"))
    }

    func testSharedLinesAndBodyInOneBuffer() {
        let shared = HeaderLines([("Content-Type", "video/mp2t"), ("X-Bad\r\n", "a\nb\0c")])
        XCTAssertEqual(text(shared.bytes), "Content-Type: video/mp2t\r\nX-Bad: abc\r\n", "CR, LF and NUL dropped once, when the lines are made")
        let head = ResponseHead(status: 200, lines: shared, headers: [("Content-Range", "bytes 0-1/2")])
        let out = head.serialize(date: HeaderLines([("Date", date)]), server: .none, keepAlive: true, contentLength: 2,
                                 body: bytes("hi"))
        XCTAssertEqual(text(out),
                       "HTTP/1.1 200 OK\r\nDate: \(date)\r\nConnection: keep-alive\r\nContent-Length: 2\r\n" +
                       "Content-Type: video/mp2t\r\nX-Bad: abc\r\nContent-Range: bytes 0-1/2\r\n\r\nhi")
    }

    func testSerializeIntoAppends() {
        var out = bytes("prefix|")
        ResponseHead(status: 200).serialize(into: &out, date: "D", server: "S", keepAlive: true, contentLength: 3)
        XCTAssertEqual(text(out), "prefix|HTTP/1.1 200 OK\r\nDate: D\r\nServer: S\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n")
    }

    func testDecimal() {
        for n in [0, 7, 10, 99, 100, 65536, Int.max, -1, Int.min] {
            var out = [UInt8](repeating: 0, count: 24)
            let count = out.withUnsafeMutableBufferPointer { b -> Int in
                var w = HeadWriter(base: b.baseAddress!)
                w.putDecimal(n)
                return w.count
            }
            XCTAssertEqual(text(Array(out[..<count])), String(n))
        }
    }

    func testValuesLongerThanAnyEstimateAndDirtyOnesFit() {
        let long = String(repeating: "v", count: 5000)
        let head = ResponseHead(status: 599, headers: [("X-Long", long), ("X-Dirty", "a\r\nInjected: 1\u{0}b"), ("", "")])
        let out = text(head.serialize(date: "D", server: "", keepAlive: false, contentLength: Int.min))
        XCTAssertEqual(out, "HTTP/1.1 599 Server Error\r\nDate: D\r\nConnection: close\r\nContent-Length: \(Int.min)\r\n"
                       + "X-Long: \(long)\r\nX-Dirty: aInjected: 1b\r\n: \r\n\r\n")
    }

    func testReasonPhrases() {
        let expected: [Int: String] = [
            200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
            301: "Moved Permanently", 302: "Found", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 409: "Conflict", 411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
            416: "Range Not Satisfiable", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 505: "HTTP Version Not Supported", 100: "Continue", 101: "Switching Protocols",
        ]
        for (code, phrase) in expected { XCTAssertEqual(reasonPhrase(code), phrase, "\(code)") }
        XCTAssertEqual(reasonPhrase(199), "Informational")
        XCTAssertEqual(reasonPhrase(399), "Redirection")
        XCTAssertEqual(reasonPhrase(418), "Client Error")
        XCTAssertEqual(reasonPhrase(599), "Server Error")
        XCTAssertEqual(reasonPhrase(99), "Unknown")
        XCTAssertEqual(reasonPhrase(600), "Unknown")
        // Every status 200...505 has a non-empty phrase.
        for code in 200...505 { XCTAssertFalse(reasonPhrase(code).isEmpty) }
    }
}
