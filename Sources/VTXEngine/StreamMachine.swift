// The pure lifecycle state machine of one camera stream. Events in, actions
// out; no clock reads, no I/O, Swift stdlib only. A thin driver (event loop)
// feeds it events and carries out the returned `StreamAction`s in order.
//
// Time is an `Int64` monotonic millisecond value passed with every event.
// What the stream SHOULD be (`want`) is kept apart from what it IS (`phase`).
// Every phase change goes through `transition(to:reason:now:)`, which emits
// `.stateChanged`.
//
// Driver contract:
// - Execute actions in order. `.spawn` is always last: check the guards,
//   spawn, and report `spawned` / `spawnFailed` / `spawnRejected` right away,
//   before any other event of this stream.
// - Keep ONE timer per stream, armed at `nextDeadline` (none when nil) and
//   re-armed after every event except `accessed` (cheap, per request). A timer
//   that fires early (e.g. access moved the idle deadline) is harmless:
//   `timerFired` just finds nothing due and `nextDeadline` is the new one.
// - After `demand`, answer from `phase`: running → serve the playlist;
//   starting/backoff/stopping → wait for `.ready` / `.abortWaiters`;
//   failed → 503 with `failureReason`; idle → 503 (the spawn was rejected,
//   the reason came in `.abortWaiters`).

public struct StreamMachine {
    // MARK: configuration

    public var policy: StreamPolicy
    /// wall-clock ms − monotonic ms; used only to stamp history entries.
    public var wallClockOffsetMs: Int64
    private let jitter: () -> Double

    // MARK: state

    private struct Starting {
        var since: Int64            // when `.spawn` was asked for
        var pid: Int32? = nil       // nil until `spawned`
        var spawnedAt: Int64? = nil
        var origin: StartOrigin
    }

    private struct Running {
        var pid: Int32
        var spawnedAt: Int64
        var readyAt: Int64
    }

    private struct Backoff {
        var retryAt: Int64
        var delayMs: Int64
    }

    private struct Stopping {
        var pid: Int32
        var spawnedAt: Int64
        var cause: StreamReason       // why it is being stopped (history reason)
        var since: Int64
        var killDeadline: Int64
        var killed = false
        var restartOrigin: StartOrigin? = nil  // start again when the exit arrives
    }

    private enum StartOrigin: Equatable {
        case demand, boot, operatorStart, operatorRestart
        case retry(delayMs: Int64)

        var reason: StreamReason {
            switch self {
            case .demand: return .demand
            case .boot: return .boot
            case .operatorStart: return .startedByOperator
            case .operatorRestart: return .restartedByOperator
            case .retry: return .retry
            }
        }
    }

    private enum State {
        case idle
        case starting(Starting)
        case running(Running)
        case backoff(Backoff)
        case stopping(Stopping)
        case failed
    }

    private var state: State = .idle
    private var pending: [StreamAction] = []

    /// What the operator/viewers want.
    public private(set) var want: StreamWant = .down
    /// Consecutive failures (reset by a long run, by going idle, by an
    /// operator start/restart).
    public private(set) var attempt = 0
    /// Last playlist or segment request (or start/ready, see `demand`).
    public private(set) var lastAccessMs: Int64?
    /// Last playlist rewrite (or spawn/ready) — the stall clock.
    public private(set) var lastPlaylistChangeMs: Int64?
    /// Reason of the last failure; kept in backoff and failed (503 body, API).
    /// Cleared when a run becomes ready, when the stream goes idle and by
    /// operator start/restart.
    public private(set) var failureReason: StreamReason?
    /// Human detail of the last failure: spawn error, last stderr line, exit.
    public private(set) var failureMessage: String?
    /// Reason of the last phase change, and when it happened.
    public private(set) var phaseReason: StreamReason?
    public private(set) var phaseSinceMs: Int64 = 0
    public private(set) var counters = StreamCounters()
    public private(set) var history: StreamHistory

    /// - Parameters:
    ///   - jitter: factor in [0.9, 1.1] applied to backoff delays (tests: `{ 1.0 }`).
    ///   - wallClockOffsetMs: wall-clock ms minus monotonic ms, for history stamps.
    public init(
        policy: StreamPolicy,
        jitter: @escaping () -> Double = { Double.random(in: 0.9...1.1) },
        wallClockOffsetMs: Int64 = 0,
        historyCapacity: Int = StreamHistory.defaultCapacity
    ) {
        self.policy = policy
        self.jitter = jitter
        self.wallClockOffsetMs = wallClockOffsetMs
        self.history = StreamHistory(capacity: historyCapacity)
    }

