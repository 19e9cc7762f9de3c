import XCTest
@testable import VTXEngine

/// Shared helpers for the StreamMachine tests (fake clock = plain Int64 values).
enum SM {
    static let pid: Int32 = 4242

    static func policy(
        idle: Int64 = 30_000, autoStart: Bool = false, startTimeout: Int64 = 10_000,
        stall: Int64 = 20_000, minSegments: Int = 1, kill: Int64 = 5_000, maxAttempts: Int = 0,
        initialBackoff: Int64 = 2_000, maxBackoff: Int64 = 60_000, resetAfter: Int64 = 60_000
    ) -> StreamPolicy {
        StreamPolicy(idleTimeoutMs: idle, autoStart: autoStart, startTimeoutMs: startTimeout,
                     stallTimeoutMs: stall, startMinSegments: minSegments, killTimeoutMs: kill,
                     maxAttempts: maxAttempts, initialBackoffMs: initialBackoff,
                     maxBackoffMs: maxBackoff, resetAfterMs: resetAfter)
    }

    static func machine(_ policy: StreamPolicy = SM.policy(), jitter: @escaping () -> Double = { 1.0 }) -> StreamMachine {
        StreamMachine(policy: policy, jitter: jitter)
    }

    /// demand at `at`, spawned at `at`, ready at `readyAt`.
    static func running(_ policy: StreamPolicy = SM.policy(), at: Int64 = 0, readyAt: Int64 = 1_000,
                        pid: Int32 = SM.pid) -> StreamMachine {
        var m = machine(policy)
        _ = m.demand(now: at)
        _ = m.spawned(pid: pid, now: at)
        _ = m.playlistChanged(segments: max(1, policy.startMinSegments), now: readyAt)
        return m
    }

    static func crash(_ m: inout StreamMachine, pid: Int32 = SM.pid, at: Int64) -> [StreamAction] {
        m.exited(pid: pid, code: 1, signal: nil, stderrTail: ["boom"], now: at)
    }
}

final class StreamMachineTests: XCTestCase {

    // MARK: start on demand

