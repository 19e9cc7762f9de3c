/// Hides credentials in text shown to people (API responses, logs, history,
/// FFmpeg stderr tails, `--check` output).
public enum CredentialMask {
    /// What a hidden value is replaced with.
    public static let placeholder = "***"

    /// Query parameter names whose values are hidden (case-insensitive). Names
    /// ending in `_` or `-` followed by one of these (e.g. `access_token`,
    /// `api_key`, `client-secret`) are hidden too.
    public static let secretParameterNames: [String] = ["password", "pass", "pwd", "passwd", "token", "key", "secret", "auth"]

    /// Masks the password in a URL's userinfo ("rtsp://admin:s3cret@host" ->
    /// "rtsp://admin:***@host") and the values of query parameters named
    /// password, pass, pwd, passwd, token, key, secret, auth (case-insensitive)
    /// -> "***". Works on URLs embedded anywhere inside a longer text (an FFmpeg
    /// stderr line such as
    /// "[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized rtsp://u:p@h/x?token=abc").
    /// Query parameters are masked wherever `?name=` / `&name=` appears, with or
    /// without a URL scheme (e.g. request lines "GET /x.m3u8?token=abc").
    public static func mask(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "@")) || bytes.contains(UInt8(ascii: "=")) else { return text }
        let edits = findSecrets(bytes).map { $0.range }
        if edits.isEmpty { return text }
        return apply(bytes, edits)
    }

    /// Like `mask(_:)`, and also replaces every literal occurrence of the given
    /// secrets (e.g. `secrets(of: config)`) — FFmpeg sometimes prints the
    /// password alone. Secrets shorter than 3 characters are ignored.
    public static func mask(_ text: String, secrets: [String]) -> String {
        let masked = mask(text)
        var bytes = Array(masked.utf8)
        var changed = false
        let sorted = secrets.filter { $0.count >= 3 }.sorted { $0.utf8.count > $1.utf8.count }
        for secret in sorted {
            let s = Array(secret.utf8)
            var ranges: [Range<Int>] = []
            var i = 0
            while i + s.count <= bytes.count {
                if bytes[i] == s[0] && bytes[i..<(i + s.count)].elementsEqual(s) {
                    ranges.append(i..<(i + s.count))
                    i += s.count
                } else {
                    i += 1
                }
            }
            if !ranges.isEmpty {
                bytes = Array(apply(bytes, ranges).utf8)
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : masked
    }

    // MARK: - Scanning

    struct Found {
        var range: Range<Int>
        var value: String
    }

    static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case 0x00...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "`"):
            return true
        default:
            return false
        }
    }

    static func isSchemeChar(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    static func isNameChar(_ b: UInt8) -> Bool {
        isSchemeChar(b) || b == UInt8(ascii: "_")
    }

    static func isSecretName(_ name: ArraySlice<UInt8>) -> Bool {
        let lower = String(decoding: name.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 }, as: UTF8.self)
        for candidate in secretParameterNames {
            if lower == candidate || lower.hasSuffix("_" + candidate) || lower.hasSuffix("-" + candidate) { return true }
        }
        return false
    }

    /// Non-overlapping byte ranges (sorted) holding userinfo passwords and secret query values.
    static func findSecrets(_ bytes: [UInt8]) -> [Found] {
        var found: [Found] = []
        let n = bytes.count
        var i = 0
        while i < n {
            let b = bytes[i]
            // scheme://user:password@host
            if b == UInt8(ascii: ":"), i + 2 < n, bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/"),
               i > 0, isSchemeChar(bytes[i - 1]) {
                let start = i + 3
                var end = start
                while end < n {
                    let c = bytes[end]
                    if isDelimiter(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") { break }
                    end += 1
                }
                if let at = bytes[start..<end].lastIndex(of: UInt8(ascii: "@")),
                   let colon = bytes[start..<at].firstIndex(of: UInt8(ascii: ":")), colon + 1 < at {
                    found.append(Found(range: (colon + 1)..<at, value: String(decoding: bytes[(colon + 1)..<at], as: UTF8.self)))
                    i = at + 1
                    continue
                }
                i = start
                continue
            }
            // ?name=value / &name=value
            if b == UInt8(ascii: "?") || b == UInt8(ascii: "&") {
                var j = i + 1
                while j < n, isNameChar(bytes[j]) { j += 1 }
                if j > i + 1, j < n, bytes[j] == UInt8(ascii: "="), isSecretName(bytes[(i + 1)..<j]) {
                    let valueStart = j + 1
                    var end = valueStart
                    while end < n {
                        let c = bytes[end]
                        if isDelimiter(c) || c == UInt8(ascii: "&") || c == UInt8(ascii: "#") { break }
                        end += 1
                    }
                    if end > valueStart {
                        found.append(Found(range: valueStart..<end, value: String(decoding: bytes[valueStart..<end], as: UTF8.self)))
                    }
                    i = end
                    continue
                }
            }
            i += 1
        }
        return found
    }

    /// Replaces the (sorted, non-overlapping) ranges by the placeholder.
    static func apply(_ bytes: [UInt8], _ ranges: [Range<Int>]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for r in ranges where r.lowerBound >= position && r.upperBound <= bytes.count {
            out.append(contentsOf: bytes[position..<r.lowerBound])
            out.append(contentsOf: placeholder.utf8)
            position = r.upperBound
        }
        out.append(contentsOf: bytes[position...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-decoding ("p%40ss" -> "p@ss"); nil when nothing to decode or not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        guard let decoded = String(validating: out, as: UTF8.self), decoded != text else { return nil }
        return decoded
    }

    /// Credentials found in `text` (userinfo passwords, secret query values),
    /// raw and percent-decoded.
    public static func credentials(in text: String) -> [String] {
        var result: [String] = []
        for found in findSecrets(Array(text.utf8)) {
            result.append(found.value)
            if let decoded = percentDecoded(found.value) { result.append(decoded) }
        }
        return result
    }
}

/// Every secret in `config` worth masking literally: userinfo passwords and
/// secret query values of every stream's source, input_args and output_args
/// (raw and percent-decoded), and the auth password and token. Values shorter
/// than 3 characters are left out (they would mask everything). Longest first.
public func secrets(of config: GatewayConfig) -> [String] {
    var all: [String] = []
    for stream in config.streams {
        all.append(contentsOf: CredentialMask.credentials(in: stream.source))
        for arg in stream.inputArgs { all.append(contentsOf: CredentialMask.credentials(in: arg)) }
        for arg in stream.outputArgs { all.append(contentsOf: CredentialMask.credentials(in: arg)) }
    }
    if let auth = config.server.auth {
        if let password = auth.password { all.append(password) }
        if let token = auth.token { all.append(token) }
    }
    var seen = Set<String>()
    var result: [String] = []
    for s in all where s.count >= 3 && s != CredentialMask.placeholder && !seen.contains(s) {
        seen.insert(s)
        result.append(s)
    }
    return result.sorted { $0.utf8.count > $1.utf8.count }
}

extension GatewayConfig {
    /// `secrets(of: self)`.
    public var secrets: [String] { VTXConfig.secrets(of: self) }
}
