// History in words an operator reads right, with the real binary and real FFmpeg:
// an idle stop is "stopped (idle)", not "exit 255" (FFmpeg's normal answer to our
// SIGTERM), in the API and on the dashboard; a gateway shutdown is `shutdown`, not
// an operator's stop. History lives in memory only, so the shutdown is observed
// through the gateway's log, the last thing it says about the stream.
import Foundation
import XCTest

final class HistoryWordingTests: XCTestCase {

    func testIdleStopShowsNoExitCodeInTheAPIAndReadsStoppedIdleOnTheDashboard() throws {
        let gw = try GatewayProcess(name: "hist-idle") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 2)])
        }
        defer { gw.stop() }
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(DashboardTests.stateIs("cam", "idle"), timeout: 10), "cam card")

        WebT.startByPlaylist(gw, "cam")
        XCTAssertTrue(Harness.waitUntil(10, interval: 0.1) { WebT.state(gw, "cam") == "idle" }, "never reclaimed\n" + gw.log)
        // The premise: FFmpeg really did answer the idle stop's SIGTERM with exit 255.
        XCTAssertTrue(gw.log.contains("exited with status 255"), gw.log)
        XCTAssertTrue(gw.log.contains("running → stopping (stopped_idle)"), gw.log)

        let history = try XCTUnwrap(WebT.stream(gw, "cam")?["history"] as? [[String: Any]])
        let stop = try XCTUnwrap(history.first, "newest first")
        XCTAssertEqual(stop["reason"] as? String, "stopped_idle")
        XCTAssertTrue(WebT.isNull(stop["exit_code"]), "exit code shown for an idle stop: \(stop)")
        XCTAssertTrue(WebT.isNull(stop["signal"]), "signal shown for an idle stop: \(stop)")
        XCTAssertGreaterThanOrEqual(WebT.double(stop["run_time_sec"]) ?? 0, 2)
        XCTAssertEqual(history.last?["reason"] as? String, "started")

        try browser.eval("document.querySelector('[data-stream=\"cam\"] .history').open = true")
        let newest = "document.querySelector('[data-stream=\"cam\"] .timeline .ev')"
        XCTAssertTrue(browser.waitFor("\(newest)?.querySelector('.ev-reason').textContent === 'stopped (idle)'", timeout: 5),
                      "dashboard shows: \(String(describing: try? browser.eval("\(newest)?.textContent")))")
        XCTAssertEqual(try browser.eval("\(newest).querySelector('.ev-exit').textContent") as? String, "")
        XCTAssertEqual(try browser.eval("\(newest).dataset.kind") as? String, "stop", "not drawn as a failure")
        XCTAssertEqual(try browser.eval("\(newest).querySelector('.ev-reason').title") as? String, "stopped_idle", "the API's word stays at hand")
        let card = try browser.eval("document.querySelector('[data-stream=\"cam\"] .timeline').textContent") as? String ?? ""
        XCTAssertFalse(card.contains("exit 255"), card)
        XCTAssertEqual(browser.problems, [])
    }

    func testGatewayShutdownIsRecordedAsShutdownNotAsAnOperatorStop() throws {
        let gw = try GatewayProcess(name: "hist-shutdown") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 120)])
        }
        WebT.startByPlaylist(gw, "cam")
        XCTAssertEqual(WebT.state(gw, "cam"), "running")
        XCTAssertEqual(gw.stop(), 0)
        let log = gw.log
        XCTAssertTrue(log.contains("stream[cam] running → stopping (shutdown)"), log)
        XCTAssertFalse(log.contains("stopped_by_operator"), log)
        XCTAssertTrue(log.contains("stream[cam] stopping → idle (exited)"), log)
        XCTAssertEqual(gw.ffmpegPIDs, [])
    }
}
