import Foundation
import XCTest

// The tailored FFmpeg (tools/build-ffmpeg-lite, tools/ffmpeg-lite.md) as the gateway's
// `ffmpeg_binary`: a cold request relays the GStreamer RTSP test camera to a playable
// playlist, and Debian's full ffprobe reads the stream through the gateway's HTTP URL.
// Skipped when the binary has not been built: building it takes about a minute, so only
// the runs that want it build it (`tools/build-ffmpeg-lite`, or set VTX_FFMPEG_LITE).
// Measured figures are printed as `FFMPEG-LITE-MEASURE …` lines.
final class FFmpegLiteTests: XCTestCase {
    /// `$VTX_FFMPEG_LITE`, else `<package root>/.build-ffmpeg-lite/ffmpeg`; skips the test when absent.
    private func liteBinary() throws -> String { try Self.liteBinary() }

    static func liteBinary() throws -> String {
        let env = ProcessInfo.processInfo.environment["VTX_FFMPEG_LITE"] ?? ""
        let path = env.isEmpty ? Harness.packageRoot + "/.build-ffmpeg-lite/ffmpeg" : env
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("FFmpeg lite is not built (no executable \(path)): run tools/build-ffmpeg-lite, or set VTX_FFMPEG_LITE to a tailored ffmpeg")
        }
        return path
    }

    private var ffprobe: String { FileManager.default.isExecutableFile(atPath: "/usr/bin/ffprobe") ? "/usr/bin/ffprobe" : "ffprobe" }

    private func config(port: Int, root: String, binary: String, source: String, output: String) -> String {
        """
        server:
          listen: "127.0.0.1:\(port)"
          hls_root: "\(root)"
          ffmpeg_binary: "\(binary)"
          log_level: debug
        streams:
          - name: "cam"
            source: "\(source)"
            input_args: ["-rtsp_transport", "tcp"]
            output_args: \(output)
            start_timeout: 20
            idle_timeout: 30
            stall_timeout: 10
            kill_timeout: 1

        """
    }

    private static let tsOutput = #"["-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist+temp_file", "{output_dir}/index.m3u8"]"#
    private static let fmp4Output = #"["-c", "copy", "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist+temp_file", "{output_dir}/index.m3u8"]"#

    private func mediaLines(_ playlist: String) -> [String] {
        playlist.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// ffprobe's streams (codec_name, width, height) of `url`, as JSON objects.
    private func probe(_ url: String) -> (streams: [[String: Any]], stderr: String) {
        let r = Harness.run([ffprobe, "-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height",
                             "-of", "json", url], timeout: 40)
        let json = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any]
        return ((json?["streams"] as? [[String: Any]]) ?? [], "status \(r.status): \(r.stderr)")
    }

    private func smapsRollup(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Cold request → playlist, FFmpeg is the tailored binary, then ffprobe through the gateway.
    private func relay(output: String, segmentExtension: String, label: String) throws {
        let binary = try liteBinary()
        let camera = try RTSPCamera()
        defer { camera.stop() }
        let gateway = try GatewayProcess(name: "fflite") { port, root in
            self.config(port: port, root: root, binary: binary, source: camera.url, output: output)
        }
        defer { gateway.stop() }

        let started = ProcessInfo.processInfo.systemUptime
        let playlist = gateway.curl("/hls/cam/index.m3u8", timeout: 30)
        let coldSeconds = ProcessInfo.processInfo.systemUptime - started
        XCTAssertEqual(playlist.status, 200, "cold request; gateway log:\n\(gateway.log.suffix(3000))")
        let media = mediaLines(playlist.text)
        XCTAssertGreaterThanOrEqual(media.count, 2, "a first playlist lists at least 2 segments:\n\(playlist.text)")
        XCTAssertTrue(media.allSatisfy { $0.hasSuffix(segmentExtension) }, playlist.text)

        // The FFmpeg the gateway started is the tailored one.
        let pids = gateway.ffmpegPIDs
        XCTAssertEqual(pids.count, 1, "one FFmpeg for the stream")
        guard let pid = pids.first else { return }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "?"
        XCTAssertEqual(URL(fileURLWithPath: exe).resolvingSymlinksInPath().path,
                       URL(fileURLWithPath: binary).resolvingSymlinksInPath().path, "the relay runs ffmpeg_binary")

        // A segment (and for fMP4 the init section) through the gateway.
        if let first = media.first {
            let segment = gateway.curl("/hls/cam/\(first)", timeout: 10)
            XCTAssertEqual(segment.status, 200, first)
            XCTAssertGreaterThan(segment.body.count, 1000, first)
            if segmentExtension == ".ts" { XCTAssertEqual(segment.body.first, 0x47, "MPEG-TS sync byte") }
        }
        if segmentExtension == ".m4s" {
            XCTAssertTrue(playlist.text.contains("#EXT-X-MAP:URI=\"init.mp4\""), playlist.text)
            let initSection = gateway.curl("/hls/cam/init.mp4", timeout: 10)
            XCTAssertEqual(initSection.status, 200)
            XCTAssertTrue(initSection.text.contains("avc1") || initSection.text.contains("avcC"), "init.mp4 describes H.264")
        }

        // Debian's full ffprobe reads the live stream through the gateway.
        let probed = probe(gateway.url("/hls/cam/index.m3u8"))
        let video = probed.streams.first { ($0["codec_type"] as? String) == "video" }
        XCTAssertEqual(video?["codec_name"] as? String, "h264", "ffprobe: \(probed.stderr)")
        XCTAssertEqual(video?["width"] as? Int, 320, "ffprobe: \(probed.stderr)")
        XCTAssertEqual(video?["height"] as? Int, 240, "ffprobe: \(probed.stderr)")

        // Memory of the relay, for the record; the bound only catches a build that is
        // not the tailored one (Debian's full ffmpeg takes about 50 MB here).
        let rss = Harness.procStatus(pid, "VmRSS") ?? -1
        let hwm = Harness.procStatus(pid, "VmHWM") ?? -1
        let pss = smapsRollup(pid, "Pss") ?? -1
        let anon = smapsRollup(pid, "Pss_Anon") ?? -1
        print("FFMPEG-LITE-MEASURE \(label) cold_request_s=\(String(format: "%.2f", coldSeconds)) rss_kb=\(rss) pss_kb=\(pss) pss_anon_kb=\(anon) hwm_kb=\(hwm) binary_bytes=\((try? FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int) ?? -1)")
        XCTAssertGreaterThan(rss, 0)
        XCTAssertLessThan(rss, 16 * 1024, "a tailored relay stays far below a full FFmpeg")
    }

    func testColdRequestRelaysRTSPToMPEGTS() throws {
        try relay(output: Self.tsOutput, segmentExtension: ".ts", label: "mpegts")
    }

    /// fMP4 needs the picture size at the start (the mp4 muxer refuses "dimensions not
    /// set"): without decoders, only the build's probing patch supplies it.
    func testColdRequestRelaysRTSPToFragmentedMP4() throws {
        try relay(output: Self.fmp4Output, segmentExtension: ".m4s", label: "fmp4")
    }

    /// The profile: what a relay needs is there, transcoding is not, and the binary is static.
    func testBinaryHasTheRelayProfile() throws {
        let binary = try liteBinary()
        func list(_ flag: String) -> String { Harness.run([binary, "-hide_banner", flag], timeout: 10).stdout }
        let protocols = list("-protocols")
        for p in ["file", "pipe", "tcp", "udp", "rtp", "http", "rtmp"] {
            XCTAssertTrue(protocols.split(whereSeparator: \.isWhitespace).contains { $0 == p }, "protocol \(p)")
        }
        let demuxers = list("-demuxers")
        for d in ["rtsp", "rtp", "sdp", "mpegts", "flv", "h264", "hevc", "aac"] {
            XCTAssertTrue(demuxers.contains(" \(d) ") || demuxers.contains(" \(d),"), "demuxer \(d)")
        }
        XCTAssertTrue(demuxers.contains("mov,mp4"), "demuxer mov")
        let muxers = list("-muxers")
        for m in ["hls", "mpegts", "mp4", "segment"] { XCTAssertTrue(muxers.contains(" \(m) "), "muxer \(m)") }
        let bsfs = list("-bsfs")
        for b in ["h264_mp4toannexb", "hevc_mp4toannexb", "aac_adtstoasc"] { XCTAssertTrue(bsfs.contains(b), "bsf \(b)") }
        // One encoder, AAC, for the audio HLS players lack (--audio transcode, the
        // default); no video encoder: it cannot transcode video.
        func names(_ flag: String) -> [String] {
            (list(flag).components(separatedBy: "------").last ?? "").split(whereSeparator: \.isNewline)
                .compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        }
        XCTAssertEqual(names("-encoders"), ["aac"])
        XCTAssertEqual(Set(names("-decoders")), ["aac", "pcm_alaw", "pcm_mulaw", "opus"])

        // Statically linked: the ELF has no PT_INTERP program header.
        let data = try Data(contentsOf: URL(fileURLWithPath: binary))
        XCTAssertGreaterThan(data.count, 64)
        XCTAssertEqual(Array(data.prefix(4)), [0x7f, 0x45, 0x4c, 0x46], "ELF")
        if data[4] == 2 { // 64-bit, little-endian assumed (x86-64, aarch64)
            func u16(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 }
            func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[o + $1]) << (8 * $1) } }
            func u64(_ o: Int) -> Int { (0..<8).reduce(0) { $0 | Int(data[o + $1]) << (8 * $1) } }
            let phoff = u64(0x20), phentsize = u16(0x36), phnum = u16(0x38)
            let types = (0..<phnum).map { u32(phoff + $0 * phentsize) }
            XCTAssertFalse(types.contains(3), "no PT_INTERP: a static binary")
        }
    }

    /// A G.711 camera with output_args omitted and the tailored FFmpeg: the automatic
    /// output transcodes the audio to AAC, which the binary can do.
    func testG711CameraGetsAACAudioFromTheTailoredFFmpeg() throws {
        let binary = try liteBinary()
        let camera = try RTSPCamera(shape: ["--audio", "alaw"])
        defer { camera.stop() }
        let g = try GatewayProcess(name: "lite-alaw") { port, root in
            """
            server:
              listen: "127.0.0.1:\(port)"
              hls_root: "\(root)"
              ffmpeg_binary: "\(binary)"
            streams:
              - name: "cam"
                source: "\(camera.url)"
                input_args: ["-rtsp_transport", "tcp"]

            """
        }
        let r = g.curl("/hls/cam/index.m3u8", timeout: 25)
        XCTAssertEqual(r.status, 200, r.text + g.log)
        let segment = try XCTUnwrap(mediaLines(r.text).first)
        let codecs = probe(g.url("/hls/cam/" + segment)).streams.compactMap { $0["codec_name"] as? String }
        XCTAssertEqual(Set(codecs), ["h264", "aac"], g.log)
        XCTAssertTrue(g.log.contains("pcm_alaw audio transcoded to AAC"), g.log)
    }
}
