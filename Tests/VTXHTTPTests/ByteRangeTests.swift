import XCTest
@testable import VTXHTTP

final class ByteRangeTests: XCTestCase {
    func r(_ h: String?, _ size: Int = 1000) -> ByteRange { ByteRange.parse(h, size: size) }

    func testNoHeader() {
        XCTAssertEqual(r(nil), .full)
    }

    func testClosedRanges() {
        XCTAssertEqual(r("bytes=0-99"), .partial(first: 0, last: 99))
        XCTAssertEqual(r("bytes=0-0"), .partial(first: 0, last: 0))
        XCTAssertEqual(r("bytes=999-999"), .partial(first: 999, last: 999))
        XCTAssertEqual(r("bytes=0-999"), .partial(first: 0, last: 999))
        XCTAssertEqual(r("bytes=500-5000"), .partial(first: 500, last: 999), "last is clamped")
        XCTAssertEqual(r("bytes=0-99999999999999999999999"), .partial(first: 0, last: 999), "overflowing last clamps")
    }

    func testOpenRanges() {
        XCTAssertEqual(r("bytes=500-"), .partial(first: 500, last: 999))
        XCTAssertEqual(r("bytes=0-"), .partial(first: 0, last: 999))
        XCTAssertEqual(r("bytes=999-"), .partial(first: 999, last: 999))
    }

    func testSuffixRanges() {
        XCTAssertEqual(r("bytes=-100"), .partial(first: 900, last: 999))
        XCTAssertEqual(r("bytes=-1000"), .partial(first: 0, last: 999))
        XCTAssertEqual(r("bytes=-2000"), .partial(first: 0, last: 999))
        XCTAssertEqual(r("bytes=-99999999999999999999999"), .partial(first: 0, last: 999))
        XCTAssertEqual(r("bytes=-0"), .unsatisfiable)
    }

    func testUnsatisfiable() {
        XCTAssertEqual(r("bytes=1000-"), .unsatisfiable)
        XCTAssertEqual(r("bytes=1000-2000"), .unsatisfiable)
        XCTAssertEqual(r("bytes=99999999999999999999999-"), .unsatisfiable)
        XCTAssertEqual(r("bytes=0-", 0), .unsatisfiable)
        XCTAssertEqual(r("bytes=-5", 0), .unsatisfiable)
        XCTAssertEqual(r("bytes=0-0", 0), .unsatisfiable)
    }

    func testIgnoredAsFull() {
        for h in ["", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-3", "bytes=0-1,5-6", "bytes=0-1, 5-6",
                  "items=0-1", "bytes 0-1", "bytes=0x10-", "bytes=1-2-3", "bytes=+1-2", "bytes=-+1", "bytes=1 -2",
                  "bytes=--1", "bytes=0-1,"] {
            XCTAssertEqual(r(h), .full, h)
        }
    }

    func testToleratedSpellings() {
        XCTAssertEqual(r("Bytes=0-1"), .partial(first: 0, last: 1))
        XCTAssertEqual(r("BYTES=0-1"), .partial(first: 0, last: 1))
        XCTAssertEqual(r("  bytes= 0-1 \t"), .partial(first: 0, last: 1))
    }
}
