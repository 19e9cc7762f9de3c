import VTXSystem

/// Loads and validates `vtx-link.yaml`.
///
/// Every problem is reported (not just the first), one line each:
/// `FILE:LINE:COLUMN: KEYPATH: message`, sorted by position. Line and column are
/// 1-based and point at the offending value (at the key for unknown or duplicate
/// keys, at the enclosing mapping for missing required keys).
///
/// The pieces: `ConfigKeys` (every key name, once), `ConfigDecoder` (messages,
/// mappings, scalars) and its `+Server` / `+Streams` sections, `YAMLTree` (libyaml).
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

    /// Reads `path` and parses it. `path` is used as FILE in messages.
    public static func load(path: String,
                            environment: (String) -> String? = ConfigLoader.processEnvironment) -> Result<GatewayConfig, ConfigError> {
        switch Files.contents(of: path, limit: maxFileSize) {
        case .failure(let problem):
            return .failure(ConfigError(messages: ["\(path): \(message(problem))"]))
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

    static func message(_ problem: FileReadError) -> String {
        switch problem {
        case .cannotOpen(let code): return "cannot open: \(errnoDescription(code))"
        case .cannotRead(let code): return "cannot read: \(errnoDescription(code))"
        case .tooLarge: return "file too large (more than \(maxFileSize) bytes)"
        }
    }
}
