import VTXLoop
import VTXSystem

/// Snapshots of running streams: one snapshot FFmpeg at a time gateway-wide (requests
/// queue, bounded), each through the memory guard, with a deadline that SIGKILLs a
/// hung one; the JPEG is cached on the RAM disk until the stream lists a newer
/// segment (or restarts). Owns the snapshot FFmpeg, its timer and the component probe.
public final class SnapshotMaker {
    unowned let engine: Engine
    /// A snapshot FFmpeg that has not finished by then is killed.
    public static let timeoutMs: Int64 = 10_000
    /// Requests waiting beyond the one being made: more get `busy`.
    public static let maxQueued = 8
    /// Widths cached per stream (the dashboard's and one other).
    static let cachedWidths = 2
    /// The memory a snapshot FFmpeg is planned to take (peak private memory of one
    /// 1080p H.264 snapshot with Debian's FFmpeg, single-threaded; ffmpeg-lite.md).
    public static let plannedCostKB = 24 * 1024

    struct Key: Equatable { var pid: Int32; var segment: String; var width: Int }
    struct Entry { var key: Key; var path: String }
    struct Job {
        let stream: StreamRuntime
        let key: Key
        let input: String
        var replies: [(SnapshotOutcome) -> Void]
    }
    struct Running {
        let job: Job
        let process: ChildProcess
        let timer: LoopTimer
        let partPath: String
        let startedMs: Int64
    }

    var cache: [String: [Entry]] = [:]
    var queue: [Job] = []
    var running: Running?
    var stderr = StderrRing(maxLines: 4, maxBytes: 1024)
    var timedOut = false
    /// Made (FFmpeg run), answered from the cache, failed, refused: `vtx_snapshots_total`.
    public private(set) var counts: [String: Int] = [:]
    /// Milliseconds the last snapshot FFmpeg took.
    public private(set) var lastDurationMs: Int64?

    /// The components of `probedBinary`, once its listings are read.
    var components: SnapshotComponents?
    var probedBinary = ""
    var probe: SnapshotProbe?
    var loggedMissing: Set<String> = []

    init(engine: Engine) { self.engine = engine }

    /// A JPEG `width` pixels wide of the newest complete segment of `s`.
    public func snapshot(of s: StreamRuntime, width: Int, reply: @escaping (SnapshotOutcome) -> Void) {
        guard s.phase == .running, let pid = s.pid else { return reply(.unavailable(.notRunning(s.phase))) }
        guard let text = s.currentPlaylist?.text, let newest = SnapshotPlan.newestSegment(text) else {
            return reply(.unavailable(.noSegment))
        }
        let key = Key(pid: pid, segment: newest.segment, width: width)
        if let hit = cache[s.name]?.first(where: { $0.key == key }), access(hit.path, F_OK) == 0 {
            count("cached")
            return reply(.ready(path: hit.path))
        }
        if let i = queue.firstIndex(where: { $0.stream === s && $0.key == key }) { return queue[i].replies.append(reply) }
        guard queue.count < SnapshotMaker.maxQueued else { count("busy"); return reply(.unavailable(.busy)) }
        let input = SnapshotPlan.input(directory: s.directory, segment: newest.segment, map: newest.map)
        queue.append(Job(stream: s, key: key, input: input, replies: [reply]))
        pump()
    }

    /// Starts the next job when nothing runs; reads the binary's components first.
    func pump() {
        guard running == nil, probe == nil, !queue.isEmpty else { return }
        let binary = engine.config.server.ffmpegBinary
        guard let components, probedBinary == binary else {
            let p = SnapshotProbe(engine.loop, binary: binary, wrap: engine.wrapChild) { [unowned self] found in
                self.probe = nil
                self.components = found
                self.probedBinary = binary
                self.pump()
            }
            probe = p
            p.start()
            return
        }
        let job = queue.removeFirst()
        let fmp4 = job.input.hasPrefix("concat:")
        let missing = components.missing(video: job.stream.output.profile?.video, fmp4: fmp4)
        if !missing.isEmpty {
            let detail = "\(binary) cannot make snapshots: no " + missing.joined(separator: ", no ")
            if loggedMissing.insert(detail).inserted { Log.warn("snapshot", detail + " (tools/build-ffmpeg-lite --snapshots builds them)") }
            return finish(job, .unavailable(.unsupported(detail: detail)), "unsupported")
        }
        if engine.isShuttingDown { return finish(job, .unavailable(.refused(.shuttingDown)), "refused") }
        if case .refused(let reason, let retry) = engine.memoryGuard.check(expectedCostKB: SnapshotMaker.plannedCostKB) {
            Log.warn("snapshot", "stream[\(job.stream.name)] snapshot refused: \(reason)")
            return finish(job, .unavailable(.refused(SpawnRefusal(reason: .memory, detail: reason, retryAfterSec: retry))), "refused")
        }
        spawn(job, binary: binary)
    }

