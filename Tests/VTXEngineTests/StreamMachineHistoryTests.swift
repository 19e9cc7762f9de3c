import XCTest
@testable import VTXEngine

final class StreamMachineHistoryTests: XCTestCase {

    private func entry(_ i: Int) -> StreamHistoryEntry {
        StreamHistoryEntry(atMs: Int64(i), wallTime: i, reason: .started, pid: Int32(i))
    }

    func testRingKeepsLastTwenty() {
        var h = StreamHistory()
        XCTAssertTrue(h.isEmpty)
        XCTAssertNil(h.last)
        for i in 0..<20 { h.append(entry(i)) }
        XCTAssertEqual(h.entries.map(\.atMs), (0..<20).map(Int64.init))
        for i in 20..<47 { h.append(entry(i)) }
        XCTAssertEqual(h.count, 20)
        XCTAssertEqual(h.totalRecorded, 47)
        XCTAssertEqual(h.entries.map(\.atMs), (27..<47).map(Int64.init), "oldest dropped, oldest first")
        XCTAssertEqual(h.last?.atMs, 46)
    }

    func testStderrTailTrimmedToFive() {
        var h = StreamHistory(capacity: 2)
        var e = entry(1)
        e.stderrTail = ["a", "b", "c", "d", "e", "f"]
        h.append(e)
        XCTAssertEqual(h.last?.stderrTail, ["b", "c", "d", "e", "f"])
    }

    func testMachineHistoryIsCappedAtTwenty() {
        var m = SM.running(SM.policy(idle: 0, stall: 0, maxBackoff: 4_000))
        // each cycle adds 2 entries: crash + started
        for i in 0..<30 {
            let pid = m.pid!
            _ = SM.crash(&m, pid: pid, at: m.spawnedAtMs! + 500)
            _ = m.timerFired(now: m.retryAt!)
            _ = m.spawned(pid: Int32(1_000 + i), now: m.phaseSinceMs)
        }
        XCTAssertEqual(m.history.count, 20)
        XCTAssertEqual(m.history.totalRecorded, 61)
        XCTAssertEqual(m.history.last?.reason, .started)
        XCTAssertEqual(m.history.last?.pid, 1_029)
        XCTAssertEqual(m.history.entries.first?.reason, .crashed)
    }

    func testNextDeadlineNilWhenIdleOrFailed() {
        var m = SM.machine(SM.policy(maxAttempts: 1))
        XCTAssertNil(m.nextDeadline)
        _ = m.demand(now: 0)
        XCTAssertNotNil(m.nextDeadline)
        _ = m.spawnFailed(message: "exec", now: 0)
        XCTAssertEqual(m.phase, .failed)
        XCTAssertNil(m.nextDeadline)
        XCTAssertEqual(m.timerFired(now: 1_000_000), [])
    }

    func testCountersSubscript() {
        var c = StreamCounters()
        c.count(.crashed); c.count(.stalled); c.count(.spawnFailed); c.count(.startTimeout)
        c.count(.rejectedMemory)
        XCTAssertEqual(c.failures, 4)
        XCTAssertEqual(c[.crashed], 1)
        XCTAssertEqual(c[.rejectedMemory], 1)
        XCTAssertEqual(c[.demand], 0)
    }

    func testReasonRawValues() {
        XCTAssertEqual(StreamReason.startTimeout.rawValue, "start_timeout")
        XCTAssertEqual(StreamReason.stoppedByOperator.rawValue, "stopped_by_operator")
        XCTAssertEqual(StreamRejection.maxStreams.reason.rawValue, "rejected_max_streams")
        XCTAssertEqual(StreamPhase.backoff.rawValue, "backoff")
        XCTAssertTrue(StreamReason.stalled.isFailure)
        XCTAssertFalse(StreamReason.stoppedIdle.isFailure)
    }
}
