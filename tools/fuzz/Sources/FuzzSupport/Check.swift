#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Fails the current fuzz input: prints `message` and aborts, so libFuzzer
/// reports a crash ("deadly signal") and writes the input to the artifact
/// directory. Used for invariant violations, which are as much a finding as
/// a memory error.
public func fuzzFail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fputs("\n==== FUZZ INVARIANT VIOLATED (\(file):\(line)) ====\n\(message)\n\n", stderr)
    fflush(stderr)
    abort()
}

/// `fuzzFail(message())` unless `condition`.
@inline(__always)
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fuzzFail(message(), file: file, line: line) }
}

/// `bytes` as a Swift string literal body (printable ASCII kept, the rest escaped),
/// capped at `limit` bytes, for violation messages.
public func escaped<C: Collection>(_ bytes: C, limit: Int = 300) -> String where C.Element == UInt8 {
    var out = "\""
    var n = 0
    var truncated = false
    for b in bytes {
        if n == limit { truncated = true; break }
        switch b {
        case 0x5C: out += "\\\\"
        case 0x22: out += "\\\""
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
        default: out += "\\u{" + String(b, radix: 16, uppercase: true) + "}"
        }
        n += 1
    }
    out += "\""
    if truncated { out += "…(\(bytes.count) bytes in all)" }
    return out
}

/// `escaped` for a String's UTF-8.
public func escaped(_ s: String, limit: Int = 300) -> String { escaped(Array(s.utf8), limit: limit) }

/// Small deterministic PRNG (SplitMix64), seeded from the input so a crash
/// reproduces from the input file alone.
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform-ish in 0..<n (n > 0).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// FNV-1a over the input, to seed `SplitMix64`.
public func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// Whether `haystack` contains `needle` as a byte substring (empty needle: true).
public func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    if needle.isEmpty { return true }
    if haystack.count < needle.count { return false }
    var i = 0
    while i + needle.count <= haystack.count {
        if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}
