// Typed configuration of VTX Link (`vtx-link.yaml`).
//
// The file format is a superset of the original (Rust) VTX Link's YAML: every
// file written for it loads unchanged. Every default is documented on the
// property and available as a `static let default…` constant.

/// The address the HTTP server binds: an IPv4 dotted quad, a bracketed IPv6
/// literal, or all interfaces (`:port`). Hostnames are rejected (no DNS).
public struct ListenAddress: Equatable, CustomStringConvertible {
    /// Numeric host without brackets, e.g. "0.0.0.0", "127.0.0.1", "::1".
    public var host: String
    /// 1–65535.
    public var port: Int
    /// True when `host` is an IPv6 literal.
    public var isIPv6: Bool

    public init(host: String, port: Int, isIPv6: Bool) {
        self.host = host
        self.port = port
        self.isIPv6 = isIPv6
    }

    /// "0.0.0.0:8080" or "[::1]:8080".
    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses "1.2.3.4:80", "[::1]:80" or ":80" (all IPv4 interfaces, host "0.0.0.0").
    /// Returns the error message (without position) on failure.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        ListenParser.parse(text)
    }
}

/// Why a `server.listen` value was rejected.
public struct ListenAddressError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// `server.log_level`.
public enum LogLevel: String, Equatable, CaseIterable {
    case debug, info, warn, error
}

/// `server.auth`: protects the API (and optionally /metrics and HLS).
public struct AuthConfig: Equatable {
    /// `username` — HTTP Basic user; must be given together with `password`.
    public var username: String?
    /// `password` — HTTP Basic password; must be given together with `username`.
    public var password: String?
    /// `token` — Bearer token (`Authorization: Bearer …`).
    public var token: String?
    /// `metrics` (default true) — whether /metrics requires credentials.
    public var protectMetrics: Bool
    /// `hls` (default false) — whether HLS playlists/segments require credentials.
    public var protectHLS: Bool

    public static let defaultProtectMetrics = true
    public static let defaultProtectHLS = false

    public init(username: String? = nil, password: String? = nil, token: String? = nil,
                protectMetrics: Bool = AuthConfig.defaultProtectMetrics,
                protectHLS: Bool = AuthConfig.defaultProtectHLS) {
        self.username = username
        self.password = password
        self.token = token
        self.protectMetrics = protectMetrics
        self.protectHLS = protectHLS
    }
}

/// `server.ramdisk`: let vtx-link mount a tmpfs at `hls_root`.
public struct RamdiskConfig: Equatable {
    /// `mount` (default false) — mount a tmpfs at `hls_root` at startup.
    public var mount: Bool
    /// `size_mb` (default 64, ≥ 1) — tmpfs size in MiB.
    public var sizeMB: Int

    public static let defaultMount = false
    public static let defaultSizeMB = 64

    public init(mount: Bool = RamdiskConfig.defaultMount, sizeMB: Int = RamdiskConfig.defaultSizeMB) {
        self.mount = mount
        self.sizeMB = sizeMB
    }
}

/// The `server:` section.
public struct ServerConfig: Equatable {
    /// `listen` (default "0.0.0.0:8080").
    public var listen: ListenAddress
    /// `ffmpeg_binary` (default "ffmpeg", looked up in PATH).
    public var ffmpegBinary: String
    /// `hls_root` (default "/dev/shm/vtx-hls") — not "/", no `..`; a relative path is
    /// resolved against the working directory; trailing slashes are removed. One
    /// sub-directory per stream. Always absolute here.
    public var hlsRoot: String
    /// The relative `hls_root` as written, when it was relative (logged at start).
    public var hlsRootGiven: String? = nil
    /// `supervisor_interval_ms` (optional, positive) — accepted for compatibility
    /// with the original; informational only (supervision is event-driven).
    public var supervisorIntervalMs: Int?
    /// `min_available_mb` (default 8, ≥ 0) — refuse to start a stream when available
    /// memory (MemAvailable or the cgroup's headroom) would fall below this plus the
    /// stream's expected cost.
    public var minAvailableMB: Int
    /// `max_streams` (default 0 = unlimited) — maximum simultaneously running FFmpeg processes.
    public var maxStreams: Int
    /// `max_connections` (default 512, ≥ 1) — maximum simultaneous HTTP connections.
    public var maxConnections: Int
    /// `log_level` (default info) — debug | info | warn | error.
    public var logLevel: LogLevel
    /// `hls_allow_origin` (default "*") — value of Access-Control-Allow-Origin on HLS responses.
    public var hlsAllowOrigin: String
    /// `auth` (default: absent = no authentication).
    public var auth: AuthConfig?
    /// `ramdisk` (default: absent = vtx-link mounts nothing).
    public var ramdisk: RamdiskConfig?

