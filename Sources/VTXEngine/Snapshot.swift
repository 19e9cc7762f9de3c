/// How a snapshot request ends, in the engine's words; VTXWeb's `HTTPFailure`
/// chooses what a client sees.
public enum SnapshotOutcome: Equatable {
    /// A JPEG of the newest complete segment's first picture: this file on the RAM disk.
    case ready(path: String)
    case unavailable(SnapshotUnavailability)
}

public enum SnapshotUnavailability: Equatable {
    /// The stream has no running FFmpeg; none is started just for a snapshot.
    case notRunning(StreamPhase)
    /// Running, but no complete segment listed yet.
    case noSegment
    /// This FFmpeg binary cannot make one (what it lacks).
    case unsupported(detail: String)
    /// The memory guard (or shutdown) refused the snapshot's FFmpeg.
    case refused(SpawnRefusal)
    /// Too many snapshots waiting for the one snapshot FFmpeg.
    case busy
    /// The snapshot FFmpeg failed or was killed at its deadline.
    case failed(detail: String)
}

/// Pure parts of a snapshot: which segment, and the command that turns it into a JPEG.
public enum SnapshotPlan {
    /// Widths a client may ask for (`?width=`), and the default (the dashboard's).
    public static let widths = 64...1920
    public static let defaultWidth = 320

    /// The newest media segment a playlist lists (the last URI: FFmpeg lists a
    /// segment once it is complete) and the init segment (`#EXT-X-MAP`) in force
    /// for it, as names in the stream directory.
    public static func newestSegment(_ text: some StringProtocol) -> (segment: String, map: String?)? {
        var map: String?, segment: String?
        let mapTag = Array("#EXT-X-MAP:".utf8), uriKey = Array("URI=\"".utf8)
        for line in Playlist.lines(text) {
            if line.first == UInt8(ascii: "#") {
                guard line.starts(with: mapTag), let r = line.firstRange(of: uriKey) else { continue }
                map = fileName(line[r.upperBound...].prefix { $0 != UInt8(ascii: "\"") })
            } else {
                segment = fileName(line)
            }
        }
        return segment.map { ($0, map) }
    }

    static func fileName(_ uri: Substring.UTF8View.SubSequence) -> String? {
        var u = uri
        if let q = u.firstIndex(of: UInt8(ascii: "?")) { u = u[..<q] }
        if let slash = u.lastIndex(of: UInt8(ascii: "/")) { u = u[u.index(after: slash)...] }
        guard !u.isEmpty, !u.contains(UInt8(ascii: "|")) else { return nil }   // `|` would split concat:
        return String(u)
    }

    /// FFmpeg's input for a segment: the file, or init + segment through `concat:` (fMP4).
    public static func input(directory: String, segment: String, map: String?) -> String {
        guard let map else { return directory + "/" + segment }
        return "concat:" + directory + "/" + map + "|" + directory + "/" + segment
    }

    /// One keyframe decoded (`-skip_frame nokey`: a segment starts with one, the
    /// decoder skips the rest), single-threaded (each decoder thread would hold frames
    /// of its own: memory), scaled to `width` but never up (height even, aspect
    /// kept; the quotes keep the comma from splitting the filtergraph), one JPEG.
    public static func arguments(binary: String, input: String, width: Int, output: String) -> [String] {
        [binary, "-hide_banner", "-nostdin", "-loglevel", "error",
         "-threads", "1", "-skip_frame", "nokey", "-i", input,
         "-map", "0:v:0", "-an", "-frames:v", "1", "-vf", "scale='min(\(width),iw)':-2", "-q:v", "5",
         "-f", "mjpeg", "-y", output]
    }
}
