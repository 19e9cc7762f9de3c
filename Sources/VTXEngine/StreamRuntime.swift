import VTXConfig
import VTXLoop
import VTXSystem

/// The driver of one stream: owns its FFmpeg process, the inotify watch on its
/// directory, its single timer and the requests waiting for its playlist, and
/// carries out what its `StreamMachine` decides. Every state change goes through
/// `perform(_:)`.
public final class StreamRuntime {
    public internal(set) var config: StreamConfig
    unowned let engine: Engine
    public internal(set) var machine: StreamMachine
    var process: ChildProcess?
    var watch: FSWatch?
    var timer: LoopTimer?
    public private(set) var stderr = StderrRing()
    /// Frames and rate from FFmpeg's `-progress` blocks on its stdout.
    public private(set) var input = InputStats()
    /// The last stderr line of the attempt before this one, for a start timeout that
    /// falls before the current attempt has said anything.
    var previousAttemptsLastLine: String?

    struct Waiter {
        var deadline: Int64
        var reply: (PlaylistOutcome) -> Void
    }
    var waiters: [Waiter] = []
    /// The guards' answer to the latest start that reached them: nil if it was let
    /// through. Answers the requests that start leaves without a playlist.
    var refusal: SpawnRefusal?

    public internal(set) var bytesServed = 0
    /// Client address → last request (ms): viewers = addresses seen in the last 10 s.
    var recentClients: [String: Int64] = [:]
    /// The address `recentClients` was last updated for, and when.
    var lastClient: (peer: String, ms: Int64) = ("", Int64.min / 2)
    /// Largest VmHWM seen for this stream's FFmpeg (shown by the API).
    public private(set) var peakRSSKB = 0
    /// Largest private memory seen for this stream's FFmpeg: its expected cost at the
    /// next start (`MemoryGuard.expectedCostKB`).
    public private(set) var expectedCostKB = 0
    var lastSampleMs: Int64 = 0
    /// The command line of the last spawn: a reload restarts a running stream only if it changed.
    var lastArguments: [String] = []

    init(config: StreamConfig, engine: Engine) {
        self.config = config
        self.engine = engine
        let wallOffset = WallClock.nowMs() - MonotonicClock.nowMs()
        machine = StreamMachine(policy: StreamRuntime.policy(config), wallClockOffsetMs: wallOffset)
    }

    static func policy(_ c: StreamConfig) -> StreamPolicy {
        StreamPolicy(
            idleTimeoutMs: Int64(c.idleTimeout) * 1000, autoStart: c.autoStart,
            startTimeoutMs: Int64(c.startTimeout) * 1000, stallTimeoutMs: Int64(c.stallTimeout) * 1000,
            startMinSegments: c.startMinSegments, killTimeoutMs: Int64(c.killTimeout) * 1000,
            maxAttempts: c.retry.maxAttempts, initialBackoffMs: Int64(c.retry.initialBackoffSec) * 1000,
            maxBackoffMs: Int64(c.retry.maxBackoffSec) * 1000, resetAfterMs: Int64(c.retry.resetAfterSec) * 1000)
    }

    public var name: String { config.name }
    public var phase: StreamPhase { machine.phase }
    public var pid: Int32? { machine.pid }
    public var directory: String { engine.root.directory(of: name) }
    public var playlistPath: String { directory + "/" + config.playlistName }

    /// Opens `file` of the stream's directory (`open(2)` flags; -1 and errno on failure).
    public func openFile(_ file: String, flags: Int32) -> Int32 {
        Files.openJoined(engine.root.path, name, file, flags: flags)
    }
    var subject: String { "stream[\(name)]" }

    // MARK: requests