    public static let defaultListen = ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false)
    public static let defaultFFmpegBinary = "ffmpeg"
    public static let defaultHLSRoot = "/dev/shm/vtx-hls"
    public static let defaultMinAvailableMB = 8
    public static let defaultMaxStreams = 0
    public static let defaultMaxConnections = 512
    public static let defaultLogLevel = LogLevel.info
    public static let defaultHLSAllowOrigin = "*"

    public init(listen: ListenAddress = ServerConfig.defaultListen,
                ffmpegBinary: String = ServerConfig.defaultFFmpegBinary,
                hlsRoot: String = ServerConfig.defaultHLSRoot,
                supervisorIntervalMs: Int? = nil,
                minAvailableMB: Int = ServerConfig.defaultMinAvailableMB,
                maxStreams: Int = ServerConfig.defaultMaxStreams,
                maxConnections: Int = ServerConfig.defaultMaxConnections,
                logLevel: LogLevel = ServerConfig.defaultLogLevel,
                hlsAllowOrigin: String = ServerConfig.defaultHLSAllowOrigin,
                auth: AuthConfig? = nil,
                ramdisk: RamdiskConfig? = nil) {
        self.listen = listen
        self.ffmpegBinary = ffmpegBinary
        self.hlsRoot = hlsRoot
        self.supervisorIntervalMs = supervisorIntervalMs
        self.minAvailableMB = minAvailableMB
        self.maxStreams = maxStreams
        self.maxConnections = maxConnections
        self.logLevel = logLevel
        self.hlsAllowOrigin = hlsAllowOrigin
        self.auth = auth
        self.ramdisk = ramdisk
    }
}

/// `streams[].retry`: restart policy after FFmpeg fails.
public struct RetryConfig: Equatable {
    /// `max_attempts` (default 0 = unlimited, ≥ 0) — consecutive failed starts before giving up.
    public var maxAttempts: Int
    /// `initial_backoff_sec` (default 2, ≥ 1) — delay before the first restart; doubles each failure.
    public var initialBackoffSec: Int
    /// `max_backoff_sec` (default 60, ≥ initial_backoff_sec) — cap of the delay.
    /// When absent and `initial_backoff_sec` > 60, it equals `initial_backoff_sec`.
    public var maxBackoffSec: Int
    /// `reset_after_sec` (default 30, ≥ 0) — after running healthily this long,
    /// the failure counter and backoff are reset.
    public var resetAfterSec: Int

    public static let defaultMaxAttempts = 0
    public static let defaultInitialBackoffSec = 2
    public static let defaultMaxBackoffSec = 60
    public static let defaultResetAfterSec = 30

    public init(maxAttempts: Int = RetryConfig.defaultMaxAttempts,
                initialBackoffSec: Int = RetryConfig.defaultInitialBackoffSec,
                maxBackoffSec: Int = RetryConfig.defaultMaxBackoffSec,
                resetAfterSec: Int = RetryConfig.defaultResetAfterSec) {
        self.maxAttempts = maxAttempts
        self.initialBackoffSec = initialBackoffSec
        self.maxBackoffSec = maxBackoffSec
        self.resetAfterSec = resetAfterSec
    }
}

