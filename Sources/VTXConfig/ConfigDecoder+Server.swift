import VTXSystem

/// The top level and the `server:` section. Each walks its key table
/// (`ConfigKeys.swift`) and a `switch` decodes every key: a key added to a table
/// and not decoded does not compile.
extension ConfigDecoder {
    func decodeRoot(_ root: YNode?) -> GatewayConfig {
        let config = GatewayConfig(path: fileName)
        guard let root, !root.isNull else { return config }
        guard case .mapping = root.value else {
            error(root.mark, "(top level)", "expected a mapping with `server:` and `streams:`, got \(Self.describe(root))")
            return config
        }
        return entries(root, path: "", TopKey.self)?.decode(into: config) { key, v, keyPath, config in
            switch key {
            case .server: config.server = decodeServer(v, path: keyPath)
            case .streams: config.streams = decodeStreams(v, path: keyPath)
            }
        } ?? config
    }

    func decodeServer(_ node: YNode, path: String) -> ServerConfig {
        let decoded = entries(node, path: path, ServerKey.self)?.decode(into: ServerConfig()) { key, v, keyPath, s in
            switch key {
            case .listen:
                guard let text = string(v, keyPath) else { return }
                switch ListenParser.parse(text) {
                case .success(let address): s.listen = address
                case .failure(let e): error(v.mark, keyPath, e.message)
                }
            case .ffmpegBinary:
                if let binary = nonEmptyString(v, keyPath) { s.ffmpegBinary = binary }
            case .hlsRoot:
                guard let text = string(v, keyPath) else { return }
                switch Self.checkHLSRoot(text) {
                case .success(let root):
                    s.hlsRoot = root
                    if !text.hasPrefix("/") { s.hlsRootGiven = text }
                case .failure(let e): error(v.mark, keyPath, e.message)
                }
            case .supervisorIntervalMs: s.supervisorIntervalMs = optionalInt(v, keyPath, .positive)
            case .minAvailableMB: s.minAvailableMB = int(v, keyPath, .nonNegative, default: s.minAvailableMB)
            case .maxStreams: s.maxStreams = int(v, keyPath, .nonNegative, default: s.maxStreams)
            case .maxConnections: s.maxConnections = int(v, keyPath, .positive, default: s.maxConnections)
            case .logLevel:
                guard let text = string(v, keyPath) else { return }
                if let level = LogLevel(rawValue: text.lowercased()) {
                    s.logLevel = level
                } else {
                    error(v.mark, keyPath, "expected one of debug, info, warn, error, got \(quoteForMessage(text))")
                }
            case .hlsAllowOrigin:
                if let origin = string(v, keyPath) { s.hlsAllowOrigin = origin }
            case .auth:
                if !v.isNull { s.auth = decodeAuth(v, path: keyPath) }
            case .ramdisk:
                if !v.isNull { s.ramdisk = decodeRamdisk(v, path: keyPath) }
            }
        }
        return decoded ?? ServerConfig()
    }

    func decodeAuth(_ node: YNode, path: String) -> AuthConfig? {
        guard let m = entries(node, path: path, AuthKey.self) else { return nil }
        let auth = m.decode(into: AuthConfig()) { key, v, keyPath, a in
            switch key {
            case .username: a.username = nonEmptyString(v, keyPath)
            case .password: a.password = nonEmptyString(v, keyPath)
            case .token: a.token = nonEmptyString(v, keyPath)
            case .metrics: a.protectMetrics = bool(v, keyPath, default: a.protectMetrics)
            case .hls: a.protectHLS = bool(v, keyPath, default: a.protectHLS)
            }
        }
        // Written, not valid: an empty password is its own error, not also a missing one.
        let hasUser = m[.username] != nil, hasPassword = m[.password] != nil, hasToken = m[.token] != nil
        if hasUser != hasPassword {
            error(node.mark, path, hasUser ? "`username` needs a `password`" : "`password` needs a `username`")
        } else if !hasUser && !hasToken {
            error(node.mark, path, "set `username` and `password`, or `token` (or remove `auth`)")
        }
        return auth
    }

    func decodeRamdisk(_ node: YNode, path: String) -> RamdiskConfig? {
        entries(node, path: path, RamdiskKey.self)?.decode(into: RamdiskConfig()) { key, v, keyPath, r in
            switch key {
            case .mount: r.mount = bool(v, keyPath, default: r.mount)
            case .sizeMB: r.sizeMB = int(v, keyPath, .positive, default: r.sizeMB)
            }
        }
    }
}