    func spawn(_ job: Job, binary: String) {
        let part = job.stream.directory + "/.snapshot-\(job.key.width).jpg.part"
        let argv = SnapshotPlan.arguments(binary: binary, input: job.input, width: job.key.width, output: part)
        stderr.reset()
        timedOut = false
        let result = ChildProcess.spawn(engine.loop, arguments: engine.wrapChild(argv), onStderr: { [unowned self] chunk in
            self.stderr.append(chunk)
        }, onExit: { [unowned self] status, sig in
            self.exited(status: status, signal: sig)
        })
        switch result {
        case .failure(let error):
            finish(job, .unavailable(.failed(detail: "\(binary): \(error)")), "failed")
        case .success(let child):
            let timer = LoopTimer(engine.loop) { [unowned self] in
                self.timedOut = true
                self.running?.process.signalGroup(SIGKILL)
            }
            timer.start(afterMs: SnapshotMaker.timeoutMs)
            running = Running(job: job, process: child, timer: timer, partPath: part, startedMs: MonotonicClock.nowMs())
        }
    }

    func exited(status: Int64, signal sig: Int32) {
        guard let r = running else { return }
        running = nil
        r.timer.close()
        lastDurationMs = MonotonicClock.nowMs() - r.startedMs
        let path = r.job.stream.directory + "/.snapshot-\(r.job.key.width).jpg"
        var st = stat()
        if status == 0, sig == 0, stat(r.partPath, &st) == 0, st.st_size > 0, rename(r.partPath, path) == 0 {
            remember(Entry(key: r.job.key, path: path), of: r.job.stream.name)
            finish(r.job, .ready(path: path), "made")
        } else if r.job.stream.pid != r.job.key.pid {
            // The stream stopped (its directory went) while the picture was being made.
            unlink(r.partPath)
            finish(r.job, .unavailable(.notRunning(r.job.stream.phase)), "failed")
        } else {
            unlink(r.partPath)
            let why = timedOut ? "no picture within \(SnapshotMaker.timeoutMs / 1000) s (killed)"
                : (sig != 0 ? "FFmpeg killed by signal \(sig)" : "FFmpeg exited with status \(status)")
            let last = stderr.lastLine.map { ": " + engine.mask($0) } ?? ""
            Log.warn("snapshot", "stream[\(r.job.stream.name)] " + why + last)
            finish(r.job, .unavailable(.failed(detail: why + last)), "failed")
        }
        pump()
    }

    func remember(_ entry: Entry, of stream: String) {
        var list = cache[stream, default: []].filter { $0.key.width != entry.key.width }
        list.append(entry)
        while list.count > SnapshotMaker.cachedWidths { unlink(list.removeFirst().path) }
        cache[stream] = list
    }

    func finish(_ job: Job, _ outcome: SnapshotOutcome, _ result: String) {
        count(result)
        for reply in job.replies { reply(outcome) }
        if running == nil { pump() }
    }

    func count(_ result: String) { counts[result, default: 0] += 1 }

    /// Shutdown: the running snapshot is killed, the waiting ones refused.
    func shutdown() {
        running?.process.signalGroup(SIGKILL)
        let waiting = queue
        queue = []
        for job in waiting { finish(job, .unavailable(.refused(.shuttingDown)), "refused") }
    }

    /// Whether a snapshot FFmpeg (or a probe) still runs.
    var isIdle: Bool { running == nil && probe == nil }
}

/// Reads the snapshot components of one binary: its listings one after another
/// (`FFmpegCapabilities.snapshotListings`), stdout bounded, without blocking the loop.
final class SnapshotProbe {
    let loop: EventLoop
    let binary: String
    let wrap: ([String]) -> [String]
    let done: (SnapshotComponents) -> Void
    var listings: [String] = []
    var output: [UInt8] = []
    static let maxListingBytes = 256 * 1024

    init(_ loop: EventLoop, binary: String, wrap: @escaping ([String]) -> [String], done: @escaping (SnapshotComponents) -> Void) {
        self.loop = loop
        self.binary = binary
        self.wrap = wrap
        self.done = done
    }

    func start() { next() }

    func next() {
        guard listings.count < FFmpegCapabilities.snapshotListings.count else {
            return done(SnapshotComponents(listings: listings))
        }
        output = []
        let flag = FFmpegCapabilities.snapshotListings[listings.count]
        let argv = [Preflight.resolveExecutable(binary) ?? binary, "-hide_banner", flag]
        let result = ChildProcess.spawn(loop, arguments: wrap(argv), onStdout: { [self] chunk in
            if self.output.count < SnapshotProbe.maxListingBytes { self.output.append(contentsOf: chunk) }
        }, onExit: { [self] _, _ in   // strong: the probe lives until its last listing
            self.listings.append(String(decoding: self.output, as: UTF8.self))
            self.output = []
            self.next()
        })
        if case .failure(let error) = result {
            Log.warn("snapshot", "cannot run \(binary) \(flag): \(error)")
            done(SnapshotComponents())
        }
    }
}