    // MARK: read-only view

    public var phase: StreamPhase {
        switch state {
        case .idle: return .idle
        case .starting: return .starting
        case .running: return .running
        case .backoff: return .backoff
        case .stopping: return .stopping
        case .failed: return .failed
        }
    }

    /// The current process, if one is running (starting after `spawned`,
    /// running, stopping).
    public var pid: Int32? {
        switch state {
        case .starting(let s): return s.pid
        case .running(let r): return r.pid
        case .stopping(let s): return s.pid
        case .idle, .backoff, .failed: return nil
        }
    }

    /// When the current process was spawned.
    public var spawnedAtMs: Int64? {
        switch state {
        case .starting(let s): return s.spawnedAt
        case .running(let r): return r.spawnedAt
        case .stopping(let s): return s.spawnedAt
        case .idle, .backoff, .failed: return nil
        }
    }

    /// When the running stream became ready.
    public var readyAtMs: Int64? {
        if case .running(let r) = state { return r.readyAt }
        return nil
    }

    /// Next retry (backoff only).
    public var retryAt: Int64? {
        if case .backoff(let b) = state { return b.retryAt }
        return nil
    }

    /// Delay of the current backoff (backoff only).
    public var retryDelayMs: Int64? {
        if case .backoff(let b) = state { return b.delayMs }
        return nil
    }

    /// A start/restart is queued for when the stopping process exits.
    public var restartPending: Bool {
        if case .stopping(let s) = state { return s.restartOrigin != nil }
        return false
    }

    /// When the driver's timer must fire next; nil = no timer (idle, failed,
    /// running with neither idle nor stall timeout, stopping after the kill).
    public var nextDeadline: Int64? {
        switch state {
        case .idle, .failed:
            return nil
        case .starting(let s):
            return policy.startTimeoutMs > 0 ? sat(s.since, policy.startTimeoutMs) : nil
        case .running(let r):
            var deadline: Int64?
            if policy.idleTimeoutMs > 0 {
                deadline = sat(lastAccessMs ?? r.readyAt, policy.idleTimeoutMs)
            }
            if policy.stallTimeoutMs > 0 {
                let stall = sat(lastPlaylistChangeMs ?? r.readyAt, policy.stallTimeoutMs)
                deadline = min(deadline ?? stall, stall)
            }
            return deadline
        case .backoff(let b):
            return b.retryAt
        case .stopping(let s):
            return s.killed ? nil : s.killDeadline
        }
    }

    /// Would a backoff retry happen at `now`? autoStart, operator-started, or
    /// viewers seen within idleTimeout (always, when idleTimeout is 0).
    public func isWanted(at now: Int64) -> Bool {
        guard case .up(let source) = want else { return false }
        if policy.autoStart || source != .viewers { return true }
        if policy.idleTimeoutMs <= 0 { return true }
        guard let last = lastAccessMs else { return false }
        return now - last < policy.idleTimeoutMs
    }

    // MARK: events — demand and access

    /// Gateway start. autoStart → want up, starting (`.spawn`); last access =
    /// now, so with idleTimeout > 0 this is a pre-warm reclaimed after
    /// idleTimeout without viewers.
    public mutating func boot(now: Int64) -> [StreamAction] {
        pending = []
        guard policy.autoStart, case .idle = state else { return take() }
        want = .up(.autoStart)
        touch(now)
        beginStart(.boot, now: now)
        return take()
    }

    /// A viewer requested the playlist. Refreshes last access (in every phase).
    /// idle → starting (`.spawn`); starting/running/backoff/failed: nothing
    /// more; stopping: the stream starts again as soon as the exit arrives
    /// (unless the stop was a failure kill of a wanted stream, which goes
    /// through backoff anyway).
    public mutating func demand(now: Int64) -> [StreamAction] {
        pending = []
        touch(now)
        switch state {
        case .idle:
            want = .up(.viewers)
            beginStart(.demand, now: now)
        case .stopping(var s):
            if s.restartOrigin == nil && !(s.cause.isFailure && want.isUp) {
                s.restartOrigin = .demand
                state = .stopping(s)
            }
            if !want.isUp { want = .up(.viewers) }
        case .starting, .running, .backoff, .failed:
            break
        }
        return take()
    }

