import VTXConfig

/// What a source sends, as FFmpeg's own input report says it
/// (`  Stream #0:1: Audio: pcm_alaw, 8000 Hz, mono, s16, 64 kb/s`).
public struct SourceProfile: Equatable {
    public var video: String?
    public var audio: String?

    public init(video: String? = nil, audio: String? = nil) {
        self.video = video
        self.audio = audio
    }

    /// Reads the `Stream #0:N…: Video|Audio: codec…` lines of FFmpeg's input report.
    /// The first video and the first audio stream count (FFmpeg's default mapping).
    public mutating func read(line: Substring) {
        guard let stream = line.firstRange(of: "Stream #0:") else { return }
        let rest = line[stream.upperBound...]
        for (kind, isVideo) in [(": Video: ", true), (": Audio: ", false)] {
            guard let r = rest.firstRange(of: kind) else { continue }
            let codec = String(rest[r.upperBound...].prefix { $0 != " " && $0 != "," && $0 != "(" })
            guard !codec.isEmpty else { continue }
            if isVideo { if video == nil { video = codec } } else if audio == nil { audio = codec }
        }
    }

    /// The input report is over once FFmpeg describes its output or mapping.
    public static func reportEnds(_ line: Substring) -> Bool {
        line.hasPrefix("Output #0") || line.hasPrefix("Stream mapping:")
    }
}

/// The output chosen for a stream whose `output_args` are omitted: what plays in
/// HLS players, from what the source sends. Explicit `output_args` are used as written.
///
/// - H.264 (or anything but HEVC) in MPEG-TS segments; HEVC in fMP4 segments tagged
///   `hvc1` (Apple's HLS specification; FFmpeg's copy default `hev1` does not play
///   in Safari, and no browser plays HEVC in MPEG-TS).
/// - AAC and MP3 audio copied; G.711 (`pcm_alaw`, `pcm_mulaw`), Opus and anything
///   else HLS players lack transcoded to AAC, 16 kHz mono (cheap: a few % of a core),
///   or dropped with a note when the FFmpeg binary has no AAC encoder.
public struct OutputPlan: Equatable {
    public var args: [String]
    /// Why, in words, for the API, the dashboard and the log.
    public var reason: String
    /// Things the operator should know (audio dropped, a long keyframe interval…).
    public var notes: [String] = []

    /// The base of every chosen output: 1 s segments (a segment is never shorter than
    /// the camera's GOP, so this is the shortest any camera gives), a window of 6.
    static let hlsArgs = ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                          "-hls_flags", "delete_segments+omit_endlist"]
    static let playlist = "{output_dir}/index.m3u8"
    static let copyAudio: Set<String> = ["aac", "mp3"]
    static let aacArgs = ["-c:a", "aac", "-ar", "16000", "-ac", "1", "-b:a", "32k"]

    public static func choose(_ p: SourceProfile, aacEncoder: Bool = true) -> OutputPlan {
        var args: [String] = ["-c:v", "copy"]
        var why: [String] = []
        var notes: [String] = []
        let hevc = p.video == "hevc" || p.video == "h265"
        if hevc {
            args += ["-tag:v", "hvc1"]
            why.append("H.265 video copied into fMP4 segments tagged hvc1")
        } else {
            why.append((p.video.map { $0 == "h264" ? "H.264" : $0 } ?? "video") + " copied into MPEG-TS segments")
        }
        switch p.audio {
        case nil:
            args.append("-an")
        case let codec? where copyAudio.contains(codec):
            args += ["-c:a", "copy"]
            why.append(codec.uppercased() + " audio copied")
        case let codec?:
            if aacEncoder {
                args += aacArgs
                why.append("\(codec) audio transcoded to AAC 16 kHz mono (HLS players do not play \(codec))")
            } else {
                args.append("-an")
                notes.append("\(codec) audio dropped: HLS players do not play it and this FFmpeg has no AAC encoder")
            }
        }
        args += hlsArgs
        if hevc { args += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"] }
        args.append(playlist)
        return OutputPlan(args: args, reason: why.joined(separator: "; "), notes: notes)
    }

    /// Whether the default `output_args` (`-c copy` into MPEG-TS) already play this source.
    public static func defaultPlays(_ p: SourceProfile) -> Bool {
        !(p.video == "hevc" || p.video == "h265") && (p.audio.map { copyAudio.contains($0) } ?? true)
    }

    /// The note for a camera whose keyframe interval is longer than the segment target:
    /// segments are cut at keyframes only, so the first picture waits for 3 of them.
    public static func keyframeNote(longestSegmentSec: Double, minSegments: Int) -> String? {
        guard longestSegmentSec >= 1.5 else { return nil }
        let gop = Int(longestSegmentSec.rounded())
        return "camera keyframe interval ~\(gop) s: first picture ≥ \(gop * minSegments) s; set its I-frame interval to 1 s"
    }
}

extension Substring {
    var droppingLeadingSpaces: Substring { drop { $0 == " " } }
}

/// One stream's choice of output over its life: reads FFmpeg's input report on the
/// first run with `output_args` omitted, keeps the plan for later starts, and
/// replans without AAC when the binary turns out to have no AAC encoder. Pure:
/// the runtime feeds it stderr and carries out what it says.
public struct OutputChooser {
    public private(set) var profile: SourceProfile?
    public private(set) var plan: OutputPlan?
    public private(set) var isReading = false
    private var linesRead = 0
    private var aacEncoderMissing = false
    /// A report longer than this is not coming: keep what runs.
    static let maxReportLines = 200

    public init() {}

    /// At each spawn: the output arguments to run (nil: the config's own), and
    /// whether to read this run's report.
    public mutating func spawning(explicit: Bool) -> [String]? {
        linesRead = 0
        isReading = !explicit && plan == nil
        if isReading { profile = SourceProfile() }
        return explicit ? nil : plan?.args
    }

    /// Reads the lines `ring` got since the last call. Once the input report ends:
    /// the plan, and whether the running (default) output must be replaced by it.
    public mutating func read(_ ring: StderrRing) -> (plan: OutputPlan, restart: Bool)? {
        let fresh = ring.committedLines - linesRead
        guard isReading, fresh > 0, var p = profile else { return nil }
        linesRead = ring.committedLines
        var ended = linesRead > Self.maxReportLines
        for line in ring.lastComplete(fresh) {
            p.read(line: line[...])
            if SourceProfile.reportEnds(line[...].droppingLeadingSpaces) { ended = true; break }
        }
        profile = p
        guard ended else { return nil }
        isReading = false
        let chosen = OutputPlan.choose(p, aacEncoder: !aacEncoderMissing)
        plan = chosen
        return (chosen, !OutputPlan.defaultPlays(p))
    }

    /// The process ended with `tail` as its last stderr lines. An FFmpeg without an
    /// AAC encoder refuses `-c:a aac` at once: the new plan drops the audio instead.
    public mutating func exited(tail: [String]) -> OutputPlan? {
        guard let current = plan, let p = profile, !aacEncoderMissing, current.args.contains("aac"),
              tail.contains(where: { $0.contains("Unknown encoder") || $0.contains("Encoder not found") })
        else { return nil }
        aacEncoderMissing = true
        plan = OutputPlan.choose(p, aacEncoder: false)
        return plan
    }
}
