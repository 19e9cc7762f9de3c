// The RAM disk is RAM: whatever output_args say, a stream's files stay bounded.
import Foundation
import XCTest

final class StorageTests: XCTestCase {
    typealias S = EngineSupport

    /// Files and bytes in a stream directory (regular files only).
    static func usage(_ dir: String) -> (files: Int, bytes: Int) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var bytes = 0
        for n in names {
            bytes += ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + n))?[.size] as? Int) ?? 0
        }
        return (names.count, bytes)
    }

    /// The original project's own sample `output_args` (no `delete_segments`, so FFmpeg
    /// keeps every segment) with a 4 Mbit/s 720p camera, for 3 minutes: the gateway
    /// removes what the playlist has dropped, and the directory stays bounded.
    func testOriginalSampleOutputArgsWithA4MbitCameraStayBoundedFor3Minutes() throws {
        let cam = try RTSPCamera(shape: ["--size", "1280x720", "--noise", "--bitrate", "4000"])
        defer { cam.stop() }
        let g = try GatewayProcess(name: "storage-sample") { port, root in
            S.config(port: port, root: root, streams: ["""
              - name: "lobby"
                source: "\(cam.url)"
                input_args: ["-rtsp_transport", "tcp"]
                idle_timeout: 0
                output_args: ["-c", "copy", "-f", "hls", "{output_dir}/index.m3u8"]
            """])
        }
        XCTAssertEqual(g.curl("/hls/lobby/index.m3u8", timeout: 25).status, 200, g.log)
        let dir = g.hlsRoot + "/lobby"
        var peakFiles = 0, peakBytes = 0, samples = 0
        let end = Date().addingTimeInterval(180)
        while Date() < end {
            let u = Self.usage(dir)
            peakFiles = max(peakFiles, u.files)
            peakBytes = max(peakBytes, u.bytes)
            samples += 1
            Thread.sleep(forTimeInterval: 1)
        }
        let api = S.stream(g, "lobby") ?? [:]
        let removed = api["files_removed"] as? Int ?? 0
        let cap = api["storage_cap_bytes"] as? Int ?? 0
        print("STORAGE-MEASURE original sample output_args, 4 Mbit/s, 180 s: peak \(peakFiles) files, \(peakBytes) bytes; cap \(cap); removed \(removed)")
        XCTAssertEqual(S.state(g, "lobby"), "running", g.log.suffix(2000).description)
        // FFmpeg made ~90 segments of 2 s in 3 minutes; the playlist lists 5 of them.
        XCTAssertGreaterThan(removed, 60, "the gateway removed too few segments")
        XCTAssertLessThanOrEqual(peakFiles, 12, "files kept: window of 5 + grace + the one being written")
        XCTAssertGreaterThan(cap, 0)
        XCTAssertLessThan(peakBytes, cap, "the directory reached the cap: the sweep is not keeping up")
        XCTAssertEqual(S.history(g, "lobby").filter { $0["reason"] as? String == "storage_limit" }.count, 0)
    }

    /// A playlist that lists every segment (`hls_list_size 0`) cannot be swept: past
    /// `max_storage_mb` FFmpeg is restarted with the reason in history, and the
    /// directory never holds much more than the cap.
    func testPastMaxStorageTheStreamIsRestartedWithTheReason() throws {
        let cam = try RTSPCamera(shape: ["--bitrate", "1000", "--noise"])
        defer { cam.stop() }
        let g = try GatewayProcess(name: "storage-cap") { port, root in
            S.config(port: port, root: root, streams: ["""
              - name: "all"
                source: "\(cam.url)"
                input_args: ["-rtsp_transport", "tcp"]
                idle_timeout: 0
                max_storage_mb: 2
                retry:
                  initial_backoff_sec: 1
                output_args: ["-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "{output_dir}/index.m3u8"]
            """])
        }
        XCTAssertEqual(g.curl("/hls/all/index.m3u8", timeout: 25).status, 200, g.log)
        var peak = 0
        let limited = Harness.waitUntil(40, interval: 0.2) {
            peak = max(peak, Self.usage(g.hlsRoot + "/all").bytes)
            return S.history(g, "all").contains { $0["reason"] as? String == "storage_limit" }
        }
        XCTAssertTrue(limited, "no storage_limit restart\n" + g.log.suffix(2000))
        let entry = S.history(g, "all").first { $0["reason"] as? String == "storage_limit" } ?? [:]
        XCTAssertTrue((entry["detail"] as? String ?? "").contains("max_storage_mb"), "\(entry)")
        // one segment of 1 Mbit/s (~125 kB) past the 2 MiB cap at most, plus the one being written
        XCTAssertLessThan(peak, (2 << 20) + 500_000, "peak \(peak) bytes")
        // it comes back by itself
        XCTAssertTrue(Harness.waitUntil(20, interval: 0.2) { S.state(g, "all") == "running" }, g.log.suffix(2000).description)
    }
}

final class FirstStartsTests: XCTestCase {
    typealias S = EngineSupport

    /// Nothing measured yet: the guard cannot plan, so first starts go one at a time.
    /// Three cold requests at once: one FFmpeg starts, the others wait (no 503) until
    /// it is measured, then start; all three get their playlist.
    func testUnmeasuredFirstStartsGoOneAtATimeAndAllAreServed() throws {
        let g = try GatewayProcess(name: "first-starts") { port, root in
            S.config(port: port, root: root, streams: ["a", "b", "c"].map { Synthetic.stream($0, idle: 60) })
        }
        let statuses = g.getAtOnce(["a", "b", "c"].map { "/hls/\($0)/index.m3u8" })
        XCTAssertEqual(statuses, ["/hls/a/index.m3u8": 200, "/hls/b/index.m3u8": 200, "/hls/c/index.m3u8": 200], g.log)
        let waits = g.log.components(separatedBy: "start waits: the first start of this FFmpeg is being measured").count - 1
        XCTAssertEqual(waits, 2, "two of the three waited for the first measurement\n" + g.log)
        XCTAssertEqual(g.ffmpegPIDs.count, 3)
    }
}
