import XCTest
@testable import VTXHTTP

final class HTTPDateTests: XCTestCase {
    // Reference values computed independently (Python datetime, UTC).
    let known: [(Int, String)] = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (951_868_799, "Tue, 29 Feb 2000 23:59:59 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (4_107_585_600, "Mon, 01 Mar 2100 12:00:00 GMT"),
        (13_574_563_200, "Tue, 29 Feb 2400 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        (-62_135_596_800, "Mon, 01 Jan 0001 00:00:00 GMT"),
    ]

    func testFormatKnownDates() {
        for (t, s) in known { XCTAssertEqual(HTTPDate.format(epochSeconds: t), s) }
    }

    func testParseKnownDates() {
        for (t, s) in known { XCTAssertEqual(HTTPDate.parse(s), t, s) }
    }

    func testRoundTrip() {
        var t = -5_000_000_000
        while t < 20_000_000_000 {
            XCTAssertEqual(HTTPDate.parse(HTTPDate.format(epochSeconds: t)), t)
            t += 7_919_993 // prime-ish stride: hits every weekday, month, leap year
        }
        // Every day around the 2000 and 2100 February ends.
        for base in [951_696_000, 4_107_456_000] {
            for d in -3...3 {
                let t = base + d * 86400 + 3661
                XCTAssertEqual(HTTPDate.parse(HTTPDate.format(epochSeconds: t)), t)
            }
        }
    }

    func testFormatClampsOutOfRange() {
        XCTAssertEqual(HTTPDate.format(epochSeconds: Int.max), "Fri, 31 Dec 9999 23:59:59 GMT")
        XCTAssertTrue(HTTPDate.format(epochSeconds: Int.min).hasSuffix(" 0000 00:00:00 GMT"))
    }

    func testAppendIntoBuffer() {
        var out = bytes("Date: ")
        HTTPDate.append(epochSeconds: 784_111_777, to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "Date: Sun, 06 Nov 1994 08:49:37 GMT")
    }

    func testObsoleteFormats() {
        XCTAssertEqual(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Tuesday, 29-Feb-00 00:00:00 GMT"), 951_782_400)
        XCTAssertEqual(HTTPDate.parse("Sun Nov  6 08:49:37 1994"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Tue Feb 29 00:00:00 2000"), 951_782_400)
        XCTAssertNil(HTTPDate.parse("Funday, 06-Nov-94 08:49:37 GMT"))
        XCTAssertNil(HTTPDate.parse("Sun Nov 6 08:49:37 1994"))
    }

    func testParseRejectsInvalid() {
        for s in [
            "", "garbage",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT ",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 29 Feb 2100 00:00:00 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08-49-37 GMT",
            "Sun, 06 Nov 1994 08:49:3a GMT",
        ] {
            XCTAssertNil(HTTPDate.parse(s), s)
        }
        XCTAssertNotNil(HTTPDate.parse("Sat, 29 Feb 2020 10:00:00 GMT"))
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:60 GMT"), 784_111_800, "leap second accepted")
    }
}
