import XCTest
@testable import VTXEngine

final class StreamMachineBackoffTests: XCTestCase {

    /// Crash the current run at `at`, then let the retry fire and spawn again.
    private func crashAndRetry(_ m: inout StreamMachine, at: Int64, newPid: Int32) -> Int64 {
        _ = SM.crash(&m, pid: m.pid!, at: at)
        let retry = m.retryAt!
        XCTAssertEqual(m.timerFired(now: retry).last, .spawn)
        _ = m.spawned(pid: newPid, now: retry)
        return retry
    }

    func testCrashBackoffDoublesAndIsCapped() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, initialBackoff: 2_000, maxBackoff: 10_000,
                                     resetAfter: 60_000), readyAt: 100)
        var t: Int64 = 1_000
        var delays: [Int64] = []
        for i in 0..<6 {
            let actions = SM.crash(&m, pid: m.pid!, at: t)
            XCTAssertEqual(actions, [.cleanDirectory, .stateChanged(from: .running, to: .backoff, reason: .crashed)])
            XCTAssertEqual(m.attempt, i + 1)
            delays.append(m.retryAt! - t)
            XCTAssertEqual(m.nextDeadline, m.retryAt)
            t = m.retryAt!
            XCTAssertEqual(m.timerFired(now: t - 1), [])
            XCTAssertEqual(m.timerFired(now: t), [.stateChanged(from: .backoff, to: .starting, reason: .retry), .spawn])
            _ = m.spawned(pid: Int32(100 + i), now: t)
            _ = m.playlistChanged(segments: 1, now: t + 100)
            t += 1_000
        }
        XCTAssertEqual(delays, [2_000, 4_000, 8_000, 10_000, 10_000, 10_000])
        XCTAssertEqual(m.counters.crashed, 6)
        XCTAssertEqual(m.counters.restarts, 6)
        XCTAssertEqual(m.counters.starts, 7)
        XCTAssertEqual(m.failureReason, nil, "cleared by the last ready")
    }

    func testJitterApplied() {
        var factors: [Double] = [1.1, 0.9, 1.0]
        var m = StreamMachine(policy: SM.policy(idle: 0, stall: 0), jitter: { factors.removeFirst() })
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 1, now: 0)
        _ = SM.crash(&m, pid: 1, at: 1_000)
        XCTAssertEqual(m.retryAt, 1_000 + 2_200)
        XCTAssertEqual(m.retryDelayMs, 2_200)
        _ = m.timerFired(now: 3_200)
        _ = m.spawned(pid: 2, now: 3_200)
        _ = SM.crash(&m, pid: 2, at: 4_000)
        XCTAssertEqual(m.retryAt, 4_000 + 3_600)
    }

    func testBackoffBaseNeverOverflows() {
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 1, initialMs: 2_000, maxMs: 60_000), 2_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 0, initialMs: 2_000, maxMs: 60_000), 2_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 5, initialMs: 2_000, maxMs: 60_000), 32_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 6, initialMs: 2_000, maxMs: 60_000), 60_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 62, initialMs: 2_000, maxMs: 60_000), 60_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 63, initialMs: 2_000, maxMs: 60_000), 60_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 1_000, initialMs: 2_000, maxMs: 60_000), 60_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: Int.max, initialMs: 2_000, maxMs: 60_000), 60_000)
        XCTAssertEqual(StreamMachine.backoffBase(attempt: 50, initialMs: Int64.max / 2, maxMs: Int64.max), Int64.max)
        let m = SM.machine()
        XCTAssertEqual(m.backoffDelay(attempt: 10_000), 60_000)
    }

    func testLongRunResetsAttemptCounter() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, resetAfter: 60_000), readyAt: 100)
        _ = crashAndRetry(&m, at: 1_000, newPid: 2)          // attempt 1, spawned at 3000
        _ = crashAndRetry(&m, at: 4_000, newPid: 3)          // attempt 2, spawned at 8000
        XCTAssertEqual(m.attempt, 2)
        _ = m.playlistChanged(segments: 1, now: 9_000)
        // this run lasts 60 s from its spawn at 8000 → counter reset before counting
        _ = SM.crash(&m, pid: 3, at: 68_000)
        XCTAssertEqual(m.attempt, 1)
        XCTAssertEqual(m.retryAt, 70_000)
        XCTAssertEqual(m.history.last?.runTimeMs, 60_000)
        XCTAssertEqual(m.history.last?.attempt, 1)
        // one ms short of resetAfter: no reset
        _ = m.timerFired(now: 70_000)
        _ = m.spawned(pid: 4, now: 70_000)
        _ = SM.crash(&m, pid: 4, at: 129_999)
        XCTAssertEqual(m.attempt, 2)
    }

    func testMaxAttemptsFailsThenOperatorStartResets() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, maxAttempts: 3), readyAt: 100)
        _ = crashAndRetry(&m, at: 1_000, newPid: 2)
        _ = crashAndRetry(&m, at: 4_000, newPid: 3)
        XCTAssertEqual(m.attempt, 2)
        XCTAssertEqual(SM.crash(&m, pid: 3, at: 9_000), [
            .cleanDirectory,
            .stateChanged(from: .starting, to: .failed, reason: .crashed),
            .abortWaiters(.crashed),
        ])
        XCTAssertEqual(m.phase, .failed)
        XCTAssertEqual(m.attempt, 3)
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.failureReason, .crashed)
        XCTAssertEqual(m.failureMessage, "exit code 1: boom")
        XCTAssertNil(m.nextDeadline)
        XCTAssertNil(m.retryAt)
        // viewers get nothing started (driver answers 503 with failureReason)
        XCTAssertEqual(m.demand(now: 10_000), [])
        XCTAssertEqual(m.phase, .failed)
        XCTAssertEqual(m.timerFired(now: 100_000), [])
        XCTAssertEqual(m.operatorStop(now: 10_000).result, .alreadyStopped)
        let out = m.operatorStart(now: 11_000)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [.stateChanged(from: .failed, to: .starting, reason: .startedByOperator), .spawn])
        XCTAssertEqual(m.attempt, 0)
        XCTAssertNil(m.failureReason)
        XCTAssertEqual(m.want, .up(.byOperator))
        _ = m.spawned(pid: 4, now: 11_000)
        _ = SM.crash(&m, pid: 4, at: 12_000)
        XCTAssertEqual(m.phase, .backoff)
        XCTAssertEqual(m.attempt, 1)
        XCTAssertEqual(m.retryAt, 14_000)
    }

    func testFailedBySignal() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, maxAttempts: 1))
        _ = m.exited(pid: SM.pid, code: nil, signal: 11, stderrTail: ["1", "2", "3", "4", "5", "6", "7"], now: 2_000)
        XCTAssertEqual(m.phase, .failed)
        XCTAssertEqual(m.failureMessage, "killed by signal 11: 7")
        XCTAssertEqual(m.history.last?.stderrTail, ["3", "4", "5", "6", "7"])
        XCTAssertEqual(m.history.last?.signal, 11)
        XCTAssertNil(m.history.last?.exitCode)
    }

    // MARK: who still wants it after the delay

    func testOnDemandStreamWithViewersGoneIsNotRestarted() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0, initialBackoff: 2_000), at: 0, readyAt: 1_000)
        m.accessed(now: 20_000)
        _ = SM.crash(&m, at: 49_000)       // retry at 51_000; last access 20_000 → 31 s ago
        XCTAssertEqual(m.phase, .backoff)
        XCTAssertFalse(m.isWanted(at: 51_000))
        // (a request still waiting across the retries is answered, not left to time out)
        XCTAssertEqual(m.timerFired(now: 51_000), [.stateChanged(from: .backoff, to: .idle, reason: .noViewers),
                                                   .abortWaiters(.noViewers)])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.attempt, 0)
        XCTAssertNil(m.nextDeadline)
    }

    func testOnDemandStreamWithRecentViewersIsRestarted() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), at: 0, readyAt: 1_000)
        _ = SM.crash(&m, at: 20_000)
        XCTAssertEqual(m.demand(now: 21_000), [], "demand in backoff only refreshes access")
        XCTAssertEqual(m.lastAccessMs, 21_000)
        XCTAssertEqual(m.timerFired(now: 22_000).last, .spawn)
    }

    func testAutoStartAndOperatorStreamsAreRestartedWithoutViewers() {
        var a = SM.machine(SM.policy(idle: 30_000, autoStart: true, stall: 0, initialBackoff: 60_000))
        _ = a.boot(now: 0)
        _ = a.spawned(pid: 1, now: 0)
        _ = SM.crash(&a, pid: 1, at: 1_000)
        XCTAssertEqual(a.timerFired(now: 61_000).last, .spawn)

        var o = SM.machine(SM.policy(idle: 30_000, stall: 0, initialBackoff: 60_000))
        _ = o.operatorStart(now: 0)
        _ = o.spawned(pid: 1, now: 0)
        _ = SM.crash(&o, pid: 1, at: 1_000)
        XCTAssertEqual(o.timerFired(now: 61_000).last, .spawn)
    }

    func testIdleZeroOnDemandStreamIsAlwaysRestarted() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, initialBackoff: 1_000_000))
        _ = SM.crash(&m, at: 2_000)
        XCTAssertEqual(m.timerFired(now: 1_002_000).last, .spawn)
    }

    func testOperatorStartInBackoffPinsTheStream() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0, initialBackoff: 60_000), readyAt: 1_000)
        _ = SM.crash(&m, at: 2_000)
        let out = m.operatorStart(now: 3_000)
        XCTAssertEqual(out.result, .alreadyStarted)
        XCTAssertEqual(out.actions, [])
        XCTAssertEqual(m.want, .up(.byOperator))
        XCTAssertEqual(m.timerFired(now: 62_000).last, .spawn)
    }
}
