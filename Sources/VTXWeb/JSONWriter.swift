/// A small JSON writer: objects and arrays written in order, strings escaped per
/// RFC 8259 (quotes, backslash, control characters; invalid UTF-8 becomes U+FFFD).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma before it.
    private var needsComma: [Bool] = [false]

    public init() { bytes.reserveCapacity(512) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":` — the value that follows must not add a comma of its own.
    public mutating func key(_ k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func value(_ s: String) { separate(); appendString(s) }
    public mutating func value(_ s: String?) { if let s { value(s) } else { null() } }
    public mutating func value(_ n: Int) { separate(); bytes += Array(String(n).utf8) }
    public mutating func value(_ n: Int64) { separate(); bytes += Array(String(n).utf8) }
    public mutating func value(_ n: Int?) { if let n { value(n) } else { null() } }
    public mutating func value(_ b: Bool) { separate(); bytes += Array((b ? "true" : "false").utf8) }
    public mutating func value(_ d: Double) {
        separate()
        if d.isFinite { bytes += Array(JSONWriter.format(d).utf8) } else { bytes += Array("null".utf8) }
    }
    public mutating func null() { separate(); bytes += Array("null".utf8) }

    /// Key and value at once.
    public mutating func field(_ k: String, _ v: String) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Int?) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Int64) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Double) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Double?) { key(k); if let v { value(v) } else { null() } }

    /// Three decimals at most, no exponent for the magnitudes we write.
    static func format(_ d: Double) -> String {
        let scaled = (d * 1000).rounded()
        if abs(scaled) >= 1e15 {
            // Int64(d) traps beyond ±9.2e18: print those in exponent form ("1e+20").
            return abs(d) < 9e18 ? String(Int64(d)) : d.description
        }
        let n = Int64(scaled)
        let sign = n < 0 ? "-" : ""
        let a = n.magnitude
        let whole = a / 1000, frac = a % 1000
        if frac == 0 { return sign + String(whole) }
        var f = String(frac)
        while f.count < 3 { f = "0" + f }
        while f.hasSuffix("0") { f.removeLast() }
        return sign + String(whole) + "." + f
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Swift Strings hold valid Unicode; bytes from outside were decoded with
        // String(decoding:as:), which already replaced invalid UTF-8 with U+FFFD.
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes += [92, 34]
            case UInt8(ascii: "\\"): bytes += [92, 92]
            case 0x0A: bytes += [92, UInt8(ascii: "n")]
            case 0x0D: bytes += [92, UInt8(ascii: "r")]
            case 0x09: bytes += [92, UInt8(ascii: "t")]
            case 0..<0x20, 0x7F:
                bytes += [92, UInt8(ascii: "u"), 48, 48, JSONWriter.hex[Int(c >> 4)], JSONWriter.hex[Int(c & 15)]]
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// JSON of raw bytes that may not be UTF-8 (stderr): invalid sequences become U+FFFD.
    public mutating func value(bytes raw: [UInt8]) { value(String(decoding: raw, as: UTF8.self)) }
}