    func testDemandSpawnsAndReadyWithOneSegment() {
        var m = SM.machine()
        XCTAssertEqual(m.phase, .idle)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.demand(now: 0), [.stateChanged(from: .idle, to: .starting, reason: .demand), .spawn])
        XCTAssertEqual(m.phase, .starting)
        XCTAssertEqual(m.want, .up(.viewers))
        XCTAssertEqual(m.lastAccessMs, 0)
        XCTAssertEqual(m.nextDeadline, 10_000, "start timeout armed")
        XCTAssertEqual(m.spawned(pid: 7, now: 5), [])
        XCTAssertEqual(m.pid, 7)
        XCTAssertEqual(m.spawnedAtMs, 5)
        XCTAssertEqual(m.counters.starts, 1)
        XCTAssertEqual(m.counters.restarts, 0)
        XCTAssertEqual(m.history.last?.reason, .started)
        XCTAssertEqual(m.history.last?.pid, 7)
        XCTAssertEqual(m.playlistChanged(segments: 0, now: 500), [])
        XCTAssertEqual(m.phase, .starting)
        XCTAssertEqual(m.playlistChanged(segments: 1, now: 1_000),
                       [.stateChanged(from: .starting, to: .running, reason: .ready), .ready])
        XCTAssertEqual(m.phase, .running)
        XCTAssertEqual(m.readyAtMs, 1_000)
        XCTAssertEqual(m.phaseReason, .ready)
        XCTAssertEqual(m.phaseSinceMs, 1_000)
        // ready counts as access; idle deadline 31 s, stall deadline 21 s
        XCTAssertEqual(m.lastAccessMs, 1_000)
        XCTAssertEqual(m.nextDeadline, 21_000)
        // further playlist changes in running: no actions
        XCTAssertEqual(m.playlistChanged(segments: 3, now: 3_000), [])
    }

    func testReadyNeedsStartMinSegments() {
        var m = SM.machine(SM.policy(minSegments: 2))
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        XCTAssertEqual(m.playlistChanged(segments: 1, now: 2_000), [])
        XCTAssertEqual(m.phase, .starting)
        XCTAssertEqual(m.playlistChanged(segments: 2, now: 4_000),
                       [.stateChanged(from: .starting, to: .running, reason: .ready), .ready])
    }

    func testPlaylistChangeBeforeSpawnedIsIgnored() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        XCTAssertEqual(m.playlistChanged(segments: 5, now: 1), [])
        XCTAssertEqual(m.phase, .starting)
    }

    func testDemandAndAccessWhileStartingOrRunningOnlyRefresh() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        XCTAssertEqual(m.demand(now: 300), [])
        XCTAssertEqual(m.lastAccessMs, 300)
        XCTAssertEqual(m.phase, .starting)
        _ = m.playlistChanged(segments: 1, now: 1_000)
        XCTAssertEqual(m.demand(now: 2_000), [])
        m.accessed(now: 2_500)
        XCTAssertEqual(m.lastAccessMs, 2_500)
        m.accessed(now: 2_400)  // out of order: never moves back
        XCTAssertEqual(m.lastAccessMs, 2_500)
        XCTAssertEqual(m.phase, .running)
    }

    // MARK: start timeout

    func testStartTimeout() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 9, now: 0)
        XCTAssertEqual(m.timerFired(now: 9_999), [])
        XCTAssertEqual(m.phase, .starting)
        XCTAssertEqual(m.timerFired(now: 10_000), [
            .stateChanged(from: .starting, to: .stopping, reason: .startTimeout),
            .terminate(pid: 9),
            .abortWaiters(.startTimeout),
        ])
        XCTAssertEqual(m.counters.startTimeout, 1)
        XCTAssertEqual(m.failureReason, .startTimeout)
        XCTAssertEqual(m.nextDeadline, 15_000, "kill deadline")
        XCTAssertEqual(m.exited(pid: 9, code: nil, signal: 15, stderrTail: ["a"], now: 10_100), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .backoff, reason: .startTimeout),
        ])
        XCTAssertEqual(m.attempt, 1)
        XCTAssertEqual(m.retryAt, 12_100)
        let entry = m.history.last!
        XCTAssertEqual(entry.reason, .startTimeout)
        XCTAssertNil(entry.signal, "ended by our own SIGTERM: the reason says it all")
        XCTAssertEqual(entry.runTimeMs, 10_100)
        XCTAssertEqual(entry.attempt, 1)
    }

    func testStartTimeoutZeroDisables() {
        var m = SM.machine(SM.policy(startTimeout: 0))
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.timerFired(now: 1_000_000), [])
        XCTAssertEqual(m.phase, .starting)
    }

    func testCrashWhileStartingKeepsWaitersForTheRetry() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 3, now: 0)
        XCTAssertEqual(SM.crash(&m, pid: 3, at: 500), [
            .cleanDirectory,
            .stateChanged(from: .starting, to: .backoff, reason: .crashed),
        ])
        XCTAssertEqual(m.failureReason, .crashed)
        XCTAssertEqual(m.failureMessage, "exit code 1: boom")
        XCTAssertEqual(m.counters.crashed, 1)
        // the retry succeeds: the waiting requests get the playlist
        XCTAssertEqual(m.timerFired(now: 2_500), [
            .stateChanged(from: .backoff, to: .starting, reason: .retry), .spawn,
        ])
        _ = m.spawned(pid: 4, now: 2_500)
        XCTAssertEqual(m.playlistChanged(segments: 3, now: 5_000), [
            .stateChanged(from: .starting, to: .running, reason: .ready), .ready,
        ])
    }

    // MARK: idle reclamation

    func testIdleReclamationExactlyAtIdleTimeout() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), readyAt: 1_000)
        XCTAssertEqual(m.nextDeadline, 31_000)
        XCTAssertEqual(m.timerFired(now: 30_999), [])
        XCTAssertEqual(m.phase, .running)
        XCTAssertEqual(m.timerFired(now: 31_000), [
            .stateChanged(from: .running, to: .stopping, reason: .stoppedIdle),
            .terminate(pid: SM.pid),
        ])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.counters.stoppedIdle, 1)
        XCTAssertEqual(m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 31_200), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        XCTAssertEqual(m.history.last?.reason, .stoppedIdle)
        XCTAssertEqual(m.history.last?.runTimeMs, 31_200)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.attempt, 0)
    }

    func testAccessMovesIdleDeadline() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), readyAt: 1_000)
        m.accessed(now: 20_000)
        // the driver's timer still fires at the old deadline: nothing due
        XCTAssertEqual(m.timerFired(now: 31_000), [])
        XCTAssertEqual(m.nextDeadline, 50_000)
        XCTAssertEqual(m.demand(now: 40_000), [])
        XCTAssertEqual(m.timerFired(now: 50_000), [])
        XCTAssertEqual(m.nextDeadline, 70_000)
        XCTAssertEqual(m.timerFired(now: 69_999), [])
        XCTAssertEqual(m.timerFired(now: 70_000).first,
                       .stateChanged(from: .running, to: .stopping, reason: .stoppedIdle))
    }

    func testIdleTimeoutZeroNeverReclaims() {
        var m = SM.running(SM.policy(idle: 0, stall: 0), readyAt: 1_000)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.timerFired(now: 10_000_000_000), [])
        XCTAssertEqual(m.phase, .running)
        // with stall detection only the stall deadline is armed
        var s = SM.running(SM.policy(idle: 0, stall: 20_000), readyAt: 1_000)
        XCTAssertEqual(s.nextDeadline, 21_000)
        _ = s.playlistChanged(segments: 4, now: 5_000)
        XCTAssertEqual(s.timerFired(now: 21_000), [])
        XCTAssertEqual(s.nextDeadline, 25_000)
    }

    func testAutoStartBootPreWarmIsReclaimed() {
        var m = SM.machine(SM.policy(idle: 30_000, autoStart: true, stall: 0))
        XCTAssertEqual(m.boot(now: 0), [.stateChanged(from: .idle, to: .starting, reason: .boot), .spawn])
        XCTAssertEqual(m.want, .up(.autoStart))
        XCTAssertEqual(m.lastAccessMs, 0)
        _ = m.spawned(pid: 1, now: 0)
        _ = m.playlistChanged(segments: 1, now: 2_000)
        XCTAssertEqual(m.nextDeadline, 32_000)
        XCTAssertEqual(m.timerFired(now: 31_999), [])
        XCTAssertEqual(m.timerFired(now: 32_000),
                       [.stateChanged(from: .running, to: .stopping, reason: .stoppedIdle), .terminate(pid: 1)])
        _ = m.exited(pid: 1, code: 0, signal: nil, stderrTail: [], now: 32_100)
        XCTAssertEqual(m.phase, .idle)
        XCTAssertEqual(m.want, .down)
    }

    func testBootWithoutAutoStartDoesNothing() {
        var m = SM.machine(SM.policy(autoStart: false))
        XCTAssertEqual(m.boot(now: 0), [])
        XCTAssertEqual(m.phase, .idle)
        XCTAssertNil(m.nextDeadline)
    }

    func testAutoStartWithIdleZeroStaysUp() {
        var m = SM.machine(SM.policy(idle: 0, autoStart: true, stall: 0))
        _ = m.boot(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        _ = m.playlistChanged(segments: 1, now: 1_000)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.phase, .running)
    }

    // MARK: stall, kill

    func testStallStopsThenBackoffThenRespawn() {
        var m = SM.running(SM.policy(idle: 0, stall: 20_000), readyAt: 1_000)
        _ = m.playlistChanged(segments: 2, now: 4_000)
        XCTAssertEqual(m.nextDeadline, 24_000)
        XCTAssertEqual(m.timerFired(now: 23_999), [])
        XCTAssertEqual(m.timerFired(now: 24_000), [
            .stateChanged(from: .running, to: .stopping, reason: .stalled),
            .terminate(pid: SM.pid),
        ])
        XCTAssertEqual(m.want, .up(.viewers), "a stall does not change what is wanted")
        XCTAssertEqual(m.counters.stalled, 1)
        XCTAssertEqual(m.failureReason, .stalled)
        XCTAssertEqual(m.exited(pid: SM.pid, code: nil, signal: 15, stderrTail: [], now: 24_500), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .backoff, reason: .stalled),
        ])
        XCTAssertEqual(m.attempt, 1)
        XCTAssertEqual(m.retryAt, 26_500)
        XCTAssertEqual(m.nextDeadline, 26_500)
        XCTAssertEqual(m.timerFired(now: 26_499), [])
        XCTAssertEqual(m.timerFired(now: 26_500),
                       [.stateChanged(from: .backoff, to: .starting, reason: .retry), .spawn])
        _ = m.spawned(pid: 99, now: 26_500)
        XCTAssertEqual(m.counters.starts, 2)
        XCTAssertEqual(m.counters.restarts, 1)
        _ = m.playlistChanged(segments: 1, now: 28_000)
        XCTAssertEqual(m.phase, .running)
        XCTAssertNil(m.failureReason, "ready clears the failure")
        XCTAssertEqual(m.attempt, 1, "only a long run resets the attempt counter")
    }

    func testKillDeadline() {
        var m = SM.running(SM.policy(stall: 0, kill: 5_000), readyAt: 1_000)
        let out = m.operatorStop(now: 2_000)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .running, to: .stopping, reason: .stoppedByOperator),
            .terminate(pid: SM.pid),
        ])
        XCTAssertEqual(m.nextDeadline, 7_000)
        XCTAssertEqual(m.timerFired(now: 6_999), [])
        XCTAssertEqual(m.timerFired(now: 7_000), [.kill(pid: SM.pid)])
        XCTAssertEqual(m.phase, .stopping)
        XCTAssertNil(m.nextDeadline, "kill is sent once")
        XCTAssertEqual(m.timerFired(now: 9_000), [])
        XCTAssertEqual(m.exited(pid: SM.pid, code: nil, signal: 9, stderrTail: [], now: 7_010), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        XCTAssertEqual(m.history.last?.reason, .stoppedByOperator)
        XCTAssertEqual(m.history.last?.signal, 9)
    }

    // MARK: spawn outcome

    func testSpawnFailedGoesToBackoff() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        XCTAssertEqual(m.spawnFailed(message: "ffmpeg: not found", now: 0), [
            .stateChanged(from: .starting, to: .backoff, reason: .spawnFailed),
            .abortWaiters(.spawnFailed),
        ])
        XCTAssertEqual(m.counters.spawnFailed, 1)
        XCTAssertEqual(m.failureReason, .spawnFailed)
        XCTAssertEqual(m.failureMessage, "ffmpeg: not found")
        XCTAssertEqual(m.history.last?.reason, .spawnFailed)
        XCTAssertEqual(m.history.last?.detail, "ffmpeg: not found")
        XCTAssertNil(m.history.last?.runTimeMs)
        XCTAssertEqual(m.retryAt, 2_000)
        XCTAssertEqual(m.counters.starts, 0)
    }

    func testSpawnFailedWithMaxAttemptsOneFails() {
        var m = SM.machine(SM.policy(maxAttempts: 1))
        _ = m.demand(now: 0)
        XCTAssertEqual(m.spawnFailed(message: "x", now: 0), [
            .stateChanged(from: .starting, to: .failed, reason: .spawnFailed),
            .abortWaiters(.spawnFailed),
        ])
        XCTAssertNil(m.nextDeadline)
    }

    func testSpawnRejectedFromDemandGoesIdle() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        XCTAssertEqual(m.spawnRejected(.memory, detail: "120 MB free", now: 0), [
            .stateChanged(from: .starting, to: .idle, reason: .rejectedMemory),
            .abortWaiters(.rejectedMemory),
        ])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.counters.rejectedMemory, 1)
        XCTAssertEqual(m.history.last?.reason, .rejectedMemory)
        XCTAssertEqual(m.history.last?.detail, "120 MB free")
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.attempt, 0)
        // the next viewer tries again
        XCTAssertEqual(m.demand(now: 100).last, .spawn)
        XCTAssertEqual(m.spawnRejected(.maxStreams, now: 100).first,
                       .stateChanged(from: .starting, to: .idle, reason: .rejectedMaxStreams))
        XCTAssertEqual(m.counters.rejectedMaxStreams, 1)
    }

    func testSpawnRejectedFromBackoffRetryStaysInBackoff() {
        var m = SM.running(SM.policy(idle: 0, stall: 0))
        _ = SM.crash(&m, at: 5_000)           // attempt 1, retry at 7000
        _ = SM.crash(&m, at: 5_000)           // stale: no process now → only clean
        XCTAssertEqual(m.phase, .backoff)
        XCTAssertEqual(m.retryAt, 7_000)
        XCTAssertEqual(m.timerFired(now: 7_000).last, .spawn)
        XCTAssertEqual(m.spawnRejected(.memory, now: 7_000), [
            .stateChanged(from: .starting, to: .backoff, reason: .rejectedMemory),
            .abortWaiters(.rejectedMemory),
        ])
        XCTAssertEqual(m.attempt, 1, "same attempt number")
        XCTAssertEqual(m.retryDelayMs, 2_000, "same delay")
        XCTAssertEqual(m.retryAt, 9_000)
        XCTAssertEqual(m.want, .up(.viewers))
        XCTAssertEqual(m.timerFired(now: 9_000).last, .spawn)
        _ = m.spawned(pid: 2, now: 9_000)
        XCTAssertEqual(m.counters.restarts, 1)
        XCTAssertEqual(m.counters.rejectedMemory, 1)
    }

    func testUnexpectedSpawnedIsTerminated() {
        var m = SM.machine()
        XCTAssertEqual(m.spawned(pid: 5, now: 0), [.terminate(pid: 5)])
        XCTAssertEqual(m.phase, .idle)
        XCTAssertEqual(m.spawnFailed(message: "x", now: 0), [])
        XCTAssertEqual(m.spawnRejected(.memory, now: 0), [])
    }

    // MARK: exits

    func testStaleExitIgnoredAndStrayExitCleans() {
        var m = SM.running()
        XCTAssertEqual(m.exited(pid: 1, code: 0, signal: nil, stderrTail: [], now: 2_000), [])
        XCTAssertEqual(m.phase, .running)
        var idle = SM.machine()
        XCTAssertEqual(idle.exited(pid: 1, code: 0, signal: nil, stderrTail: [], now: 0), [.cleanDirectory])
        XCTAssertEqual(idle.phase, .idle)
    }

    func testDemandDuringIdleStopRestartsOnExit() {
        var m = SM.running(SM.policy(idle: 10_000, stall: 0), readyAt: 1_000)
        _ = m.timerFired(now: 11_000)
        XCTAssertEqual(m.phase, .stopping)
        XCTAssertEqual(m.demand(now: 11_100), [])
        XCTAssertTrue(m.restartPending)
        XCTAssertEqual(m.want, .up(.viewers))
        XCTAssertEqual(m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 11_200), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .starting, reason: .demand),
            .spawn,
        ])
        XCTAssertEqual(m.history.last?.reason, .stoppedIdle)
    }

    func testDemandDuringFailureStopDoesNotBypassBackoff() {
        var m = SM.running(SM.policy(idle: 0, stall: 20_000), readyAt: 1_000)
        _ = m.timerFired(now: 21_000)  // stalled
        XCTAssertEqual(m.demand(now: 21_100), [])
        XCTAssertFalse(m.restartPending)
        XCTAssertEqual(m.exited(pid: SM.pid, code: nil, signal: 15, stderrTail: [], now: 21_200).last,
                       .stateChanged(from: .stopping, to: .backoff, reason: .stalled))
    }

    func testOperatorStopDuringFailureStopGoesIdle() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        _ = m.timerFired(now: 10_000)  // start timeout → stopping
        let out = m.operatorStop(now: 10_001)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [.abortWaiters(.stoppedByOperator)])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.exited(pid: 1, code: nil, signal: 15, stderrTail: [], now: 10_100), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        XCTAssertEqual(m.history.last?.reason, .startTimeout)
        XCTAssertEqual(m.attempt, 0)
        XCTAssertNil(m.failureReason)
        XCTAssertEqual(m.operatorStop(now: 10_200).result, .alreadyStopped)
    }

    func testOperatorStartDuringStopQueuesStart() {
        var m = SM.running(SM.policy(stall: 0))
        _ = m.operatorStop(now: 2_000)
        let out = m.operatorStart(now: 2_100)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [])
        XCTAssertTrue(m.restartPending)
        XCTAssertEqual(m.operatorStart(now: 2_150).result, .alreadyStarted)
        XCTAssertEqual(m.exited(pid: SM.pid, code: 0, signal: nil, stderrTail: [], now: 2_200), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .starting, reason: .startedByOperator),
            .spawn,
        ])
        XCTAssertEqual(m.want, .up(.byOperator))
    }

    func testOperatorStopCancelsQueuedRestart() {
        var m = SM.running(SM.policy(stall: 0))
        _ = m.operatorRestart(now: 2_000)
        XCTAssertTrue(m.restartPending)
        let out = m.operatorStop(now: 2_100)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertFalse(m.restartPending)
        XCTAssertEqual(m.exited(pid: SM.pid, code: 0, signal: nil, stderrTail: [], now: 2_200).last,
                       .stateChanged(from: .stopping, to: .idle, reason: .exited))
        XCTAssertEqual(m.history.last?.reason, .restartedByOperator)
    }

    func testCrashWhileRunningWithMaxAttemptsOneFails() {
        var m = SM.machine(SM.policy(maxAttempts: 1))
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        _ = m.playlistChanged(segments: 1, now: 100)
        let actions = SM.crash(&m, pid: 1, at: 200)  // want up: crash → failed (max 1)
        XCTAssertEqual(actions.last, .abortWaiters(.crashed))
        XCTAssertEqual(m.phase, .failed)
        XCTAssertEqual(m.want, .down)
    }

    // MARK: wall clock stamps

    func testHistoryWallTimeUsesOffset() {
        var m = StreamMachine(policy: SM.policy(), jitter: { 1.0 }, wallClockOffsetMs: 1_700_000_000_000)
        _ = m.demand(now: 5_500)
        _ = m.spawned(pid: 1, now: 5_500)
        XCTAssertEqual(m.history.last?.wallTime, 1_700_000_005)
        XCTAssertEqual(m.history.last?.atMs, 5_500)
    }
}
