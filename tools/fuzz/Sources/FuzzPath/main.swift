// libFuzzer target for the percent-decoding and traversal checks of VTXHTTP:
// `decodeRequestPath` and `decodeQueryString`.
//
// The input (read as UTF-8, invalid bytes repaired as U+FFFD, as a String
// would be) is split at the first "?": the part before is a raw path, the
// part after a raw query string. Each decoder is compared with a small,
// obviously-correct reference implementation written from the doc comments
// (accept/reject and the decoded result must agree), and is also called on
// a Substring cut out of a longer string (must give the same result).
// On success the decoded path must start with "/", contain no `\`, NUL or
// other control character, no "." or ".." segment, and `segments` must be
// the path split on "/".
import FuzzSupport
import VTXHTTP

var currentInput: [UInt8] = []

func bad(_ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fuzzFail("\(what)\n  input: \(escaped(currentInput, limit: 600))", file: file, line: line)
}

func hex(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}

// MARK: - Reference path decoder

/// Decoded path bytes, or nil if the path must be rejected.
func referencePath(_ raw: [UInt8]) -> [UInt8]? {
    guard raw.first == UInt8(ascii: "/") else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < raw.count {
        if raw[i] == UInt8(ascii: "%") {
            guard i + 2 < raw.count, let h = hex(raw[i + 1]), let l = hex(raw[i + 2]) else { return nil }
            let d = h << 4 | l
            if d == UInt8(ascii: "/") { return nil } // encoded separator
            out.append(d)
            i += 3
        } else {
            out.append(raw[i])
            i += 1
        }
    }
    for b in out where b == UInt8(ascii: "\\") || b < 0x20 || b == 0x7F { return nil }
    for segment in out[1...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
        if segment.elementsEqual([0x2E]) || segment.elementsEqual([0x2E, 0x2E]) { return nil }
    }
    guard String(validating: out, as: UTF8.self) != nil else { return nil }
    return out
}

// MARK: - Reference query decoder

func referenceComponent(_ raw: ArraySlice<UInt8>) -> String? {
    var out: [UInt8] = []
    var i = raw.startIndex
    while i < raw.endIndex {
        let b = raw[i]
        if b == UInt8(ascii: "%") {
            guard i + 2 < raw.endIndex, let h = hex(raw[i + 1]), let l = hex(raw[i + 2]) else { return nil }
            let d = h << 4 | l
            if d == 0 { return nil }
            out.append(d)
            i += 3
        } else {
            out.append(b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i += 1
        }
    }
    return String(validating: out, as: UTF8.self)
}

func referenceQuery(_ raw: [UInt8]) -> [(name: String, value: String)]? {
    var pairs: [(name: String, value: String)] = []
    for piece in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        let eq = piece.firstIndex(of: UInt8(ascii: "=")) ?? piece.endIndex
        guard let name = referenceComponent(piece[piece.startIndex..<eq]),
              let value = referenceComponent(eq < piece.endIndex ? piece[(eq + 1)...] : piece[piece.endIndex...])
        else { return nil }
        pairs.append((name, value))
    }
    return pairs
}

func describe(_ pairs: [(name: String, value: String)]) -> String {
    "[" + pairs.map { "(\(escaped($0.name, limit: 40)), \(escaped($0.value, limit: 40)))" }.joined(separator: ", ") + "]"
}

// MARK: - Checks

func checkPath(_ raw: String) {
    let rawBytes = Array(raw.utf8)
    let result = decodeRequestPath(raw[...])
    // Same answer for a Substring that is a slice of a longer string.
    let embedded = "GET " + raw + " HTTP/1.1"
    let slice = embedded.utf8.dropFirst(4).dropLast(9)
    let sub = Substring(slice)
    let again = decodeRequestPath(sub)

    switch (result, again) {
    case (.success(let a), .success(let b)) where a.path == b.path && a.segments == b.segments: break
    case (.failure(let a), .failure(let b)) where a == b: break
    default: bad("decodeRequestPath differs for a Substring slice: \(result) vs \(again)")
    }

    let expected = referencePath(rawBytes)
    switch result {
    case .failure(let e):
        if e.status != 400 { bad("path error status \(e.status) (\(e.reason))") }
        if let expected { bad("path \(escaped(rawBytes)) rejected (\(e.reason)) but should decode to \(escaped(expected))") }
    case .success(let d):
        guard let expected else { bad("path \(escaped(rawBytes)) accepted as \(escaped(d.path)) but must be rejected") }
        let got = Array(d.path.utf8)
        if got != expected { bad("path \(escaped(rawBytes)) decoded to \(escaped(got)), expected \(escaped(expected))") }
        // Independent shape checks on the result.
        if got.first != UInt8(ascii: "/") { bad("decoded path does not start with /") }
        for b in got where b == UInt8(ascii: "\\") || b == 0 || b < 0x20 || b == 0x7F {
            bad("decoded path contains byte 0x\(String(b, radix: 16))")
        }
        let split: [String] = got.count == 1 ? [] :
            got[1...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if split.contains(".") || split.contains("..") { bad("dot segment in decoded path") }
        if split != d.segments { bad("segments \(d.segments) != \(split)") }
        // No "%" in the input: nothing to decode, the path comes back unchanged.
        if !rawBytes.contains(UInt8(ascii: "%")) && d.path != raw { bad("undecoded path changed") }
    }
}

func checkQuery(_ raw: String) {
    let rawBytes = Array(raw.utf8)
    let result = decodeQueryString(raw[...])
    let embedded = "/x?" + raw + "#"
    let sub = Substring(embedded.utf8.dropFirst(3).dropLast(1))
    let again = decodeQueryString(sub)
    switch (result, again) {
    case (.success(let a), .success(let b)):
        if a.count != b.count || !zip(a, b).allSatisfy({ $0.name == $1.name && $0.value == $1.value }) {
            bad("decodeQueryString differs for a Substring slice")
        }
    case (.failure(let a), .failure(let b)) where a == b: break
    default: bad("decodeQueryString differs for a Substring slice: \(result) vs \(again)")
    }

    let expected = referenceQuery(rawBytes)
    switch result {
    case .failure(let e):
        if e.status != 400 { bad("query error status \(e.status)") }
        if let expected { bad("query rejected (\(e.reason)) but should decode to \(describe(expected))") }
    case .success(let pairs):
        guard let expected else { bad("query accepted as \(describe(pairs)) but must be rejected") }
        if pairs.count != expected.count || !zip(pairs, expected).allSatisfy({ $0.name == $1.name && $0.value == $1.value }) {
            bad("query decoded to \(describe(pairs)), expected \(describe(expected))")
        }
        // An encoded NUL is refused; a raw one is not decoding's business
        // (the parser never passes control characters in a target).
        if !rawBytes.contains(0) {
            for p in pairs where p.name.utf8.contains(0) || p.value.utf8.contains(0) { bad("NUL in decoded query") }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    currentInput = Array(UnsafeBufferPointer(start: start, count: count))
    let text = String(decoding: currentInput, as: UTF8.self)
    if let q = text.utf8.firstIndex(of: UInt8(ascii: "?")) {
        checkPath(String(text[..<q]))
        checkQuery(String(text[text.utf8.index(after: q)...]))
    } else {
        checkPath(text)
    }
    return 0
}
