import VTXSystem

/// Loads and validates `vtx-link.yaml`.
///
/// Every problem is reported (not just the first), one line each:
/// `FILE:LINE:COLUMN: KEYPATH: message`, sorted by position. Line and column are
/// 1-based and point at the offending value (at the key for unknown or duplicate
/// keys, at the enclosing mapping for missing required keys).
public enum ConfigLoader {
    /// Largest file accepted (a config is a few KiB).
    public static let maxFileSize = 4 * 1024 * 1024
    /// Largest integer accepted anywhere in the config.
    public static let maxInteger = 1_000_000_000

    /// The process environment (`getenv`).
    public static func processEnvironment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Reads `path` (fopen/fread) and parses it. `path` is used as FILE in messages.
    public static func load(path: String,
                            environment: (String) -> String? = ConfigLoader.processEnvironment) -> Result<GatewayConfig, ConfigError> {
        switch readFile(path) {
        case .failure(let problem):
            return .failure(ConfigError(messages: ["\(path): \(problem.message)"]))
        case .success(let bytes):
            return parse(bytes: bytes, fileName: path, environment: environment)
        }
    }

    /// Parses config text; `fileName` is used as FILE in messages and as `GatewayConfig.path`.
    public static func parse(text: String, fileName: String = "vtx-link.yaml",
                             environment: (String) -> String? = ConfigLoader.processEnvironment) -> Result<GatewayConfig, ConfigError> {
        parse(bytes: Array(text.utf8), fileName: fileName, environment: environment)
    }

    /// Parses raw bytes (not necessarily valid UTF-8; libyaml reports encoding errors).
    public static func parse(bytes: [UInt8], fileName: String,
                             environment: (String) -> String? = ConfigLoader.processEnvironment) -> Result<GatewayConfig, ConfigError> {
        let root: YNode?
        switch YAMLTree.load(bytes: bytes) {
        case .failure(let error):
            return .failure(ConfigError(messages: ["\(fileName):\(error.mark.line):\(error.mark.column): syntax error: \(error.message)"]))
        case .success(let node):
            root = node
        }
        return withoutActuallyEscaping(environment) { env in
            let decoder = ConfigDecoder(fileName: fileName, environment: env)
            let config = decoder.decodeRoot(root)
            let messages = decoder.sortedMessages()
            if !messages.isEmpty { return .failure(ConfigError(messages: messages)) }
            return .success(config)
        }
    }

    private static func readFile(_ path: String) -> Result<[UInt8], ConfigDecoder.Message> {
        guard let file = fopen(path, "rb") else {
            return .failure(ConfigDecoder.Message(message: "cannot open: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { buf in fread(buf.baseAddress, 1, buf.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if bytes.count > maxFileSize {
                return .failure(ConfigDecoder.Message(message: "file too large (more than \(maxFileSize) bytes)"))
            }
            if n < chunk.count {
                if ferror(file) != 0 {
                    return .failure(ConfigDecoder.Message(message: "cannot read: \(String(cString: strerror(errno)))"))
                }
                break
            }
        }
        return .success(bytes)
    }
}

// MARK: - Messages

/// `"text"` with quotes/backslashes/control characters escaped, credentials
/// masked and long values shortened.
func quoteForMessage(_ text: String) -> String {
    let masked = CredentialMask.mask(text)
    var out = "\""
    var count = 0
    for scalar in masked.unicodeScalars {
        if count >= 80 { out += "…"; break }
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}

/// Levenshtein distance, for "did you mean" hints (short keys only).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.count > 64 || y.count > 64 { return Int.max }
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

// MARK: - Decoder

enum Keys {
    static let top = ["server", "streams"]
    static let server = ["listen", "ffmpeg_binary", "hls_root", "supervisor_interval_ms", "min_available_mb",
                         "max_streams", "max_connections", "log_level", "hls_allow_origin", "auth", "ramdisk"]
    static let auth = ["username", "password", "token", "metrics", "hls"]
    static let ramdisk = ["mount", "size_mb"]
    static let stream = ["name", "source", "auto_start", "idle_timeout", "input_args", "output_args",
                         "start_timeout", "stall_timeout", "start_min_segments", "kill_timeout", "retry",
                         "max_storage_mb"]
    static let retry = ["max_attempts", "initial_backoff_sec", "max_backoff_sec", "reset_after_sec"]
}

final class ConfigDecoder {
    let fileName: String
    let environment: (String) -> String?
    private var diagnostics: [(mark: YMark, seq: Int, text: String)] = []

    init(fileName: String, environment: @escaping (String) -> String?) {
        self.fileName = fileName
        self.environment = environment
    }

    func sortedMessages() -> [String] {
        diagnostics.sorted { a, b in
            if a.mark.line != b.mark.line { return a.mark.line < b.mark.line }
            if a.mark.column != b.mark.column { return a.mark.column < b.mark.column }
            return a.seq < b.seq
        }.map { $0.text }
    }

    func error(_ mark: YMark, _ path: String, _ message: String) {
        diagnostics.append((mark, diagnostics.count, "\(fileName):\(mark.line):\(mark.column): \(path): \(message)"))
    }

    // MARK: Value descriptions

    static func describe(_ node: YNode) -> String {
        switch node.value {
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        case .scalar(let text, let plain):
            if plain {
                if node.isNull { return "null" }
                if case .value = parseInteger(text) { return text }
                return quoteForMessage(text)
            }
            if case .value = parseInteger(text) {
                return "\(quoteForMessage(text)) (a quoted string; remove the quotes)"
            }
            return quoteForMessage(text)
        }
    }

    enum IntegerParse { case notInteger, outOfRange, value(Int) }

    /// Decimal integer with optional sign; overflow-checked.
    static func parseInteger(_ text: String) -> IntegerParse {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        if bytes.isEmpty { return .notInteger }
        var value = 0
        var overflow = false
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return .notInteger }
            if overflow { continue }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            if o1 || o2 { overflow = true } else { value = s }
        }
        if overflow { return .outOfRange }
        return .value(negative ? -value : value)
    }

