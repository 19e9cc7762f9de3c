import Foundation
import XCTest

// The stream engine end to end: the real binary, real FFmpeg, a real RTSP camera
// (GStreamer), real curl/ffprobe. Short timeouts everywhere so each test is bounded.
// Measured figures are printed as `ENGINE-MEASURE …` lines.

/// Helpers shared by the Engine*Tests.
enum EngineSupport {
    static func config(port: Int, root: String, server: [String] = [], streams: [String]) -> String {
        var lines = [
            "server:",
            "  listen: \"127.0.0.1:\(port)\"",
            "  hls_root: \"\(root)\"",
            "  log_level: debug",
        ]
        lines += server.map { "  " + $0 }
        lines.append("streams:")
        lines += streams
        return lines.joined(separator: "\n") + "\n"
    }

    /// The brief's output: stream copy into 1 s segments, written atomically.
    static let copyOutput = #"["-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist+temp_file", "{output_dir}/index.m3u8"]"#

    /// A stream entry (YAML under `streams:`) reading an RTSP source over TCP.
    static func rtspStream(_ name: String, source: String, idle: Int = 30, stall: Int = 4, kill: Int = 1,
                           start: Int = 10, autoStart: Bool = false,
                           retry: [String] = ["initial_backoff_sec: 1"], extra: [String] = []) -> String {
        var lines = [
            "  - name: \"\(name)\"",
            "    source: \"\(source)\"",
            "    input_args: [\"-rtsp_transport\", \"tcp\"]",
            "    output_args: \(copyOutput)",
            "    idle_timeout: \(idle)",
            "    stall_timeout: \(stall)",
            "    kill_timeout: \(kill)",
            "    start_timeout: \(start)",
            "    auto_start: \(autoStart)",
        ]
        if !retry.isEmpty {
            lines.append("    retry:")
            lines += retry.map { "      " + $0 }
        }
        lines += extra.map { "    " + $0 }
        return lines.joined(separator: "\n")
    }

    // MARK: API

    static func stream(_ g: GatewayProcess, _ name: String) -> [String: Any]? {
        let r = g.curl("/api/v1/streams/\(name)", timeout: 5)
        guard r.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
    }

    static func state(_ g: GatewayProcess, _ name: String) -> String? { stream(g, name)?["state"] as? String }

    /// Newest first, as the API gives it.
    static func history(_ g: GatewayProcess, _ name: String) -> [[String: Any]] {
        stream(g, name)?["history"] as? [[String: Any]] ?? []
    }

    static func post(_ g: GatewayProcess, _ path: String, header: Bool = true) -> CurlResponse {
        g.curl(path, method: "POST", headers: header ? ["X-VTX-Request": "1"] : [:], timeout: 10)
    }

    @discardableResult
    static func waitForState(_ g: GatewayProcess, _ name: String, _ wanted: String, timeout: TimeInterval) -> Bool {
        Harness.waitUntil(timeout, interval: 0.1) { state(g, name) == wanted }
    }

    // MARK: processes and files

    static func now() -> TimeInterval { ProcessInfo.processInfo.systemUptime }

    static func segments(_ playlist: String) -> Int {
        playlist.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("#EXTINF") }.count
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Waits for an FFmpeg of `g` other than those in `old`; returns its pid.
    static func newFFmpeg(_ g: GatewayProcess, besides old: Set<Int32>, timeout: TimeInterval) -> Int32? {
        var found: Int32?
        Harness.waitUntil(timeout, interval: 0.01) {
            found = g.ffmpegPIDs.first { !old.contains($0) && isAlive($0) }
            return found != nil
        }
        return found
    }

