import VTXConfig
import VTXSystem

/// Checks of a config against the machine it is checked on. Problems here are
/// warnings, not errors: a config may be checked away from its device.
public enum Preflight {
    public static func warnings(_ config: GatewayConfig) -> [String] {
        var out: [String] = []
        let ffmpeg = config.server.ffmpegBinary
        if resolveExecutable(ffmpeg) == nil {
            out.append("ffmpeg_binary \"\(ffmpeg)\" is not an executable on this machine")
        }
        if let caps = FFmpegCapabilities.probe(binary: ffmpeg) {
            for stream in config.streams {
                let missing = caps.missing(for: stream)
                if !missing.isEmpty {
                    out.append("stream \(stream.name): \(ffmpeg) lacks \(missing.joined(separator: ", ")) that its arguments need")
                }
            }
        }
        let root = config.server.hlsRoot
        if Files.isDirectory(root) {
            if access(root, W_OK) != 0 { out.append("hls_root \(root) is not writable here") }
            if let fs = FileSystemInfo.of(root), !fs.isRAM, config.server.ramdisk?.mount != true {
                out.append("hls_root \(root) is on \(fs.typeName), not a RAM disk: segments will wear flash")
            }
        } else {
            var parent = root
            while let slash = parent.lastIndex(of: "/"), !Files.exists(parent) {
                parent = slash == parent.startIndex ? "/" : String(parent[..<slash])
            }
            if access(parent, W_OK) != 0 { out.append("hls_root \(root) does not exist and \(parent) is not writable here") }
        }
        return out
    }

    /// The path `execvp` would run, or nil.
    public static func resolveExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where access(dir + "/" + name, X_OK) == 0 {
            return dir + "/" + name
        }
        return nil
    }
}