    // MARK: Mappings

    /// Validates a mapping's keys (unknown, duplicate, non-string) and returns its entries by key.
    /// A null node is an empty mapping. Returns nil (after reporting) when `node` is not a mapping.
    func mapping(_ node: YNode, path: String, known: [String], elsewhere: [String: String] = [:]) -> [String: (key: YNode, value: YNode)]? {
        if node.isNull { return [:] }
        guard case .mapping(let pairs) = node.value else {
            error(node.mark, path, "expected a mapping, got \(Self.describe(node))")
            return nil
        }
        var result: [String: (key: YNode, value: YNode)] = [:]
        for pair in pairs {
            guard case .scalar(let key, _) = pair.key.value, !pair.key.isNull else {
                error(pair.key.mark, path, "mapping keys must be strings, got \(Self.describe(pair.key))")
                continue
            }
            let keyPath = join(path, key)
            if let first = result[key] {
                error(pair.key.mark, keyPath, "duplicate key (first defined at line \(first.key.mark.line))")
                continue
            }
            guard known.contains(key) else {
                var message = "unknown key"
                var best: (key: String, distance: Int)? = nil
                for candidate in known {
                    let d = editDistance(key, candidate)
                    if d <= 2, d < (best?.distance ?? Int.max) { best = (candidate, d) }
                }
                if let best {
                    message += ", did you mean `\(best.key)`?"
                } else if let hint = elsewhere[key] {
                    message += "; `\(key)` belongs \(hint)"
                } else {
                    message += " (known keys: \(known.joined(separator: ", ")))"
                }
                error(pair.key.mark, keyPath, message)
                continue
            }
            result[key] = pair
        }
        return result
    }

    func join(_ path: String, _ key: String) -> String {
        let plainKey = !key.isEmpty && key.utf8.count <= 64 && key.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
        let shown = plainKey ? key : quoteForMessage(key)
        return path.isEmpty ? shown : path + "." + shown
    }

    // MARK: Scalars

    enum IntRule {
        case nonNegative, positive
        var min: Int { self == .positive ? 1 : 0 }
        var noun: String { self == .positive ? "a positive integer" : "a non-negative integer" }
    }

    func int(_ node: YNode?, _ path: String, _ rule: IntRule, default value: Int) -> Int {
        optionalInt(node, path, rule) ?? value
    }

    func optionalInt(_ node: YNode?, _ path: String, _ rule: IntRule) -> Int? {
        guard let node else { return nil }
        guard case .scalar(let text, plain: true) = node.value, !node.isNull else {
            error(node.mark, path, "expected \(rule.noun), got \(Self.describe(node))")
            return nil
        }
        switch Self.parseInteger(text) {
        case .notInteger:
            error(node.mark, path, "expected \(rule.noun), got \(Self.describe(node))")
            return nil
        case .outOfRange:
            error(node.mark, path, "integer out of range (maximum \(ConfigLoader.maxInteger)), got \(text.utf8.count > 40 ? String(text.prefix(40)) + "…" : text)")
            return nil
        case .value(let v):
            if v < rule.min {
                error(node.mark, path, "expected \(rule.noun), got \(v)")
                return nil
            }
            if v > ConfigLoader.maxInteger {
                error(node.mark, path, "integer out of range (maximum \(ConfigLoader.maxInteger)), got \(v)")
                return nil
            }
            return v
        }
    }