    static func memAvailableMB() -> Int {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return (Int(line.split(separator: " ")[1]) ?? 0) / 1024
        }
        return 0
    }

    /// Entries of the hls_root that are stream directories (not `.pids`).
    static func streamDirectories(_ root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// `count` curl processes started at once (not one after another); status and body of each.
    static func parallelCurl(_ url: String, count: Int, timeout: Int = 30) -> [(status: Int, body: String)] {
        parallelCurl(Array(repeating: url, count: count), timeout: timeout)
    }

    /// One curl process per URL, all started at once.
    static func parallelCurl(_ urls: [String], timeout: Int = 30) -> [(status: Int, body: String)] {
        let count = urls.count
        let dir = NSTemporaryDirectory() + "vtx-par-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var processes: [Process] = []
        for i in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-sS", "-o", "\(dir)/body\(i)", "-w", "%{http_code}", "--max-time", String(timeout), urls[i]]
            _ = FileManager.default.createFile(atPath: "\(dir)/code\(i)", contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: "\(dir)/code\(i)")
            p.standardError = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try? p.run()
            processes.append(p)
        }
        for p in processes { p.waitUntilExit() }
        return (0..<count).map { i in
            let code = (try? String(contentsOfFile: "\(dir)/code\(i)", encoding: .utf8)) ?? ""
            let body = (try? String(contentsOfFile: "\(dir)/body\(i)", encoding: .utf8)) ?? ""
            return (Int(code.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, body)
        }
    }

    static func measure(_ text: String) { print("ENGINE-MEASURE " + text) }

    static func format(_ seconds: TimeInterval) -> String { String(format: "%.2f s", seconds) }
}

