// Every key of `vtx-link.yaml`, each name written once. A mapping's keys are
// checked against its table (unknown and duplicate keys, "did you mean", "belongs
// under" hints), its values are looked up by case, and each message's key path is
// built from the case. Declaration order is the order of "known keys" lists and
// wins "did you mean" ties.

/// The keys of one mapping of the file.
protocol ConfigKeys: RawRepresentable, CaseIterable, Hashable where RawValue == String {
    /// The names, in declaration order.
    static var names: [String] { get }
    /// Where these keys belong, for the hint given when one is written elsewhere.
    static var place: String { get }
    /// The tables whose keys are often misplaced into this mapping; a later table's
    /// hint wins over an earlier one's.
    static var neighbours: [any ConfigKeys.Type] { get }
}

extension ConfigKeys {
    static var names: [String] { allCases.map(\.rawValue) }
    static var neighbours: [any ConfigKeys.Type] { [] }
}

/// The top level.
enum TopKey: String, ConfigKeys {
    case server, streams
    static let place = "at the top level"
    static var neighbours: [any ConfigKeys.Type] { [ServerKey.self, StreamKey.self] }
}

/// `server:`.
enum ServerKey: String, ConfigKeys {
    case listen, ffmpegBinary = "ffmpeg_binary", hlsRoot = "hls_root"
    case supervisorIntervalMs = "supervisor_interval_ms", minAvailableMB = "min_available_mb"
    case maxStreams = "max_streams", maxConnections = "max_connections", logLevel = "log_level"
    case hlsAllowOrigin = "hls_allow_origin", auth, ramdisk
    static let place = "under `server:`"
    static var neighbours: [any ConfigKeys.Type] { [StreamKey.self, AuthKey.self] }
}

/// `server.auth:`.
enum AuthKey: String, ConfigKeys {
    case username, password, token, metrics, hls
    static let place = "under `server.auth:`"
}

/// `server.ramdisk:`.
enum RamdiskKey: String, ConfigKeys {
    case mount, sizeMB = "size_mb"
    static let place = "under `server.ramdisk:`"
}

/// An item of `streams:`.
enum StreamKey: String, ConfigKeys {
    case name, source, autoStart = "auto_start", idleTimeout = "idle_timeout"
    case inputArgs = "input_args", outputArgs = "output_args"
    case startTimeout = "start_timeout", stallTimeout = "stall_timeout", startMinSegments = "start_min_segments"
    case killTimeout = "kill_timeout", retry, maxStorageMB = "max_storage_mb"
    static let place = "in an item of `streams:`"
    static var neighbours: [any ConfigKeys.Type] { [RetryKey.self, ServerKey.self] }

    /// Without these an item is dropped.
    static let required: Set<StreamKey> = [.name, .source]
    /// The nested `retry:` mapping is decoded after the item's own values, so that
    /// messages at one position (YAML aliases share one) keep their order.
    static let decodingOrder = allCases.filter { $0 != .retry } + [.retry]
}

/// `streams[].retry:`.
enum RetryKey: String, ConfigKeys {
    case maxAttempts = "max_attempts", initialBackoffSec = "initial_backoff_sec"
    case maxBackoffSec = "max_backoff_sec", resetAfterSec = "reset_after_sec"
    static let place = "under `retry:`"
}
