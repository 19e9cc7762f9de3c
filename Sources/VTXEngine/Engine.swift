import VTXConfig
import VTXLoop
import VTXSystem

/// All streams of a config: the RAM disk, admission (memory guard, max_streams),
/// state-change fan-out and shutdown. One per gateway, on the loop's thread.
public final class Engine {
    public let loop: EventLoop
    public internal(set) var config: GatewayConfig
    public let root: HLSRoot
    public var memoryGuard: MemoryGuard
    public internal(set) var streams: [StreamRuntime] = [] { didSet { nameIndex = streams.map { ($0.name, $0) } } }
    /// `streams` by name, for `stream(_:)` (asked per HLS request). Read without an
    /// exclusivity check (63 instructions each, one more per stream through its
    /// replaceable config); only `streams` writes it, on the loop's thread.
    @exclusivity(unchecked) private var nameIndex: [(name: String, stream: StreamRuntime)] = []
    var byName: [String: StreamRuntime] = [:]
    /// Streams removed by a reload whose FFmpeg is still stopping.
    var retiring: [StreamRuntime] = []
    var secrets: [String]
    /// Refused starts by reason (`vtx_spawn_rejections_total`).
    public private(set) var rejections: [String: Int] = [:]
    /// Called on every state change of any stream (SSE, dashboard).
    public var onStateChange: ((StreamRuntime, StreamPhase, StreamPhase, StreamReason) -> Void)?
    /// From the first `shutdown` on: no start is admitted any more.
    public private(set) var isShuttingDown = false
    /// What `shutdown` calls once no child is left.
    var shutdownDone: (() -> Void)?
    var shutdownTimer: LoopTimer?
    /// Snapshots of running streams (`SnapshotMaker`).
    public private(set) lazy var snapshots = SnapshotMaker(engine: self)

    public init(loop: EventLoop, config: GatewayConfig) {
        self.loop = loop
        self.config = config
        self.root = HLSRoot(path: config.server.hlsRoot)
        self.memoryGuard = MemoryGuard(minAvailableMB: config.server.minAvailableMB)
        self.secrets = VTXConfig.secrets(of: config)
        for s in config.streams {
            let runtime = StreamRuntime(config: s, engine: self)
            streams.append(runtime)
            byName[s.name] = runtime
        }
        nameIndex = streams.map { ($0.name, $0) }   // observers do not run in init
    }

    /// Asked per HLS request. Up to a few streams, comparing names costs less than
    /// hashing the one asked for; beyond, the dictionary does.
    public func stream(_ name: String) -> StreamRuntime? {
        guard nameIndex.count <= 8 else { return byName[name] }
        for entry in nameIndex where entry.name == name { return entry.stream }
        return nil
    }

    /// How FFmpeg is started: through our own binary's parent-death step when the
    /// executable is vtx-link (it is not in unit tests of the engine).
    public var wrapChild: ([String]) -> [String] = { argv in
        ParentDeath.selfExecutable?.hasSuffix("/vtx-link") == true ? ParentDeath.wrap(argv) : argv
    }

    /// Masks credentials in anything that leaves the process.
    public func mask(_ text: String) -> String { CredentialMask.mask(text, secrets: secrets) }

    /// Prepares the RAM disk, clears what a killed predecessor left, starts auto_start streams.
    public func boot() throws(HLSRoot.PrepareError) {
        let inherited = InheritedDescriptors.markCloseOnExec()
        if inherited > 0 { Log.debug("engine", "\(inherited) inherited descriptor(s) marked close-on-exec: FFmpeg does not get them") }
        let ramdisk = config.server.ramdisk
        try root.prepare(mountSizeMB: ramdisk?.mount == true ? ramdisk?.sizeMB : nil)
        _ = root.killSurvivors(ffmpegBinary: config.server.ffmpegBinary)
        root.removeStale(keeping: Set(byName.keys))
        for s in streams { root.removeDirectory(of: s.name) }
        for s in streams { s.boot() }
    }

