// libFuzzer target for `ConfigLoader.parse(bytes:fileName:environment:)`
// (VTXConfig): YAML text in, a validated config or a list of errors out.
//
// Any input must give either a config or at least one error, never a crash
// (libyaml runs uninstrumented but under ASan's allocator and interceptors).
// Errors: every message is one line in the documented form
// `FILE:LINE:COLUMN: KEYPATH: message` (or the file-level `FILE: message`),
// line and column >= 1 and within the input, sorted by position.
// Configs: every documented validation holds (ports, absolute hls_root
// without "..", unique valid stream names, one playlist in output_args,
// backoff order, auth pairs, integer range, no NUL), `summary()` works, and
// masking a source with the config's secrets leaves none of them in it.
import FuzzSupport
import VTXConfig

let fileName = "fuzz.yaml"

/// A fixed environment so `${VAR}` expansion is reproducible.
func environment(_ name: String) -> String? {
    switch name {
    case "VTX_PASSWORD": return "s3cr3t-passw0rd"
    case "VTX_TOKEN": return "tok-0123456789"
    case "CAM_URL": return "rtsp://admin:hunter22@10.0.0.5:554/stream1?token=abc123"
    case "PORT": return "8080"
    case "HOME": return "/root"
    case "EMPTY": return ""
    default: return nil
    }
}

var currentInput: [UInt8] = []

func bad(_ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fuzzFail("\(what)\n  input: \(escaped(currentInput, limit: 1200))", file: file, line: line)
}

/// Leading decimal digits of `u` from `i`: (value, index after), nil if none.
func digits(_ u: [UInt8], _ i: Int) -> (Int, Int)? {
    var j = i, v = 0
    while j < u.count, u[j] >= 0x30, u[j] <= 0x39, j - i < 12 {
        v = v * 10 + Int(u[j] - 0x30)
        j += 1
    }
    return j > i ? (v, j) : nil
}

/// Position of a `FILE:LINE:COLUMN: ` message, or nil for the file-level `FILE: ` form.
/// Fails on anything else.
func position(of message: String) -> (line: Int, column: Int)? {
    let u = Array(message.utf8)
    guard let colon = u.firstIndex(of: 0x3A), colon > 0 else { bad("message without `FILE:` prefix: \(escaped(message))") }
    if colon + 1 < u.count, u[colon + 1] == 0x20 { return nil } // FILE: message
    guard let (line, afterLine) = digits(u, colon + 1), afterLine < u.count, u[afterLine] == 0x3A,
          let (column, afterColumn) = digits(u, afterLine + 1),
          afterColumn + 1 < u.count, u[afterColumn] == 0x3A, u[afterColumn + 1] == 0x20
    else { bad("message not in `FILE:LINE:COLUMN: ` form: \(escaped(message))") }
    return (line, column)
}

/// Lines libyaml can count: LF, CR, CRLF, NEL, LS, PS are all breaks.
func lineCountUpperBound(_ u: [UInt8]) -> Int {
    var n = 1
    var i = 0
    while i < u.count {
        switch u[i] {
        case 0x0A, 0x0D: n += 1
        case 0xC2 where i + 1 < u.count && u[i + 1] == 0x85: n += 1
        case 0xE2 where i + 2 < u.count && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9): n += 1
        default: break
        }
        i += 1
    }
    return n + 1 // a mark may sit just past the last line (end of stream)
}

func checkErrors(_ error: ConfigError) {
    if error.messages.isEmpty { bad("failure with no messages") }
    if error.description != error.messages.joined(separator: "\n") { bad("description is not the joined messages") }
    let maxLine = lineCountUpperBound(currentInput)
    var previous = (line: 0, column: 0)
    for message in error.messages {
        if message.utf8.contains(0x0A) || message.utf8.contains(0x0D) { bad("multi-line message: \(escaped(message))") }
        if !message.hasPrefix(fileName) { bad("message does not start with the file name: \(escaped(message))") }
        guard let p = position(of: message) else { continue }
        if p.line < 1 || p.column < 1 { bad("position \(p.line):\(p.column) not 1-based: \(escaped(message))") }
        if p.line > maxLine { bad("line \(p.line) past the end of the input (\(maxLine) lines): \(escaped(message))") }
        if (p.line, p.column) < previous { bad("messages not sorted by position: \(error.messages.map { escaped($0, limit: 80) })") }
        previous = p
    }
}