    /// A segment request: refreshes last access only. No timer re-arm needed.
    public mutating func accessed(now: Int64) {
        touch(now)
    }

    // MARK: events — operator

    /// API start. idle/failed → starting (from failed: attempt counter and
    /// failure reset). stopping → start again when the exit arrives.
    /// starting/running/backoff → `.alreadyStarted` (409); in backoff the
    /// stream is additionally pinned as operator-wanted so the retry happens.
    /// Last access = now (an operator-started stream is reclaimed after
    /// idleTimeout without viewers, like a pre-warm).
    public mutating func operatorStart(now: Int64) -> StreamCommandOutcome {
        pending = []
        let result: StreamCommandResult
        switch state {
        case .idle, .failed:
            resetForOperator()
            want = .up(.byOperator)
            touch(now)
            beginStart(.operatorStart, now: now)
            result = .accepted
        case .stopping(var s):
            let wasUp = want.isUp
            want = .up(.byOperator)
            touch(now)
            if s.restartOrigin != nil || (s.cause.isFailure && wasUp) {
                // already coming back (restart queued, or failure → backoff)
                result = .alreadyStarted
            } else {
                s.restartOrigin = .operatorStart
                state = .stopping(s)
                result = .accepted
            }
        case .backoff:
            want = .up(.byOperator)
            touch(now)
            result = .alreadyStarted
        case .starting, .running:
            result = .alreadyStarted
        }
        return StreamCommandOutcome(result: result, actions: take())
    }

    /// API stop: want down. starting/running → stopping (`.terminate`, history
    /// `stopped_by_operator`); backoff → idle; stopping → cancels a queued
    /// restart / a failure retry; idle/failed/plain stopping → `.alreadyStopped` (409).
    public mutating func operatorStop(now: Int64) -> StreamCommandOutcome {
        stop(cause: .stoppedByOperator, now: now)
    }

    /// The gateway is shutting down: the same stop as the operator's, recorded as
    /// `shutdown` (nobody stopped this stream; the whole gateway is going away).
    public mutating func shutdown(now: Int64) -> [StreamAction] {
        stop(cause: .shutdown, now: now).actions
    }

    private mutating func stop(cause: StreamReason, now: Int64) -> StreamCommandOutcome {
        pending = []
        var result = StreamCommandResult.accepted
        switch state {
        case .starting(let s):
            want = .down
            if let pid = s.pid, let spawnedAt = s.spawnedAt {
                beginStop(pid: pid, spawnedAt: spawnedAt, cause: cause, now: now)
                pending.append(.abortWaiters(cause))
            } else {
                // spawn not reported yet (driver contract broken): nothing to signal
                goIdle(reason: cause, abortWaiters: true, now: now)
            }
            counters.count(cause)
        case .running(let r):
            want = .down
            beginStop(pid: r.pid, spawnedAt: r.spawnedAt, cause: cause, now: now)
            counters.count(cause)
        case .backoff:
            counters.count(cause)
            goIdle(reason: cause, abortWaiters: true, now: now)
        case .stopping(var s):
            if want.isUp || s.restartOrigin != nil {
                want = .down
                s.restartOrigin = nil
                state = .stopping(s)
                pending.append(.abortWaiters(cause))
            } else {
                result = .alreadyStopped
            }
        case .idle, .failed:
            result = .alreadyStopped
        }
        return StreamCommandOutcome(result: result, actions: take())
    }

    /// API restart (always `.accepted`). running/starting → stopping, then
    /// starting when the exit arrives; idle/failed/backoff → starting now;
    /// stopping → start again when the exit arrives. Resets the attempt
    /// counter and the failure.
    public mutating func operatorRestart(now: Int64) -> StreamCommandOutcome {
        pending = []
        resetForOperator()
        want = .up(.byOperator)
        touch(now)
        switch state {
        case .starting(let s):
            if let pid = s.pid, let spawnedAt = s.spawnedAt {
                beginStop(pid: pid, spawnedAt: spawnedAt, cause: .restartedByOperator,
                          restart: .operatorRestart, now: now)
            }
            // else: the spawn is in flight, it is a fresh start already
        case .running(let r):
            beginStop(pid: r.pid, spawnedAt: r.spawnedAt, cause: .restartedByOperator,
                      restart: .operatorRestart, now: now)
        case .stopping(var s):
            s.restartOrigin = .operatorRestart
            state = .stopping(s)
        case .idle, .failed, .backoff:
            beginStart(.operatorRestart, now: now)
        }
        return StreamCommandOutcome(result: .accepted, actions: take())
    }