    /// A player asked for the playlist: it counts as viewing, and starts FFmpeg if
    /// the stream is idle. Returns the outcome when it is known now (the stream runs,
    /// or cannot start); nil when it is not yet — then call `awaitPlaylist` at once.
    /// Answering a running stream's poll takes no closure (its context and captures
    /// cost ~900 instructions a request).
    @_optimize(speed) public func requestPlaylist(peer: String) -> PlaylistOutcome? {
        let now = MonotonicClock.nowMs()
        noteClient(peer, now: now)
        // On a running stream a demand only moves the idle deadline later, and the
        // timer armed for the earlier one re-arms itself when it fires (as after a
        // segment request): no timer work per playlist poll.
        let actions = machine.demand(now: now)
        if !actions.isEmpty { perform(actions) }
        switch machine.phase {
        case .running:
            return .ready(currentPlaylist)
        case .backoff where (machine.retryAt ?? 0) > now + startTimeoutMs, .failed, .idle:
            // Nothing to wait for (given up, or the start was refused just now), or the
            // next try comes after this request would have given up: say so now.
            return abortOutcome()
        case .starting, .backoff, .stopping:
            return nil
        }
    }

    /// The reply to the request `requestPlaylist` could not answer: when the stream
    /// is ready, or gives up, or `start_timeout` passes.
    public func awaitPlaylist(reply: @escaping (PlaylistOutcome) -> Void) {
        waiters.append(Waiter(deadline: MonotonicClock.nowMs() + startTimeoutMs, reply: reply))
        armTimer()
    }

    var startTimeoutMs: Int64 { Int64(config.startTimeout) * 1000 }

    /// A segment (or other file) request: counts as viewing.
    public func noteAccess(peer: String, bytes: Int) {
        let now = MonotonicClock.nowMs()
        machine.accessed(now: now)
        noteClient(peer, now: now)
        bytesServed += bytes
    }

    public func addServedBytes(_ n: Int) { bytesServed += n }

    func noteClient(_ peer: String, now: Int64) {
        // A player asks for a playlist and its segments from one address, many
        // times a second when many players share it (a NAT, a cache): the same
        // address within a second keeps its time, without a hash per request.
        if peer == lastClient.peer && now - lastClient.ms < 1_000 { return }
        lastClient = (peer, now)
        recentClients[peer] = now
        if recentClients.count > 64 { pruneClients(now) }
    }

    func pruneClients(_ now: Int64) {
        recentClients = recentClients.filter { now - $0.value < 10_000 }
    }

    /// Distinct client addresses in the last 10 s.
    public var viewers: Int {
        let now = MonotonicClock.nowMs()
        return recentClients.values.reduce(0) { $0 + (now - $1 < 10_000 ? 1 : 0) }
    }

    public var failureText: String {
        let reason = machine.failureReason?.rawValue ?? "failed"
        if let message = machine.failureMessage { return engine.mask(reason + ": " + message) }
        return reason
    }

    // MARK: operator

    public func start() -> StreamCommandResult { command(machine.operatorStart(now: MonotonicClock.nowMs())) }
    public func stop() -> StreamCommandResult { command(machine.operatorStop(now: MonotonicClock.nowMs())) }
    public func restart() -> StreamCommandResult { command(machine.operatorRestart(now: MonotonicClock.nowMs())) }
    func shutdown() { perform(machine.shutdown(now: MonotonicClock.nowMs())) }

    func command(_ outcome: StreamCommandOutcome) -> StreamCommandResult {
        perform(outcome.actions)
        return outcome.result
    }

    func boot() { perform(machine.boot(now: MonotonicClock.nowMs())) }

    // MARK: the one executor

