import XCTest
@testable import VTXLoop

final class TimerTests: XCTestCase {
    func testOneShotFiresOnceAfterDelay() {
        let loop = EventLoop()
        loop.updateTime()
        let start = MonotonicClock.nowMs()
        var fired: [Int64] = []
        let timer = LoopTimer(loop) { fired.append(MonotonicClock.nowMs()) }
        timer.start(afterMs: 50)
        XCTAssertTrue(timer.isActive)
        loop.run()   // returns once the one-shot fired: no active handle left
        XCTAssertEqual(fired.count, 1)
        if let t = fired.first { XCTAssertGreaterThanOrEqual(t - start, 49) }
        XCTAssertFalse(timer.isActive)
        // Nothing more fires later.
        spin(loop, timeout: 0.1) { false }
        XCTAssertEqual(fired.count, 1)
        timer.close()
        XCTAssertTrue(timer.isClosed)
        closeLoop(loop)
    }

    func testRepeatAndStop() {
        let loop = EventLoop()
        var count = 0
        var timer: LoopTimer!
        timer = LoopTimer(loop) {
            count += 1
            if count == 3 { timer.stop() }
        }
        timer.start(afterMs: 5, repeatMs: 10)
        loop.run()   // the stop in the 3rd callback leaves nothing active
        XCTAssertEqual(count, 3)
        XCTAssertFalse(timer.isActive)
        spin(loop, timeout: 0.05) { false }
        XCTAssertEqual(count, 3, "a stopped timer fired")
        timer.close()
        closeLoop(loop)
    }

    func testStopBeforeDueNeverFires() {
        let loop = EventLoop()
        var fired = false
        let timer = LoopTimer(loop) { fired = true }
        timer.start(afterMs: 20)
        timer.stop()
        XCTAssertFalse(timer.isActive)
        spin(loop, timeout: 0.08) { false }
        XCTAssertFalse(fired)
        timer.close()
        closeLoop(loop)
    }

    func testRestartMovesDeadline() {
        let loop = EventLoop()
        loop.updateTime()
        let start = MonotonicClock.nowMs()
        var firedAt: [Int64] = []
        let timer = LoopTimer(loop) { firedAt.append(MonotonicClock.nowMs()) }
        timer.start(afterMs: 30)
        // After 10 ms, push the deadline out to 10 + 80 ms.
        let mover = LoopTimer(loop) { timer.start(afterMs: 80) }
        mover.start(afterMs: 10)
        loop.run()
        XCTAssertEqual(firedAt.count, 1)
        if let t = firedAt.first { XCTAssertGreaterThanOrEqual(t - start, 88, "fired at the old deadline") }
        timer.close()
        mover.close()
        closeLoop(loop)
    }

    func testCloseInsideOwnCallback() {
        let loop = EventLoop()
        var count = 0
        var timer: LoopTimer?
        timer = LoopTimer(loop) {
            count += 1
            timer?.close()
            timer?.start(afterMs: 1)   // no-op once closed
            timer = nil                // drop the last outside reference mid-callback
        }
        timer?.start(afterMs: 1, repeatMs: 1)
        loop.run()
        XCTAssertEqual(count, 1)
        XCTAssertNil(timer)
        closeLoop(loop)
    }

    func testCloseTwiceAndStartAfterClose() {
        let loop = EventLoop()
        let timer = LoopTimer(loop) { XCTFail("closed timer fired") }
        timer.close()
        timer.close()
        timer.start(afterMs: 0)
        timer.stop()
        XCTAssertFalse(timer.isActive)
        closeLoop(loop)
    }
}