    // MARK: events — spawn outcome (reported by the driver after `.spawn`)

    /// The process started. Stall clock starts now.
    /// A `spawned` the machine did not ask for returns `.terminate(pid:)`.
    public mutating func spawned(pid: Int32, now: Int64) -> [StreamAction] {
        pending = []
        guard case .starting(var s) = state, s.pid == nil else {
            pending.append(.terminate(pid: pid))
            return take()
        }
        s.pid = pid
        s.spawnedAt = now
        state = .starting(s)
        counters.starts += 1
        if case .retry = s.origin { counters.restarts += 1 }
        lastPlaylistChangeMs = now
        record(.started, now: now, pid: pid)
        return take()
    }

    /// The spawn itself failed (exec error…): failure `spawn_failed`.
    public mutating func spawnFailed(message: String, now: Int64) -> [StreamAction] {
        pending = []
        guard case .starting(let s) = state, s.pid == nil else { return take() }
        counters.count(.spawnFailed)
        failureMessage = message
        if want.isUp {
            fail(.spawnFailed, runTimeMs: nil, now: now, abortWaiters: true,
                 history: (pid: nil, code: nil, signal: nil, detail: message, stderr: []))
        } else {
            record(.spawnFailed, now: now, detail: message)
            goIdle(reason: .spawnFailed, abortWaiters: true, now: now)
        }
        return take()
    }

    /// The driver's guards refused the spawn (memory, max streams). History +
    /// counter; an on-demand/boot/operator start goes back to idle (want
    /// down); a backoff retry goes back to backoff with the same attempt and
    /// the same delay.
    public mutating func spawnRejected(_ rejection: StreamRejection, detail: String? = nil,
                                       now: Int64) -> [StreamAction] {
        pending = []
        guard case .starting(let s) = state, s.pid == nil else { return take() }
        let reason = rejection.reason
        counters.count(reason)
        record(reason, now: now, detail: detail)
        if case .retry(let delay) = s.origin, want.isUp {
            transition(to: .backoff(Backoff(retryAt: sat(now, delay), delayMs: delay)),
                       reason: reason, now: now)
            pending.append(.abortWaiters(reason))
        } else {
            goIdle(reason: reason, abortWaiters: true, now: now)
        }
        return take()
    }

    // MARK: events — process

    /// FFmpeg rewrote the playlist. Always refreshes the stall clock.
    /// starting with ≥ startMinSegments → running (`.ready`); becoming ready
    /// also counts as an access (the waiters were just answered).
    public mutating func playlistChanged(segments: Int, now: Int64) -> [StreamAction] {
        pending = []
        lastPlaylistChangeMs = now
        if case .starting(let s) = state, let pid = s.pid,
           segments >= max(1, policy.startMinSegments) {
            touch(now)
            failureReason = nil
            failureMessage = nil
            transition(to: .running(Running(pid: pid, spawnedAt: s.spawnedAt ?? s.since, readyAt: now)),
                       reason: .ready, now: now)
            pending.append(.ready)
        }
        return take()
    }

