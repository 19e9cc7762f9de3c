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
    /// headers, so HLS also accepts `?token=`.
    func allows(_ request: HTTPRequest, acceptQueryToken: Bool = false) -> Bool {
        if let header = request.headers["Authorization"] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2 {
                let scheme = parts[0].lowercased()
                let value = parts[1].drop(while: { $0 == " " })
                if scheme == "basic", let basic, let decoded = Base64.decode(value) {
                    return Auth.equal(decoded, basic)
                }
                if scheme == "bearer", let token {
                    return Auth.equal(Array(value.utf8), token)
                }
            }
        }
        if acceptQueryToken, let token, let given = request.queryValue("token") {
            return Auth.equal(Array(given.utf8), token)
        }
        return false
    }

    /// Constant time in the length of `b` (the secret): no early exit on a mismatch.
    /// (The length difference must not be truncated to a byte: a value 256 bytes
    /// longer than the secret and starting with it would compare equal.)
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff: UInt8 = a.count == b.count ? 0 : 1
        for i in 0..<b.count {
            diff |= (i < a.count ? a[i] : 0) ^ b[i]
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
