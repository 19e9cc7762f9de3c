import XCTest
@testable import VTXLoop

final class SignalWatcherTests: XCTestCase {
    func testRaisedSignalsAreDeliveredThroughTheLoop() {
        let loop = EventLoop()
        var got: [Int32] = []
        let usr1 = SignalWatcher(loop, signal: SIGUSR1) { got.append($0) }
        let usr2 = SignalWatcher(loop, signal: SIGUSR2) { got.append($0) }
        // Unreferenced: the watchers alone do not keep the loop running.
        loop.run()
        XCTAssertTrue(got.isEmpty)

        raise(SIGUSR1)
        XCTAssertTrue(spin(loop, timeout: 2) { got.contains(SIGUSR1) }, "got \(got)")
        raise(SIGUSR2)
        XCTAssertTrue(spin(loop, timeout: 2) { got.contains(SIGUSR2) }, "got \(got)")
        XCTAssertEqual(got, [SIGUSR1, SIGUSR2])

        // kill(2) to ourselves too, as an outside sender would.
        kill(getpid(), SIGUSR1)
        XCTAssertTrue(spin(loop, timeout: 2) { got.count == 3 })
        XCTAssertEqual(got.last, SIGUSR1)

        usr1.close()
        usr2.close()
        usr2.close()
        closeLoop(loop)
    }
}
