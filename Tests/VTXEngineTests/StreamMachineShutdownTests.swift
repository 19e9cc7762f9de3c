import XCTest
@testable import VTXEngine

/// History in the words an operator reads right: a stop the gateway asked for is
/// not an exit code, and a gateway shutdown is not an operator's stop.
final class StreamMachineShutdownTests: XCTestCase {

    /// running → idle stop at the idle deadline → FFmpeg answers SIGTERM with exit 255.
    private func idleStopped(code: Int32?, signal: Int32?) -> StreamMachine {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), readyAt: 1_000)
        XCTAssertEqual(m.timerFired(now: 31_000), [
            .stateChanged(from: .running, to: .stopping, reason: .stoppedIdle), .terminate(pid: SM.pid),
        ])
        _ = m.exited(pid: SM.pid, code: code, signal: signal, stderrTail: ["Exiting normally, received signal 15."], now: 31_300)
        XCTAssertEqual(m.phase, .idle)
        return m
    }

    func testIdleStopAnsweredWithExit255HasNoExitCode() {
        let entry = idleStopped(code: 255, signal: nil).history.last!
        XCTAssertEqual(entry.reason, .stoppedIdle)
        XCTAssertNil(entry.exitCode)
        XCTAssertNil(entry.signal)
        XCTAssertEqual(entry.runTimeMs, 31_300)
        XCTAssertEqual(entry.pid, SM.pid)
        XCTAssertEqual(entry.stderrTail, ["Exiting normally, received signal 15."], "FFmpeg's own words are kept")
    }

    func testIdleStopEndedBySIGTERMOrExit0HasNoExitEither() {
        XCTAssertNil(idleStopped(code: nil, signal: 15).history.last!.signal)
        XCTAssertNil(idleStopped(code: 0, signal: nil).history.last!.exitCode)
    }

    /// Any other ending during a stop does tell something: it is kept.
    func testOtherEndingsDuringAStopAreKept() {
        let one = idleStopped(code: 1, signal: nil).history.last!
        XCTAssertEqual(one.exitCode, 1)
        let segv = idleStopped(code: nil, signal: 11).history.last!
        XCTAssertEqual(segv.signal, 11)
    }

    /// FFmpeg that ignored SIGTERM and needed SIGKILL: signal 9 stays in the entry,
    /// even if the late exit is 255.
    func testStopThatNeededSIGKILLKeepsItsEnding() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0, kill: 3_000), readyAt: 1_000)
        _ = m.timerFired(now: 31_000)
        XCTAssertEqual(m.timerFired(now: 34_000), [.kill(pid: SM.pid)])
        _ = m.exited(pid: SM.pid, code: nil, signal: 9, stderrTail: [], now: 34_010)
        XCTAssertEqual(m.history.last?.reason, .stoppedIdle)
        XCTAssertEqual(m.history.last?.signal, 9)

        var late = SM.running(SM.policy(idle: 30_000, stall: 0, kill: 3_000), readyAt: 1_000)
        _ = late.timerFired(now: 31_000)
        _ = late.timerFired(now: 34_000)
        _ = late.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 34_010)
        XCTAssertEqual(late.history.last?.exitCode, 255)
    }

    /// A crash is not a stop: its exit code stays.
    func testCrashKeepsItsExitCode() {
        var m = SM.running()
        _ = m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: ["Connection refused"], now: 5_000)
        XCTAssertEqual(m.history.last?.reason, .crashed)
        XCTAssertEqual(m.history.last?.exitCode, 255)
    }

    func testShutdownOfARunningStreamIsRecordedAsShutdown() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), readyAt: 1_000)
        XCTAssertEqual(m.shutdown(now: 2_000), [
            .stateChanged(from: .running, to: .stopping, reason: .shutdown), .terminate(pid: SM.pid),
        ])
        XCTAssertEqual(m.want, .down)
        XCTAssertEqual(m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 2_100), [
            .cleanDirectory, .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        let entry = m.history.last!
        XCTAssertEqual(entry.reason, .shutdown)
        XCTAssertNil(entry.exitCode)
        XCTAssertEqual(entry.runTimeMs, 2_100)
        XCTAssertEqual(m.counters.stoppedByOperator, 0, "nobody stopped it")
        XCTAssertFalse(m.history.entries.contains { $0.reason == .stoppedByOperator })
    }

    func testShutdownWhileStartingLetsTheWaitersGoWithShutdown() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 8, now: 0)
        XCTAssertEqual(m.shutdown(now: 500), [
            .stateChanged(from: .starting, to: .stopping, reason: .shutdown),
            .terminate(pid: 8),
            .abortWaiters(.shutdown),
        ])
        _ = m.exited(pid: 8, code: 255, signal: nil, stderrTail: [], now: 600)
        XCTAssertEqual(m.history.last?.reason, .shutdown)
    }

    func testShutdownInBackoffGoesIdle() {
        var m = SM.running()
        _ = SM.crash(&m, at: 5_000)
        XCTAssertEqual(m.phase, .backoff)
        XCTAssertEqual(m.shutdown(now: 5_500), [
            .stateChanged(from: .backoff, to: .idle, reason: .shutdown), .abortWaiters(.shutdown),
        ])
        XCTAssertNil(m.nextDeadline, "no retry after a shutdown")
    }

    /// A restart queued behind a stop is cancelled: nothing starts during a shutdown.
    func testShutdownCancelsAQueuedRestart() {
        var m = SM.running(SM.policy(idle: 30_000, stall: 0), readyAt: 1_000)
        _ = m.operatorRestart(now: 2_000)
        XCTAssertTrue(m.restartPending)
        XCTAssertEqual(m.shutdown(now: 2_100), [.abortWaiters(.shutdown)])
        XCTAssertFalse(m.restartPending)
        XCTAssertEqual(m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 2_200), [
            .cleanDirectory, .stateChanged(from: .stopping, to: .idle, reason: .exited),
        ])
        XCTAssertEqual(m.history.last?.reason, .restartedByOperator)
    }

    func testShutdownOfAnIdleStreamDoesNothing() {
        var m = SM.machine()
        XCTAssertEqual(m.shutdown(now: 0), [])
        XCTAssertEqual(m.phase, .idle)
        XCTAssertTrue(m.history.isEmpty)
    }

    func testShutdownReasonString() {
        XCTAssertEqual(StreamReason.shutdown.rawValue, "shutdown")
        XCTAssertFalse(StreamReason.shutdown.isFailure)
    }
}
