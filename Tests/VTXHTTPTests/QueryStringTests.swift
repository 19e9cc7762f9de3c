import XCTest
@testable import VTXHTTP

final class QueryStringTests: XCTestCase {
    func pairs(_ raw: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        switch decodeQueryString(raw[...]) {
        case .success(let p): return p.map { "\($0.name)=\($0.value)" }
        case .failure(let e): XCTFail("\(raw): \(e)", file: file, line: line); return []
        }
    }

    func testSplitting() {
        XCTAssertEqual(pairs(""), [])
        XCTAssertEqual(pairs("a=1&b=2"), ["a=1", "b=2"])
        XCTAssertEqual(pairs("a&&b=&"), ["a=", "b="])
        XCTAssertEqual(pairs("=v"), ["=v"])
        XCTAssertEqual(pairs("a=b=c"), ["a=b=c"])
        XCTAssertEqual(pairs("a=1&a=2"), ["a=1", "a=2"])
        XCTAssertEqual(pairs("&"), [])
    }

    func testDecoding() {
        XCTAssertEqual(pairs("a+b=c+d"), ["a b=c d"])
        XCTAssertEqual(pairs("x=%20%2B%26%3D"), ["x= +&="])
        XCTAssertEqual(pairs("k=caf%C3%A9"), ["k=café"])
        XCTAssertEqual(pairs("k=%2F..%2F"), ["k=/../"], "query values are data, not paths")
        XCTAssertEqual(pairs("k=%252B"), ["k=%2B"], "decoded once")
    }

    func testErrors() {
        for raw in ["%", "a=%", "a=%4", "a=%zz", "%g0=1", "a=1&b=%"] {
            XCTAssertEqual(decodeQueryString(raw[...]).failureValue, HTTPParseError(status: 400, reason: "invalid percent escape in query"), raw)
            assertError(get("/?" + raw), 400, "invalid percent escape in query")
        }
        XCTAssertEqual(decodeQueryString("a=%00"[...]).failureValue, HTTPParseError(status: 400, reason: "NUL in query"))
        XCTAssertEqual(decodeQueryString("a=%C3"[...]).failureValue, HTTPParseError(status: 400, reason: "invalid UTF-8 in query"))
        assertError(get("/?a=%FF"), 400, "invalid UTF-8 in query")
    }

    func testQueryValueThroughParser() throws {
        let r = try XCTUnwrap(parseOne(get("/p?a=1&b=two+words&a=3&c")))
        XCTAssertEqual(r.queryValue("a"), "1")
        XCTAssertEqual(r.queryValue("b"), "two words")
        XCTAssertEqual(r.queryValue("c"), "")
        XCTAssertNil(r.queryValue("A"), "names are case-sensitive")
        XCTAssertEqual(r.query.count, 4)
    }
}
