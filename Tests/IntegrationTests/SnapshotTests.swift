// GET /api/v1/streams/<name>/snapshot.jpg of the real binary with real FFmpeg: a
// JPEG of the newest segment, cached until the next one, refused by the memory
// guard, never starting a stream, and said to be impossible by an FFmpeg without
// the decoder/encoder.
import Foundation
import XCTest

final class SnapshotTests: XCTestCase {
    typealias S = EngineSupport

    /// A moving test pattern (testsrc's counter and scrolling bar), 1 s segments.
    static func moving(_ name: String) -> String {
        Synthetic.stream(name, idle: 120).replacingOccurrences(of: Synthetic.source, with: "testsrc=size=640x360:rate=25")
    }

    /// One GET through curl with curl's own timing (the gateway's answer, not curl's start).
    static func timedGet(_ url: String, to file: String) -> (status: Int, seconds: Double) {
        let r = Harness.run(["curl", "-sS", "-o", file, "-w", "%{http_code} %{time_total}", "--max-time", "20", url], timeout: 25)
        let parts = r.stdout.split(separator: " ")
        return (Int(parts.first ?? "") ?? 0, Double(parts.last ?? "") ?? .nan)
    }

    /// The picture as 8-bit grey pixels (decoded by Debian's FFmpeg), and its size.
    static func pixels(_ jpeg: String) -> (gray: Data, size: String) {
        let probe = Harness.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", jpeg])
        let raw = jpeg + ".gray"
        Harness.run(["ffmpeg", "-v", "error", "-y", "-i", jpeg, "-f", "rawvideo", "-pix_fmt", "gray", raw])
        return (FileManager.default.contents(atPath: raw) ?? Data(), probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func newestSegmentName(_ g: GatewayProcess, _ name: String) -> String? {
        WebT.segments(g.curl("/hls/\(name)/index.m3u8").text).last
    }

    static func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }

    func testSnapshotIsTheNewestSegmentCachedUntilTheNextAndNeverStartsAStream() throws {
        let g = try GatewayProcess(name: "snap") { port, root in
            WebT.config(port: port, root: root, server: "  min_available_mb: 0\n", streams: [Self.moving("cam"), Self.moving("idle")])
        }
        defer { g.stop() }
        let url = { (q: String) in g.url("/api/v1/streams/cam/snapshot.jpg" + q) }
        XCTAssertEqual(g.curl("/api/v1/streams/nope/snapshot.jpg").status, 404)
        let idle = g.curl("/api/v1/streams/idle/snapshot.jpg")
        XCTAssertEqual(idle.status, 503, idle.text)
        XCTAssertTrue(idle.text.contains("not_running"), idle.text)
        XCTAssertEqual(S.state(g, "idle"), "idle", "a snapshot request started the stream")
        WebT.startByPlaylist(g, "cam")
        for bad in ["?width=63", "?width=1921", "?width=abc", "?width="] {
            XCTAssertEqual(g.curl("/api/v1/streams/cam/snapshot.jpg" + bad).status, 400, bad)
        }

        // Cold: the first request after a new segment runs FFmpeg; cached: the rest.
        var cold: [Double] = [], cached: [Double] = [], pictures: [Data] = []
        var last = ""
        for i in 0..<10 {
            XCTAssertTrue(Harness.waitUntil(5, interval: 0.02) { (Self.newestSegmentName(g, "cam") ?? last) != last }, "no new segment")
            last = Self.newestSegmentName(g, "cam") ?? ""
            let file = g.dir + "/snap\(i).jpg"
            let first = Self.timedGet(url(""), to: file)
            XCTAssertEqual(first.status, 200, g.log)
            cold.append(first.seconds)
            let again = Self.timedGet(url(""), to: file + ".again")
            XCTAssertEqual(again.status, 200)
            cached.append(again.seconds)
            XCTAssertEqual(FileManager.default.contents(atPath: file), FileManager.default.contents(atPath: file + ".again"),
                           "a cached answer is the same picture")
            let (gray, size) = Self.pixels(file)
            XCTAssertEqual(size, "320,180", "default width 320, aspect kept")
            pictures.append(gray)
        }
        XCTAssertEqual(pictures.first?.count, 320 * 180)
        XCTAssertNotEqual(pictures[0], pictures[1], "two segments of a moving pattern gave the same picture")
        XCTAssertEqual(Set(pictures).count, pictures.count, "pictures repeat across segments")
        let coldMs = Self.median(cold) * 1000, cachedMs = Self.median(cached) * 1000
        S.measure(String(format: "snapshot 640x360 H.264 → 320 px JPEG, Debian FFmpeg: cold (first in a segment) median of 10 %.1f ms, max %.1f ms; cached median of 10 %.2f ms, max %.2f ms",
                         coldMs, (cold.max() ?? 0) * 1000, cachedMs, (cached.max() ?? 0) * 1000))
        XCTAssertLessThan(cachedMs, 10, "cached snapshot over 10 ms: \(cached)")

        // Other widths; never upscaled past the source.
        XCTAssertEqual(Self.timedGet(url("?width=64"), to: g.dir + "/w64.jpg").status, 200)
        XCTAssertEqual(Self.pixels(g.dir + "/w64.jpg").size, "64,36")
        XCTAssertEqual(Self.timedGet(url("?width=1920"), to: g.dir + "/w1920.jpg").status, 200)
        XCTAssertEqual(Self.pixels(g.dir + "/w1920.jpg").size, "640,360")

        let metrics = g.curl("/metrics").text
        XCTAssertTrue(metrics.contains("vtx_snapshots_total{result=\"cached\"} "), metrics)
        XCTAssertEqual(S.state(g, "idle"), "idle")
        XCTAssertEqual(g.ffmpegPIDs.count, 1, "a snapshot FFmpeg outlived its answer, or idle started")
    }

    /// The guard refuses a snapshot it cannot afford: 503, its reason, Retry-After.
    func testMemoryGuardRefusesASnapshot() throws {
        let cam = try RTSPCamera()
        defer { cam.stop() }
        var portSeen = 0, rootSeen = ""
        let streams = [S.rtspStream("cam", source: cam.url, idle: 120)]
        let g = try GatewayProcess(name: "snap-guard") { port, root in
            portSeen = port; rootSeen = root
            return S.config(port: port, root: root, server: ["min_available_mb: 0"], streams: streams)
        }
        defer { g.stop() }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        XCTAssertEqual(g.curl("/api/v1/streams/cam/snapshot.jpg").status, 200, g.log)

        let minMB = S.memAvailableMB() + 1024
        try S.config(port: portSeen, root: rootSeen, server: ["min_available_mb: \(minMB)"], streams: streams)
            .write(toFile: g.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(S.post(g, "/api/v1/reload").status, 200, g.log)
        XCTAssertEqual(S.state(g, "cam"), "running", "the reload restarted the stream")
        let before = g.ffmpegPIDs
        // A new segment, so the cache does not answer.
        let seen = Self.newestSegmentName(g, "cam")
        XCTAssertTrue(Harness.waitUntil(5, interval: 0.05) { Self.newestSegmentName(g, "cam") != seen })
        let r = g.curl("/api/v1/streams/cam/snapshot.jpg")
        XCTAssertEqual(r.status, 503, r.text)
        XCTAssertTrue(r.text.contains("memory_guard") && r.text.contains("min_available_mb \(minMB)"), r.text)
        XCTAssertEqual(r.headers["retry-after"], "10")
        XCTAssertEqual(g.ffmpegPIDs, before, "a snapshot FFmpeg ran")
        S.measure("snapshot refused by the memory guard: min_available_mb \(minMB) → 503 \(r.text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// The default tailored FFmpeg has no H.264 decoder, scaler or JPEG encoder: 503
    /// with what it lacks, logged once. The `--snapshots` build (when built) makes them.
    func testTailoredFFmpegSaysWhatItLacksAndTheSnapshotsBuildWorks() throws {
        let lite = try FFmpegLiteTests.liteBinary()
        let cam = try RTSPCamera()
        defer { cam.stop() }
        let g = try GatewayProcess(name: "snap-lite") { port, root in
            S.config(port: port, root: root, server: ["min_available_mb: 0", "ffmpeg_binary: \"\(lite)\""],
                     streams: [S.rtspStream("cam", source: cam.url, idle: 120)])
        }
        defer { g.stop() }
        XCTAssertEqual(g.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, g.log)
        for _ in 0..<2 {
            let r = g.curl("/api/v1/streams/cam/snapshot.jpg")
            XCTAssertEqual(r.status, 503, r.text)
            XCTAssertTrue(r.text.contains("snapshot_unsupported") && r.text.contains("no decoder h264") && r.text.contains("no encoder mjpeg"), r.text)
        }
        XCTAssertEqual(g.log.components(separatedBy: "cannot make snapshots").count - 1, 1, "logged once: \(g.log)")

        let snapshots = Harness.packageRoot + "/.build-ffmpeg-lite-snap/ffmpeg"
        // tools/test builds it; a run without it says so rather than passing quietly.
        guard FileManager.default.isExecutableFile(atPath: snapshots) else {
            throw XCTSkip("no \(snapshots): run tools/build-ffmpeg-lite --snapshots --out .build-ffmpeg-lite-snap")
        }
        let s = try GatewayProcess(name: "snap-lite2") { port, root in
            S.config(port: port, root: root, server: ["min_available_mb: 0", "ffmpeg_binary: \"\(snapshots)\""],
                     streams: [S.rtspStream("cam", source: cam.url, idle: 120)])
        }
        defer { s.stop() }
        XCTAssertEqual(s.curl("/hls/cam/index.m3u8", timeout: 20).status, 200, s.log)
        let r = s.curl("/api/v1/streams/cam/snapshot.jpg?width=640")
        XCTAssertEqual(r.status, 200, r.text + s.log)
        XCTAssertEqual(r.headers["content-type"], "image/jpeg")
        XCTAssertEqual(Array(r.body.prefix(2)), [0xff, 0xd8], "a JPEG")
    }
}
