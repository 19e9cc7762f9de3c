/// What making a snapshot needs of an FFmpeg binary, from the same listings as the
/// capability probe (`-decoders`, `-encoders`, `-filters`, `-formats`, `-protocols`).
/// Pure parsing here; `SnapshotSupport` runs the listings off the loop's critical path.
extension FFmpegCapabilities {
    /// The listings a snapshot's check reads, in order.
    public static let snapshotListings = ["-decoders", "-encoders", "-filters", "-formats", "-protocols"]

    /// ` V....D h264   H.264 / AVC…` lines after the ` ------` separator (`-decoders`, `-encoders`).
    static func parse(codecs text: String) -> Set<String> {
        var names: Set<String> = []
        var started = false
        for line in text.split(separator: "\n") {
            let t = line.droppingLeading(" ")
            if t.hasPrefix("---") { started = true; continue }
            let fields = t.split(separator: " ", omittingEmptySubsequences: true)
            if started, fields.count >= 2 { names.insert(String(fields[1])) }
        }
        return names
    }

    /// ` ... scale   V->V   Scale the input…` lines (`-filters`): the name is the field
    /// before the one with `->`.
    static func parse(filters text: String) -> Set<String> {
        var names: Set<String> = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 3, fields[2].contains("->") { names.insert(String(fields[1])) }
        }
        return names
    }

}

/// The few components a snapshot needs, as found in one binary's listings (kept
/// instead of the listings: a full FFmpeg's are ~100 KB of text).
public struct SnapshotComponents: Equatable {
    public var h264 = false, hevc = false, scale = false, mjpegEncoder = false, mjpegMuxer = false, concat = false

    public init() {}

    /// From the outputs of `FFmpegCapabilities.snapshotListings`, in order.
    public init(listings: [String]) {
        guard listings.count == FFmpegCapabilities.snapshotListings.count else { return }
        let decoders = FFmpegCapabilities.parse(codecs: listings[0])
        h264 = decoders.contains("h264")
        hevc = decoders.contains("hevc")
        mjpegEncoder = FFmpegCapabilities.parse(codecs: listings[1]).contains("mjpeg")
        scale = FFmpegCapabilities.parse(filters: listings[2]).contains("scale")
        mjpegMuxer = FFmpegCapabilities.parse(formats: listings[3]).muxers.contains("mjpeg")
        concat = FFmpegCapabilities.parse(protocols: listings[4]).contains("concat")
    }

    /// What is lacking to turn a segment of `video` (FFmpeg's codec name; nil: not
    /// known yet, H.264 assumed) into a JPEG; fMP4 segments need `concat` (init
    /// segment + media segment). Empty: nothing.
    public func missing(video: String?, fmp4: Bool) -> [String] {
        let hevcVideo = video == "hevc" || video == "h265"
        var missing: [String] = []
        if hevcVideo ? !hevc : !h264 { missing.append("decoder " + (hevcVideo ? "hevc" : "h264")) }
        if !scale { missing.append("filter scale") }
        if !mjpegEncoder { missing.append("encoder mjpeg") }
        if !mjpegMuxer { missing.append("muxer mjpeg") }
        if fmp4 && !concat { missing.append("protocol concat") }
        return missing
    }
}