func isStreamName(_ s: String) -> Bool {
    let u = s.utf8
    return (1...64).contains(u.count) && u.allSatisfy { c in
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }
}

func checkConfig(_ c: GatewayConfig) {
    let s = c.server
    if c.path != fileName { bad("config.path \(escaped(c.path))") }
    if !(1...65535).contains(s.listen.port) { bad("listen port \(s.listen.port)") }
    let root = s.hlsRoot
    if !root.hasPrefix("/") || root == "/" || (root.count > 1 && root.hasSuffix("/")) { bad("hls_root \(escaped(root))") }
    if root.split(separator: "/").contains("..") { bad("hls_root with ..: \(escaped(root))") }
    if s.ffmpegBinary.isEmpty { bad("empty ffmpeg_binary") }
    let ints = [s.minAvailableMB, s.maxStreams, s.maxConnections, s.supervisorIntervalMs ?? 1, s.ramdisk?.sizeMB ?? 1]
    for v in ints where !(0...1_000_000_000).contains(v) { bad("server integer \(v) out of range") }
    if s.maxConnections < 1 { bad("max_connections \(s.maxConnections)") }

    var strings = [s.ffmpegBinary, s.hlsRoot, s.hlsAllowOrigin, s.listen.host]
    var literalSecrets: [String] = []
    if let a = s.auth {
        if (a.username == nil) != (a.password == nil) { bad("auth with only one of username/password") }
        if a.username == nil && a.token == nil { bad("auth with neither credentials nor token") }
        for v in [a.username, a.password, a.token] {
            if let v {
                if v.isEmpty { bad("empty auth value") }
                strings.append(v)
            }
        }
        for v in [a.password, a.token] { if let v { literalSecrets.append(v) } }
    }

    var names = Set<String>()
    for st in c.streams {
        if !isStreamName(st.name) { bad("invalid stream name \(escaped(st.name))") }
        if !names.insert(st.name).inserted { bad("duplicate stream name \(escaped(st.name))") }
        if st.source.isEmpty { bad("empty source for \(st.name)") }
        let playlists = st.outputArgs.filter { $0.hasSuffix(".m3u8") }
        if playlists.count != 1 { bad("\(playlists.count) playlists in output_args of \(st.name)") }
        if !st.outputArgs.contains(where: { $0.contains("{output_dir}") }) { bad("output_args without {output_dir}") }
        let r = st.retry
        if r.maxBackoffSec < r.initialBackoffSec { bad("max_backoff_sec \(r.maxBackoffSec) < initial \(r.initialBackoffSec)") }
        for v in [st.idleTimeout, st.startTimeout, st.stallTimeout, st.startMinSegments, st.killTimeout,
                  r.maxAttempts, r.initialBackoffSec, r.maxBackoffSec, r.resetAfterSec]
            where !(0...1_000_000_000).contains(v) { bad("stream integer \(v) out of range") }
        for v in [st.startTimeout, st.stallTimeout, st.startMinSegments, st.killTimeout, r.initialBackoffSec] where v < 1 {
            bad("positive stream integer is \(v)")
        }
        strings.append(st.source)
        strings.append(contentsOf: st.inputArgs)
        strings.append(contentsOf: st.outputArgs)
        _ = st.ffmpegArguments(binary: s.ffmpegBinary, outputDir: "/dev/shm/vtx-hls/\(st.name)")
        _ = st.playlistName
    }
    for v in strings where v.utf8.contains(0) { bad("NUL in a config string \(escaped(v))") }

    // Secrets: the auth password and token are listed (when long enough to
    // mask), and masking any source with them leaves none of them behind.
    let secrets = c.secrets
    for v in literalSecrets where v.count >= 3 && v != "***" && !secrets.contains(v) {
        bad("secrets(of:) misses \(escaped(v))")
    }
    let checkable = secrets.filter { $0.count >= 3 && !$0.utf8.contains(UInt8(ascii: "*")) }
    for st in c.streams {
        let masked = Array(CredentialMask.mask(st.source, secrets: secrets).utf8)
        for secret in checkable where containsBytes(masked, Array(secret.utf8)) {
            bad("masked source of \(st.name) still contains secret \(escaped(secret))")
        }
    }
    _ = c.summary()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    currentInput = Array(UnsafeBufferPointer(start: start, count: count))
    switch ConfigLoader.parse(bytes: currentInput, fileName: fileName, environment: environment) {
    case .failure(let error): checkErrors(error)
    case .success(let config): checkConfig(config)
    }
    return 0
}