    /// The process ended. Exits of a pid that is not the current process are
    /// ignored (only `.cleanDirectory` when no process is current).
    /// stopping → idle, or starting (restart queued), or backoff/failed (the
    /// stop was a stall/start-timeout kill of a wanted stream);
    /// starting/running with want up → failure `crashed`. Always
    /// `.cleanDirectory` first.
    public mutating func exited(pid: Int32, code: Int32?, signal: Int32?,
                                stderrTail: [String], now: Int64) -> [StreamAction] {
        pending = []
        let tail = Array(stderrTail.suffix(StreamHistory.stderrLines))
        switch state {
        case .starting(let s) where s.pid == pid:
            let runTime = now - (s.spawnedAt ?? s.since)
            pending.append(.cleanDirectory)
            processEnded(pid: pid, code: code, signal: signal, tail: tail, runTime: runTime,
                         wasStarting: true, now: now)
        case .running(let r) where r.pid == pid:
            pending.append(.cleanDirectory)
            processEnded(pid: pid, code: code, signal: signal, tail: tail,
                         runTime: now - r.spawnedAt, wasStarting: false, now: now)
        case .stopping(let s) where s.pid == pid:
            pending.append(.cleanDirectory)
            let runTime = now - s.spawnedAt
            // FFmpeg's normal answer to our SIGTERM (exit 255) says nothing about the
            // stream: the entry keeps an exit only when it tells something.
            let obeyed = !s.killed && Self.answersTerminate(code: code, signal: signal)
            let exitCode = obeyed ? nil : code, exitSignal = obeyed ? nil : signal
            if s.restartOrigin == nil && s.cause.isFailure && want.isUp {
                // stall / start-timeout kill of a wanted stream: count the attempt
                fail(s.cause, runTimeMs: runTime, now: now, abortWaiters: false,
                     history: (pid: pid, code: exitCode, signal: exitSignal, detail: failureMessage, stderr: tail))
            } else {
                record(s.cause, now: now, pid: pid, code: exitCode, signal: exitSignal,
                       runTime: runTime, stderr: tail)
                if let origin = s.restartOrigin {
                    if !want.isUp { want = .up(.viewers) }
                    beginStart(origin, now: now)
                } else {
                    goIdle(reason: .exited, abortWaiters: false, now: now)
                }
            }
        case .idle, .backoff, .failed:
            pending.append(.cleanDirectory)  // stray process of ours ended; nothing current
        case .starting, .running, .stopping:
            break  // stale pid: must not touch the current run's directory
        }
        return take()
    }

    /// The stream's files on the RAM disk outgrew its cap (`detail` says by how much).
    /// A running or starting process is stopped as a failure (`storage_limit`): the
    /// stream goes through backoff and starts again with an empty directory.
    public mutating func storageExceeded(detail: String, now: Int64) -> [StreamAction] {
        pending = []
        let current: (pid: Int32, spawnedAt: Int64)?
        switch state {
        case .running(let r): current = (r.pid, r.spawnedAt)
        case .starting(let s): current = s.pid.map { ($0, s.spawnedAt ?? s.since) }
        case .idle, .backoff, .stopping, .failed: current = nil
        }
        guard let current else { return take() }
        counters.count(.storageLimit)
        failureReason = .storageLimit
        failureMessage = detail
        beginStop(pid: current.pid, spawnedAt: current.spawnedAt, cause: .storageLimit, now: now)
        return take()
    }

    /// The driver chose a different output for this source (from FFmpeg's input
    /// report) than the one running: stop the process and start again at once, with
    /// no attempt counted and the waiting requests kept.
    public mutating func outputChanged(now: Int64) -> [StreamAction] {
        pending = []
        switch state {
        case .starting(let s):
            if let pid = s.pid { beginStop(pid: pid, spawnedAt: s.spawnedAt ?? s.since, cause: .outputChosen, restart: s.origin, now: now) }
        case .running(let r):
            beginStop(pid: r.pid, spawnedAt: r.spawnedAt, cause: .outputChosen, restart: .demand, now: now)
        case .idle, .backoff, .stopping, .failed:
            break
        }
        return take()
    }

