// The aarch64 release binary (tools/build-release --arch aarch64) run on this x86_64
// machine through qemu-user, as the kernel runs any aarch64 program once binfmt_misc
// knows qemu's interpreter (tools/emulate-aarch64). Nothing in the gateway knows it is
// emulated: its FFmpeg goes through the real spawn path — uv_spawn of its own binary
// (emulated too) with --exec-child, PR_SET_PDEATHSIG, execve of FFmpeg — and the
// host's x86_64 FFmpeg then runs natively, as a device's own FFmpeg would.
//
// The build makes a Debian trixie tree the first time (about 5 min; then about 1 min):
// the test skips only when that tree cannot be made here (not root, no debootstrap),
// and never in CI, where .ci/run installs debootstrap and qemu-user-static.
import Foundation
import XCTest

final class Aarch64EmulationTests: XCTestCase {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The binary, built once per test run ($VTX_AARCH64_BINARY: one built already).
    nonisolated(unsafe) private static var built: (path: String?, skip: String?, failure: String?)?

    private func aarch64Binary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["VTX_AARCH64_BINARY"] { return env }
        if Self.built == nil {
            let started = Date()
            let r = Harness.run([Harness.packageRoot + "/tools/build-release", "--arch", "aarch64"], timeout: 1800)
            let why = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            switch r.status {
            case 0: Self.built = (r.stdout.split(separator: "\n").last.map(String.init), nil, nil)
            case 77: Self.built = (nil, why, nil)
            default: Self.built = (nil, nil, "tools/build-release --arch aarch64 failed (\(r.status)):\n" + String(r.stderr.suffix(4000)))
            }
            print("AARCH64: tools/build-release --arch aarch64 took \(Int(Date().timeIntervalSince(started))) s")
        }
        let built = Self.built!
        if let skip = built.skip {
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw Failure("CI must build the aarch64 binary: \(skip)") }
            throw XCTSkip("the aarch64 build tree cannot be made on this machine: \(skip)")
        }
        guard let path = built.path else { throw Failure(built.failure ?? "no binary") }
        return path
    }

    /// Makes aarch64 executables runnable here (binfmt_misc + qemu-user-static).
    private func emulate() throws {
        let r = Harness.run([Harness.packageRoot + "/tools/emulate-aarch64"])
        guard r.status == 0 else { throw Failure("tools/emulate-aarch64 failed: " + r.stdout + r.stderr) }
    }

    func testBinaryIsAStaticStrippedAarch64Executable() throws {
        let binary = try aarch64Binary()
        let info = Harness.run(["file", "-b", binary]).stdout
        XCTAssertTrue(info.contains("ARM aarch64"), info)
        XCTAssertTrue(info.contains("statically linked"), info)
        XCTAssertTrue(info.contains(", stripped"), info)
        XCTAssertFalse(Harness.run(["readelf", "-d", binary]).stdout.contains("(NEEDED)"), "shared libraries needed")
        let size = (try FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int) ?? 0
        print("AARCH64: \(binary) \(size) bytes")

        try emulate()
        let version = Harness.run([binary, "--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertEqual(version.stdout, Harness.run([Harness.binary, "--version"]).stdout, "the same version as the host build")
        let sample = Harness.packageRoot + "/tools/vtx-link.yaml.sample"
        let check = Harness.run([binary, "--config", sample, "--check"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    /// tools/package of the arm64 binary: the .deb says arm64 and carries that binary;
    /// the tar.gz is named for arm64. (PackageTests checks the layout in depth.)
    func testPackagesForArm64() throws {
        let binary = try aarch64Binary()
        try emulate()
        let root = Harness.packageRoot
        let r = Harness.run([root + "/tools/package", "--binary", binary], timeout: 300)
        XCTAssertEqual(r.status, 0, "tools/package failed:\n" + String(r.stderr.suffix(4000)))
        let paths = r.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        let version = Harness.run([binary, "--version"]).stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
        XCTAssertEqual(paths, [".build-package/vtx-link-\(version)-arm64.tar.gz", ".build-package/vtx-link_\(version)_arm64.deb"], r.stdout)
        guard paths.count == 2 else { return }
        let deb = root + "/" + paths[1]
        XCTAssertEqual(Harness.run(["dpkg-deb", "--field", deb, "Architecture"]).stdout, "arm64\n")
        XCTAssertTrue(Harness.run(["dpkg-deb", "--contents", deb]).stdout.contains(" ./usr/bin/vtx-link\n"))
        let scratch = NSTemporaryDirectory() + "vtx-arm64-deb-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        XCTAssertEqual(Harness.run(["dpkg-deb", "-x", deb, scratch]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/usr/bin/vtx-link"), FileManager.default.contents(atPath: binary))
        let tar = Harness.run(["tar", "-tzf", root + "/" + paths[0]]).stdout
        XCTAssertTrue(tar.contains("vtx-link-\(version)-arm64/vtx-link\n"), tar)
        let sums = Harness.run(["sh", "-c", "cd '\(root)/.build-package' && sha256sum -c SHA256SUMS"])
        XCTAssertEqual(sums.status, 0, sums.stdout + sums.stderr)
    }

    func testServesDashboardMetricsAndAStreamThatPlays() throws {
        let binary = try aarch64Binary()
        try emulate()
        let camera = try RTSPCamera()
        defer { camera.stop() }
        let gw = try GatewayProcess(name: "arm64", yaml: { port, root in
            EngineSupport.config(port: port, root: root, streams: [EngineSupport.rtspStream("cam", source: camera.url, start: 30)])
        }, binary: binary)
        defer { gw.stop() }

        // Emulated for real: the kernel started qemu's interpreter for the gateway.
        let interpreter = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(gw.pid)/exe")) ?? ""
        XCTAssertTrue(interpreter.contains("qemu"), "the gateway's process runs \(interpreter), not qemu")

        let health = gw.curl("/healthz")
        XCTAssertEqual(health.status, 200)
        let page = gw.curl("/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("<script src=\"app.js\""), "dashboard page")
        XCTAssertEqual(gw.curl("/app.js").status, 200)

        // A player asks: the gateway starts FFmpeg through its parent-death step.
        let asked = Date()
        let playlist = gw.curl("/hls/cam/index.m3u8", timeout: 40)
        XCTAssertEqual(playlist.status, 200, "playlist; log:\n" + gw.log)
        XCTAssertTrue(playlist.text.hasPrefix("#EXTM3U"), playlist.text)
        print("AARCH64: first playlist \(String(format: "%.2f", Date().timeIntervalSince(asked))) s after the request")
        let segment = try XCTUnwrap(playlist.text.split(whereSeparator: \.isNewline).first { $0.hasSuffix(".ts") }, playlist.text)

        let ffmpeg = try XCTUnwrap(gw.ffmpegPIDs.first(where: EngineSupport.isAlive), "no FFmpeg running; log:\n" + gw.log)
        XCTAssertEqual(Harness.procStatus(ffmpeg, "PPid"), Int(gw.pid), "FFmpeg is the emulated gateway's child")
        let ffmpegExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(ffmpeg)/exe")) ?? ""
        XCTAssertFalse(ffmpegExe.contains("qemu"), "FFmpeg runs natively, not \(ffmpegExe)")

        let media = gw.curl("/hls/cam/" + segment)
        XCTAssertEqual(media.status, 200, String(segment))
        XCTAssertEqual(media.headers["content-type"], "video/mp2t")
        let file = gw.dir + "/segment.ts"
        try media.body.write(to: URL(fileURLWithPath: file))
        let probe = Harness.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name",
                                 "-of", "csv=p=0", file])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        XCTAssertTrue(probe.stdout.contains("h264,video"), "segment streams: \(probe.stdout)")

        let metrics = gw.curl("/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.text.contains("vtx_stream_up{stream=\"cam\"} 1"), "vtx_stream_up of cam")
        let metricsFile = gw.dir + "/metrics.txt"
        try metrics.body.write(to: URL(fileURLWithPath: metricsFile))
        let promtool = Harness.run(["/bin/sh", "-c", "promtool check metrics < '\(metricsFile)'"], timeout: 30)
        XCTAssertEqual(promtool.status, 0, "promtool: \(promtool.stdout) \(promtool.stderr)")

        // The emulated --exec-child step did set the parent-death signal.
        kill(gw.pid, SIGKILL)
        let killed = Date()
        let gone = Harness.waitUntil(5, interval: 0.02) { !EngineSupport.isAlive(ffmpeg) }
        XCTAssertTrue(gone, "FFmpeg \(ffmpeg) outlived the SIGKILLed gateway")
        print("AARCH64: FFmpeg gone \(String(format: "%.2f", Date().timeIntervalSince(killed))) s after the gateway's SIGKILL")
    }
}