    /// Carries out the machine's actions in order, then re-arms the one timer.
    func perform(_ actions: [StreamAction]) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .stateChanged(let from, let to, let reason):
                Log.info(subject, "\(from.rawValue) → \(to.rawValue) (\(reason.rawValue))")
                engine.stateChanged(self, from: from, to: to, reason: reason)
            case .spawn:
                queue.append(contentsOf: spawn())
            case .terminate(let pid):
                sampleMemory(pid: pid)
                signal(pid, SIGTERM)
            case .kill(let pid):
                Log.warn(subject, "FFmpeg pid \(pid) ignored SIGTERM for \(config.killTimeout) s: SIGKILL")
                signal(pid, SIGKILL)
            case .ready:
                previousAttemptsLastLine = nil
                answerWaiters(.ready(currentPlaylist))
            case .abortWaiters(let reason):
                answerWaiters(abortOutcome(reason))
            case .cleanDirectory:
                watch?.close()
                watch = nil
                currentPlaylist = nil
                storage.cleared()
                engine.root.removeDirectory(of: name)
            }
        }
        armTimer()
    }

    /// What a request gets when there is no playlist for it: the one place each
    /// outcome is built. `reason`: why the machine let the waiting requests go; nil for
    /// a request answered on arrival.
    func abortOutcome(_ reason: StreamReason? = nil) -> PlaylistOutcome {
        let why: Unavailability
        switch reason {
        case .startTimeout?:
            // FFmpeg's last word: this attempt's, or (when the deadline falls just after a
            // retry's spawn, before it printed anything) the failed attempt's before it.
            let last = (stderr.lastLine ?? previousAttemptsLastLine).map { ": " + engine.mask($0) } ?? ""
            why = .timedOut(detail: "no playlist within \(config.startTimeout) s" + last)
        case .stoppedByOperator?:
            why = .stopped
        case .shutdown?:
            why = .refused(.shuttingDown)
        case _ where machine.phase == .failed:
            why = .failed(detail: failureText)
        case nil where machine.phase == .backoff:
            why = .backoff(detail: failureText, retryInSec: retryInSec ?? 1)
        case nil, .rejectedMemory?, .rejectedMaxStreams?, .rejectedShuttingDown?:
            // Idle on arrival: the start this request asked for was refused just now.
            why = refusal.map(Unavailability.refused) ?? .notStarted
        case let reason?:
            why = .startFailed(reason: reason, detail: failureText, retryInSec: retryInSec)
        }
        return .unavailable(why)
    }

    /// Whole seconds (at least 1) until the machine's next try, if one is planned.
    var retryInSec: Int? {
        machine.retryAt.map { Int(max(1, ($0 - MonotonicClock.nowMs() + 999) / 1000)) }
    }

    func answerWaiters(_ outcome: PlaylistOutcome) {
        let pending = waiters
        waiters = []
        for waiter in pending { waiter.reply(outcome) }
    }

    func signal(_ pid: Int32, _ sig: Int32) {
        if let process, process.pid == pid { process.signalGroup(sig) } else { kill(-pid, sig) }
    }

    // MARK: spawning

    /// Guards, then `uv_spawn`. Returns what the machine says about the outcome.
    func spawn() -> [StreamAction] {
        let now = MonotonicClock.nowMs()
        if !engine.isShuttingDown, engine.mustWaitForAMeasurement(self) {
            // The machine stays in `starting` without a pid (its start timeout runs);
            // the engine calls `resumeDeferredStart` when a measurement arrives.
            if !engine.waitingForMeasurement.contains(where: { $0 === self }) {
                engine.waitingForMeasurement.append(self)
                Log.info(subject, "start waits: the first start of this FFmpeg is being measured")
            }
            return []
        }
        refusal = engine.admission(for: self)
        if let refusal {
            engine.countRejection(refusal.reason)
            Log.warn(subject, "start refused: \(refusal.detail)")
            return machine.spawnRejected(refusal.reason, detail: refusal.detail, now: now)
        }
        currentPlaylist = nil
        let rc = engine.root.resetDirectory(of: name)
        if rc != 0 {
            return machine.spawnFailed(message: "cannot create \(directory): \(errnoDescription(rc))", now: now)
        }
        previousAttemptsLastLine = stderr.lastLine ?? previousAttemptsLastLine
        stderr.reset()
        let chosen = output.spawning(explicit: config.outputArgsGiven)
        let argv = config.ffmpegArguments(binary: engine.config.server.ffmpegBinary, outputDir: directory, output: chosen)
        lastArguments = argv
        // The parent-death step execs FFmpeg itself; a missing binary must still be a
        // spawn failure, not a crash of the step.
        guard Preflight.resolveExecutable(argv[0]) != nil else {
            Log.error(subject, "cannot start \(argv[0]): no such executable")
            return machine.spawnFailed(message: "\(argv[0]): no such executable", now: now)
        }
        Log.debug(subject, "spawn: " + engine.mask(argv.joined(separator: " ")))
        let result = ChildProcess.spawn(engine.loop, arguments: engine.wrapChild(argv), onStderr: { [weak self] chunk in
            guard let self else { return }
            self.stderr.append(chunk)
            if self.output.isReading { self.readInputReport() }
        }, onStdout: { [weak self] chunk in
            self?.input.feed(chunk, nowMs: MonotonicClock.nowMs())
        }, onExit: { [weak self] status, sig in
            self?.exited(status: status, signal: sig)
        })
        switch result {
        case .failure(let error):
            Log.error(subject, "cannot start \(argv[0]): \(error)")
            return machine.spawnFailed(message: "\(argv[0]): \(error)", now: now)
        case .success(let child):
            process = child
            engine.root.writePid(child.pid, of: name)
            do {
                watch = try FSWatch(engine.loop, path: directory) { [weak self] file in self?.directoryChanged(file) }
            } catch {
                Log.warn(subject, "cannot watch \(directory): \(error); relying on the start timeout")
            }
            Log.info(subject, "FFmpeg started, pid \(child.pid)")
            return machine.spawned(pid: child.pid, now: now)
        }
    }

    /// A start that waited for a measurement tries again (if it still wants to).
    func resumeDeferredStart() {
        guard machine.phase == .starting, machine.pid == nil else { return }
        perform(spawn())
    }

    func exited(status: Int64, signal sig: Int32) {
        guard let child = process else { return }
        process = nil
        input.runEnded()
        if let plan = output.exited(tail: stderr.tail(8)) {
            for note in plan.notes { Log.warn(subject, note) }
        }
        engine.root.removePid(of: name)
        let now = MonotonicClock.nowMs()
        let tail = stderr.tail(StreamHistory.stderrLines).map { engine.mask($0) }
        Log.info(subject, "FFmpeg pid \(child.pid) exited" + (sig != 0 ? " on signal \(sig)" : " with status \(status)"))
        perform(machine.exited(pid: child.pid, code: sig == 0 ? Int32(truncatingIfNeeded: status) : nil,
                               signal: sig == 0 ? nil : sig, stderrTail: tail, now: now))
        engine.processEnded(self)
    }

    /// The playlist as FFmpeg last wrote it whole (`Playlist.isWhole`), answered from
    /// memory: refreshed at each inotify event of the playlist, dropped with the
    /// directory (each start, each clean-up). nil: none read whole yet; the file is served.
    private(set) var currentPlaylist: Playlist.Copy?

    /// inotify: FFmpeg wrote into the stream directory. Only the playlist matters.
    func directoryChanged(_ file: String?) {
        guard let file, file == config.playlistName else { return }
        let now = MonotonicClock.nowMs()
        guard let copy = Playlist.read(atPath: playlistPath) else { return }
        // Before the machine hears of it: `.ready` answers the waiters from this copy.
        if Playlist.isWhole(copy.bytes) { currentPlaylist = copy }
        let text = copy.text
        let segments = Playlist.segmentCount(text)
        guard segments > 0 else { return }
        if now - lastSampleMs > 5_000, let pid { sampleMemory(pid: pid) }
        if phase == .starting {
            // Before the change to running is announced, so the dashboard gets the note with it.
            keyframeNote = OutputPlan.keyframeNote(longestSegmentSec: Playlist.durations(text).total / Double(segments),
                                                   minSegments: config.startMinSegments)
            if let note = keyframeNote, segments >= config.startMinSegments { Log.info(subject, note) }
        }
        perform(machine.playlistChanged(segments: segments, now: now))
        sweepDirectory(playlist: text, now: now)
    }

    // MARK: the output, chosen from the source

    /// With `output_args` omitted: the output chosen from what the source sends.
    public private(set) var output = OutputChooser()
    /// The camera's keyframe interval is longer than the segment target.
    public private(set) var keyframeNote: String?

    /// What the operator should know about this stream's camera and output.
    public var notes: [String] { (output.plan?.notes ?? []) + (keyframeNote.map { [$0] } ?? []) }

    /// New stderr lines while FFmpeg's input report comes: once it ends, the output
    /// is chosen, and FFmpeg restarted at once when the running default does not play
    /// (G.711, Opus, HEVC): one extra RTSP session, on such a camera's first start only.
    func readInputReport() {
        guard let (plan, restart) = output.read(stderr) else { return }
        Log.info(subject, "output: " + plan.reason)
        for note in plan.notes { Log.warn(subject, note) }
        if restart { perform(machine.outputChanged(now: MonotonicClock.nowMs())) }
    }

    // MARK: the RAM disk

    public private(set) var storage = StorageMeter()

    /// After each playlist rewrite: removes what the playlist has dropped (after the
    /// grace), measures what is left, and stops FFmpeg (`storage_limit`) past the cap.
    /// One readdir and a stat per file of a small tmpfs directory.
    func sweepDirectory(playlist text: String, now: Int64) {
        let (gone, overCap) = storage.sweep(Files.regularFiles(directory), playlist: text, nowMs: now,
                                            maxStorageMB: config.maxStorageMB)
        for f in gone { unlink(directory + "/" + f.name) }
        if let overCap, phase == .running || phase == .starting {
            Log.warn(subject, overCap)
            perform(machine.storageExceeded(detail: overCap, now: now))
        }
    }

    /// What a start of this stream is expected to cost the device: FFmpeg's private
    /// memory at its peak plus what its files take on the RAM disk (tmpfs pages are
    /// memory, charged to the cgroup too): the most seen, or the steady state
    /// projected from its bitrate, whichever is more.
    public var plannedCostKB: Int { expectedCostKB + (expectedCostKB > 0 ? max(storage.peakKB, storage.projectedKB) : 0) }

    /// Memory a running stream will still take as its window fills: available memory
    /// does not show it yet, so a start of another stream must leave room for it.
    var storageGrowthKB: Int { process == nil ? 0 : storage.growthKB }

    func sampleMemory(pid: Int32) {
        lastSampleMs = MonotonicClock.nowMs()
        guard let status = Files.readString("/proc/\(pid)/status", limit: 8192),
              let hwm = ProcFS.kilobytes(field: "VmHWM", in: status) else { return }
        peakRSSKB = max(peakRSSKB, hwm)
        let cost = MemoryGuard.expectedCostKB(
            peakRSSKB: hwm, fileKB: ProcFS.kilobytes(field: "RssFile", in: status),
            anonKB: ProcFS.kilobytes(field: "RssAnon", in: status), shmemKB: ProcFS.kilobytes(field: "RssShmem", in: status))
        let first = expectedCostKB == 0 && cost > 0
        expectedCostKB = max(expectedCostKB, cost)
        if first { engine.admissionChanged() }
    }

    /// FFmpeg's current RSS in kB (from /proc/PID/status), when running.
    public var ffmpegRSSKB: Int? { pid.flatMap { ProcFS.statusKB(pid: $0, field: "VmRSS") } }

    // MARK: the one timer

    /// Armed at the machine's next deadline or the earliest waiting request's,
    /// whichever is sooner; stopped when neither exists, so an idle stream costs
    /// no wakeups.
    func armTimer() {
        var deadline = machine.nextDeadline
        if let w = waiters.map(\.deadline).min() { deadline = min(deadline ?? w, w) }
        guard let deadline else { timer?.stop(); return }
        if timer == nil { timer = LoopTimer(engine.loop) { [unowned self] in self.timerFired() } }
        timer?.start(afterMs: max(0, deadline - MonotonicClock.nowMs()))
    }

    func timerFired() {
        let now = MonotonicClock.nowMs()
        if waiters.contains(where: { $0.deadline <= now }) {
            let expired = waiters.filter { $0.deadline <= now }
            waiters.removeAll { $0.deadline <= now }
            let outcome = abortOutcome(.startTimeout)
            for w in expired { w.reply(outcome) }
        }
        perform(machine.timerFired(now: now))
    }

    func close() {
        timer?.close()
        timer = nil
        watch?.close()
        watch = nil
    }
}
