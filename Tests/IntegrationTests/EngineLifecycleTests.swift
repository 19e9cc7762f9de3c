import Foundation
import XCTest

/// The gateway's own end: SIGKILLed (survivors, pidfiles, the next start) and SIGTERM.
final class EngineLifecycleTests: XCTestCase {
    typealias S = EngineSupport

    func twoStreams(_ cam: String, port: Int, root: String) -> String {
        S.config(port: port, root: root, streams: [S.rtspStream("a", source: cam), S.rtspStream("b", source: cam)])
    }

    func startBoth(_ g: GatewayProcess) -> [Int32] {
        let both = S.parallelCurl([g.url("/hls/a/index.m3u8"), g.url("/hls/b/index.m3u8")], timeout: 20)
        XCTAssertEqual(both.map(\.status), [200, 200], g.log)
        return g.ffmpegPIDs.sorted()
    }

    func testKill9OfTheGatewayLeavesNoFFmpegBehindOnceTheNextGatewayStarts() throws {
        let cam = try RTSPCamera()
        let first = try GatewayProcess(name: "eng-kill9") { port, root in self.twoStreams(cam.url, port: port, root: root) }
        let root = first.hlsRoot
        let pids = startBoth(first)
        XCTAssertEqual(pids.count, 2)
        for name in ["a", "b"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.pids/" + name), "pidfile of \(name)")
        }
        // A directory left by a stream that is no longer configured.
        try FileManager.default.createDirectory(atPath: root + "/gone_cam", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root + "/gone_cam/index.m3u8", contents: Data("#EXTM3U\n".utf8))

        kill(first.pid, SIGKILL)
        let killed = S.now()
        XCTAssertTrue(Harness.waitUntil(3, interval: 0.02) { !S.isAlive(first.pid) })
        // Its parent learns of the death even while FFmpeg survives: FFmpeg must not hold
        // descriptors the gateway inherited (Foundation's Process waits for EOF on one).
        XCTAssertTrue(Harness.waitUntil(3, interval: 0.05) { !first.process.isRunning },
                      "FFmpeg inherited the gateway's descriptors: \(pids.map { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\($0)/fd")) ?? []).sorted() })")
        // PR_SET_PDEATHSIG (set by the gateway's exec step) kills them with their parent.
        let diedAlone = Harness.waitUntil(5, interval: 0.1) { pids.allSatisfy { !S.isAlive($0) } }
        let alone = S.now() - killed
        XCTAssertTrue(diedAlone, "FFmpeg \(pids.filter(S.isAlive)) outlived the gateway by \(S.format(alone))")
        S.measure("gateway kill -9: its FFmpeg died by themselves after \(S.format(alone))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.pids/a"), "pidfiles stay behind a SIGKILL")

        // A survivor all the same (say an FFmpeg from a build without the exec step): a
        // process whose argv names the stream's directory, and a pidfile for it. And a
        // pidfile whose pid is an unrelated process, which must be left alone.
        let survivor = Process()
        survivor.executableURL = URL(fileURLWithPath: "/bin/sh")
        survivor.arguments = ["-c", "sleep 60", root + "/a/index.m3u8"]
        try survivor.run()
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["60"]
        try bystander.run()
        defer { if bystander.isRunning { bystander.terminate() } }
        try "\(survivor.processIdentifier)\n".write(toFile: root + "/.pids/a", atomically: true, encoding: .utf8)
        try "\(bystander.processIdentifier)\n".write(toFile: root + "/.pids/b", atomically: true, encoding: .utf8)

        // The next gateway on the same hls_root kills the survivors and clears the root.
        let started = S.now()
        let second = try GatewayProcess(name: "eng-kill9-next", sharingRootOf: first) { port, root in
            self.twoStreams(cam.url, port: port, root: root)
        }
        XCTAssertTrue(Harness.waitUntil(2, interval: 0.02) { !survivor.isRunning },
                      "the next start must kill the survivor\n" + second.log)
        XCTAssertTrue(bystander.isRunning, "a pid that is not ours must not be killed")
        let reclaimed = S.now() - started
        XCTAssertEqual(S.streamDirectories(root), [], "stale directories must be removed")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root + "/.pids")) ?? ["?"], [])
        XCTAssertEqual(second.log.components(separatedBy: "left over from a previous run").count - 1, 1, second.log)
        XCTAssertTrue(second.log.contains("removed stale directory \(root)/gone_cam"), second.log)
        S.measure("next gateway start: survivors killed and root cleared \(S.format(reclaimed)) after it was launched")

        // And it works on that root.
        XCTAssertEqual(second.curl("/hls/a/index.m3u8", timeout: 20).status, 200, second.log)
        XCTAssertEqual(first.ffmpegPIDs.filter(S.isAlive).count, 1)
        XCTAssertEqual(second.stop(), 0)
        XCTAssertEqual(first.ffmpegPIDs.filter(S.isAlive), [])
        withExtendedLifetime(first) {}
    }

    func testSIGTERMStopsEveryFFmpegAndExitsZeroWithinKillTimeoutPlusOneSecond() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-term") { port, root in self.twoStreams(cam.url, port: port, root: root) }
        let pids = startBoth(g)
        XCTAssertEqual(pids.count, 2)
        for pid in pids {
            if let rss = Harness.procStatus(pid, "VmRSS") { S.measure("FFmpeg pid \(pid) VmRSS \(rss) kB") }
        }
        // One FFmpeg that cannot act on SIGTERM: it needs the SIGKILL after kill_timeout (1 s).
        kill(pids[1], SIGSTOP)
        defer { kill(pids[1], SIGCONT) }

        let t0 = S.now()
        let status = g.stop(signal: SIGTERM, timeout: 10)
        let took = S.now() - t0
        S.measure("SIGTERM with 2 streams (one SIGSTOPped): exit \(status) after \(S.format(took))")
        XCTAssertEqual(status, 0, g.log)
        XCTAssertLessThanOrEqual(took, 1 + 1, "kill_timeout + 1 s")
        XCTAssertEqual(pids.filter(S.isAlive), [], "no FFmpeg may outlive the gateway")
        XCTAssertEqual(g.ffmpegPIDs.filter(S.isAlive), [])
        XCTAssertEqual(S.streamDirectories(g.hlsRoot), [], "no stream directory is left")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: g.hlsRoot + "/.pids")) ?? [], [])
        XCTAssertTrue(g.log.contains("ignored SIGTERM"), g.log)
    }
}
