import XCTest
@testable import VTXHTTP

/// `decodeRequestPath` on its own, and the same rules through the parser.
final class PathDecodingTests: XCTestCase {
    func decoded(_ raw: String, file: StaticString = #filePath, line: UInt = #line) -> (path: String, segments: [String])? {
        switch decodeRequestPath(raw[...]) {
        case .success(let r): return r
        case .failure(let e): XCTFail("\(raw): \(e)", file: file, line: line); return nil
        }
    }

    /// Rejected standalone AND through the parser (whole and byte-by-byte).
    func rejects(_ raw: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(decodeRequestPath(raw[...]).failureValue, HTTPParseError(status: 400, reason: reason), raw, file: file, line: line)
        assertError(get(raw), 400, reason, file: file, line: line)
    }

    func testSegments() {
        XCTAssertEqual(decoded("/hls/a/b.ts")?.segments, ["hls", "a", "b.ts"])
        XCTAssertEqual(decoded("/")?.segments, [])
        XCTAssertEqual(decoded("/a")?.segments, ["a"])
        XCTAssertEqual(decoded("/a/")?.segments, ["a", ""])
        XCTAssertEqual(decoded("//")?.segments, ["", ""])
        XCTAssertEqual(decoded("/a//b")?.segments, ["a", "", "b"])
        XCTAssertEqual(parseOne(get("/hls/a/b.ts"))?.segments, ["hls", "a", "b.ts"])
        XCTAssertEqual(parseOne(get("/"))?.segments, [])
    }

    func testPercentDecoding() {
        XCTAssertEqual(decoded("/a%20b")?.path, "/a b")
        XCTAssertEqual(decoded("/caf%C3%A9/%e2%82%ac")?.segments, ["café", "€"])
        XCTAssertEqual(decoded("/%41%62")?.path, "/Ab")
        XCTAssertEqual(decoded("/a+b")?.path, "/a+b", "'+' is literal in paths")
        XCTAssertEqual(parseOne(get("/x%3Fy%23z"))?.path, "/x?y#z", "encoded ? and # are data")
        XCTAssertEqual(decoded("/caf\u{E9}")?.path, "/caf\u{E9}", "standalone accepts raw UTF-8")
    }

    func testDecodedExactlyOnce() {
        XCTAssertEqual(decoded("/%252e%252e/x")?.segments, ["%2e%2e", "x"])
        XCTAssertEqual(decoded("/%25")?.path, "/%")
        XCTAssertEqual(parseOne(get("/%252e%252e/etc"))?.path, "/%2e%2e/etc")
        XCTAssertEqual(decoded("/%252F")?.path, "/%2F")
    }

    func testDotSegments() {
        for raw in ["/.", "/..", "/a/..", "/a/../b", "/a/./b", "/./a", "/../etc/passwd",
                    "/%2e", "/%2E", "/%2e%2e", "/%2E%2e/x", "/.%2e", "/%2e.", "/a/%2e%2e/", "/a/%2e/"] {
            rejects(raw, "dot segment in path")
        }
        XCTAssertEqual(decoded("/...")?.segments, ["..."])
        XCTAssertEqual(decoded("/.a/a./a..b/..x")?.segments, [".a", "a.", "a..b", "..x"])
        XCTAssertEqual(decoded("/.well-known/x")?.segments, [".well-known", "x"])
    }

    func testEncodedSlash() {
        rejects("/a%2Fb", "encoded slash in path")
        rejects("/a%2fb", "encoded slash in path")
        rejects("/..%2f..%2fetc", "encoded slash in path")
    }

    func testBackslash() {
        rejects("/a\\b", "backslash in path")
        rejects("/a%5Cb", "backslash in path")
        rejects("/..%5c..%5cwin.ini", "backslash in path")
    }

    func testControlCharacters() {
        rejects("/a%00b", "control character in path")
        rejects("/a%00", "control character in path")
        rejects("/a%0D%0ASet-Cookie:x", "control character in path")
        rejects("/a%7F", "control character in path")
        XCTAssertEqual(decodeRequestPath("/a\0b"[...]).failureValue?.status, 400)
    }

    func testInvalidEscapes() {
        for raw in ["/%", "/a%", "/%4", "/a%4", "/%zz", "/%4g", "/%g4", "/%%41", "/%-1"] {
            rejects(raw, "invalid percent escape in path")
        }
    }

    func testInvalidUTF8() {
        for raw in ["/%C3", "/%FF", "/%C3%28", "/%ED%A0%80", "/%C0%AF", "/%F8%88%80%80%80"] {
            rejects(raw, "invalid UTF-8 in path")
        }
    }

    func testMustStartWithSlash() {
        XCTAssertEqual(decodeRequestPath(""[...]).failureValue, HTTPParseError(status: 400, reason: "path must start with /"))
        XCTAssertEqual(decodeRequestPath("a/b"[...]).failureValue?.status, 400)
        XCTAssertEqual(decodeRequestPath("%2Fa"[...]).failureValue?.status, 400)
    }

    func testSubstringInput() {
        let s = "xx/a/b%20c?q"
        let start = s.index(s.startIndex, offsetBy: 2), end = s.firstIndex(of: "?")!
        XCTAssertEqual(decoded(String(s[start..<end]))?.path, "/a/b c")
        guard case .success(let r) = decodeRequestPath(s[start..<end]) else { return XCTFail() }
        XCTAssertEqual(r.segments, ["a", "b c"])
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
