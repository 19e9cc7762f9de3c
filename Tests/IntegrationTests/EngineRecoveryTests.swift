import Foundation
import XCTest

/// Crashes, backoff, `failed`, a source that goes away and comes back, the stall watchdog.
final class EngineRecoveryTests: XCTestCase {
    typealias S = EngineSupport

    func testKill9ThreeTimesRestartsAfterGrowingDelays() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-backoff") { port, root in
            S.config(port: port, root: root, streams: [
                S.rtspStream("cam", source: cam.url, retry: ["initial_backoff_sec: 1", "max_backoff_sec: 8", "reset_after_sec: 30"]),
            ])
        }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        var pid = try XCTUnwrap(g.ffmpegPIDs.first)
        var seen: Set<Int32> = [pid]
        var delays: [TimeInterval] = []
        var announced: [Double] = []
        for round in 1...3 {
            kill(pid, SIGKILL)
            let killed = S.now()
            // The API's figure: the delay still to go while in backoff.
            var next: Double?
            Harness.waitUntil(2, interval: 0.02) {
                let s = S.stream(g, "cam")
                if s?["state"] as? String == "backoff", let n = s?["next_retry_in_sec"] as? Double {
                    next = n + (S.now() - killed)
                    return true
                }
                return false
            }
            if let next { announced.append(next) }
            guard let fresh = S.newFFmpeg(g, besides: seen, timeout: 10) else {
                return XCTFail("no restart after kill #\(round)\n" + g.log)
            }
            delays.append(S.now() - killed)
            seen.insert(fresh)
            pid = fresh
        }
        S.measure("restart delays after kill -9 (initial_backoff_sec 1): measured \(delays.map(S.format)), announced by the API \(announced.map { String(format: "%.2f s", $0) })")
        XCTAssertEqual(delays.count, 3)
        for (i, base) in [1.0, 2.0, 4.0].enumerated() where i < delays.count {
            XCTAssertGreaterThanOrEqual(delays[i], base * 0.9 - 0.05, "delay \(i + 1)")
            XCTAssertLessThanOrEqual(delays[i], base * 1.1 + 0.7, "delay \(i + 1)")
        }
        for i in 1..<delays.count { XCTAssertGreaterThan(delays[i], delays[i - 1], "delays must grow: \(delays)") }

        // It recovers, and the history tells the story.
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        let s = try XCTUnwrap(S.stream(g, "cam"))
        XCTAssertEqual(s["state"] as? String, "running")
        XCTAssertEqual(s["restarts"] as? Int, 3)
        XCTAssertEqual(s["failures"] as? Int, 3)
        let crashes = (s["history"] as? [[String: Any]] ?? []).filter { $0["reason"] as? String == "crashed" }
        XCTAssertEqual(crashes.map { $0["signal"] as? Int }, [9, 9, 9])
        XCTAssertEqual(crashes.map { $0["attempt"] as? Int }, [3, 2, 1], "newest first")
        XCTAssertEqual(g.stop(), 0)
    }

    func testMaxAttemptsLeadsToFailedAnd503UntilAnOperatorStart() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-failed") { port, root in
            S.config(port: port, root: root, streams: [
                S.rtspStream("cam", source: cam.url, retry: ["initial_backoff_sec: 1", "max_attempts: 3"]),
            ])
        }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        var pid = try XCTUnwrap(g.ffmpegPIDs.first)
        var seen: Set<Int32> = [pid]
        for round in 1...3 {
            kill(pid, SIGKILL)
            if round == 3 { break }
            guard let fresh = S.newFFmpeg(g, besides: seen, timeout: 6) else { return XCTFail("no restart #\(round)\n" + g.log) }
            seen.insert(fresh)
            pid = fresh
        }
        XCTAssertTrue(S.waitForState(g, "cam", "failed", timeout: 3), g.log)
        Thread.sleep(forTimeInterval: 1.5)   // longer than the next backoff would have been
        XCTAssertEqual(g.ffmpegPIDs.filter(S.isAlive), [], "a failed stream is not restarted")

        let sampler = PIDSampler { g.ffmpegPIDs.filter(S.isAlive) }
        let r = g.curl("/hls/cam/index.m3u8", timeout: 10)
        XCTAssertEqual(r.status, 503, r.text)
        XCTAssertTrue(r.text.contains("crashed"), r.text)
        XCTAssertEqual(sampler.stop().pids, [], "a playlist request does not restart a failed stream")
        XCTAssertEqual(S.stream(g, "cam")?["attempt"] as? Int, 3)

        XCTAssertEqual(S.post(g, "/api/v1/streams/cam/start", header: false).status, 403, "needs X-VTX-Request")
        XCTAssertEqual(S.post(g, "/api/v1/streams/cam/start").status, 202)
        let again = g.curl("/hls/cam/index.m3u8", timeout: 20)
        XCTAssertEqual(again.status, 200, again.text + g.log)
        let s = try XCTUnwrap(S.stream(g, "cam"))
        XCTAssertEqual(s["state"] as? String, "running")
        XCTAssertEqual(s["attempt"] as? Int, 0, "an operator start resets the attempts")
        XCTAssertEqual(g.ffmpegPIDs.filter(S.isAlive).count, 1)
        XCTAssertEqual(g.stop(), 0)
    }

    func testSourceDownThenBackOnTheSamePortRecoversByItself() throws {
        let cam = try PortCamera()
        let g = try GatewayProcess(name: "eng-source") { port, root in
            S.config(port: port, root: root, streams: [
                S.rtspStream("cam", source: cam.url, idle: 0, autoStart: true,
                             retry: ["initial_backoff_sec: 1", "max_backoff_sec: 2"]),
            ])
        }
        XCTAssertTrue(S.waitForState(g, "cam", "running", timeout: 15), "auto_start brings it up\n" + g.log)
        let first = try XCTUnwrap(g.ffmpegPIDs.first)

        cam.stop()
        let down = S.now()
        XCTAssertTrue(Harness.waitUntil(10, interval: 0.05) { !S.isAlive(first) }, "FFmpeg must notice the camera is gone\n" + g.log)
        let noticed = S.now() - down
        let ended = S.history(g, "cam").first { $0["pid"] as? Int == Int(first) && $0["reason"] as? String != "started" }
        XCTAssertTrue(["crashed", "stalled"].contains(ended?["reason"] as? String ?? ""), "\(String(describing: ended))")

        // While the camera is away: backoff, retries that fail (connection refused).
        Thread.sleep(forTimeInterval: 3)
        let during = try XCTUnwrap(S.stream(g, "cam"))
        XCTAssertTrue(["backoff", "starting"].contains(during["state"] as? String ?? ""), "\(during)")
        XCTAssertGreaterThanOrEqual(during["failures"] as? Int ?? 0, 2, "\(during)")
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 2).status != 200, true, "no playlist while the source is down")

        try cam.start()
        let up = S.now()
        XCTAssertTrue(S.waitForState(g, "cam", "running", timeout: 15), "must recover by itself\n" + g.log)
        let recovered = S.now() - up
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 10).status, 200)
        S.measure("source down: FFmpeg ended \(S.format(noticed)) after the camera stopped (\(ended?["reason"] as? String ?? "?")); back to running \(S.format(recovered)) after the camera returned; failures meanwhile: \(during["failures"] ?? "?")")
        XCTAssertEqual(g.stop(), 0)
    }

    func testSIGSTOPPedFFmpegIsKilledAsStalledAndRestarted() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-stall") { port, root in
            S.config(port: port, root: root, streams: [S.rtspStream("cam", source: cam.url, stall: 4, kill: 1)])
        }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        let pid = try XCTUnwrap(g.ffmpegPIDs.first)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let stopped = S.now()

        XCTAssertTrue(Harness.waitUntil(12, interval: 0.05) { !S.isAlive(pid) }, "the watchdog must kill the stalled FFmpeg\n" + g.log)
        let killedAfter = S.now() - stopped
        guard let fresh = S.newFFmpeg(g, besides: [pid], timeout: 6) else { return XCTFail("no restart\n" + g.log) }
        let restartedAfter = S.now() - stopped
        XCTAssertNotEqual(fresh, pid)
        XCTAssertTrue(S.waitForState(g, "cam", "running", timeout: 15), g.log)

        let entry = S.history(g, "cam").first { $0["pid"] as? Int == Int(pid) && $0["reason"] as? String != "started" }
        XCTAssertEqual(entry?["reason"] as? String, "stalled", "\(String(describing: entry))")
        XCTAssertEqual(entry?["signal"] as? Int, 9, "a stopped FFmpeg ignores SIGTERM: SIGKILL after kill_timeout")
        XCTAssertTrue(g.log.contains("ignored SIGTERM"), g.log)
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 10).status, 200)
        S.measure("SIGSTOP: killed as stalled \(S.format(killedAfter)) after SIGSTOP (stall_timeout 4 + kill_timeout 1), new FFmpeg \(S.format(restartedAfter)) after SIGSTOP")
        XCTAssertGreaterThanOrEqual(killedAfter, 3.0 - 0.1, "not before stall_timeout (counted from the last playlist change) + kill_timeout")
        XCTAssertLessThanOrEqual(killedAfter, 4 + 1 + 1.5)
        XCTAssertEqual(g.stop(), 0)
    }
}