    public var runningCount: Int { streams.reduce(0) { $0 + ($1.pid != nil ? 1 : 0) } }

    /// nil when `stream` may spawn now; else why not.
    func admission(for stream: StreamRuntime) -> SpawnRefusal? {
        if isShuttingDown { return .shuttingDown }
        let max = config.server.maxStreams
        let active = streams.reduce(0) { $0 + ($1.process != nil ? 1 : 0) }
        if max > 0 && active >= max {
            return SpawnRefusal(reason: .maxStreams, detail: "max_streams \(max) reached", retryAfterSec: 10)
        }
        // Its own cost, plus room for the running streams' windows still filling up.
        let growth = streams.reduce(0) { $0 + ($1 === stream ? 0 : $1.storageGrowthKB) }
        let cost = MemoryGuard.plannedCostKB(own: stream.plannedCostKB, others: streams.map(\.plannedCostKB)) + growth
        if case .refused(let reason, let retry) = memoryGuard.check(expectedCostKB: cost) {
            return SpawnRefusal(reason: .memory, detail: reason, retryAfterSec: retry)
        }
        return nil
    }

    /// While no start of this FFmpeg binary has been measured, the guard has nothing to
    /// plan with: first starts go one at a time (three unmeasured first requests at
    /// once in a 32 MB cgroup were an OOM kill). Another stream's start waits here —
    /// it is not refused — until the running one is measured or ends, or its own
    /// start_timeout passes.
    func mustWaitForAMeasurement(_ stream: StreamRuntime) -> Bool {
        guard streams.allSatisfy({ $0.expectedCostKB == 0 }) else { return false }
        return streams.contains { $0 !== stream && $0.process != nil }
    }

    /// Streams whose start waits for a measurement (see `mustWaitForAMeasurement`).
    var waitingForMeasurement: [StreamRuntime] = []

    /// A measurement arrived or a process ended: let the waiting starts try again.
    func admissionChanged() {
        guard !waitingForMeasurement.isEmpty else { return }
        let waiting = waitingForMeasurement
        waitingForMeasurement = []
        for s in waiting { s.resumeDeferredStart() }
    }

    func countRejection(_ r: StreamRejection) { rejections[r.rawValue, default: 0] += 1 }

    func stateChanged(_ s: StreamRuntime, from: StreamPhase, to: StreamPhase, reason: StreamReason) {
        onStateChange?(s, from, to, reason)
    }

    func processEnded(_ s: StreamRuntime) {
        defer { admissionChanged() }
        if let i = retiring.firstIndex(where: { $0 === s }) {
            retiring.remove(at: i)
            s.close()
            root.removeDirectory(of: s.name)
        }
        if isShuttingDown && allProcessesGone { finishShutdown() }
    }

    var allProcessesGone: Bool { (streams + retiring).allSatisfy { $0.process == nil } }

    /// Stops every stream (SIGTERM, SIGKILL after its kill_timeout), removes their
    /// directories, and calls `done` when no child is left.
    public func shutdown(done: @escaping () -> Void) {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        shutdownDone = done
        snapshots.shutdown()
        for s in streams where s.process != nil || s.phase == .backoff { s.shutdown() }
        if allProcessesGone { finishShutdown(); return }
        let grace = Int64(streams.map(\.config.killTimeout).max() ?? 3) * 1000 + 500
        shutdownTimer = LoopTimer(loop) { [unowned self] in
            for s in self.streams + self.retiring { if let p = s.process { p.signalGroup(SIGKILL) } }
        }
        shutdownTimer?.start(afterMs: grace)
    }

    func finishShutdown() {
        shutdownTimer?.close()
        shutdownTimer = nil
        for s in streams {
            s.answerWaiters(.unavailable(.refused(.shuttingDown)))
            s.close()
            root.removeDirectory(of: s.name)
        }
        let done = shutdownDone
        shutdownDone = nil
        done?()
    }
}
