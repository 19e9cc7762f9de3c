import XCTest
@testable import VTXEngine

final class StreamMachineOperatorTests: XCTestCase {

    func testOperatorStartFromIdle() {
        var m = SM.machine()
        let out = m.operatorStart(now: 100)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [.stateChanged(from: .idle, to: .starting, reason: .startedByOperator), .spawn])
        XCTAssertEqual(m.want, .up(.byOperator))
        XCTAssertEqual(m.lastAccessMs, 100)
    }

    func testOperatorStartWhenStartingOrRunningIsConflict() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        XCTAssertEqual(m.operatorStart(now: 1), StreamCommandOutcome(result: .alreadyStarted, actions: []))
        _ = m.spawned(pid: 1, now: 1)
        _ = m.playlistChanged(segments: 1, now: 2)
        XCTAssertEqual(m.operatorStart(now: 3), StreamCommandOutcome(result: .alreadyStarted, actions: []))
        XCTAssertEqual(m.phase, .running)
    }

    func testOperatorStopWhileStarting() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 8, now: 0)
        let out = m.operatorStop(now: 500)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .starting, to: .stopping, reason: .stoppedByOperator),
            .terminate(pid: 8),
            .abortWaiters(.stoppedByOperator),
        ])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.counters.stoppedByOperator, 1)
        XCTAssertEqual(m.exited(pid: 8, code: 255, signal: nil, stderrTail: [], now: 600), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        XCTAssertEqual(m.history.last?.reason, .stoppedByOperator)
        XCTAssertNil(m.history.last?.exitCode, "exit 255 is FFmpeg obeying our SIGTERM, not an outcome")
    }

    func testOperatorStopBeforeSpawnReported() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        let out = m.operatorStop(now: 1)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .starting, to: .idle, reason: .stoppedByOperator),
            .abortWaiters(.stoppedByOperator),
        ])
        // the late spawn report gets the process terminated
        XCTAssertEqual(m.spawned(pid: 3, now: 2), [.terminate(pid: 3)])
    }

    func testOperatorStopDuringBackoff() {
        var m = SM.running(SM.policy(idle: 0, stall: 0))
        _ = SM.crash(&m, at: 2_000)
        XCTAssertEqual(m.attempt, 1)
        let out = m.operatorStop(now: 2_500)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .backoff, to: .idle, reason: .stoppedByOperator),
            .abortWaiters(.stoppedByOperator),
        ])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.attempt, 0)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.timerFired(now: 4_000), [])
    }

    func testOperatorStopWhenIdleOrAlreadyStoppingIsConflict() {
        var m = SM.machine()
        XCTAssertEqual(m.operatorStop(now: 0), StreamCommandOutcome(result: .alreadyStopped, actions: []))
        var r = SM.running(SM.policy(stall: 0))
        _ = r.operatorStop(now: 2_000)
        XCTAssertEqual(r.operatorStop(now: 2_001), StreamCommandOutcome(result: .alreadyStopped, actions: []))
    }

    func testRestartDuringRunning() {
        var m = SM.running(SM.policy(stall: 0), readyAt: 1_000)
        let out = m.operatorRestart(now: 5_000)
        XCTAssertEqual(out.result, .accepted)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .running, to: .stopping, reason: .restartedByOperator),
            .terminate(pid: SM.pid),
        ])
        XCTAssertTrue(m.restartPending)
        XCTAssertEqual(m.want, .up(.byOperator))
        XCTAssertEqual(m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 5_200), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .starting, reason: .restartedByOperator),
            .spawn,
        ])
        XCTAssertEqual(m.history.last?.reason, .restartedByOperator)
        _ = m.spawned(pid: 77, now: 5_200)
        XCTAssertEqual(m.counters.restarts, 0, "operator restarts are not failure restarts")
        XCTAssertEqual(m.counters.starts, 2)
    }

    func testRestartDuringStarting() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 4, now: 0)
        let out = m.operatorRestart(now: 100)
        XCTAssertEqual(out.actions, [
            .stateChanged(from: .starting, to: .stopping, reason: .restartedByOperator),
            .terminate(pid: 4),
        ])
        XCTAssertEqual(m.exited(pid: 4, code: nil, signal: 15, stderrTail: [], now: 200).last, .spawn)
    }

    func testRestartFromIdleFailedBackoff() {
        var idle = SM.machine()
        XCTAssertEqual(idle.operatorRestart(now: 0).actions,
                       [.stateChanged(from: .idle, to: .starting, reason: .restartedByOperator), .spawn])

        var failed = SM.running(SM.policy(maxAttempts: 1))
        _ = SM.crash(&failed, at: 2_000)
        XCTAssertEqual(failed.phase, .failed)
        XCTAssertEqual(failed.operatorRestart(now: 3_000).actions,
                       [.stateChanged(from: .failed, to: .starting, reason: .restartedByOperator), .spawn])
        XCTAssertEqual(failed.attempt, 0)
        XCTAssertNil(failed.failureReason)

        var backoff = SM.running(SM.policy(idle: 0, stall: 0))
        _ = SM.crash(&backoff, at: 2_000)
        XCTAssertEqual(backoff.operatorRestart(now: 2_100).actions,
                       [.stateChanged(from: .backoff, to: .starting, reason: .restartedByOperator), .spawn])
        XCTAssertEqual(backoff.attempt, 0)
    }

    func testRestartDuringFailureStopSkipsBackoff() {
        var m = SM.running(SM.policy(idle: 0, stall: 20_000), readyAt: 1_000)
        _ = m.timerFired(now: 21_000)  // stalled → stopping
        XCTAssertEqual(m.operatorRestart(now: 21_100).actions, [])
        XCTAssertEqual(m.exited(pid: SM.pid, code: nil, signal: 15, stderrTail: [], now: 21_200), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .starting, reason: .restartedByOperator),
            .spawn,
        ])
        XCTAssertEqual(m.attempt, 0)
        XCTAssertEqual(m.history.last?.reason, .stalled)
    }

    func testStateChangedIsEmittedForEveryPhaseChange() {
        // walk a full life cycle and check each change is reported once
        var m = SM.machine(SM.policy(idle: 10_000, stall: 0, maxAttempts: 2))
        var changes: [StreamAction] = []
        func keep(_ a: [StreamAction]) {
            changes += a.filter { if case .stateChanged = $0 { return true } else { return false } }
        }
        keep(m.demand(now: 0))
        keep(m.spawned(pid: 1, now: 0))
        keep(m.playlistChanged(segments: 1, now: 1_000))
        keep(SM.crash(&m, pid: 1, at: 2_000))
        keep(m.timerFired(now: 4_000))
        keep(m.spawned(pid: 2, now: 4_000))
        keep(SM.crash(&m, pid: 2, at: 5_000))
        XCTAssertEqual(changes, [
            .stateChanged(from: .idle, to: .starting, reason: .demand),
            .stateChanged(from: .starting, to: .running, reason: .ready),
            .stateChanged(from: .running, to: .backoff, reason: .crashed),
            .stateChanged(from: .backoff, to: .starting, reason: .retry),
            .stateChanged(from: .starting, to: .failed, reason: .crashed),
        ])
        XCTAssertEqual(m.phaseReason, .crashed)
        XCTAssertEqual(m.phaseSinceMs, 5_000)
    }
}