/// One item of `streams:`.
public struct StreamConfig: Equatable {
    /// `name` (required) — `[A-Za-z0-9_-]{1,64}`, unique; used in URLs and as the HLS sub-directory.
    public var name: String
    /// `source` (required) — input URL or path given to FFmpeg's `-i`.
    public var source: String
    /// `auto_start` (default false) — start at boot and restart after failures; with
    /// `idle_timeout > 0` it is still reclaimed when nobody watches (a pre-warm).
    public var autoStart: Bool
    /// `idle_timeout` (default 30, seconds, ≥ 0) — stop an on-demand stream after this long
    /// without HLS requests; 0 = never reclaimed.
    public var idleTimeout: Int
    /// `input_args` (default []) — FFmpeg arguments placed before `-i source`.
    public var inputArgs: [String]
    /// `output_args` (default `StreamConfig.defaultOutputArgs`) — FFmpeg arguments after the input.
    /// Must contain `{output_dir}` in some element and exactly one element ending in `.m3u8`.
    public var outputArgs: [String] { didSet { playlistName = StreamConfig.playlistName(in: outputArgs) } }
    /// `start_timeout` (default 20, seconds, ≥ 1) — time for the playlist to become ready.
    public var startTimeout: Int
    /// `stall_timeout` (default 15, seconds, ≥ 1) — a running stream whose playlist stops
    /// changing this long is restarted.
    public var stallTimeout: Int
    /// `start_min_segments` (default 3, ≥ 1) — segments the playlist must list before it is
    /// served: Chromium's native HLS fails on a first live playlist with fewer than 3.
    public var startMinSegments: Int
    /// `kill_timeout` (default 3, seconds, ≥ 1) — SIGTERM → SIGKILL grace period.
    public var killTimeout: Int
    /// `max_storage_mb` (optional, ≥ 1) — most MiB the stream's files may take on the
    /// RAM disk; past it FFmpeg is restarted (`storage_limit`). Unset: 30 s of the
    /// stream's own bitrate, at least 4 MiB (`SegmentStore.automaticCapBytes`).
    public var maxStorageMB: Int? = nil
    /// Whether `output_args` was written in the file (else the default is used).
    public var outputArgsGiven = false
    /// `retry` (defaults: see `RetryConfig`).
    public var retry: RetryConfig

    public static let defaultAutoStart = false
    public static let defaultIdleTimeout = 30
    public static let defaultInputArgs: [String] = []
    public static let defaultOutputArgs: [String] = [
        "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
        "-hls_flags", "delete_segments+omit_endlist", "{output_dir}/index.m3u8",
    ]
    public static let defaultStartTimeout = 20
    public static let defaultStallTimeout = 15
    public static let defaultStartMinSegments = 3
    public static let defaultKillTimeout = 3
    /// The placeholder replaced by the stream's HLS directory.
    public static let outputDirPlaceholder = "{output_dir}"

    public init(name: String, source: String,
                autoStart: Bool = StreamConfig.defaultAutoStart,
                idleTimeout: Int = StreamConfig.defaultIdleTimeout,
                inputArgs: [String] = StreamConfig.defaultInputArgs,
                outputArgs: [String] = StreamConfig.defaultOutputArgs,
                startTimeout: Int = StreamConfig.defaultStartTimeout,
                stallTimeout: Int = StreamConfig.defaultStallTimeout,
                startMinSegments: Int = StreamConfig.defaultStartMinSegments,
                killTimeout: Int = StreamConfig.defaultKillTimeout,
                retry: RetryConfig = RetryConfig()) {
        self.name = name
        self.source = source
        self.autoStart = autoStart
        self.idleTimeout = idleTimeout
        self.inputArgs = inputArgs
        self.outputArgs = outputArgs
        self.playlistName = StreamConfig.playlistName(in: outputArgs)
        self.startTimeout = startTimeout
        self.stallTimeout = stallTimeout
        self.startMinSegments = startMinSegments
        self.killTimeout = killTimeout
        self.retry = retry
    }

