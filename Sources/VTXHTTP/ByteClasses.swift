// Byte classification shared by the parser, the path/query decoders and the
// date parser. Plain `switch`/comparisons rather than lookup tables: a global
// table costs a lazy-initialisation check on every access, a switch compiles
// to a few range compares.

@usableFromInline let asciiCR: UInt8 = 0x0D
@usableFromInline let asciiLF: UInt8 = 0x0A
@usableFromInline let asciiSP: UInt8 = 0x20
@usableFromInline let asciiHTAB: UInt8 = 0x09
@usableFromInline let asciiColon: UInt8 = 0x3A
@usableFromInline let asciiComma: UInt8 = 0x2C
@usableFromInline let asciiSlash: UInt8 = 0x2F
@usableFromInline let asciiBackslash: UInt8 = 0x5C
@usableFromInline let asciiPercent: UInt8 = 0x25
@usableFromInline let asciiQuestion: UInt8 = 0x3F
@usableFromInline let asciiHash: UInt8 = 0x23
@usableFromInline let asciiDot: UInt8 = 0x2E
@usableFromInline let asciiPlus: UInt8 = 0x2B
@usableFromInline let asciiAmp: UInt8 = 0x26
@usableFromInline let asciiEquals: UInt8 = 0x3D
@usableFromInline let ascii0: UInt8 = 0x30

/// RFC 9110 §5.6.2 `tchar`.
@inline(__always)
func isTokenByte(_ b: UInt8) -> Bool {
    // DIGIT / ALPHA / ! # $ % & ' * + - . ^ _ ` | ~ as a 128-bit set in two
    // immediates (a shift and a test per byte; a global table would cost a
    // lazy-initialisation check, a switch a chain of compares).
    let word: UInt64 = b < 64 ? 0x03FF_6CFA_0000_0000 : (b < 128 ? 0x57FF_FFFF_C7FF_FFFE : 0)
    return (word >> UInt64(b & 63)) & 1 != 0
}

/// Control characters that may never appear in a request head (HTAB is
/// allowed by the scanner and policed per element: fine in values, rejected
/// elsewhere by the stricter grammar there).
@inline(__always)
func isForbiddenHeadControl(_ b: UInt8) -> Bool {
    (b < 0x20 && b != asciiHTAB) || b == 0x7F
}

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b &- ascii0 < 10 }

/// Value of a hex digit, or nil.
@inline(__always)
func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b &- 0x30
    case 0x41...0x46: return b &- 0x41 &+ 10
    case 0x61...0x66: return b &- 0x61 &+ 10
    default: return nil
    }
}

@inline(__always)
func asciiLower(_ b: UInt8) -> UInt8 {
    (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
}

/// ASCII case-insensitive comparison of a byte slice with a lowercase ASCII
/// literal (the literal must already be lowercase).
@inline(__always)
func bytesEqualLowercase(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ lower: StaticString) -> Bool {
    let n = lower.utf8CodeUnitCount
    guard end - start == n else { return false }
    let l = lower.utf8Start
    var i = 0
    while i < n {
        if asciiLower(p[start + i]) != l[i] { return false }
        i += 1
    }
    return true
}

/// ASCII case-insensitive equality of two strings without allocating.
@inline(__always)
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let au = a.utf8, bu = b.utf8
    guard au.count == bu.count else { return false }
    var bi = bu.startIndex
    for x in au {
        let y = bu[bi]
        bu.formIndex(after: &bi)
        if x != y && asciiLower(x) != asciiLower(y) { return false }
    }
    return true
}

/// Runs `body` over the contiguous UTF-8 bytes of `s`. Native strings and
/// their substrings are contiguous, so the copy fallback is almost never taken.
@inline(__always)
func withUTF8Bytes<R>(_ s: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    let copy = Array(s.utf8)
    return copy.withUnsafeBufferPointer(body)
}

/// Bytes `p[start..<end]` as a String (lossy for invalid UTF-8, which only
/// header values can carry — obs-text; everything else is validated first).
@inline(__always)
func makeString(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
}

/// ASCII case-insensitive comparison of `p[start..<end]` with `other`.
@inline(__always)
func bytesEqualCaseInsensitive(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ other: String) -> Bool {
    let u = other.utf8
    guard end - start == u.count else { return false }
    var i = start
    for y in u {
        let x = p[i]
        if x != y && asciiLower(x) != asciiLower(y) { return false }
        i += 1
    }
    return true
}

/// Walks the comma-separated list in `p[start..<end]` (RFC 9110 §5.6.1),
/// calling `body` with each non-empty element trimmed of OWS, until `body`
/// returns true. Returns whether it did. No allocation.
@inline(__always)
func anyListElement(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ body: (Int, Int) -> Bool) -> Bool {
    var i = start
    while i <= end {
        var j = i
        while j < end && p[j] != asciiComma { j += 1 }
        var s = i, e = j
        while s < e && (p[s] == asciiSP || p[s] == asciiHTAB) { s += 1 }
        while e > s && (p[e - 1] == asciiSP || p[e - 1] == asciiHTAB) { e -= 1 }
        if s < e && body(s, e) { return true }
        i = j + 1
    }
    return false
}

/// The first index in `from..<to` whose byte is a control character
/// (< 0x20 or DEL), or `to`. Eight bytes per step (SWAR): the head scanner
/// spends most of its time here, and a typical line has only CR LF in it.
@inline(__always)
func skipPlainHeadBytes(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
    var i = from
    if let base = p.baseAddress {
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= to {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // A byte < 0x20 (exact for "any": bytes >= 0x80 only mask themselves
            // out through ~x) or a byte equal to 0x7F (zero after the xor).
            let below = (x &- ones &* 0x20) & ~x & highs
            let d = x ^ (ones &* 0x7F)
            let del = (d &- ones) & ~d & highs
            if below | del != 0 { break }
            i += 8
        }
    }
    while i < to {
        let b = p[i]
        if b < 0x20 || b == 0x7F { break }
        i += 1
    }
    return i
}

// Eight bytes at a time (SWAR) for the scanners. `swarHas`/`swarHasLess` say
// whether any byte matches (exact as a yes/no; `swarHasLess` needs n <= 0x80);
// `swarMatches` marks each matching byte exactly (0x80 in its position).
@inline(__always)
func swarHas(_ x: UInt64, _ byte: UInt8) -> Bool {
    let d = x ^ (0x0101_0101_0101_0101 &* UInt64(byte))
    return (d &- 0x0101_0101_0101_0101) & ~d & 0x8080_8080_8080_8080 != 0
}

@inline(__always)
func swarHasLess(_ x: UInt64, _ n: UInt8) -> Bool {
    (x &- 0x0101_0101_0101_0101 &* UInt64(n)) & ~x & 0x8080_8080_8080_8080 != 0
}

@inline(__always)
func swarMatches(_ x: UInt64, _ byte: UInt8) -> UInt64 {
    let d = x ^ (0x0101_0101_0101_0101 &* UInt64(byte))
    let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    return ~(((d & low) &+ low) | d | low)
}
