/// What a stream's FFmpeg says about the frames it relays, from its `-progress`
/// blocks (on its stdout): counters summed over every run of the stream (they never
/// go down, as Prometheus counters must) and the current rate. Pure: the runtime
/// feeds it chunks.
///
/// The rate is this gateway's, not FFmpeg's `fps=` (which is the run's average since
/// its start): frames between two blocks over the time between them.
public struct InputStats {
    /// Video frames written (with `-c copy`: read from the source), all runs.
    public var frames: Int { base.frames + run.frames }
    /// FFmpeg's `drop_frames` and `dup_frames`, all runs (0 for a `-c copy` relay,
    /// which never drops or duplicates: they count only when video is re-timed).
    public var droppedFrames: Int { base.dropped + run.dropped }
    public var duplicatedFrames: Int { base.dup + run.dup }
    /// Frames per second over the last progress period; nil when no FFmpeg runs or
    /// it has not reported twice yet.
    public private(set) var fps: Double?
    /// FFmpeg's `speed` (1.0: real time).
    public private(set) var speed: Double?
    /// When the frame count last advanced (monotonic ms), this run.
    public private(set) var lastFrameAtMs: Int64?
    /// Progress blocks received (all runs).
    public private(set) var reports = 0

    struct Counts { var frames = 0, dropped = 0, dup = 0 }
    var base = Counts()
    var run = Counts()
    var previous: (frame: Int, atMs: Int64)?
    var parser = ProgressParser()

    public init() {}

    /// A chunk of FFmpeg's stdout.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, nowMs: Int64) {
        var blocks: [ProgressReport] = []
        parser.feed(chunk) { blocks.append($0) }
        for b in blocks { apply(b, nowMs: nowMs) }
    }

    public mutating func apply(_ r: ProgressReport, nowMs: Int64) {
        reports += 1
        speed = r.speed
        if let frame = r.frame {
            if frame < run.frames { runEnded() }   // a count that went back: a new run
            if frame > run.frames { lastFrameAtMs = nowMs }
            if let p = previous, nowMs > p.atMs {
                fps = Double(frame - p.frame) * 1000 / Double(nowMs - p.atMs)
            }
            previous = (frame, nowMs)
            run.frames = frame
        }
        if let d = r.dropFrames, d >= run.dropped { run.dropped = d }
        if let d = r.dupFrames, d >= run.dup { run.dup = d }
        if r.isEnd { fps = nil }
    }

    /// The FFmpeg exited: its counts join the totals; the rate is gone.
    public mutating func runEnded() {
        base.frames += run.frames
        base.dropped += run.dropped
        base.dup += run.dup
        run = Counts()
        previous = nil
        fps = nil
        speed = nil
        lastFrameAtMs = nil
        parser = ProgressParser()
    }
}
