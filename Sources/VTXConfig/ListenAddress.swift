import VTXSystem

/// Parser for `server.listen`: "A.B.C.D:PORT", "[IPv6]:PORT" or ":PORT".
enum ListenParser {
    static let expected = "expected IPv4:port, [IPv6]:port or :port"

    static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        func fail(_ why: String) -> Result<ListenAddress, ListenAddressError> {
            .failure(ListenAddressError(message: why))
        }
        let got = "got \(quoteForMessage(text))"
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return fail("\(expected), got an empty string") }

        // [IPv6]:port
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                return fail("missing `]` after the IPv6 address; \(expected), \(got)")
            }
            let host = String(decoding: bytes[1..<close], as: UTF8.self)
            guard close + 1 < bytes.count, bytes[close + 1] == UInt8(ascii: ":") else {
                return fail("missing port; \(expected), \(got)")
            }
            guard isIPv6Literal(host) else {
                return fail("\(quoteForMessage(host)) is not a valid IPv6 address; \(expected), \(got)")
            }
            switch parsePort(bytes[(close + 2)...]) {
            case .success(let port): return .success(ListenAddress(host: host, port: port, isIPv6: true))
            case .failure(let e): return fail("\(e.message), \(got)")
            }
        }

        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else {
            if isIPv4(bytes[...]) { return fail("missing port; \(expected), \(got)") }
            return fail("\(expected) (hostnames are not resolved), \(got)")
        }
        let hostBytes = bytes[..<colon]
        if hostBytes.contains(UInt8(ascii: ":")) {
            return fail("IPv6 addresses must be in brackets; \(expected), \(got)")
        }
        var host = "0.0.0.0"
        if !hostBytes.isEmpty {
            guard isIPv4(hostBytes) else {
                return fail("\(expected) (hostnames are not resolved), \(got)")
            }
            host = String(decoding: hostBytes, as: UTF8.self)
        }
        switch parsePort(bytes[(colon + 1)...]) {
        case .success(let port): return .success(ListenAddress(host: host, port: port, isIPv6: false))
        case .failure(let e): return fail("\(e.message), \(got)")
        }
    }

    /// Decimal 1–65535, digits only.
    static func parsePort(_ bytes: ArraySlice<UInt8>) -> Result<Int, ListenAddressError> {
        if bytes.isEmpty { return .failure(ListenAddressError(message: "missing port")) }
        var value = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else {
                return .failure(ListenAddressError(message: "port must be a number 1-65535"))
            }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
            if value > 65535 { return .failure(ListenAddressError(message: "port must be 1-65535")) }
        }
        if value == 0 { return .failure(ListenAddressError(message: "port must be 1-65535")) }
        return .success(value)
    }

    /// Strict dotted quad: four decimal parts 0–255, 1–3 digits, no leading zeros.
    static func isIPv4(_ bytes: ArraySlice<UInt8>) -> Bool {
        var parts = 0
        var digits = 0
        var value = 0
        var leadingZero = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                if digits == 0 { return false }
                parts += 1
                digits = 0; value = 0; leadingZero = false
                continue
            }
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return false }
            if leadingZero { return false }
            if digits == 0 && b == UInt8(ascii: "0") { leadingZero = true }
            digits += 1
            if digits > 3 { return false }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
            if value > 255 { return false }
        }
        if digits == 0 { return false }
        parts += 1
        return parts == 4
    }

    static func isIPv6Literal(_ host: String) -> Bool {
        if host.isEmpty || host.utf8.count > 45 { return false }
        if host.utf8.contains(0) { return false }
        var storage = in6_addr()
        let rc = withUnsafeMutablePointer(to: &storage) { ptr in
            inet_pton(AF_INET6, host, UnsafeMutableRawPointer(ptr))
        }
        return rc == 1
    }
}
