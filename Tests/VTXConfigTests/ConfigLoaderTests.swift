import XCTest
@testable import VTXConfig

/// Fixture files live next to this file (located via #filePath, no SwiftPM resources).
func fixturePath(_ name: String, file: String = #filePath) -> String {
    var dir = file
    while let last = dir.last, last != "/" { dir.removeLast() }
    return dir + "Fixtures/" + name
}

let noEnvironment: (String) -> String? = { _ in nil }

/// Parses `text` as "t.yaml" and returns the config (failing the test on errors).
func loadOK(_ text: String, env: @escaping (String) -> String? = noEnvironment,
            file: StaticString = #filePath, line: UInt = #line) -> GatewayConfig? {
    switch ConfigLoader.parse(text: text, fileName: "t.yaml", environment: env) {
    case .success(let config): return config
    case .failure(let error):
        XCTFail("unexpected errors:\n\(error)", file: file, line: line)
        return nil
    }
}

/// Parses `text` as "t.yaml" and returns the error lines (failing the test on success).
func loadErrors(_ text: String, env: @escaping (String) -> String? = noEnvironment,
                file: StaticString = #filePath, line: UInt = #line) -> [String] {
    switch ConfigLoader.parse(text: text, fileName: "t.yaml", environment: env) {
    case .success:
        XCTFail("expected errors, config loaded", file: file, line: line)
        return []
    case .failure(let error): return error.messages
    }
}

final class ConfigLoaderTests: XCTestCase {

    // MARK: - Loading valid files

