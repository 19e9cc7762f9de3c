import XCTest
@testable import VTXHTTP

final class HTTPHeadersTests: XCTestCase {
    func testLookup() {
        var h = HTTPHeaders([("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")])
        XCTAssertEqual(h.count, 3)
        XCTAssertEqual(h["content-type"], "text/plain")
        XCTAssertEqual(h["CONTENT-TYPE"], "text/plain")
        XCTAssertNil(h["content-typ"])
        XCTAssertNil(h["content-types"])
        XCTAssertEqual(h["X-a"], "1")
        XCTAssertEqual(h.values("X-A"), ["1", "2"])
        XCTAssertEqual(h.values("nope"), [])
        XCTAssertTrue(h.contains("x-A"))
        XCTAssertEqual(h[1].name, "X-A")
        h.add(name: "Y", value: "3")
        XCTAssertEqual(h.map { $0.name }, ["Content-Type", "X-A", "x-a", "Y"])
        h.replaceOrAdd(name: "x-a", value: "9")
        XCTAssertEqual(h.values("X-A"), ["9"])
        h.remove("y")
        XCTAssertFalse(h.contains("Y"))
    }

    func testCaseInsensitivityIsASCIIOnly() {
        let h: HTTPHeaders = ["K@": "1", "[": "2"]
        XCTAssertNil(h["k`"], "'@' and '`' differ only in bit 0x20 but are not letters")
        XCTAssertNil(h["{"])
        XCTAssertEqual(h["k@"], "1")
    }

    func testContainsToken() {
        let h = HTTPHeaders([("Connection", "Upgrade, keep-alive"), ("connection", " ,close ,")])
        XCTAssertTrue(h.containsToken("connection", "CLOSE"))
        XCTAssertTrue(h.containsToken("Connection", "keep-alive"))
        XCTAssertTrue(h.containsToken("Connection", "upgrade"))
        XCTAssertFalse(h.containsToken("Connection", "keep"))
        XCTAssertFalse(h.containsToken("Other", "close"))
    }

    /// Parsed headers stay bytes until asked for; every access path must
    /// agree with headers built from Strings.
    func testReceivedFieldsBehaveLikeAddedOnes() throws {
        var p = RequestParser()
        p.feed(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\nx-a:\t2\r\nEmpty:\r\nConnection: a, Close\r\n\r\n".utf8))
        var h = try XCTUnwrap(p.next()?.get()).headers
        let expected = HTTPHeaders([("Host", "h"), ("X-A", "1"), ("x-a", "2"), ("Empty", ""), ("Connection", "a, Close")])
        XCTAssertEqual(h, expected)
        XCTAssertEqual(h.count, 5)
        XCTAssertEqual(h[2].name, "x-a")
        XCTAssertEqual(h[3].value, "")
        XCTAssertEqual(h.map { $0.value }, ["h", "1", "2", "", "a, Close"])
        XCTAssertEqual(h["X-a"], "1")
        XCTAssertEqual(h["empty"], "")
        XCTAssertNil(h["X-"])
        XCTAssertEqual(h.values("x-A"), ["1", "2"])
        XCTAssertTrue(h.contains("HOST"))
        XCTAssertTrue(h.containsToken("connection", "close"))
        XCTAssertFalse(h.containsToken("connection", "keep-alive"))
        h.add(name: "Y", value: "3")
        XCTAssertEqual(h.map { $0.name }, ["Host", "X-A", "x-a", "Empty", "Connection", "Y"])
        XCTAssertEqual(h["y"], "3")
        h.replaceOrAdd(name: "x-a", value: "9")
        XCTAssertEqual(h.map { $0.name }, ["Host", "Empty", "Connection", "Y", "x-a"])
        XCTAssertEqual(h.values("X-A"), ["9"])
    }

    func testEquality() {
        XCTAssertEqual(HTTPHeaders([("A", "1")]), HTTPHeaders([("A", "1")]))
        XCTAssertNotEqual(HTTPHeaders([("A", "1")]), HTTPHeaders([("a", "1")]))
        XCTAssertNotEqual(HTTPHeaders([("A", "1")]), HTTPHeaders())
    }
}
