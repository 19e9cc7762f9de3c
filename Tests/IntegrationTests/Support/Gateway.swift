import Foundation
import XCTest

/// The real vtx-link binary, started on a config written for the test, on a free
/// port and its own hls_root under /dev/shm. Stopped (SIGTERM, then SIGKILL) by `stop`.
final class GatewayProcess {
    let port: Int
    let hlsRoot: String
    let dir: String
    let configPath: String
    let process = Process()
    let logPath: String

    /// `yaml` gets the port and hls_root to use and returns the config text.
    /// `cgroup`: a cgroup directory the gateway (and so its FFmpeg) starts in.
    /// `wrap`: a `sh -c` script that starts the gateway, which gets the binary as `$0` and
    /// its arguments as `$@`, e.g. `ulimit -n 64; exec "$0" "$@"`.
    /// `binary`: another vtx-link build (the aarch64 one, run through emulation).
    init(name: String = "t", yaml: (_ port: Int, _ hlsRoot: String) -> String, waitReady: Bool = true, environment: [String: String]? = nil,
         cgroup: String? = nil, wrap: String? = nil, binary: String = Harness.binary) throws {
        port = Harness.freePort()
        let id = "\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        hlsRoot = "/dev/shm/vtx-test-\(id)"
        dir = NSTemporaryDirectory() + "vtx-test-\(id)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        configPath = dir + "/vtx-link.yaml"
        logPath = dir + "/gateway.log"
        try yaml(port, hlsRoot).write(toFile: configPath, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        if cgroup != nil || wrap != nil {
            var script = wrap ?? "exec \"$0\" \"$@\""
            if let cgroup { script = "echo $$ > \(cgroup)/cgroup.procs && " + script }
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, binary, "--config", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["--config", configPath]
        }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        try process.run()
        if waitReady {
            let ok = Harness.waitUntil(10) { Harness.curl(url("/healthz"), timeout: 2).status == 200 }
            if !ok { throw NSError(domain: "GatewayProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "gateway did not answer /healthz; log:\n" + log]) }
        }
    }

    var pid: Int32 { process.processIdentifier }
    var base: String { "http://127.0.0.1:\(port)" }
    func url(_ path: String) -> String { base + path }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// FFmpeg processes of this gateway (their argv contains our hls_root).
    var ffmpegPIDs: [Int32] { Harness.pids(matching: hlsRoot + "/").filter { $0 != pid } }

    /// GETs every path at once, one thread each (cold requests arriving together):
    /// path → status.
    func getAtOnce(_ paths: [String], timeout: TimeInterval = 25) -> [String: Int] {
        var statuses: [String: Int] = [:]
        let lock = NSLock(), group = DispatchGroup()
        for path in paths {
            group.enter()
            Thread.detachNewThread {
                let status = self.curl(path, timeout: timeout).status
                lock.lock(); statuses[path] = status; lock.unlock()
                group.leave()
            }
        }
        group.wait()
        return statuses
    }

    func curl(_ path: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil, timeout: TimeInterval = 30) -> CurlResponse {
        Harness.curl(url(path), method: method, headers: headers, body: body, timeout: timeout)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status (or -1 on timeout).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit(); return -1 }
        return process.terminationStatus
    }

    deinit {
        // FFmpeg first: were one to hold a descriptor Foundation waits on, the wait
        // for the gateway would never end.
        for p in Harness.pids(matching: hlsRoot + "/") where p != pid { kill(p, SIGKILL) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        for p in Harness.pids(matching: hlsRoot + "/") { kill(p, SIGKILL) }
        try? FileManager.default.removeItem(atPath: hlsRoot)
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// GStreamer's RTSP server (tools/rtsp-test-camera.py, run by Debian's /usr/bin/python3).
final class RTSPCamera {
    let port: Int
    let process = Process()
    let url: String

    /// `shape`: extra arguments of tools/rtsp-test-camera.py (`--gop 2`, `--audio alaw`…).
    init(path: String = "/cam", user: String? = nil, password: String? = nil, shape: [String] = []) throws {
        port = Harness.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        var args = [Harness.packageRoot + "/tools/rtsp-test-camera.py", "--port", String(port), "--path", path]
        if let user, let password { args += ["--user", user, "--password", password] }
        process.arguments = args + shape
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "rtsp://127.0.0.1:\(port)\(path)"
        // Wait for the READY line.
        let handle = out.fileHandleForReading
        var buffer = Data()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !String(decoding: buffer, as: UTF8.self).contains("READY") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        guard String(decoding: buffer, as: UTF8.self).contains("READY") else {
            throw NSError(domain: "RTSPCamera", code: 1, userInfo: [NSLocalizedDescriptionKey: "RTSP test camera did not start"])
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

/// The synthetic camera of the demo: FFmpeg's test pattern, encoded cheaply.
enum Synthetic {
    static let inputArgs = #"["-re", "-f", "lavfi"]"#
    static let source = "testsrc=size=320x240:rate=25"
    static let outputArgs = #"["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist+temp_file", "{output_dir}/index.m3u8"]"#

    /// A stream entry (YAML, indented for `streams:`).
    static func stream(_ name: String, idle: Int = 30, extra: String = "") -> String {
        """
          - name: "\(name)"
            source: "\(source)"
            input_args: \(inputArgs)
            output_args: \(outputArgs)
            idle_timeout: \(idle)
        \(extra)
        """
    }
}
