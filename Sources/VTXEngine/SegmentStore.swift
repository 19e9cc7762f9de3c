import VTXSystem

/// The RAM-disk side of a stream: which files of its directory may go, and how much
/// it may hold. FFmpeg keeps every segment unless `delete_segments` is set (the
/// original project's own sample `output_args` do not set it), and on a small
/// device the RAM disk is RAM: the gateway bounds it whatever `output_args` say.
/// Pure decisions; the runtime lists the directory and unlinks.
public enum SegmentStore {
    /// How long a segment the playlist dropped is kept: a player that loaded the
    /// previous playlist may still fetch it.
    public static func graceMs(targetDurationSec: Double) -> Int64 {
        max(4_000, Int64(2 * targetDurationSec * 1000))
    }

    /// What a stream's files take once its window is full: its bitrate times the
    /// window (at least the default 6 segments of the target), the grace, and the
    /// segment being written.
    public static func steadyBytes(listedBytes: Int, listedSeconds: Double, targetSec: Double) -> Int {
        guard listedSeconds > 0 else { return 0 }
        let rate = Double(listedBytes) / listedSeconds
        let seconds = max(listedSeconds, 6 * targetSec) + Double(graceMs(targetDurationSec: targetSec)) / 1000 + targetSec
        return Int(rate * seconds)
    }

    /// The automatic cap (`max_storage_mb` unset): 30 s of the stream's own bitrate
    /// (bytes of the listed segments over their duration), at least 4 MiB. The
    /// default relay keeps ~6 s listed plus the grace, so this is 2–4× what it needs.
    public static let automaticFloorBytes = 4 << 20
    public static let automaticSeconds = 30.0

    public static func automaticCapBytes(listedBytes: Int, listedSeconds: Double) -> Int {
        guard listedSeconds > 0 else { return automaticFloorBytes }
        let rate = Double(listedBytes) / listedSeconds
        return max(automaticFloorBytes, Int(rate * automaticSeconds))
    }
}

/// What one stream's files take on the RAM disk, measured at each sweep. Pure: the
/// runtime lists the directory, hands the listing over, and unlinks what it says.
public struct StorageMeter {
    /// Bytes left after the last sweep, and the most seen (kB).
    public private(set) var bytes = 0
    public private(set) var peakKB = 0
    /// The cap in force at the last sweep (`max_storage_mb`, or the automatic one).
    public private(set) var capBytes = SegmentStore.automaticFloorBytes
    /// What the files will take once the window is full (from the bitrate), kB.
    public private(set) var projectedKB = 0
    /// Files removed because the playlist no longer listed them.
    public private(set) var removed = 0
    /// Bytes of the files each playlist listed for the first time (complete segments
    /// and init segments), all runs: what FFmpeg wrote, which with `-c copy` is the
    /// source's copied streams plus the container's overhead (MPEG-TS: ~2–10 %).
    public private(set) var segmentBytes = 0
    /// Bits per second of the segments the last playlist listed (bytes over their
    /// `#EXTINF` durations); 0 before the first.
    public private(set) var listedBitrate = 0
    /// What the last playlist listed, and when each file it dropped since was dropped.
    /// Only files a playlist once listed are ever removed: nothing else in the
    /// directory (a segment being written, a file put there on purpose) is touched.
    private var listedBefore: Set<String> = []
    private var droppedAtMs: [String: Int64] = [:]

    public init() {}

    /// A sweep after a playlist rewrite: the files to remove — listed before, no longer
    /// listed, dropped more than the grace ago — and a description of the overrun
    /// when what is left is over the cap.
    public mutating func sweep(_ files: [Files.Entry], playlist text: String, nowMs: Int64,
                               maxStorageMB: Int?) -> (remove: [Files.Entry], overCap: String?) {
        let listed = Playlist.listedFiles(text)
        let window = Playlist.durations(text)
        for name in listedBefore.subtracting(listed) where droppedAtMs[name] == nil { droppedAtMs[name] = nowMs }
        for name in listed { droppedAtMs[name] = nil }   // listed again (a playlist rewound)
        let new = listed.subtracting(listedBefore)
        segmentBytes += files.reduce(0) { $0 + (new.contains($1.name) ? $1.bytes : 0) }
        listedBefore = listed
        let grace = SegmentStore.graceMs(targetDurationSec: window.target)
        let gone = files.filter { f in droppedAtMs[f.name].map { nowMs - $0 >= grace } ?? false }
        let kept = Set(files.map(\.name)).subtracting(gone.map(\.name))
        droppedAtMs = droppedAtMs.filter { kept.contains($0.key) }   // forget what is gone
        removed += gone.count
        bytes = files.reduce(0) { $0 + $1.bytes } - gone.reduce(0) { $0 + $1.bytes }
        peakKB = max(peakKB, (bytes + 1023) / 1024)
        let listedBytes = files.reduce(0) { $0 + (listed.contains($1.name) ? $1.bytes : 0) }
        listedBitrate = window.total > 0 ? Int(Double(listedBytes) * 8 / window.total) : 0
        capBytes = maxStorageMB.map { $0 << 20 }
            ?? SegmentStore.automaticCapBytes(listedBytes: listedBytes, listedSeconds: window.total)
        projectedKB = min(capBytes, SegmentStore.steadyBytes(listedBytes: listedBytes, listedSeconds: window.total,
                                                             targetSec: window.target)) / 1024
        guard bytes > capBytes else { return (gone, nil) }
        let detail = "\(files.count - gone.count) files, \(bytes / 1024) KiB on the RAM disk, over the cap of \(capBytes / 1024) KiB"
            + (maxStorageMB == nil ? " (30 s of the stream's bitrate; set max_storage_mb)" : " (max_storage_mb)")
        return (gone, detail)
    }

    /// The directory was removed (the process ended).
    public mutating func cleared() {
        bytes = 0
        listedBitrate = 0
        listedBefore = []
        droppedAtMs = [:]
    }

    /// What the steady state still needs beyond what the files take now, kB.
    public var growthKB: Int { max(0, projectedKB - bytes / 1024) }
}
