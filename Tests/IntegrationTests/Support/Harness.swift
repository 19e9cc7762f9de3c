// Shared support of the integration tests: the real vtx-link binary, real sockets,
// real curl/ffprobe/FFmpeg. Tests may use Foundation; the daemon may not.
import Foundation
import XCTest

enum Harness {
    /// The package root (…/Tests/IntegrationTests/Support/Harness.swift → root).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The vtx-link binary built next to this test bundle (same scratch path), or $VTX_BINARY.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["VTX_BINARY"] { return env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // …/debug/vtx-linkPackageTests.xctest → …/debug/vtx-link
        while dir.pathComponents.count > 1 {
            let candidate = dir.appendingPathComponent("vtx-link").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug/vtx-link"
    }()

    /// A TCP port nobody listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct CommandResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion (with a time limit) and captures its output.
    @discardableResult
    static func run(_ argv: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil) -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter(); group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        do { try p.run() } catch { return CommandResult(status: -1, stdout: "", stderr: "\(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); usleep(200_000); if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        p.waitUntilExit()
        group.wait()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Polls `condition` until it holds or `timeout` passes.
    @discardableResult
    static func waitUntil(_ timeout: TimeInterval, interval: TimeInterval = 0.05, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return condition()
    }

    /// PIDs whose command line contains `needle` (e.g. an hls_root path).
    static func pids(matching needle: String) -> [Int32] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard pid != me, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return false }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return false }
            let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(needle)
        }
    }

    /// A field of /proc/PID/status in kB (VmRSS, VmHWM…) or a plain number (voluntary_ctxt_switches).
    static func procStatus(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}

/// One HTTP exchange through curl (a real client): status, headers (lowercased names), body.
struct CurlResponse {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension Harness {
    static func curl(_ url: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil, timeout: TimeInterval = 30, extra: [String] = []) -> CurlResponse {
        let dir = NSTemporaryDirectory() + "vtx-curl-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var argv = ["curl", "-sS", "-o", dir + "/body", "-D", dir + "/headers", "-w", "%{http_code}", "-X", method, "--max-time", String(Int(timeout))]
        if method == "HEAD" { argv = ["curl", "-sS", "-I", "-o", dir + "/body", "-D", dir + "/headers", "-w", "%{http_code}", "--max-time", String(Int(timeout))] }
        for (k, v) in headers { argv += ["-H", "\(k): \(v)"] }
        if let body { argv += ["--data-binary", body] }
        argv += extra
        argv.append(url)
        let r = run(argv, timeout: timeout + 5)
        var parsed: [String: String] = [:]
        if let raw = try? String(contentsOfFile: dir + "/headers", encoding: .utf8) {
            for line in raw.split(separator: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let data = FileManager.default.contents(atPath: dir + "/body") ?? Data()
        return CurlResponse(status: Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, headers: parsed, body: data)
    }
}