/// Samples a gateway's FFmpeg pids every 10 ms on a thread while a request runs.
final class PIDSampler {
    private let lock = NSLock()
    private var seen = Set<Int32>()
    private var mostAtOnce = 0
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(_ sample: @escaping () -> [Int32]) {
        let thread = Thread { [self] in
            while true {
                lock.lock()
                let go = running
                lock.unlock()
                if !go { break }
                let pids = sample()
                lock.lock()
                seen.formUnion(pids)
                mostAtOnce = max(mostAtOnce, pids.count)
                lock.unlock()
                usleep(10_000)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops sampling: every pid seen, and the most seen at one time.
    func stop() -> (pids: Set<Int32>, mostAtOnce: Int) {
        lock.lock()
        running = false
        lock.unlock()
        finished.wait()
        return (seen, mostAtOnce)
    }
}

/// tools/rtsp-test-camera.py on a port of our choosing (`RTSPCamera` picks its own), so
/// a test can stop the camera and bring it back at the same address.
final class PortCamera {
    let port: Int
    let path: String
    private var process: Process?
    var url: String { "rtsp://127.0.0.1:\(port)\(path)" }

    init(port: Int = Harness.freePort(), path: String = "/cam") throws {
        self.port = port
        self.path = path
        try start()
    }

    /// (Re)starts the camera; retries for a while if the port is still busy.
    func start() throws {
        let deadline = Date().addingTimeInterval(10)
        while try !launch() {
            if Date() > deadline {
                throw NSError(domain: "PortCamera", code: 1, userInfo: [NSLocalizedDescriptionKey: "RTSP test camera did not start on port \(port)"])
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    private func launch() throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [Harness.packageRoot + "/tools/rtsp-test-camera.py", "--port", String(port), "--path", path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var buffer = Data()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !String(decoding: buffer, as: UTF8.self).contains("READY") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        if String(decoding: buffer, as: UTF8.self).contains("READY") {
            process = p
            return true
        }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return false
    }

    /// SIGTERM (the camera exits 0) and wait.
    func stop() {
        guard let p = process else { return }
        process = nil
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
    }

    deinit {
        if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }
}

/// A TCP port that accepts connections (the kernel's backlog) but never says a word:
/// an RTSP client connects and then waits forever for the reply to OPTIONS.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sock >= 0, bound == 0, listen(sock, 16) == 0 else {
            if sock >= 0 { close(sock) }
            throw NSError(domain: "SilentListener", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot listen"])
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        fd = sock
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}

/// On-demand start, concurrency, idle reclaim, the memory guard, the start timeout.
final class EngineTests: XCTestCase {
    typealias S = EngineSupport

    func testColdRequestServesPlaylistWithThreeSegmentsAndFFprobeReadsH264ThroughTheGateway() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-cold") { port, root in
            S.config(port: port, root: root, streams: [S.rtspStream("cam", source: cam.url)])
        }
        XCTAssertEqual(g.ffmpegPIDs, [], "nothing runs before the first request")

        let t0 = S.now()
        let r = g.curl("/hls/cam/index.m3u8", timeout: 20)
        let cold = S.now() - t0
        XCTAssertEqual(r.status, 200, r.text + "\n" + g.log)
        XCTAssertEqual(r.headers["content-type"], "application/vnd.apple.mpegurl")
        XCTAssertGreaterThanOrEqual(S.segments(r.text), 3, "start_min_segments is 3:\n" + r.text)
        XCTAssertEqual(g.ffmpegPIDs.count, 1)
        XCTAssertEqual(S.state(g, "cam"), "running")

        // A listed segment is there and is MPEG-TS.
        let first = try XCTUnwrap(r.text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty })
        let seg = g.curl("/hls/cam/\(first)", timeout: 10)
        XCTAssertEqual(seg.status, 200)
        XCTAssertEqual(seg.headers["content-type"], "video/mp2t")
        XCTAssertEqual(seg.body.first, 0x47, "TS sync byte")

        // A real HLS client reads H.264 through the gateway's URL.
        let probe = Harness.run(["ffprobe", "-v", "error", "-show_streams", g.url("/hls/cam/index.m3u8")], timeout: 30)
        XCTAssertEqual(probe.status, 0, probe.stderr)
        XCTAssertTrue(probe.stdout.contains("codec_name=h264"), probe.stdout + probe.stderr)
        XCTAssertTrue(probe.stdout.contains("width=320"), probe.stdout)

        if let pid = g.ffmpegPIDs.first {
            let rss = Harness.procStatus(pid, "VmRSS") ?? 0, hwm = Harness.procStatus(pid, "VmHWM") ?? 0
            S.measure("cold start to 200: \(S.format(cold)); FFmpeg (-c copy, RTSP→HLS) VmRSS \(rss) kB, VmHWM \(hwm) kB")
        }
        XCTAssertLessThan(cold, 10, "cold start")
        XCTAssertEqual(g.stop(), 0)
    }

    func testFiveSimultaneousColdRequestsStartExactlyOneFFmpeg() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-five") { port, root in
            S.config(port: port, root: root, streams: [S.rtspStream("cam", source: cam.url)])
        }
        let sampler = PIDSampler { g.ffmpegPIDs }
        let t0 = S.now()
        let responses = S.parallelCurl(g.url("/hls/cam/index.m3u8"), count: 5, timeout: 20)
        let elapsed = S.now() - t0
        let seen = sampler.stop()

        XCTAssertEqual(responses.map(\.status), [200, 200, 200, 200, 200], g.log)
        for r in responses { XCTAssertGreaterThanOrEqual(S.segments(r.body), 2, r.body) }
        XCTAssertEqual(seen.pids.count, 1, "exactly one FFmpeg for 5 cold requests: \(seen.pids)")
        XCTAssertEqual(seen.mostAtOnce, 1)
        XCTAssertEqual(g.ffmpegPIDs.count, 1)
        let s = try XCTUnwrap(S.stream(g, "cam"))
        XCTAssertEqual(s["starts"] as? Int, 1)
        XCTAssertEqual(g.log.components(separatedBy: "FFmpeg started").count - 1, 1, g.log)
        S.measure("5 parallel cold requests: all 200 after \(S.format(elapsed)), FFmpeg processes seen: \(seen.pids.count)")
        XCTAssertEqual(g.stop(), 0)
    }

    func testIdleStreamIsStoppedThreeToFiveSecondsAfterTheLastRequestAndItsDirectoryRemoved() throws {
        let cam = try RTSPCamera()
        let g = try GatewayProcess(name: "eng-idle") { port, root in
            S.config(port: port, root: root, streams: [S.rtspStream("cam", source: cam.url, idle: 3)])
        }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        let pid = try XCTUnwrap(g.ffmpegPIDs.first)
        XCTAssertTrue(FileManager.default.fileExists(atPath: g.hlsRoot + "/cam/index.m3u8"))

        // The last request: a warm one, answered at once.
        let last = S.now()
        let warm = g.curl("/hls/cam/index.m3u8", timeout: 5)
        XCTAssertEqual(warm.status, 200)
        XCTAssertLessThan(S.now() - last, 1, "a running stream's playlist is served at once")

        XCTAssertTrue(Harness.waitUntil(8, interval: 0.02) { !S.isAlive(pid) }, "FFmpeg must be reclaimed\n" + g.log)
        let gone = S.now() - last
        XCTAssertTrue(Harness.waitUntil(1, interval: 0.02) { !FileManager.default.fileExists(atPath: g.hlsRoot + "/cam") },
                      "the stream's directory must be removed")
        S.measure("idle_timeout 3: FFmpeg gone \(S.format(gone)) after the last request")
        XCTAssertGreaterThanOrEqual(gone, 3.0, "not before idle_timeout")
        XCTAssertLessThanOrEqual(gone, 5.0, "within idle_timeout + 2 s")
        XCTAssertEqual(g.ffmpegPIDs, [])
        XCTAssertEqual(S.state(g, "cam"), "idle")
        XCTAssertEqual(S.history(g, "cam").first?["reason"] as? String, "stopped_idle")
        XCTAssertEqual(g.stop(), 0)
    }

    func testMemoryGuardRefusesWith503AndRetryAfterWithoutSpawning() throws {
        let minMB = S.memAvailableMB() + 1024
        let g = try GatewayProcess(name: "eng-mem") { port, root in
            S.config(port: port, root: root, server: ["min_available_mb: \(minMB)"],
                     streams: [Synthetic.stream("syn", idle: 3)])
        }
        let sampler = PIDSampler { g.ffmpegPIDs }
        let r = g.curl("/hls/syn/index.m3u8", timeout: 10)
        let seen = sampler.stop()
        XCTAssertEqual(r.status, 503, r.text)
        let retry = try XCTUnwrap(r.headers["retry-after"], "Retry-After header")
        XCTAssertGreaterThan(Int(retry) ?? 0, 0)
        XCTAssertTrue(r.text.contains("memory"), r.text)
        XCTAssertTrue(r.text.contains("min_available_mb \(minMB)"), r.text)
        XCTAssertEqual(seen.pids, [], "no FFmpeg may be spawned")

        XCTAssertEqual(g.curl("/hls/syn/index.m3u8", timeout: 10).status, 503)
        let metrics = g.curl("/metrics").text
        XCTAssertTrue(metrics.contains(#"vtx_spawn_rejections_total{reason="rejected_memory"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"vtx_stream_starts_total{stream="syn"} 0"#), metrics)
        XCTAssertEqual(S.state(g, "syn"), "idle")
        XCTAssertEqual(S.history(g, "syn").first?["reason"] as? String, "rejected_memory")
        XCTAssertEqual(g.ffmpegPIDs, [])
        S.measure("memory guard: min_available_mb \(minMB) → 503, Retry-After \(retry), 0 FFmpeg spawned")
        XCTAssertEqual(g.stop(), 0)
    }

    func testExpectedCostOfARestartIsFFmpegsPrivateMemoryNotItsSharedLibraries() throws {
        let cam = try RTSPCamera()
        var portSeen = 0, rootSeen = ""
        let streams = [S.rtspStream("cam", source: cam.url)]
        let g = try GatewayProcess(name: "eng-cost") { port, root in
            portSeen = port; rootSeen = root
            return S.config(port: port, root: root, server: ["min_available_mb: 0"], streams: streams)
        }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        let pid = try XCTUnwrap(g.ffmpegPIDs.first)
        let hwm = try XCTUnwrap(Harness.procStatus(pid, "VmHWM"))
        let file = try XCTUnwrap(Harness.procStatus(pid, "RssFile"))
        let anon = try XCTUnwrap(Harness.procStatus(pid, "RssAnon"))
        XCTAssertEqual(S.post(g, "/api/v1/streams/cam/stop").status, 202)
        XCTAssertTrue(S.waitForState(g, "cam", "idle", timeout: 5), g.log)

        // Now the guard is strict: the refusal says what it expected the next run to cost.
        let minMB = S.memAvailableMB() + 1024
        try S.config(port: portSeen, root: rootSeen, server: ["min_available_mb: \(minMB)"], streams: streams)
            .write(toFile: g.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(S.post(g, "/api/v1/reload").status, 200, g.log)
        let r = g.curl("/hls/cam/index.m3u8", timeout: 10)
        XCTAssertEqual(r.status, 503, r.text)
        let expected = try XCTUnwrap(r.text.firstRange(of: "expected ").flatMap { Int(r.text[$0.upperBound...].prefix { $0.isNumber }) }, r.text)
        S.measure("FFmpeg VmHWM \(hwm) kB = RssFile \(file) kB (shared libraries) + private; RssAnon \(anon) kB; guard's expected cost of a restart: \(expected) MB")
        XCTAssertLessThanOrEqual(expected, (hwm - file) / 1024 + 2, "the shared-library pages are not a cost: \(r.text)")
        XCTAssertGreaterThanOrEqual(expected, anon / 1024 - 2, "the private memory is: \(r.text)")
        XCTAssertEqual(g.stop(), 0)
    }

    func testStartTimeoutAnswers504AndCredentialsNeverLeak() throws {
        let silent = try SilentListener()
        let g = try GatewayProcess(name: "eng-timeout") { port, root in
            S.config(port: port, root: root, streams: [
                S.rtspStream("hang", source: "rtsp://admin:s3cret@127.0.0.1:\(silent.port)/x", start: 3),
                S.rtspStream("refused", source: "rtsp://admin:s3cret@127.0.0.1:1/x", retry: ["max_attempts: 1"]),
                S.rtspStream("flaky", source: "rtsp://admin:s3cret@127.0.0.1:1/y", start: 3, retry: ["initial_backoff_sec: 1"]),
            ])
        }
        let t0 = S.now()
        let timeout = g.curl("/hls/hang/index.m3u8", timeout: 10)
        let waited = S.now() - t0
        XCTAssertEqual(timeout.status, 504, timeout.text)
        XCTAssertTrue(timeout.text.contains("3 s"), timeout.text)
        XCTAssertLessThan(timeout.body.count, 300, "a short reason: \(timeout.text)")
        XCTAssertGreaterThanOrEqual(waited, 2.9)
        XCTAssertLessThan(waited, 5)
        XCTAssertTrue(Harness.waitUntil(4) { S.history(g, "hang").contains { $0["reason"] as? String == "start_timeout" } })

        let failed = g.curl("/hls/refused/index.m3u8", timeout: 10)
        XCTAssertEqual(failed.status, 503, failed.text)
        XCTAssertTrue(failed.text.contains("crashed"), failed.text)
        XCTAssertEqual(S.state(g, "refused"), "failed")
        XCTAssertEqual(g.curl("/hls/refused/index.m3u8", timeout: 10).status, 503, "failed stays failed")

        // A camera that keeps failing: the first request waits across the retries
        // (one of them may succeed) and gets 504 when its start_timeout passes, with
        // FFmpeg's last word.
        let t1 = S.now()
        let crashed = g.curl("/hls/flaky/index.m3u8", timeout: 10)
        XCTAssertEqual(crashed.status, 504, crashed.text)
        XCTAssertGreaterThanOrEqual(S.now() - t1, 2.9)
        XCTAssertTrue(crashed.text.contains("Connection refused"), crashed.text)
        XCTAssertGreaterThanOrEqual(S.history(g, "flaky").filter { $0["reason"] as? String == "crashed" }.count, 2,
                                    "retried while the request waited")

        var exposed: [(String, String)] = [("504", timeout.text), ("503", failed.text), ("504 flaky", crashed.text)]
        for path in ["/api/v1/streams", "/api/v1/streams/hang", "/api/v1/streams/refused", "/api/v1/streams/flaky", "/metrics"] {
            exposed.append((path, g.curl(path).text))
        }
        for (what, text) in exposed {
            XCTAssertFalse(text.contains("s3cret"), "\(what) leaks the password: \(text)")
        }
        let api = exposed.first { $0.0 == "/api/v1/streams/refused" }?.1 ?? ""
        XCTAssertTrue(api.contains("rtsp://admin:***@127.0.0.1:1/x"), api)
        XCTAssertTrue(api.contains("Connection refused"), "the stderr tail is kept (masked): \(api)")
        XCTAssertFalse(g.log.contains("s3cret"), "the log leaks the password")
        S.measure("start_timeout 3: 504 after \(S.format(waited)): \(timeout.text.trimmingCharacters(in: .whitespacesAndNewlines))")
        S.measure("503 body: \(failed.text.trimmingCharacters(in: .whitespacesAndNewlines)); 504 body after retries: \(crashed.text.trimmingCharacters(in: .whitespacesAndNewlines))")
        XCTAssertEqual(g.stop(), 0)
    }
}
