import XCTest
@testable import VTXEngine

/// `reconfigure`: what a config reload does to one stream's machine.
final class StreamMachineReloadTests: XCTestCase {
    func testFailedStreamGetsAFreshStartBudget() {
        var m = SM.machine(SM.policy(maxAttempts: 1))
        _ = m.demand(now: 0)
        _ = m.spawned(pid: SM.pid, now: 0)
        _ = SM.crash(&m, at: 100)
        XCTAssertEqual(m.phase, .failed)
        XCTAssertEqual(m.attempt, 1)
        let actions = m.reconfigure(policy: SM.policy(maxAttempts: 3), now: 200)
        XCTAssertEqual(actions, [.stateChanged(from: .failed, to: .idle, reason: .reloaded)])
        XCTAssertEqual(m.phase, .idle)
        XCTAssertEqual(m.attempt, 0)
        XCTAssertNil(m.failureReason)
        XCTAssertEqual(m.policy.maxAttempts, 3)
        XCTAssertEqual(m.demand(now: 300).last, .spawn, "starts again on demand")
    }

    func testRunningStreamIsUntouchedAndNewTimeoutsApply() {
        var m = SM.running(SM.policy(idle: 30_000), at: 0, readyAt: 1_000)
        XCTAssertEqual(m.reconfigure(policy: SM.policy(idle: 5_000), now: 2_000), [])
        XCTAssertEqual(m.phase, .running)
        XCTAssertEqual(m.pid, SM.pid)
        XCTAssertEqual(m.nextDeadline, 6_000, "the new idle_timeout counts from the last access")
    }

    func testIdleStreamStaysIdle() {
        var m = SM.machine()
        XCTAssertEqual(m.reconfigure(policy: SM.policy(autoStart: true), now: 0), [])
        XCTAssertEqual(m.phase, .idle)
        XCTAssertNil(m.nextDeadline)
    }
}
