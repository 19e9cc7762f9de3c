/// One block of FFmpeg's `-progress` output: `key=value` lines ending with
/// `progress=continue` (or `end`, FFmpeg's last block). Fields FFmpeg writes as
/// `N/A`, or that do not parse, are nil.
///
/// What the numbers are (FFmpeg 5.1, `fftools/ffmpeg.c` `print_report`): `frame`,
/// `fps`, `drop_frames`, `dup_frames` count the video frames written to the output —
/// with `-c copy` every frame read from the source; `total_size` and `bitrate` are
/// the output file's, which the HLS muxer does not have (always `N/A` for HLS).
public struct ProgressReport: Equatable {
    public var frame: Int?
    public var fps: Double?
    public var bitrateKbps: Double?
    public var totalSize: Int?
    public var outTimeUs: Int64?
    public var dropFrames: Int?
    public var dupFrames: Int?
    public var speed: Double?
    /// `progress=end`: FFmpeg is finishing.
    public var isEnd = false

    public init() {}
}

/// Incremental, bounded parser of FFmpeg's `-progress` stream: chunks may split
/// lines anywhere; a line longer than `maxLine` is dropped whole; a block that never
/// ends is bounded by `maxKeysPerBlock` (then started afresh). Never traps on input.
public struct ProgressParser {
    public static let maxLine = 128
    public static let maxKeysPerBlock = 64

    var line: [UInt8] = []
    var overlong = false
    var block = ProgressReport()
    var keys = 0
    /// Lines dropped as overlong, and blocks dropped as unterminated (for tests).
    public private(set) var dropped = 0

    public init() { line.reserveCapacity(ProgressParser.maxLine) }

    /// Feeds a chunk; `report` gets each block completed by it, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ report: (ProgressReport) -> Void) {
        for byte in bytes {
            switch byte {
            case 10:   // LF ends a line
                if overlong { dropped += 1 } else if let done = take(line) { report(done) }
                line.removeAll(keepingCapacity: true)
                overlong = false
            case 13:
                continue   // CRLF (never written by FFmpeg on Linux, harmless)
            default:
                if line.count < ProgressParser.maxLine { line.append(byte) } else { overlong = true }
            }
        }
    }

    /// One complete line: a field of the block, or the `progress=` that ends it.
    mutating func take(_ line: [UInt8]) -> ProgressReport? {
        guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let key = String(decoding: line[..<eq], as: UTF8.self)
        let value = String(decoding: line[(eq + 1)...], as: UTF8.self).trimmingSpaces
        keys += 1
        if keys > ProgressParser.maxKeysPerBlock {
            dropped += 1
            block = ProgressReport()
            keys = 0
            return nil
        }
        switch key {
        case "frame": block.frame = Int(value).flatMap { $0 >= 0 ? $0 : nil }
        case "fps": block.fps = ProgressParser.number(value)
        case "bitrate": block.bitrateKbps = ProgressParser.number(value, unit: "kbits/s")
        case "total_size": block.totalSize = Int(value).flatMap { $0 >= 0 ? $0 : nil }
        case "out_time_us": block.outTimeUs = Int64(value)
        case "drop_frames": block.dropFrames = Int(value).flatMap { $0 >= 0 ? $0 : nil }
        case "dup_frames": block.dupFrames = Int(value).flatMap { $0 >= 0 ? $0 : nil }
        case "speed": block.speed = ProgressParser.number(value, unit: "x")
        case "progress":
            var done = block
            done.isEnd = value == "end"
            block = ProgressReport()
            keys = 0
            return done
        default: break   // stream_0_0_q, out_time_ms, out_time…
        }
        return nil
    }

    /// A finite, non-negative decimal, without its unit suffix; nil for `N/A` or junk.
    static func number(_ text: String, unit: String = "") -> Double? {
        var t = Substring(text)
        if !unit.isEmpty {
            guard t.hasSuffix(unit) else { return nil }
            t = t.dropLast(unit.count)
        }
        guard let v = Double(t.trimmingSpaces), v.isFinite, v >= 0 else { return nil }
        return v
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces (FFmpeg pads `speed=   0x`).
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