    func testSeedExampleLoadsWithExactValues() throws {
        let path = fixturePath("seed.yaml")
        let config = try ConfigLoader.load(path: path, environment: noEnvironment).get()
        XCTAssertEqual(config.path, path)
        XCTAssertEqual(config.server.listen, ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false))
        XCTAssertEqual(config.server.ffmpegBinary, "/usr/local/bin/ffmpeg")
        XCTAssertEqual(config.server.hlsRoot, "/dev/shm/vtx-hls")
        XCTAssertEqual(config.streams.count, 1)
        let s = config.streams[0]
        XCTAssertEqual(s.name, "lobby_cam")
        XCTAssertEqual(s.source, "rtsp://admin:password@192.168.1.10")
        XCTAssertTrue(s.autoStart)
        XCTAssertEqual(s.idleTimeout, 30)
        XCTAssertEqual(s.outputArgs, ["-c", "copy", "-f", "hls", "{output_dir}/index.m3u8"])
        XCTAssertEqual(s.inputArgs, [])
        XCTAssertEqual(s.retry, RetryConfig(maxAttempts: 5, initialBackoffSec: 2, maxBackoffSec: 60, resetAfterSec: 30))
        XCTAssertEqual(s.playlistName, "index.m3u8")
        XCTAssertEqual(s.ffmpegArguments(binary: config.server.ffmpegBinary, outputDir: "/dev/shm/vtx-hls/lobby_cam"), [
            "/usr/local/bin/ffmpeg", "-hide_banner", "-nostdin", "-progress", "pipe:1", "-stats_period", "1",
            "-i", "rtsp://admin:password@192.168.1.10",
            "-c", "copy", "-f", "hls", "/dev/shm/vtx-hls/lobby_cam/index.m3u8",
        ])
        // Everything not in the file has its default.
        XCTAssertEqual(config.server.maxConnections, 512)
        XCTAssertNil(config.server.auth)
    }

    func testOriginalSampleWithSupervisorIntervalAndMaxBackoffLoads() throws {
        let config = try ConfigLoader.load(path: fixturePath("original-full.yaml"), environment: noEnvironment).get()
        XCTAssertEqual(config.server.listen.description, "127.0.0.1:9000")
        XCTAssertEqual(config.server.supervisorIntervalMs, 500)
        XCTAssertEqual(config.server.hlsRoot, "/tmp/vtx-hls")
        XCTAssertEqual(config.streams.map(\.name), ["parking", "gate-2"])
        XCTAssertEqual(config.streams[0].retry, RetryConfig(maxAttempts: 0, initialBackoffSec: 1, maxBackoffSec: 30, resetAfterSec: 30))
        XCTAssertEqual(config.streams[0].playlistName, "live.m3u8")
        XCTAssertFalse(config.streams[0].autoStart)
        XCTAssertEqual(config.streams[0].idleTimeout, 60)
        XCTAssertEqual(config.streams[1].idleTimeout, 0)
        XCTAssertEqual(config.streams[1].retry.maxBackoffSec, 120)
        XCTAssertEqual(config.streams[1].outputArgs, ["-c", "copy", "-f", "hls", "{output_dir}/index.m3u8"])
    }

    func testEveryKeySet() throws {
        let env = ["VTX_PASSWORD": "pa55word", "VTX_TOKEN": "tok-123456"]
        let config = try ConfigLoader.load(path: fixturePath("full.yaml"), environment: { env[$0] }).get()
        let s = config.server
        XCTAssertEqual(s.listen, ListenAddress(host: "::1", port: 8443, isIPv6: true))
        XCTAssertEqual(s.listen.description, "[::1]:8443")
        XCTAssertEqual(s.ffmpegBinary, "/opt/ffmpeg/bin/ffmpeg")
        XCTAssertEqual(s.hlsRoot, "/var/lib/vtx/hls")  // trailing slash removed
        XCTAssertEqual(s.supervisorIntervalMs, 250)
        XCTAssertEqual(s.minAvailableMB, 0)
        XCTAssertEqual(s.maxStreams, 16)
        XCTAssertEqual(s.maxConnections, 2048)
        XCTAssertEqual(s.logLevel, .debug)
        XCTAssertEqual(s.hlsAllowOrigin, "https://example.com")
        XCTAssertEqual(s.auth, AuthConfig(username: "admin", password: "pa55word", token: "tok-123456", protectMetrics: false, protectHLS: true))
        XCTAssertEqual(s.ramdisk, RamdiskConfig(mount: true, sizeMB: 256))
        let st = try XCTUnwrap(config.stream(named: "Cam_01"))
        var expected = StreamConfig(
            name: "Cam_01", source: "rtsp://cam01.local/stream?token=t0ps3cr3t",
            autoStart: false, idleTimeout: 0,
            inputArgs: ["-rtsp_transport", "tcp"],
            outputArgs: ["-c", "copy", "-f", "hls", "-hls_segment_filename", "{output_dir}/seg_%05d.ts", "{output_dir}/playlist.m3u8"],
            startTimeout: 45, stallTimeout: 25, startMinSegments: 3, killTimeout: 7,
            retry: RetryConfig(maxAttempts: 10, initialBackoffSec: 4, maxBackoffSec: 300, resetAfterSec: 0))
        expected.maxStorageMB = 12
        expected.outputArgsGiven = true
        XCTAssertEqual(st, expected)
        XCTAssertEqual(st.playlistName, "playlist.m3u8")
        XCTAssertEqual(st.ffmpegArguments(binary: "ffmpeg", outputDir: "/h/Cam_01"), [
            "ffmpeg", "-hide_banner", "-nostdin", "-progress", "pipe:1", "-stats_period", "1", "-rtsp_transport", "tcp",
            "-i", "rtsp://cam01.local/stream?token=t0ps3cr3t",
            "-c", "copy", "-f", "hls", "-hls_segment_filename", "/h/Cam_01/seg_%05d.ts", "/h/Cam_01/playlist.m3u8",
        ])
    }

    /// A config that sends FFmpeg's progress somewhere itself gets no second `-progress`.
    func testOwnProgressArgumentIsKept() {
        var st = StreamConfig(name: "c", source: "rtsp://h/x")
        st.outputArgs = ["-progress", "/tmp/p.txt", "-c", "copy", "{output_dir}/index.m3u8"]
        let argv = st.ffmpegArguments(binary: "ffmpeg", outputDir: "/d")
        XCTAssertEqual(argv.filter { $0 == "-progress" }.count, 1)
        XCTAssertFalse(argv.contains("-stats_period"))
        XCTAssertFalse(argv.contains("pipe:1"))
        st.outputArgs = ["-c", "copy", "{output_dir}/index.m3u8"]
        st.inputArgs = ["-progress", "tcp://127.0.0.1:9"]
        XCTAssertEqual(st.ffmpegArguments(binary: "ffmpeg", outputDir: "/d").filter { $0 == "-progress" }.count, 1)
    }

    func testEveryDefault() throws {
        let config = try XCTUnwrap(loadOK("streams:\n  - name: cam\n    source: rtsp://h/x\n"))
        let s = config.server
        XCTAssertEqual(s.listen, ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false))
        XCTAssertEqual(s.ffmpegBinary, "ffmpeg")
        XCTAssertEqual(s.hlsRoot, "/dev/shm/vtx-hls")
        XCTAssertNil(s.supervisorIntervalMs)
        XCTAssertEqual(s.minAvailableMB, 8)
        XCTAssertEqual(s.maxStreams, 0)
        XCTAssertEqual(s.maxConnections, 512)
        XCTAssertEqual(s.logLevel, .info)
        XCTAssertEqual(s.hlsAllowOrigin, "*")
        XCTAssertNil(s.auth)
        XCTAssertNil(s.ramdisk)
        XCTAssertEqual(s, ServerConfig())

        let st = config.streams[0]
        XCTAssertFalse(st.autoStart)
        XCTAssertEqual(st.idleTimeout, 30)
        XCTAssertEqual(st.inputArgs, [])
        XCTAssertEqual(st.outputArgs, ["-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                                       "-hls_flags", "delete_segments+omit_endlist", "{output_dir}/index.m3u8"])
        XCTAssertEqual(st.startTimeout, 20)
        XCTAssertEqual(st.stallTimeout, 15)
        XCTAssertEqual(st.startMinSegments, 3)
        XCTAssertEqual(st.killTimeout, 3)
        XCTAssertEqual(st.retry.maxAttempts, 0)
        XCTAssertEqual(st.retry.initialBackoffSec, 2)
        XCTAssertEqual(st.retry.maxBackoffSec, 60)
        XCTAssertEqual(st.retry.resetAfterSec, 30)
        XCTAssertEqual(st, StreamConfig(name: "cam", source: "rtsp://h/x"))
        XCTAssertEqual(st.playlistName, "index.m3u8")

        // Sub-mapping defaults.
        let sub = try XCTUnwrap(loadOK("server:\n  auth:\n    token: abcdef\n  ramdisk: {}\n"))
        XCTAssertEqual(sub.server.auth, AuthConfig(username: nil, password: nil, token: "abcdef", protectMetrics: true, protectHLS: false))
        XCTAssertEqual(sub.server.ramdisk, RamdiskConfig(mount: false, sizeMB: 64))
    }

    func testEmptyFileIsDefaultConfigWithNoStreams() throws {
        for text in ["", "\n", "# only a comment\n", "---\n", "server:\nstreams:\n", "streams: []\n"] {
            let config = try XCTUnwrap(loadOK(text), "text: \(text.debugDescription)")
            XCTAssertEqual(config, GatewayConfig(path: "t.yaml"), "text: \(text.debugDescription)")
        }
    }

    func testEmptyFileOnDisk() throws {
        let path = NSTemporaryDirectory() + "vtx-config-empty-\(getpid()).yaml"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try ConfigLoader.load(path: path, environment: noEnvironment).get()
        XCTAssertEqual(config.streams, [])
        XCTAssertEqual(config.server, ServerConfig())
    }

    func testMissingFile() {
        let result = ConfigLoader.load(path: "/nonexistent/vtx-link.yaml", environment: noEnvironment)
        guard case .failure(let error) = result else { return XCTFail("loaded a missing file") }
        XCTAssertEqual(error.messages, ["/nonexistent/vtx-link.yaml: cannot open: No such file or directory"])
    }

    func testBooleansYAML11Forms() throws {
        for (word, value) in [("true", true), ("True", true), ("YES", true), ("on", true), ("false", false), ("No", false), ("OFF", false)] {
            let config = try XCTUnwrap(loadOK("streams:\n  - name: a\n    source: s\n    auto_start: \(word)\n"))
            XCTAssertEqual(config.streams[0].autoStart, value, word)
        }
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    auto_start: 1\n"),
                       ["t.yaml:4:17: streams[0].auto_start: expected a boolean (true/false), got 1"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    auto_start: \"true\"\n"),
                       ["t.yaml:4:17: streams[0].auto_start: expected a boolean (true/false), got \"true\""])
    }

    func testLogLevels() throws {
        for level in LogLevel.allCases {
            XCTAssertEqual(loadOK("server:\n  log_level: \(level.rawValue)\n")?.server.logLevel, level)
        }
        XCTAssertEqual(loadErrors("server:\n  log_level: verbose\n"),
                       ["t.yaml:2:14: server.log_level: expected one of debug, info, warn, error, got \"verbose\""])
    }

    func testPlainScalarsAreStrings() throws {
        // Unquoted numbers/bools are fine where a string belongs (name, args).
        let config = try XCTUnwrap(loadOK("streams:\n  - name: 123\n    source: true\n    input_args: [-re, 1]\n"))
        XCTAssertEqual(config.streams[0].name, "123")
        XCTAssertEqual(config.streams[0].source, "true")
        XCTAssertEqual(config.streams[0].inputArgs, ["-re", "1"])
    }

    func testMaxBackoffDefaultFollowsLargeInitialBackoff() throws {
        let config = try XCTUnwrap(loadOK("streams:\n  - name: a\n    source: s\n    retry:\n      initial_backoff_sec: 90\n"))
        XCTAssertEqual(config.streams[0].retry.maxBackoffSec, 90)
    }

    // MARK: - Errors, exact text

    func testTabIndentedFile() {
        let path = fixturePath("tabs.yaml")
        guard case .failure(let error) = ConfigLoader.load(path: path, environment: noEnvironment) else {
            return XCTFail("tab-indented file loaded")
        }
        XCTAssertEqual(error.messages, [
            "\(path):2:1: syntax error: found character that cannot start any token (while scanning for the next token); YAML does not allow tabs for indentation, use spaces",
        ])
    }

    func testStringWhereNumberBelongs() {
        let text = """
            streams:
              - name: a
                source: s
              - name: b
                source: s
                idle_timeout: "abc"
            """
        XCTAssertEqual(loadErrors(text), ["t.yaml:6:19: streams[1].idle_timeout: expected a non-negative integer, got \"abc\""])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    idle_timeout: abc\n"),
                       ["t.yaml:4:19: streams[0].idle_timeout: expected a non-negative integer, got \"abc\""])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    idle_timeout: \"30\"\n"),
                       ["t.yaml:4:19: streams[0].idle_timeout: expected a non-negative integer, got \"30\" (a quoted string; remove the quotes)"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    idle_timeout: 2.5\n"),
                       ["t.yaml:4:19: streams[0].idle_timeout: expected a non-negative integer, got \"2.5\""])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    idle_timeout: -1\n"),
                       ["t.yaml:4:19: streams[0].idle_timeout: expected a non-negative integer, got -1"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    kill_timeout: 0\n"),
                       ["t.yaml:4:19: streams[0].kill_timeout: expected a positive integer, got 0"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    start_timeout: [1]\n"),
                       ["t.yaml:4:20: streams[0].start_timeout: expected a positive integer, got a sequence"])
        XCTAssertEqual(loadErrors("server:\n  max_streams:\n"),
                       ["t.yaml:2:15: server.max_streams: expected a non-negative integer, got null"])
    }

    func testHugeInteger() {
        XCTAssertEqual(loadErrors("server:\n  max_connections: 99999999999999999999\n"),
                       ["t.yaml:2:20: server.max_connections: integer out of range (maximum 1000000000), got 99999999999999999999"])
        XCTAssertEqual(loadErrors("server:\n  max_streams: 1000000001\n"),
                       ["t.yaml:2:16: server.max_streams: integer out of range (maximum 1000000000), got 1000000001"])
        XCTAssertEqual(loadErrors("server:\n  max_streams: -99999999999999999999\n"),
                       ["t.yaml:2:16: server.max_streams: integer out of range (maximum 1000000000), got -99999999999999999999"])
    }

    func testUnknownKeyWithDidYouMean() {
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    idle_timout: 5\n"),
                       ["t.yaml:4:5: streams[0].idle_timout: unknown key, did you mean `idle_timeout`?"])
        XCTAssertEqual(loadErrors("server:\n  lisen: \":80\"\n"),
                       ["t.yaml:2:3: server.lisen: unknown key, did you mean `listen`?"])
        XCTAssertEqual(loadErrors("servers:\n  listen: \":80\"\n"),
                       ["t.yaml:1:1: servers: unknown key, did you mean `server`?"])
        XCTAssertEqual(loadErrors("server:\n  frobnicate: 1\n"),
                       ["t.yaml:2:3: server.frobnicate: unknown key (known keys: listen, ffmpeg_binary, hls_root, supervisor_interval_ms, min_available_mb, max_streams, max_connections, log_level, hls_allow_origin, auth, ramdisk)"])
        // A key of another section gets pointed there.
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    max_backoff_sec: 5\n"),
                       ["t.yaml:4:5: streams[0].max_backoff_sec: unknown key; `max_backoff_sec` belongs under `retry:`"])
        XCTAssertEqual(loadErrors("listen: \":80\"\n"),
                       ["t.yaml:1:1: listen: unknown key; `listen` belongs under `server:`"])
    }

    func testDuplicateKey() {
        XCTAssertEqual(loadErrors("server:\n  listen: \":80\"\n  listen: \":81\"\n"),
                       ["t.yaml:3:3: server.listen: duplicate key (first defined at line 2)"])
    }

    func testDuplicateStreamName() {
        let text = """
            streams:
              - name: cam
                source: a
              - name: other
                source: b
              - name: cam
                source: c
            """
        XCTAssertEqual(loadErrors(text), ["t.yaml:6:11: streams[2].name: duplicate stream name \"cam\" (first defined at line 2)"])
    }

    func testMissingOutputDir() {
        let text = """
            streams:
              - name: cam
                source: a
                output_args:
                  - "-f"
                  - "hls"
                  - "/tmp/index.m3u8"
            """
        XCTAssertEqual(loadErrors(text), [
            "t.yaml:5:7: streams[0].output_args: must contain \"{output_dir}\" in some element (where FFmpeg writes the HLS files)",
        ])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    output_args: [\"-f\", \"hls\", \"{output_dir}/x.ts\"]\n"), [
            "t.yaml:4:18: streams[0].output_args: no element ends in \".m3u8\"; exactly one element must be the HLS playlist, e.g. \"{output_dir}/index.m3u8\"",
        ])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    output_args: [\"{output_dir}/a.m3u8\", \"{output_dir}/b.m3u8\"]\n"), [
            "t.yaml:4:18: streams[0].output_args: 2 elements end in \".m3u8\"; exactly one must (the HLS playlist)",
        ])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    output_args: \"-f hls\"\n"), [
            "t.yaml:4:18: streams[0].output_args: expected a list of strings, got \"-f hls\"",
        ])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    input_args: [\"-re\", {a: 1}]\n"), [
            "t.yaml:4:25: streams[0].input_args[1]: expected a string, got a mapping",
        ])
    }

    func testMissingRequiredKeys() {
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n  - source: s\n"), [
            "t.yaml:2:5: streams[0].source: missing required key",
            "t.yaml:3:5: streams[1].name: missing required key",
        ])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: \"\"\n"), ["t.yaml:3:13: streams[0].source: must not be empty"])
        XCTAssertEqual(loadErrors("streams:\n  -\n"), ["t.yaml:2:4: streams[0]: expected a stream mapping (with `name` and `source`), got null"])
        XCTAssertEqual(loadErrors("streams:\n  - just a string\n"), ["t.yaml:2:5: streams[0]: expected a mapping, got \"just a string\""])
        XCTAssertEqual(loadErrors("streams:\n  name: a\n"), ["t.yaml:2:3: streams: expected a list of streams, got a mapping"])
    }

    func testBadStreamNames() {
        for bad in ["\"lobby cam\"", "\"a/b\"", "\"..\"", "\"\"", "\"caméra\"", String(repeating: "x", count: 65)] {
            let errors = loadErrors("streams:\n  - name: \(bad)\n    source: s\n")
            XCTAssertEqual(errors.count, 1, bad)
            XCTAssertTrue(errors.first?.hasPrefix("t.yaml:2:11: streams[0].name: invalid stream name ") ?? false, "\(bad): \(errors)")
            XCTAssertTrue(errors.first?.hasSuffix(": use 1-64 characters from A-Z a-z 0-9 _ -") ?? false, "\(bad): \(errors)")
        }
        XCTAssertEqual(loadErrors("streams:\n  - name: \"lobby cam\"\n    source: s\n"),
                       ["t.yaml:2:11: streams[0].name: invalid stream name \"lobby cam\": use 1-64 characters from A-Z a-z 0-9 _ -"])
        let ok = String(repeating: "x", count: 64)
        XCTAssertEqual(loadOK("streams:\n  - name: \(ok)\n    source: s\n  - name: A-z_0-9\n    source: s\n")?.streams.map(\.name), [ok, "A-z_0-9"])
    }

    func testListenAddressesInConfig() {
        XCTAssertEqual(loadOK("server:\n  listen: \"127.0.0.1:80\"\n")?.server.listen, ListenAddress(host: "127.0.0.1", port: 80, isIPv6: false))
        XCTAssertEqual(loadOK("server:\n  listen: \"[::1]:8080\"\n")?.server.listen, ListenAddress(host: "::1", port: 8080, isIPv6: true))
        XCTAssertEqual(loadOK("server:\n  listen: \":8080\"\n")?.server.listen, ListenAddress(host: "0.0.0.0", port: 8080, isIPv6: false))
        XCTAssertEqual(loadErrors("server:\n  listen: \"localhost:80\"\n"),
                       ["t.yaml:2:11: server.listen: expected IPv4:port, [IPv6]:port or :port (hostnames are not resolved), got \"localhost:80\""])
        XCTAssertEqual(loadErrors("server:\n  listen: \"1.2.3.4\"\n"),
                       ["t.yaml:2:11: server.listen: missing port; expected IPv4:port, [IPv6]:port or :port, got \"1.2.3.4\""])
        XCTAssertEqual(loadErrors("server:\n  listen: \"[::1]\"\n"),
                       ["t.yaml:2:11: server.listen: missing port; expected IPv4:port, [IPv6]:port or :port, got \"[::1]\""])
        XCTAssertEqual(loadErrors("server:\n  listen: \":0\"\n"),
                       ["t.yaml:2:11: server.listen: port must be 1-65535, got \":0\""])
        XCTAssertEqual(loadErrors("server:\n  listen: \"0.0.0.0:70000\"\n"),
                       ["t.yaml:2:11: server.listen: port must be 1-65535, got \"0.0.0.0:70000\""])
        XCTAssertEqual(loadErrors("server:\n  listen: 8080\n"),
                       ["t.yaml:2:11: server.listen: expected IPv4:port, [IPv6]:port or :port (hostnames are not resolved), got \"8080\""])
    }

    func testHLSRoot() {
        XCTAssertEqual(loadErrors("server:\n  hls_root: /\n"),
                       ["t.yaml:2:13: server.hls_root: must not be \"/\" (stream directories are created and deleted under it)"])
        XCTAssertEqual(loadErrors("server:\n  hls_root: \"///\"\n"),
                       ["t.yaml:2:13: server.hls_root: must not be \"/\" (stream directories are created and deleted under it)"])
        XCTAssertEqual(loadErrors("server:\n  hls_root: /dev/shm/../etc\n"),
                       ["t.yaml:2:13: server.hls_root: must not contain a \"..\" component, got \"/dev/shm/../etc\""])
        XCTAssertEqual(loadErrors("server:\n  hls_root: /dev/shm/..\n"),
                       ["t.yaml:2:13: server.hls_root: must not contain a \"..\" component, got \"/dev/shm/..\""])
        // Relative (the original's sample: "./temp/hls"): resolved against the working directory.
        let cwd = ConfigDecoder.currentDirectory() ?? "?"
        XCTAssertEqual(loadOK("server:\n  hls_root: \"./temp/hls\"\n")?.server.hlsRoot, cwd + "/temp/hls")
        XCTAssertEqual(loadOK("server:\n  hls_root: \"./temp/hls\"\n")?.server.hlsRootGiven, "./temp/hls")
        XCTAssertEqual(loadOK("server:\n  hls_root: vtx-hls/\n")?.server.hlsRoot, cwd + "/vtx-hls")
        XCTAssertEqual(loadOK("server:\n  hls_root: /dev/./shm/x\n")?.server.hlsRoot, "/dev/shm/x")
        XCTAssertEqual(loadErrors("server:\n  hls_root: ../x\n"),
                       ["t.yaml:2:13: server.hls_root: must not contain a \"..\" component, got \"../x\""])
        XCTAssertEqual(ConfigDecoder.checkHLSRoot("x", workingDirectory: { nil }).failureMessage,
                       "is relative (\"x\") and the working directory is unknown")
        // ".." inside a name is not a component.
        XCTAssertEqual(loadOK("server:\n  hls_root: /srv/a..b/\n")?.server.hlsRoot, "/srv/a..b")
    }

    func testAuthValidation() {
        XCTAssertEqual(loadErrors("server:\n  auth:\n    username: u\n"), ["t.yaml:3:5: server.auth: `username` needs a `password`"])
        XCTAssertEqual(loadErrors("server:\n  auth:\n    password: p\n"), ["t.yaml:3:5: server.auth: `password` needs a `username`"])
        XCTAssertEqual(loadErrors("server:\n  auth:\n    hls: true\n"),
                       ["t.yaml:3:5: server.auth: set `username` and `password`, or `token` (or remove `auth`)"])
        XCTAssertEqual(loadErrors("server:\n  auth:\n    token: \"\"\n"), ["t.yaml:3:12: server.auth.token: must not be empty"])
        XCTAssertEqual(loadErrors("server:\n  auth: yes\n"), ["t.yaml:2:9: server.auth: expected a mapping, got \"yes\""])
        XCTAssertEqual(loadOK("server:\n  auth:\n    username: u\n    password: p\n")?.server.auth,
                       AuthConfig(username: "u", password: "p", token: nil, protectMetrics: true, protectHLS: false))
    }

    func testRamdiskAndRetryValidation() {
        XCTAssertEqual(loadErrors("server:\n  ramdisk:\n    size_mb: 0\n"), ["t.yaml:3:14: server.ramdisk.size_mb: expected a positive integer, got 0"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    retry:\n      initial_backoff_sec: 10\n      max_backoff_sec: 5\n"),
                       ["t.yaml:6:24: streams[0].retry.max_backoff_sec: must be >= initial_backoff_sec (10), got 5"])
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: s\n    retry:\n      initial_backoff_sec: 0\n"),
                       ["t.yaml:5:28: streams[0].retry.initial_backoff_sec: expected a positive integer, got 0"])
    }

    func testNonMappingTopLevel() {
        XCTAssertEqual(loadErrors("- a\n- b\n"), ["t.yaml:1:1: (top level): expected a mapping with `server:` and `streams:`, got a sequence"])
        XCTAssertEqual(loadErrors("hello\n"), ["t.yaml:1:1: (top level): expected a mapping with `server:` and `streams:`, got \"hello\""])
        XCTAssertEqual(loadErrors("server: 5\n"), ["t.yaml:1:9: server: expected a mapping, got 5"])
    }

    func testSeveralErrorsReportedTogetherInFileOrder() {
        let text = """
            server:
              listen: "localhost:8080"
              max_connections: 0
              log_levle: info
            streams:
              - name: "bad name"
                source: rtsp://cam/1
                idle_timeout: "abc"
              - name: ok
                source: ${CAM_URL}
                output_args: ["-f", "hls", "out.m3u8"]
            """
        XCTAssertEqual(loadErrors(text), [
            "t.yaml:2:11: server.listen: expected IPv4:port, [IPv6]:port or :port (hostnames are not resolved), got \"localhost:8080\"",
            "t.yaml:3:20: server.max_connections: expected a positive integer, got 0",
            "t.yaml:4:3: server.log_levle: unknown key, did you mean `log_level`?",
            "t.yaml:6:11: streams[0].name: invalid stream name \"bad name\": use 1-64 characters from A-Z a-z 0-9 _ -",
            "t.yaml:8:19: streams[0].idle_timeout: expected a non-negative integer, got \"abc\"",
            "t.yaml:10:13: streams[1].source: environment variable `CAM_URL` is not set",
            "t.yaml:11:18: streams[1].output_args: must contain \"{output_dir}\" in some element (where FFmpeg writes the HLS files)",
        ])
        // ConfigError.description joins the lines.
        if case .failure(let error) = ConfigLoader.parse(text: text, fileName: "t.yaml", environment: noEnvironment) {
            XCTAssertEqual(error.description, error.messages.joined(separator: "\n"))
            XCTAssertEqual(error.description.split(separator: "\n").count, 7)
        }
    }

    func testYAMLSyntaxErrors() {
        XCTAssertEqual(loadErrors("streams: [\n"), ["t.yaml:2:1: syntax error: did not find expected node content (while parsing a flow node)"])
        XCTAssertEqual(loadErrors("server:\n  listen: \"unterminated\n"),
                       ["t.yaml:3:1: syntax error: found unexpected end of stream (while scanning a quoted scalar started at line 2, column 11)"])
        XCTAssertEqual(loadErrors("a: \u{01}\n"), ["t.yaml:1:4: syntax error: control characters are not allowed (byte 0x1)"])
        XCTAssertEqual(loadErrors("server: {}\n---\nserver: {}\n"),
                       ["t.yaml:3:1: syntax error: a second YAML document (`---`) is not supported; the config must be a single document"])
        switch ConfigLoader.parse(bytes: Array("a: ".utf8) + [0xFF, 0x0A], fileName: "t.yaml", environment: noEnvironment) {
        case .success: XCTFail("invalid UTF-8 accepted")
        case .failure(let e): XCTAssertEqual(e.messages, ["t.yaml:1:4: syntax error: invalid leading UTF-8 octet (byte 0xFF)"])
        }
    }

    func testRecursiveAliasAndAliasBomb() {
        XCTAssertEqual(loadErrors("a: &x [*x]\n"), ["t.yaml:1:4: syntax error: YAML nested too deeply (more than 64 levels, or a recursive alias)"])
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        for i in 1...8 {
            let prev = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(i - 1)))
            let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(i)))
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 10).joined(separator: ",") + "]\n"
        }
        let errors = loadErrors(bomb)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.contains("YAML document too large") ?? false, "\(errors)")
        // Ordinary aliases work.
        let shared = "streams:\n  - name: a\n    source: s\n    output_args: &out [\"-f\", \"hls\", \"{output_dir}/i.m3u8\"]\n  - name: b\n    source: t\n    output_args: *out\n"
        XCTAssertEqual(loadOK(shared)?.streams.map(\.outputArgs), [["-f", "hls", "{output_dir}/i.m3u8"], ["-f", "hls", "{output_dir}/i.m3u8"]])
    }

    // MARK: - Environment

    func testEnvironmentExpansion() throws {
        let env = ["CAM_PASS": "s3cret", "HOST": "10.0.0.5", "EMPTY": ""]
        let text = "streams:\n  - name: a\n    source: \"rtsp://admin:${CAM_PASS}@${HOST}/x?cost=$5&y=$$HOME&z=${EMPTY}\"\n"
        let config = try XCTUnwrap(loadOK(text, env: { env[$0] }))
        XCTAssertEqual(config.streams[0].source, "rtsp://admin:s3cret@10.0.0.5/x?cost=$5&y=$$HOME&z=")
        XCTAssertEqual(loadOK("server:\n  ffmpeg_binary: \"${FF:-/usr/bin/ffmpeg}\"\n")?.server.ffmpegBinary, "/usr/bin/ffmpeg")
        XCTAssertEqual(loadOK("server:\n  ffmpeg_binary: \"a$\"\n")?.server.ffmpegBinary, "a$")
        XCTAssertEqual(loadErrors("streams:\n  - name: a\n    source: \"${CAM_URL}\"\n    input_args: [\"${A}${B}\"]\n"), [
            "t.yaml:3:13: streams[0].source: environment variable `CAM_URL` is not set",
            "t.yaml:4:18: streams[0].input_args[0]: environment variable `A` is not set",
            "t.yaml:4:18: streams[0].input_args[0]: environment variable `B` is not set",
        ])
        XCTAssertEqual(loadErrors("server:\n  hls_allow_origin: \"${OPEN\"\n"),
                       ["t.yaml:2:21: server.hls_allow_origin: unterminated `${` (missing `}`)"])
        XCTAssertEqual(loadErrors("server:\n  hls_allow_origin: \"${1X}\"\n"),
                       ["t.yaml:2:21: server.hls_allow_origin: invalid environment variable reference \"${1X}\" (names are [A-Za-z_][A-Za-z0-9_]*)"])
        // Numbers are not strings: no expansion there.
        XCTAssertEqual(loadErrors("server:\n  max_streams: ${N}\n", env: { _ in "5" }),
                       ["t.yaml:2:16: server.max_streams: expected a non-negative integer, got \"${N}\""])
    }

    func testProcessEnvironmentIsTheDefault() throws {
        setenv("VTX_CONFIG_TEST_SOURCE", "rtsp://from-env/x", 1)
        defer { unsetenv("VTX_CONFIG_TEST_SOURCE") }
        let config = try ConfigLoader.parse(text: "streams:\n  - name: a\n    source: ${VTX_CONFIG_TEST_SOURCE}\n", fileName: "t.yaml").get()
        XCTAssertEqual(config.streams[0].source, "rtsp://from-env/x")
    }

    // MARK: - Robustness

    func testGarbageNeverCrashes() {
        let inputs = [
            "{", "}", "[", "]", ":", "- - - -", "? a\n: b", "!!binary aGVsbG8=", "&a", "*a", "a: *unknown",
            "server: !!int 5", "streams: [{name: a, source: b, retry: [1]}]", "streams:\n  - ? [a]\n    : b\n",
            "server:\n  ? {a: 1}\n  : 2\n", "%YAML 1.1\n---\nserver: {}\n", "\u{FEFF}server: {}\n",
            String(repeating: "[", count: 10_000), String(repeating: "- ", count: 5_000) + "x",
            "streams:\n  - name: a\n    source: s\n    idle_timeout: 9223372036854775807\n",
            "streams:\n  - name: a\n    source: s\n    idle_timeout: -9223372036854775808\n",
            "streams:\n  - name: a\n    source: \"\\0\"\n",
            "server:\n  listen: \"[\"\n", "server:\n  listen: \"[]:1\"\n", "server:\n  listen: \"[::1]x\"\n",
            "server:\n  listen: \"::\"\n", "\"a\\nb\": 1\n", "server:\n  \"x\\ny\": 1\n", "server:\n  hls_allow_origin: \"${a\\nb}\"\n", "server:\n  listen: \"1.2.3.4:\"\n", "server:\n  listen: \"1.2.3.4:-1\"\n",
        ]
        for input in inputs {
            switch ConfigLoader.parse(text: input, fileName: "f", environment: noEnvironment) {
            case .success: break
            case .failure(let e):
                XCTAssertFalse(e.messages.isEmpty)
                for m in e.messages {
                    XCTAssertTrue(m.hasPrefix("f:"), m)
                    XCTAssertFalse(m.contains("\n") || m.contains("\r"), m)
                }
            }
        }
        // Random byte soup.
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abc:-[]{}\"'\n #&*!|>%@`\t?,0123456789".utf8)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<120, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 0x20 }
            _ = ConfigLoader.parse(bytes: bytes, fileName: "f", environment: noEnvironment)
        }
    }

    func testNULInStringIsRejected() {
        XCTAssertEqual(loadErrors("server:\n  ffmpeg_binary: \"ff\\0mpeg\"\n"),
                       ["t.yaml:2:18: server.ffmpeg_binary: must not contain a NUL character"])
    }
}

extension Result where Failure == ConfigDecoder.Message {
    var failureMessage: String? { if case .failure(let m) = self { return m.message } else { return nil } }
}