    /// Last path component of the `output_args` element ending in `.m3u8`
    /// (e.g. "index.m3u8"); "index.m3u8" if there is none. Kept, not computed per
    /// request: every playlist GET compares against it.
    public private(set) var playlistName: String

    static func playlistName(in outputArgs: [String]) -> String {
        for arg in outputArgs where arg.hasSuffix(".m3u8") {
            return lastPathComponent(arg)
        }
        return "index.m3u8"
    }

    /// The full FFmpeg argv: `[binary, "-hide_banner", "-nostdin"] + progressArgs
    /// (unless the config has a `-progress`) + input_args + ["-i", source] + output_args`, with every "{output_dir}" replaced by `outputDir`.
    public static let progressArgs = ["-progress", "pipe:1", "-stats_period", "1"]

    public func ffmpegArguments(binary: String, outputDir: String, output: [String]? = nil) -> [String] {
        let outputArgs = output ?? self.outputArgs
        var argv: [String] = [binary, "-hide_banner", "-nostdin"]
        argv.reserveCapacity(9 + inputArgs.count + outputArgs.count)
        // Progress blocks on stdout once a second (the gateway's frame counters and
        // rate, `InputStats`), unless the config already sends them somewhere.
        if !inputArgs.contains("-progress") && !outputArgs.contains("-progress") {
            argv += StreamConfig.progressArgs
        }
        argv.append(contentsOf: inputArgs)
        argv.append("-i")
        argv.append(source)
        for arg in outputArgs {
            argv.append(replacingAll(arg, StreamConfig.outputDirPlaceholder, with: outputDir))
        }
        return argv
    }
}

/// The whole `vtx-link.yaml`.
public struct GatewayConfig: Equatable {
    /// The file the config was loaded from (as given; the file name used in errors).
    public var path: String
    public var server: ServerConfig
    /// `streams` (default: none).
    public var streams: [StreamConfig]

    public init(path: String, server: ServerConfig = ServerConfig(), streams: [StreamConfig] = []) {
        self.path = path
        self.server = server
        self.streams = streams
    }

    /// The stream named `name`, if any.
    public func stream(named name: String) -> StreamConfig? {
        streams.first { $0.name == name }
    }
}

/// All problems found in a config file, one line each:
/// `FILE:LINE:COLUMN: KEYPATH: message`, sorted by position.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var messages: [String]

    public init(messages: [String]) {
        self.messages = messages
    }

    public var description: String { messages.joined(separator: "\n") }
}

// MARK: - Small string helpers (no Foundation)

/// The part after the last "/" (the whole string if there is none).
func lastPathComponent(_ path: String) -> String {
    if let slash = path.lastIndex(of: "/") {
        return String(path[path.index(after: slash)...])
    }
    return path
}

/// Replaces every occurrence of `target` (non-empty) in `text` by `replacement`.
func replacingAll(_ text: String, _ target: String, with replacement: String) -> String {
    let t = Array(target.utf8)
    guard !t.isEmpty else { return text }
    let s = Array(text.utf8)
    guard s.count >= t.count else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    var found = false
    var i = 0
    while i < s.count {
        if s[i] == t[0], i + t.count <= s.count, s[i..<(i + t.count)].elementsEqual(t) {
            out.append(contentsOf: replacement.utf8)
            i += t.count
            found = true
        } else {
            out.append(s[i])
            i += 1
        }
    }
    return found ? String(decoding: out, as: UTF8.self) : text
}

/// True when `text` contains `needle` (byte-wise).
func containsSubstring(_ text: String, _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    if n.isEmpty { return true }
    let s = Array(text.utf8)
    if s.count < n.count { return false }
    var i = 0
    while i + n.count <= s.count {
        if s[i] == n[0] && s[i..<(i + n.count)].elementsEqual(n) { return true }
        i += 1
    }
    return false
}