    func bool(_ node: YNode?, _ path: String, default value: Bool) -> Bool {
        guard let node else { return value }
        if case .scalar(let text, plain: true) = node.value, !node.isNull {
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        error(node.mark, path, "expected a boolean (true/false), got \(Self.describe(node))")
        return value
    }

    /// A string scalar (quoted or plain, not null), `${VAR}`-expanded.
    func string(_ node: YNode?, _ path: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let raw, _) = node.value, !node.isNull else {
            error(node.mark, path, "expected a string, got \(Self.describe(node))")
            return nil
        }
        let (value, problems) = EnvExpansion.expand(raw, environment: environment)
        for problem in problems { error(node.mark, path, problem) }
        if !problems.isEmpty { return nil }
        if value.utf8.contains(0) {
            error(node.mark, path, "must not contain a NUL character")
            return nil
        }
        return value
    }

    func nonEmptyString(_ node: YNode?, _ path: String) -> String? {
        guard let node, let value = string(node, path) else { return nil }
        if value.isEmpty {
            error(node.mark, path, "must not be empty")
            return nil
        }
        return value
    }

    func stringList(_ node: YNode?, _ path: String) -> [String]? {
        guard let node else { return nil }
        guard case .sequence(let items) = node.value else {
            error(node.mark, path, "expected a list of strings, got \(Self.describe(node))")
            return nil
        }
        var result: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let s = string(item, "\(path)[\(i)]") { result.append(s) } else { ok = false }
        }
        return ok ? result : nil
    }

    // MARK: Sections

    func decodeRoot(_ root: YNode?) -> GatewayConfig {
        var config = GatewayConfig(path: fileName)
        guard let root, !root.isNull else { return config }
        guard case .mapping = root.value else {
            error(root.mark, "(top level)", "expected a mapping with `server:` and `streams:`, got \(Self.describe(root))")
            return config
        }
        var elsewhere: [String: String] = [:]
        for key in Keys.server { elsewhere[key] = "under `server:`" }
        for key in Keys.stream { elsewhere[key] = "in an item of `streams:`" }
        guard let top = mapping(root, path: "", known: Keys.top, elsewhere: elsewhere) else { return config }
        if let server = top["server"]?.value {
            config.server = decodeServer(server)
        }
        if let streams = top["streams"]?.value {
            config.streams = decodeStreams(streams)
        }
        return config
    }

    func decodeServer(_ node: YNode) -> ServerConfig {
        var s = ServerConfig()
        var elsewhere: [String: String] = [:]
        for key in Keys.stream { elsewhere[key] = "in an item of `streams:`" }
        for key in Keys.auth { elsewhere[key] = "under `server.auth:`" }
        guard let m = mapping(node, path: "server", known: Keys.server, elsewhere: elsewhere) else { return s }

        if let v = m["listen"]?.value, let text = string(v, "server.listen") {
            switch ListenParser.parse(text) {
            case .success(let address): s.listen = address
            case .failure(let e): error(v.mark, "server.listen", e.message)
            }
        }
        if let b = nonEmptyString(m["ffmpeg_binary"]?.value, "server.ffmpeg_binary") { s.ffmpegBinary = b }
        if let v = m["hls_root"]?.value, let text = string(v, "server.hls_root") {
            switch Self.checkHLSRoot(text) {
            case .success(let root):
                s.hlsRoot = root
                if !text.hasPrefix("/") { s.hlsRootGiven = text }
            case .failure(let e): error(v.mark, "server.hls_root", e.message)
            }
        }
        s.supervisorIntervalMs = optionalInt(m["supervisor_interval_ms"]?.value, "server.supervisor_interval_ms", .positive)
        s.minAvailableMB = int(m["min_available_mb"]?.value, "server.min_available_mb", .nonNegative, default: s.minAvailableMB)
        s.maxStreams = int(m["max_streams"]?.value, "server.max_streams", .nonNegative, default: s.maxStreams)
        s.maxConnections = int(m["max_connections"]?.value, "server.max_connections", .positive, default: s.maxConnections)
        if let v = m["log_level"]?.value, let text = string(v, "server.log_level") {
            if let level = LogLevel(rawValue: text.lowercased()) {
                s.logLevel = level
            } else {
                error(v.mark, "server.log_level", "expected one of debug, info, warn, error, got \(quoteForMessage(text))")
            }
        }
        if let origin = string(m["hls_allow_origin"]?.value, "server.hls_allow_origin") { s.hlsAllowOrigin = origin }
        if let v = m["auth"]?.value, !v.isNull { s.auth = decodeAuth(v) }
        if let v = m["ramdisk"]?.value, !v.isNull { s.ramdisk = decodeRamdisk(v) }
        return s
    }

    struct Message: Error { var message: String }

    /// Not "/", no ".." component; "." components and trailing slashes removed. A
    /// relative path (the original's sample has `"./temp/hls"`) is resolved against
    /// the working directory, as the original does.
    static func checkHLSRoot(_ given: String, workingDirectory: () -> String? = currentDirectory) -> Result<String, Message> {
        var text = given
        if !text.hasPrefix("/") {
            guard let cwd = workingDirectory(), cwd.hasPrefix("/") else {
                return .failure(Message(message: "is relative (\(quoteForMessage(given))) and the working directory is unknown"))
            }
            text = cwd + "/" + text
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        text = "/" + components.joined(separator: "/")
        if components.isEmpty {
            return .failure(Message(message: "must not be \"/\" (stream directories are created and deleted under it)"))
        }
        if components.contains("..") {
            return .failure(Message(message: "must not contain a \"..\" component, got \(quoteForMessage(given))"))
        }
        return .success(text)
    }

    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(cString: buffer)
    }

    func decodeAuth(_ node: YNode) -> AuthConfig? {
        guard let m = mapping(node, path: "server.auth", known: Keys.auth) else { return nil }
        var a = AuthConfig()
        a.username = nonEmptyString(m["username"]?.value, "server.auth.username")
        a.password = nonEmptyString(m["password"]?.value, "server.auth.password")
        a.token = nonEmptyString(m["token"]?.value, "server.auth.token")
        a.protectMetrics = bool(m["metrics"]?.value, "server.auth.metrics", default: a.protectMetrics)
        a.protectHLS = bool(m["hls"]?.value, "server.auth.hls", default: a.protectHLS)
        let hasUser = m["username"] != nil, hasPassword = m["password"] != nil, hasToken = m["token"] != nil
        if hasUser != hasPassword {
            error(node.mark, "server.auth", hasUser ? "`username` needs a `password`" : "`password` needs a `username`")
        } else if !hasUser && !hasToken {
            error(node.mark, "server.auth", "set `username` and `password`, or `token` (or remove `auth`)")
        }
        return a
    }

    func decodeRamdisk(_ node: YNode) -> RamdiskConfig? {
        guard let m = mapping(node, path: "server.ramdisk", known: Keys.ramdisk) else { return nil }
        var r = RamdiskConfig()
        r.mount = bool(m["mount"]?.value, "server.ramdisk.mount", default: r.mount)
        r.sizeMB = int(m["size_mb"]?.value, "server.ramdisk.size_mb", .positive, default: r.sizeMB)
        return r
    }

    func decodeStreams(_ node: YNode) -> [StreamConfig] {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.value else {
            error(node.mark, "streams", "expected a list of streams, got \(Self.describe(node))")
            return []
        }
        var streams: [StreamConfig] = []
        var seen: [String: YMark] = [:]
        for (i, item) in items.enumerated() {
            let path = "streams[\(i)]"
            guard let stream = decodeStream(item, path: path, seen: &seen) else { continue }
            streams.append(stream)
        }
        return streams
    }

    static func isValidStreamName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard bytes.count >= 1, bytes.count <= 64 else { return false }
        for c in bytes {
            let ok = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }

    func decodeStream(_ node: YNode, path: String, seen: inout [String: YMark]) -> StreamConfig? {
        if node.isNull {
            error(node.mark, path, "expected a stream mapping (with `name` and `source`), got null")
            return nil
        }
        var elsewhere: [String: String] = [:]
        for key in Keys.retry { elsewhere[key] = "under `retry:`" }
        for key in Keys.server { elsewhere[key] = "under `server:`" }
        guard let m = mapping(node, path: path, known: Keys.stream, elsewhere: elsewhere) else { return nil }
        var ok = true

        var name = ""
        if let v = m["name"]?.value {
            if let text = string(v, "\(path).name") {
                if !Self.isValidStreamName(text) {
                    error(v.mark, "\(path).name", "invalid stream name \(quoteForMessage(text)): use 1-64 characters from A-Z a-z 0-9 _ -")
                    ok = false
                } else if let first = seen[text] {
                    error(v.mark, "\(path).name", "duplicate stream name \(quoteForMessage(text)) (first defined at line \(first.line))")
                    ok = false
                } else {
                    seen[text] = v.mark
                    name = text
                }
            } else { ok = false }
        } else {
            error(node.mark, "\(path).name", "missing required key")
            ok = false
        }

        var source = ""
        if let v = m["source"]?.value {
            if let text = nonEmptyString(v, "\(path).source") { source = text } else { ok = false }
        } else {
            error(node.mark, "\(path).source", "missing required key")
            ok = false
        }

        var s = StreamConfig(name: name, source: source)
        s.autoStart = bool(m["auto_start"]?.value, "\(path).auto_start", default: s.autoStart)
        s.idleTimeout = int(m["idle_timeout"]?.value, "\(path).idle_timeout", .nonNegative, default: s.idleTimeout)
        if let v = m["input_args"]?.value {
            if let list = stringList(v, "\(path).input_args") { s.inputArgs = list }
        }
        if let v = m["output_args"]?.value, let list = stringList(v, "\(path).output_args") {
            s.outputArgs = list
            s.outputArgsGiven = true
            let argsPath = "\(path).output_args"
            if !list.contains(where: { containsSubstring($0, StreamConfig.outputDirPlaceholder) }) {
                error(v.mark, argsPath, "must contain \"{output_dir}\" in some element (where FFmpeg writes the HLS files)")
            }
            let playlists = list.filter { $0.hasSuffix(".m3u8") }
            if playlists.isEmpty {
                error(v.mark, argsPath, "no element ends in \".m3u8\"; exactly one element must be the HLS playlist, e.g. \"{output_dir}/index.m3u8\"")
            } else if playlists.count > 1 {
                error(v.mark, argsPath, "\(playlists.count) elements end in \".m3u8\"; exactly one must (the HLS playlist)")
            } else if lastPathComponent(playlists[0]) == ".m3u8" || playlists[0].hasSuffix("/.m3u8") {
                error(v.mark, argsPath, "the playlist element \(quoteForMessage(playlists[0])) has no file name")
            }
        }
        s.startTimeout = int(m["start_timeout"]?.value, "\(path).start_timeout", .positive, default: s.startTimeout)
        s.stallTimeout = int(m["stall_timeout"]?.value, "\(path).stall_timeout", .positive, default: s.stallTimeout)
        s.startMinSegments = int(m["start_min_segments"]?.value, "\(path).start_min_segments", .positive, default: s.startMinSegments)
        s.killTimeout = int(m["kill_timeout"]?.value, "\(path).kill_timeout", .positive, default: s.killTimeout)
        s.maxStorageMB = optionalInt(m["max_storage_mb"]?.value, "\(path).max_storage_mb", .positive)
        if let v = m["retry"]?.value, let retry = decodeRetry(v, path: "\(path).retry") {
            s.retry = retry
        }
        return ok ? s : nil
    }

    func decodeRetry(_ node: YNode, path: String) -> RetryConfig? {
        guard let m = mapping(node, path: path, known: Keys.retry) else { return nil }
        var r = RetryConfig()
        r.maxAttempts = int(m["max_attempts"]?.value, "\(path).max_attempts", .nonNegative, default: r.maxAttempts)
        r.initialBackoffSec = int(m["initial_backoff_sec"]?.value, "\(path).initial_backoff_sec", .positive, default: r.initialBackoffSec)
        if let v = m["max_backoff_sec"]?.value {
            if let max = optionalInt(v, "\(path).max_backoff_sec", .positive) {
                if max < r.initialBackoffSec {
                    error(v.mark, "\(path).max_backoff_sec", "must be >= initial_backoff_sec (\(r.initialBackoffSec)), got \(max)")
                } else {
                    r.maxBackoffSec = max
                }
            }
        } else {
            r.maxBackoffSec = Swift.max(RetryConfig.defaultMaxBackoffSec, r.initialBackoffSec)
        }
        r.resetAfterSec = int(m["reset_after_sec"]?.value, "\(path).reset_after_sec", .nonNegative, default: r.resetAfterSec)
        return r
    }
}