    /// The stream's timer fired; the machine decides what (if anything) is due.
    public mutating func timerFired(now: Int64) -> [StreamAction] {
        pending = []
        switch state {
        case .idle, .failed:
            break
        case .starting(let s):
            guard policy.startTimeoutMs > 0, now >= sat(s.since, policy.startTimeoutMs) else { break }
            counters.count(.startTimeout)
            failureReason = .startTimeout
            failureMessage = "no playlist with \(max(1, policy.startMinSegments)) segment(s) within \(policy.startTimeoutMs) ms"
            if let pid = s.pid, let spawnedAt = s.spawnedAt {
                beginStop(pid: pid, spawnedAt: spawnedAt, cause: .startTimeout, now: now)
                pending.append(.abortWaiters(.startTimeout))
            } else {
                fail(.startTimeout, runTimeMs: nil, now: now, abortWaiters: true, history: nil)
            }
        case .running(let r):
            if policy.idleTimeoutMs > 0, now - (lastAccessMs ?? r.readyAt) >= policy.idleTimeoutMs {
                want = .down
                counters.count(.stoppedIdle)
                beginStop(pid: r.pid, spawnedAt: r.spawnedAt, cause: .stoppedIdle, now: now)
            } else if policy.stallTimeoutMs > 0,
                      now - (lastPlaylistChangeMs ?? r.readyAt) >= policy.stallTimeoutMs {
                counters.count(.stalled)
                failureReason = .stalled
                failureMessage = "playlist unchanged for \(policy.stallTimeoutMs) ms"
                beginStop(pid: r.pid, spawnedAt: r.spawnedAt, cause: .stalled, now: now)
            }
        case .backoff(let b):
            guard now >= b.retryAt else { break }
            if isWanted(at: now) {
                beginStart(.retry(delayMs: b.delayMs), now: now)
            } else {
                goIdle(reason: .noViewers, abortWaiters: true, now: now)
            }
        case .stopping(var s):
            guard !s.killed, now >= s.killDeadline else { break }
            s.killed = true
            state = .stopping(s)
            pending.append(.kill(pid: s.pid))
        }
        return take()
    }

    // MARK: events — configuration

    /// A config reload changed this stream's settings (or kept them). The new policy
    /// applies from now on; a `failed` stream gets a fresh start budget (→ idle, it
    /// starts again on the next demand or `autoStart`). Restarting a running stream
    /// whose FFmpeg arguments changed is the driver's call (`operatorRestart`).
    public mutating func reconfigure(policy newPolicy: StreamPolicy, now: Int64) -> [StreamAction] {
        pending = []
        policy = newPolicy
        if case .failed = state {
            goIdle(reason: .reloaded, abortWaiters: false, now: now)
            failureReason = nil
            failureMessage = nil
        }
        return take()
    }

    // MARK: internals

    /// THE single place where the phase changes; emits `.stateChanged`.
    private mutating func transition(to newState: State, reason: StreamReason, now: Int64) {
        let from = phase
        state = newState
        phaseReason = reason
        phaseSinceMs = now
        pending.append(.stateChanged(from: from, to: phase, reason: reason))
    }

    private mutating func take() -> [StreamAction] {
        let out = pending
        pending = []
        return out
    }

    private mutating func touch(_ now: Int64) {
        if let last = lastAccessMs, last >= now { return }
        lastAccessMs = now
    }

    private mutating func resetForOperator() {
        attempt = 0
        failureReason = nil
        failureMessage = nil
    }

    private mutating func beginStart(_ origin: StartOrigin, now: Int64) {
        transition(to: .starting(Starting(since: now, origin: origin)), reason: origin.reason, now: now)
        pending.append(.spawn)
    }

    private mutating func beginStop(pid: Int32, spawnedAt: Int64, cause: StreamReason,
                                    restart: StartOrigin? = nil, now: Int64) {
        let grace = max(0, policy.killTimeoutMs)
        transition(to: .stopping(Stopping(pid: pid, spawnedAt: spawnedAt, cause: cause, since: now,
                                          killDeadline: sat(now, grace), restartOrigin: restart)),
                   reason: cause, now: now)
        pending.append(.terminate(pid: pid))
    }

    /// Back to idle: want down, the episode (and its attempt count) is over;
    /// requests still waiting get an error.
    private mutating func goIdle(reason: StreamReason, abortWaiters: Bool, now: Int64) {
        want = .down
        attempt = 0
        failureReason = nil     // the episode is over; the history keeps what happened
        failureMessage = nil
        transition(to: .idle, reason: reason, now: now)
        if abortWaiters { pending.append(.abortWaiters(reason)) }
    }

    private mutating func processEnded(pid: Int32, code: Int32?, signal: Int32?, tail: [String],
                                       runTime: Int64, wasStarting: Bool, now: Int64) {
        guard want.isUp else {
            record(.exited, now: now, pid: pid, code: code, signal: signal, runTime: runTime, stderr: tail)
            goIdle(reason: .exited, abortWaiters: wasStarting, now: now)
            return
        }
        counters.count(.crashed)
        failureMessage = Self.describeExit(code: code, signal: signal, tail: tail)
        // Requests waiting for a start keep waiting across the retries (a camera that
        // refuses one RTSP session often accepts the next, 1–2 s later); they are
        // answered when a retry becomes ready, the stream fails, or their
        // start_timeout passes.
        fail(.crashed, runTimeMs: runTime, now: now, abortWaiters: false,
             history: (pid: pid, code: code, signal: signal, detail: nil, stderr: tail))
    }

