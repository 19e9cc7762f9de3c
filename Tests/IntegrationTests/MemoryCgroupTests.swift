// A 32 MB device, as a memory cgroup: the gateway, its FFmpeg and the segments on
// tmpfs (charged to the cgroup) must fit, whatever is asked of them. Those that fit
// run, the rest are refused with a reason, and the kernel's OOM killer never picks.
import Foundation
import XCTest

final class MemoryCgroupTests: XCTestCase {
    typealias S = EngineSupport

    /// A memory cgroup (v1) with a limit; nil (the test skips) where none can be made.
    final class Cgroup {
        let path: String
        init?(limitMB: Int) {
            let base = "/sys/fs/cgroup/memory"
            guard access(base, W_OK) == 0 else { return nil }
            path = base + "/vtx-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            guard mkdir(path, 0o755) == 0 else { return nil }
            guard (try? String(limitMB << 20).write(toFile: path + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)) != nil
            else { rmdir(path); return nil }
        }
        func read(_ file: String) -> String { (try? String(contentsOfFile: path + "/" + file, encoding: .utf8)) ?? "" }
        var oomKills: Int {
            for line in read("memory.oom_control").split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.split(separator: " ")[1]) ?? -1
            }
            return 0   // kernels without the counter: under_oom would show a stuck OOM instead
        }
        var failcnt: Int { Int(read("memory.failcnt").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        var peakKB: Int { (Int(read("memory.max_usage_in_bytes").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) / 1024 }
        deinit {
            for pid in read("cgroup.procs").split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            usleep(200_000)
            rmdir(path)
        }
    }

    func tailoredFFmpeg() throws -> String {
        let env = ProcessInfo.processInfo.environment["VTX_FFMPEG_LITE"] ?? ""
        let path = env.isEmpty ? Harness.packageRoot + "/.build-ffmpeg-lite/ffmpeg" : env
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("FFmpeg lite is not built (\(path)): tools/build-ffmpeg-lite")
        }
        return path
    }

    static func streams(_ names: [String], _ url: String) -> [String] {
        names.map {
            """
              - name: "\($0)"
                source: "\(url)"
                input_args: ["-rtsp_transport", "tcp"]
                idle_timeout: 0
            """
        }
    }

    /// 20 viewers polling the running streams (a playlist, then its newest segment,
    /// once a second) for `seconds`: (answered, failed).
    static func watch(_ g: GatewayProcess, _ names: [String], viewers: Int, seconds: TimeInterval) -> (ok: Int, failed: Int) {
        var ok = 0, failed = 0
        let lock = NSLock(), group = DispatchGroup()
        let end = Date().addingTimeInterval(seconds)
        for i in 0..<viewers {
            group.enter()
            Thread.detachNewThread {
                let name = names[i % names.count]
                while Date() < end {
                    let p = g.curl("/hls/\(name)/index.m3u8", timeout: 5)
                    let seg = p.text.split(separator: "\n").last { !$0.hasPrefix("#") && !$0.isEmpty }
                    let good = p.status == 200 && seg != nil && g.curl("/hls/\(name)/\(seg!)", timeout: 5).status == 200
                    lock.lock(); if good { ok += 1 } else { failed += 1 }; lock.unlock()
                    Thread.sleep(forTimeInterval: 1)
                }
                group.leave()
            }
        }
        group.wait()
        return (ok, failed)
    }

    /// Five 4 Mbit/s main streams requested one after the other in 32 MB with the
    /// tailored FFmpeg: the guard counts each relay's FFmpeg and its segments on tmpfs
    /// (and the growth of the windows still filling), so those that fit run and the
    /// rest get 503 with the reason; no OOM kill; 20 viewers are answered.
    func testFiveMainStreamsIn32MBWithTheTailoredFFmpeg() throws {
        let ffmpeg = try tailoredFFmpeg()
        guard let cg = Cgroup(limitMB: 32) else { throw XCTSkip("no writable memory cgroup (v1) here") }
        let cam = try RTSPCamera(shape: ["--size", "640x360", "--noise", "--bitrate", "4000"])
        defer { cam.stop() }
        let names = (0..<5).map { "main\($0)" }
        let g = try GatewayProcess(name: "cg32", yaml: { port, root in
            S.config(port: port, root: root, server: ["ffmpeg_binary: \"\(ffmpeg)\"", "min_available_mb: 4"],
                     streams: Self.streams(names, cam.url))
        }, cgroup: cg.path)
        var statuses: [String: Int] = [:], bodies: [String: String] = [:]
        for n in names {
            let r = g.curl("/hls/\(n)/index.m3u8", timeout: 25)
            statuses[n] = r.status
            bodies[n] = r.text
            Thread.sleep(forTimeInterval: 4)   // the window fills; the guard sees the growth
        }
        let running = names.filter { statuses[$0] == 200 }
        let refused = names.filter { statuses[$0] == 503 }
        let seen = running.isEmpty ? (ok: 0, failed: 0) : Self.watch(g, running, viewers: 20, seconds: 20)
        let report = "statuses \(statuses.sorted { $0.key < $1.key }); OOM kills \(cg.oomKills); failcnt \(cg.failcnt); peak \(cg.peakKB) kB; viewers \(seen)"
        S.measure("32 MB cgroup, five 4 Mbit/s relays (tailored FFmpeg): " + report)
        XCTAssertEqual(cg.oomKills, 0, report + "\n" + g.log.suffix(3000))
        XCTAssertTrue(g.process.isRunning, "the gateway died: " + report)
        XCTAssertFalse(running.isEmpty, report)
        XCTAssertFalse(refused.isEmpty, "five 4 Mbit/s relays cannot all fit in 32 MB: " + report)
        XCTAssertEqual(running.count + refused.count, names.count, report + "\n" + bodies.description)
        for n in refused { XCTAssertTrue(bodies[n]?.contains("memory guard") == true, "\(n): \(bodies[n] ?? "")") }
        XCTAssertGreaterThanOrEqual(Double(seen.ok), 0.95 * Double(seen.ok + seen.failed), report)
        XCTAssertLessThan(cg.failcnt, 1000, "the cgroup sat at its limit: " + report)
    }

    /// Debian's FFmpeg (52 MB RSS, 40 of it shared libraries) in 32 MB, three cold
    /// requests at once, nothing measured yet: the starts go one at a time, and
    /// what does not fit is refused: no OOM kill.
    func testThreeColdRequestsAtOnceWithDebiansFFmpegIn32MB() throws {
        guard let cg = Cgroup(limitMB: 32) else { throw XCTSkip("no writable memory cgroup (v1) here") }
        let cam = try RTSPCamera()
        defer { cam.stop() }
        let names = ["d0", "d1", "d2"]
        let g = try GatewayProcess(name: "cg32d", yaml: { port, root in
            S.config(port: port, root: root, server: ["ffmpeg_binary: \"/usr/bin/ffmpeg\"", "min_available_mb: 4"],
                     streams: Self.streams(names, cam.url))
        }, cgroup: cg.path)
        let statuses = g.getAtOnce(names.map { "/hls/\($0)/index.m3u8" })
        Thread.sleep(forTimeInterval: 5)
        let report = "statuses \(statuses.sorted { $0.key < $1.key }); OOM kills \(cg.oomKills); failcnt \(cg.failcnt); peak \(cg.peakKB) kB"
        S.measure("32 MB cgroup, Debian's FFmpeg, 3 cold requests at once: " + report)
        XCTAssertEqual(cg.oomKills, 0, report + "\n" + g.log.suffix(3000))
        XCTAssertTrue(g.process.isRunning, report)
        XCTAssertTrue(statuses.values.allSatisfy { $0 == 200 || $0 == 503 }, report + "\n" + g.log.suffix(3000))
        XCTAssertTrue(statuses.values.contains(200), report)
    }
}
