// The command line of the real binary: --check on good and broken configs, --version,
// --help, bad arguments, a missing file.
import Foundation
import XCTest

final class CLITests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vtx-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func vtx(_ args: [String]) -> Harness.CommandResult {
        Harness.run([Harness.binary] + args, timeout: 20)
    }

    /// Writes `yaml` to a file of the temporary directory and runs `--check` on it.
    func check(_ name: String, _ yaml: String) throws -> (path: String, result: Harness.CommandResult) {
        let path = dir + "/" + name
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, vtx(["--check", "--config", path]))
    }

    /// The `file:line:column: key: message` lines of stderr.
    func diagnostics(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    static let fixtures = Harness.packageRoot + "/Tests/VTXConfigTests/Fixtures"

    /// A valid base config; the broken variants change one thing.
    static let base = """
    server:
      listen: "127.0.0.1:8080"
      hls_root: "/dev/shm/vtx-cli-check"
    streams:
      - name: "a"
        source: "rtsp://h/x"
        idle_timeout: 30
        output_args: ["-f", "hls", "{output_dir}/index.m3u8"]

    """

    // MARK: Valid configs

    func testCheckPassesOnSeedConfig() {
        let path = Self.fixtures + "/seed.yaml"
        let r = vtx(["--check", "--config", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("lobby_cam"), r.stdout)
        XCTAssertTrue(r.stdout.contains("0.0.0.0:8080"), r.stdout)
        XCTAssertTrue(r.stdout.contains("/dev/shm/vtx-hls"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\(path): OK"), r.stdout)
        // The summary masks the camera password.
        XCTAssertTrue(r.stdout.contains("rtsp://admin:***@192.168.1.10"), r.stdout)
        XCTAssertFalse(r.stdout.contains("password@"), r.stdout)
        XCTAssertFalse(r.stderr.contains(": error"), r.stderr)
    }

    /// The original's sample config (relative `hls_root: "./temp/hls"`,
    /// `supervisor_interval_ms`) passes --check and runs, resolved against the
    /// working directory, and the log says where the files go.
    func testOriginalSampleConfigWithRelativeHLSRootChecksAndRuns() throws {
        let port = Harness.freePort()
        let yaml = try String(contentsOfFile: Self.fixtures + "/original-sample.yaml", encoding: .utf8)
            .replacingOccurrences(of: "LISTEN", with: String(port))
        let path = dir + "/vtx-link.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["--check", "--config", "vtx-link.yaml"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        let checked = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, checked)
        let absolute = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path + "/temp/hls"
        XCTAssertTrue(checked.contains("/temp/hls"), checked)

        let run = Process()
        run.executableURL = URL(fileURLWithPath: Harness.binary)
        run.arguments = ["--config", "vtx-link.yaml"]
        run.currentDirectoryURL = URL(fileURLWithPath: dir)
        let logPath = dir + "/log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        run.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        run.standardOutput = FileHandle.nullDevice
        try run.run()
        defer { if run.isRunning { run.terminate(); run.waitUntilExit() } }
        XCTAssertTrue(Harness.waitUntil(10) { Harness.curl("http://127.0.0.1:\(port)/healthz", timeout: 2).status == 200 })
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("hls_root \"./temp/hls\" is relative: using "), log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: absolute) || FileManager.default.fileExists(atPath: dir + "/temp/hls"), log)
        run.terminate()
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0, log)
    }

    func testCheckPassesOnOriginalFullConfig() {
        let path = Self.fixtures + "/original-full.yaml"
        let r = vtx(["--check", "--config", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("parking"), r.stdout)
        XCTAssertTrue(r.stdout.contains("gate-2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("127.0.0.1:9000"), r.stdout)
        XCTAssertTrue(r.stdout.contains("playlist live.m3u8"), r.stdout)
        XCTAssertFalse(r.stdout.contains("v13w3r"), "credentials must be masked:\n" + r.stdout)
        XCTAssertTrue(r.stdout.contains("\(path): OK"), r.stdout)
    }

    func testCheckPassesOnBaseConfig() throws {
        let (path, r) = try check("base.yaml", Self.base)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("\(path): OK\n"), r.stdout)
        XCTAssertEqual(r.stderr, "")
    }

    /// A missing FFmpeg or hls_root on this machine is a warning: a config may be checked
    /// away from its device.
    func testMissingFFmpegAndHLSRootAreWarningsOnly() throws {
        let yaml = Self.base.replacingOccurrences(of: "  hls_root: \"/dev/shm/vtx-cli-check\"\n",
                                                  with: "  hls_root: \"/nonexistent-vtx-root/a/b\"\n  ffmpeg_binary: \"/nonexistent/bin/ffmpeg\"\n")
        let (path, r) = try check("warn.yaml", yaml)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("warning: ffmpeg_binary \"/nonexistent/bin/ffmpeg\" is not an executable on this machine"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\(path): OK"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent-vtx-root"), "--check must not create hls_root")
        // Neither key at all: the defaults ("ffmpeg" on PATH and the default root) are fine too.
        let minimal = """
        server:
          listen: "127.0.0.1:8080"
        streams:
          - name: "a"
            source: "rtsp://h/x"
            output_args: ["-f", "hls", "{output_dir}/index.m3u8"]

        """
        let (_, r2) = try check("minimal.yaml", minimal)
        XCTAssertEqual(r2.status, 0, r2.stdout + r2.stderr)
    }

    // MARK: Broken configs: exit 1, `file:line:column: key: message`

    func testTabIndentedFileFails() throws {
        let fixture = Self.fixtures + "/tabs.yaml"
        let r = vtx(["--check", "--config", fixture])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("\(fixture):2:1: syntax error: ") == true, r.stderr)
        XCTAssertTrue(r.stderr.contains("tabs"), "the message should say tabs are the problem: " + r.stderr)
        XCTAssertEqual(r.stdout, "", "no summary for an invalid config")

        let yaml = Self.base.replacingOccurrences(of: "    idle_timeout: 30\n", with: "\tidle_timeout: 30\n")
        let (path, r2) = try check("tab2.yaml", yaml)
        XCTAssertEqual(r2.status, 1, r2.stdout + r2.stderr)
        XCTAssertTrue(diagnostics(r2.stderr).first?.hasPrefix("\(path):7:1: syntax error: ") == true, r2.stderr)
    }

    func testStringWhereNumberBelongsFails() throws {
        let yaml = Self.base.replacingOccurrences(of: "idle_timeout: 30", with: "idle_timeout: \"abc\"")
        let (path, r) = try check("abc.yaml", yaml)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("\(path):7:19: streams[0].idle_timeout: ") == true, r.stderr)
        XCTAssertTrue(lines.first?.contains("\"abc\"") == true, r.stderr)
        XCTAssertTrue(lines.first?.contains("integer") == true, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testUnknownKeyFailsWithSuggestion() throws {
        var yaml = Self.base.replacingOccurrences(of: "hls_root:", with: "hls_rot:")
        yaml = yaml.replacingOccurrences(of: "idle_timeout:", with: "idel_timeout:")
        let (path, r) = try check("unknown.yaml", yaml)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 2, r.stderr)
        // Every problem is reported, sorted by position.
        XCTAssertEqual(lines.first, "\(path):3:3: server.hls_rot: unknown key, did you mean `hls_root`?")
        XCTAssertEqual(lines.last, "\(path):7:5: streams[0].idel_timeout: unknown key, did you mean `idle_timeout`?")
    }

    func testDuplicateStreamNameFails() throws {
        let yaml = Self.base + """
          - name: "a"
            source: "rtsp://h/y"
            output_args: ["-f", "hls", "{output_dir}/index.m3u8"]

        """
        let (path, r) = try check("dup.yaml", yaml)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("\(path):9:11: streams[1].name: ") == true, r.stderr)
        XCTAssertTrue(lines.first?.contains("duplicate") == true, r.stderr)
        XCTAssertTrue(lines.first?.contains("line 5") == true, "should point at the first definition: " + r.stderr)
    }

    func testOutputArgsWithoutOutputDirFails() throws {
        let yaml = Self.base.replacingOccurrences(of: "\"{output_dir}/index.m3u8\"", with: "\"/tmp/index.m3u8\"")
        let (path, r) = try check("nodir.yaml", yaml)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("\(path):8:18: streams[0].output_args: ") == true, r.stderr)
        XCTAssertTrue(lines.first?.contains("{output_dir}") == true, r.stderr)
    }

    func testSeveralProblemsAreAllReported() throws {
        var yaml = Self.base.replacingOccurrences(of: "idle_timeout: 30", with: "idle_timeout: \"abc\"")
        yaml = yaml.replacingOccurrences(of: "hls_root:", with: "hls_rot:")
        yaml = yaml.replacingOccurrences(of: "\"{output_dir}/index.m3u8\"", with: "\"index.m3u8\"")
        let (path, r) = try check("many.yaml", yaml)
        XCTAssertEqual(r.status, 1)
        let lines = diagnostics(r.stderr)
        XCTAssertEqual(lines.count, 3, r.stderr)
        let pattern = try NSRegularExpression(pattern: "^" + NSRegularExpression.escapedPattern(for: path) + ":[0-9]+:[0-9]+: [a-z_\\[\\]0-9.]+: .+$")
        for line in lines {
            XCTAssertNotNil(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), "not file:line:column: key: message — \(line)")
        }
        XCTAssertEqual(lines.map { $0.split(separator: ":")[1] }, ["3", "7", "8"], "sorted by line: \(lines)")
    }

    // MARK: Flags

    func testVersion() {
        let r = vtx(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "vtx-link 0.1.0\n")
    }

    func testHelp() {
        let r = vtx(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("usage: vtx-link"), r.stdout)
        for flag in ["--config", "--check", "--version", "--help"] {
            XCTAssertTrue(r.stdout.contains(flag), "help lacks \(flag)")
        }
    }

    func testUnknownFlagFails() {
        let r = vtx(["--frobnicate"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--frobnicate"), r.stderr)
        XCTAssertTrue(r.stderr.contains("usage: vtx-link"), r.stderr)
        XCTAssertEqual(r.stdout, "")

        let r2 = vtx(["--config"])   // a flag without its value
        XCTAssertNotEqual(r2.status, 0)
        XCTAssertTrue(r2.stderr.contains("--config"), r2.stderr)
    }

    func testMissingConfigFileFails() {
        let path = dir + "/does-not-exist.yaml"
        for args in [["--check", "--config", path], ["--config", path]] {
            let r = vtx(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(path), r.stderr)
            XCTAssertTrue(r.stderr.contains("No such file or directory"), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }
}
