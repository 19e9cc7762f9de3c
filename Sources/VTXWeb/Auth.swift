import VTXConfig
import VTXHTTP
import VTXSystem

/// `server.auth`: HTTP Basic and/or a Bearer token, compared in constant time.
struct Auth {
    let basic: [UInt8]?       // "user:password"
    let token: [UInt8]?
    let protectsMetrics: Bool
    let protectsHLS: Bool

    init(_ c: AuthConfig) {
        if let u = c.username, let p = c.password { basic = Array((u + ":" + p).utf8) } else { basic = nil }
        token = c.token.map { Array($0.utf8) }
        protectsMetrics = c.protectMetrics
        protectsHLS = c.protectHLS
    }

    /// Whether the request carries valid credentials. Players cannot always send
    /// headers, so HLS also accepts `?token=`. Asked per request: nothing is allocated
    /// but decoded Basic credentials.
    func allows(_ request: HTTPRequest, acceptQueryToken: Bool = false) -> Bool {
        if let header = request.headers["Authorization"], let (scheme, value) = Auth.schemeAndValue(header) {
            if Auth.isScheme(scheme, "basic"), let basic, let decoded = Base64.decode(value) {
                return Auth.equal(decoded, basic)
            }
            if Auth.isScheme(scheme, "bearer"), let token {
                return Auth.equal(value, token)
            }
        }
        if acceptQueryToken, let token, let given = request.queryValue("token") {
            return Auth.equal(given[...], token)
        }
        return false
    }

    /// What `header.split(separator: " ", maxSplits: 1)` gives when it gives two parts
    /// (leading spaces skipped, something after the scheme's space), the value's own
    /// leading spaces dropped; without building the array.
    static func schemeAndValue(_ header: String) -> (scheme: Substring, value: Substring)? {
        let u = header.utf8
        if let cut = u.withContiguousStorageIfAvailable(asciiCut), let (start, end, value) = cut {
            let at = { u.index(u.startIndex, offsetBy: $0) }
            return (header[at(start)..<at(end)], header[at(value)...])
        }
        // `split` compares characters, and a space with a combining mark after it is
        // not one: past ASCII, the characters.
        let s = header.drop(while: { $0 == " " })
        guard let space = s.firstIndex(of: " ") else { return nil }
        let rest = s[s.index(after: space)...]
        guard !rest.isEmpty else { return nil }
        return (s[..<space], rest.drop(while: { $0 == " " }))
    }

    /// `schemeAndValue` in bytes, for ASCII (every real header; there a byte is a
    /// character): the scheme's start and end, the value's start. nil for anything
    /// else, left to the characters.
    static func asciiCut(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard !b.contains(where: { $0 >= 0x80 }) else { return nil }
        var i = 0
        while i < b.count && b[i] == 0x20 { i += 1 }
        let start = i
        while i < b.count && b[i] != 0x20 { i += 1 }
        guard i + 1 < b.count else { return nil }
        let end = i
        i += 1
        while i < b.count && b[i] == 0x20 { i += 1 }
        return (start, end, i)
    }

    /// `scheme.lowercased() == lowercase` for an all-letters ASCII `lowercase`, without
    /// building the copy: no other character lowercases to an ASCII letter but the
    /// Kelvin sign (to k, in neither scheme) and İ (to i and a combining dot).
    static func isScheme(_ scheme: Substring, _ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard scheme.utf8.count == expected.count else { return false }
        return scheme.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(expected) { $0 | 0x20 == $1 } }
            ?? scheme.utf8.elementsEqual(expected) { $0 | 0x20 == $1 }
    }

    /// `equal` on a string's bytes where they are (copied only from a string not
    /// stored as UTF-8).
    static func equal(_ a: Substring, _ b: [UInt8]) -> Bool {
        a.utf8.withContiguousStorageIfAvailable { equal($0, b) } ?? equal(Array(a.utf8), b)
    }

    /// Constant time in the length of `b` (the secret): no early exit on a mismatch.
    /// (The length difference must not be truncated to a byte: a value 256 bytes
    /// longer than the secret and starting with it would compare equal.)
    static func equal<Given: Collection<UInt8>>(_ a: Given, _ b: [UInt8]) -> Bool {
        var diff: UInt8 = a.count == b.count ? 0 : 1
        var i = a.startIndex
        for x in b {
            if i != a.endIndex {
                diff |= a[i] ^ x
                a.formIndex(after: &i)
            } else {
                diff |= x
            }
        }
        return diff == 0
    }
}

/// Remembers recent authentication failures per client address.
final class AuthThrottle {
    var failures: [String: (count: Int, lastMs: Int64)] = [:]

    /// Delay (ms) before answering this failure: none for the first 5 in a minute,
    /// then one more second per failure, at most 5 s.
    func failed(_ peer: String) -> Int64 {
        let now = MonotonicClock.nowMs()
        if failures.count >= 1024 {
            // Bounded however many addresses fail (IPv6 gives an attacker plenty): keep
            // only recent addresses that are being slowed, or forget everything.
            failures = failures.filter { now - $0.value.lastMs < 60_000 && $0.value.count >= 5 }
            if failures.count >= 512 { failures = [:] }
        }
        var entry = failures[peer] ?? (0, now)
        if now - entry.lastMs > 60_000 { entry.count = 0 }
        entry.count += 1
        entry.lastMs = now
        failures[peer] = entry
        return entry.count <= 5 ? 0 : min(5, Int64(entry.count - 5)) * 1000
    }

    func succeeded(_ peer: String) { failures[peer] = nil }
}

enum Base64 {
    static func decode(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 71)
            case 48...57: v = UInt32(c + 4)
            case 43, 45: v = 62
            case 47, 95: v = 63
            case 61: continue
            default: return nil
            }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}