    private typealias HistoryInfo = (pid: Int32?, code: Int32?, signal: Int32?, detail: String?, stderr: [String])

    /// A failure of a wanted stream (counted by the caller): reset after a
    /// long run, attempt += 1, then failed (max attempts) or backoff.
    private mutating func fail(_ reason: StreamReason, runTimeMs: Int64?, now: Int64,
                               abortWaiters: Bool, history info: HistoryInfo?) {
        if policy.resetAfterMs > 0, let run = runTimeMs, run >= policy.resetAfterMs {
            attempt = 0
        }
        attempt += 1
        failureReason = reason
        if let info = info {
            record(reason, now: now, pid: info.pid, code: info.code, signal: info.signal,
                   runTime: runTimeMs, detail: info.detail, stderr: info.stderr)
        }
        if policy.maxAttempts > 0 && attempt >= policy.maxAttempts {
            want = .down
            transition(to: .failed, reason: reason, now: now)
            pending.append(.abortWaiters(reason))
        } else {
            let delay = backoffDelay(attempt: attempt)
            transition(to: .backoff(Backoff(retryAt: sat(now, delay), delayMs: delay)),
                       reason: reason, now: now)
            if abortWaiters { pending.append(.abortWaiters(reason)) }
        }
    }

    /// min(maxBackoff, initialBackoff × 2^(n−1)) × jitter, overflow-safe.
    public func backoffDelay(attempt n: Int) -> Int64 {
        let base = Self.backoffBase(attempt: n, initialMs: policy.initialBackoffMs,
                                    maxMs: policy.maxBackoffMs)
        var factor = jitter()
        if !factor.isFinite || factor < 0 { factor = 1 }
        let scaled = (Double(base) * factor).rounded()
        if scaled >= 9.0e18 { return 9_000_000_000_000_000_000 }
        return Int64(scaled)
    }

    /// min(maxMs, initialMs × 2^(n−1)) without jitter; never overflows.
    public static func backoffBase(attempt n: Int, initialMs: Int64, maxMs: Int64) -> Int64 {
        let initial = max(0, initialMs)
        let cap = max(0, maxMs)
        let exponent = max(0, n - 1)
        if initial == 0 { return 0 }
        if exponent >= 62 { return cap }
        let (value, overflow) = initial.multipliedReportingOverflow(by: Int64(1) << Int64(exponent))
        if overflow { return cap }
        return min(cap, value)
    }

    /// How FFmpeg ends when it obeys SIGTERM: exit 255 (its code for "ended by a
    /// signal"), 0, or SIGTERM itself (15 on Linux and the BSDs) before its handler is set.
    static func answersTerminate(code: Int32?, signal: Int32?) -> Bool {
        signal == 15 || (signal == nil && (code == 255 || code == 0))
    }

    private static func describeExit(code: Int32?, signal: Int32?, tail: [String]) -> String {
        var text: String
        if let signal = signal {
            text = "killed by signal \(signal)"
        } else if let code = code {
            text = "exit code \(code)"
        } else {
            text = "exited"
        }
        if let line = tail.last, !line.isEmpty { text += ": " + line }
        return text
    }

    private mutating func record(_ reason: StreamReason, now: Int64, pid: Int32? = nil,
                                 code: Int32? = nil, signal: Int32? = nil, runTime: Int64? = nil,
                                 detail: String? = nil, stderr: [String] = []) {
        let wallMs = sat(now, wallClockOffsetMs)
        let wall = Int(wallMs >= 0 ? wallMs / 1000 : (wallMs - 999) / 1000)
        history.append(StreamHistoryEntry(
            atMs: now, wallTime: wall, reason: reason, pid: pid, exitCode: code, signal: signal,
            runTimeMs: runTime, attempt: attempt, detail: detail, stderrTail: stderr))
    }
}

/// Saturating addition for deadlines.
@inline(__always)
private func sat(_ a: Int64, _ b: Int64) -> Int64 {
    let (value, overflow) = a.addingReportingOverflow(b)
    if !overflow { return value }
    return b > 0 ? Int64.max : Int64.min
}
