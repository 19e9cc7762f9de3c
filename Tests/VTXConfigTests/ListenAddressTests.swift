import XCTest
@testable import VTXConfig

final class ListenAddressTests: XCTestCase {
    func ok(_ text: String) -> ListenAddress? {
        try? ListenAddress.parse(text).get()
    }

    func testValid() {
        XCTAssertEqual(ok("0.0.0.0:8080"), ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false))
        XCTAssertEqual(ok("192.168.1.254:1"), ListenAddress(host: "192.168.1.254", port: 1, isIPv6: false))
        XCTAssertEqual(ok("255.255.255.255:65535")?.port, 65535)
        XCTAssertEqual(ok(":8080"), ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false))
        XCTAssertEqual(ok("[::1]:8080"), ListenAddress(host: "::1", port: 8080, isIPv6: true))
        XCTAssertEqual(ok("[::]:80"), ListenAddress(host: "::", port: 80, isIPv6: true))
        XCTAssertEqual(ok("[2001:db8::1]:443")?.description, "[2001:db8::1]:443")
        XCTAssertEqual(ok(":8080")?.description, "0.0.0.0:8080")
    }

    func testInvalid() {
        for bad in ["", "localhost:80", "example.com:8080", "1.2.3.4", "[::1]", "[::1]:", ":", ":0", "1.2.3.4:0",
                    "1.2.3.4:70000", "1.2.3.4:65536", "1.2.3.4:99999999999999999999999", "1.2.3:80", "1.2.3.4.5:80",
                    "256.1.1.1:80", "01.2.3.4:80", "1.2.3.4:8a", "::1:8080", "[::1]8080", "[nope]:80", "[1.2.3.4]:80",
                    "[::1:80", " 1.2.3.4:80", "1.2.3.4:80 ", "1.2.3.4:+80", "[fe80::1%eth0]:80"] {
            XCTAssertNil(ok(bad), bad)
        }
    }

    func testMessages() {
        func message(_ text: String) -> String {
            if case .failure(let e) = ListenAddress.parse(text) { return e.message }
            return "OK"
        }
        XCTAssertEqual(message("localhost:80"), "expected IPv4:port, [IPv6]:port or :port (hostnames are not resolved), got \"localhost:80\"")
        XCTAssertEqual(message("::1:8080"), "IPv6 addresses must be in brackets; expected IPv4:port, [IPv6]:port or :port, got \"::1:8080\"")
        XCTAssertEqual(message("[nope]:80"), "\"nope\" is not a valid IPv6 address; expected IPv4:port, [IPv6]:port or :port, got \"[nope]:80\"")
        XCTAssertEqual(message("1.2.3.4:x"), "port must be a number 1-65535, got \"1.2.3.4:x\"")
        XCTAssertEqual(message("[::1]:70000"), "port must be 1-65535, got \"[::1]:70000\"")
    }
}
