/// `${VAR}` expansion in string scalars.
///
/// - `${NAME}` is replaced by the variable's value; an unset variable is an error.
/// - `${NAME:-fallback}` uses `fallback` when NAME is unset or empty.
/// - `$$`, and a `$` not followed by `{`, stay literal (unchanged).
/// - NAME must match `[A-Za-z_][A-Za-z0-9_]*`; the result is not expanded again.
enum EnvExpansion {
    static func expand(_ text: String, environment: (String) -> String?) -> (value: String, errors: [String]) {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "$")) else { return (text, []) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var errors: [String] = []
        var i = 0
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        while i < bytes.count {
            let b = bytes[i]
            if b != dollar {
                out.append(b)
                i += 1
                continue
            }
            if i + 1 < bytes.count, bytes[i + 1] == dollar {
                out.append(dollar); out.append(dollar)
                i += 2
                continue
            }
            guard i + 1 < bytes.count, bytes[i + 1] == open else {
                out.append(dollar)
                i += 1
                continue
            }
            // ${ ... }
            guard let end = bytes[(i + 2)...].firstIndex(of: close) else {
                errors.append("unterminated `${` (missing `}`)")
                out.append(contentsOf: bytes[i...])
                break
            }
            let inner = bytes[(i + 2)..<end]
            var nameBytes = inner
            var fallback: ArraySlice<UInt8>? = nil
            if let colon = inner.firstIndex(of: UInt8(ascii: ":")),
               colon + 1 < end, bytes[colon + 1] == UInt8(ascii: "-") {
                nameBytes = bytes[(i + 2)..<colon]
                fallback = bytes[(colon + 2)..<end]
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if !isValidName(nameBytes) {
                errors.append("invalid environment variable reference \(quoteForMessage("${" + String(decoding: inner, as: UTF8.self) + "}")) (names are [A-Za-z_][A-Za-z0-9_]*)")
            } else if let value = environment(name), !(fallback != nil && value.isEmpty) {
                out.append(contentsOf: value.utf8)
            } else if let fallback {
                out.append(contentsOf: fallback)
            } else {
                errors.append("environment variable `\(name)` is not set")
            }
            i = end + 1
        }
        return (String(decoding: out, as: UTF8.self), errors)
    }

    static func isValidName(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        func alpha(_ c: UInt8) -> Bool {
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
        }
        guard alpha(first) else { return false }
        for c in bytes where !(alpha(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))) {
            return false
        }
        return true
    }
}
