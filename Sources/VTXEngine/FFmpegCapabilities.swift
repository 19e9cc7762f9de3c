import VTXConfig
import VTXSystem

/// What an FFmpeg binary can read and write, asked once per binary by `--check`
/// (`ffmpeg -hide_banner -formats` and `-protocols`). Never on the daemon's path:
/// `HelperProcess.run` blocks, which only the one-shot check may do.
public struct FFmpegCapabilities {
    public var demuxers: Set<String> = []
    public var muxers: Set<String> = []
    public var inputProtocols: Set<String> = []

    public static func probe(binary: String) -> FFmpegCapabilities? {
        guard let formats = capture(binary, "-formats"), let protocols = capture(binary, "-protocols") else { return nil }
        var caps = parse(formats: formats)
        caps.inputProtocols = parse(protocols: protocols)
        return caps.demuxers.isEmpty ? nil : caps
    }

    static func capture(_ binary: String, _ flag: String) -> String? {
        guard let path = Preflight.resolveExecutable(binary),
              let finished = HelperProcess.run([path, "-hide_banner", flag]) else { return nil }
        return String(decoding: finished.output, as: UTF8.self)
    }

    /// ` DE mov,mp4,m4a  QuickTime / MOV` lines after the `--` separator.
    static func parse(formats text: String) -> FFmpegCapabilities {
        var caps = FFmpegCapabilities()
        var started = false
        for line in text.split(separator: "\n") {
            if line.droppingLeading(" ").hasPrefix("--") { started = true; continue }
            guard started, line.count > 4 else { continue }
            let flags = Array(line.prefix(4))
            let fields = line.dropFirst(4).split(separator: " ", omittingEmptySubsequences: true)
            guard let names = fields.first else { continue }
            for name in names.split(separator: ",") {
                if flags.contains("D") { caps.demuxers.insert(String(name)) }
                if flags.contains("E") { caps.muxers.insert(String(name)) }
            }
        }
        return caps
    }

    static func parse(protocols text: String) -> Set<String> {
        var inInput = false
        var out: Set<String> = []
        for line in text.split(separator: "\n") {
            let t = line.droppingLeading(" ")
            if t.hasPrefix("Input:") { inInput = true; continue }
            if t.hasPrefix("Output:") { inInput = false; continue }
            if inInput && !t.isEmpty { out.insert(String(t)) }
        }
        return out
    }

    /// What a stream's arguments need that this binary lacks (empty: all there).
    public func missing(for stream: StreamConfig) -> [String] {
        var needs: [String] = []
        if let f = FFmpegCapabilities.formatFlag(stream.inputArgs) {
            if !demuxers.contains(f) { needs.append("demuxer \(f)") }
        }
        let scheme = stream.source.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        if stream.source.contains("://") {
            switch scheme {
            case "rtsp", "rtsps":
                if !demuxers.contains("rtsp") { needs.append("demuxer rtsp") }
            case "rtmp", "rtmps":
                if !inputProtocols.contains(scheme) { needs.append("protocol \(scheme)") }
                if !demuxers.contains("flv") { needs.append("demuxer flv") }
            default:
                if !inputProtocols.contains(scheme) { needs.append("protocol \(scheme)") }
            }
        }
        if let f = FFmpegCapabilities.formatFlag(stream.outputArgs), !muxers.contains(f) { needs.append("muxer \(f)") }
        return needs
    }

    /// The value of the first `-f` in an argument list.
    static func formatFlag(_ args: [String]) -> String? {
        guard let i = args.firstIndex(of: "-f"), i + 1 < args.count else { return nil }
        return args[i + 1]
    }
}

extension Substring {
    func droppingLeading(_ c: Character) -> Substring {
        var s = self
        while s.first == c { s.removeFirst() }
        return s
    }
}
