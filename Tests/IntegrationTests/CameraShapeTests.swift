// Cameras come in shapes: audio codecs HLS players lack (G.711, Opus), H.265, long
// GOPs, 4 Mbit/s main streams. With `output_args` omitted the gateway picks an output
// that plays, from FFmpeg's own report of the source; a user's first, cold request
// plays in Chromium's native HLS; ffprobe of what is served shows the tracks.
import Foundation
import XCTest

final class CameraShapeTests: XCTestCase {
    typealias S = EngineSupport

    struct Shape {
        var name: String
        var camera: [String]
        var video: String
        var audio: String?        // what the served segments must carry
        var chromium = true       // H.264 cases: Chromium plays them (it has no HEVC decoder here)
    }

    static let shapes = [
        Shape(name: "h264", camera: [], video: "h264", audio: nil),
        Shape(name: "aac", camera: ["--audio", "aac"], video: "h264", audio: "aac"),
        Shape(name: "alaw", camera: ["--audio", "alaw"], video: "h264", audio: "aac"),
        Shape(name: "mulaw", camera: ["--audio", "mulaw"], video: "h264", audio: "aac"),
        Shape(name: "opus", camera: ["--audio", "opus"], video: "h264", audio: "aac"),
        Shape(name: "h265", camera: ["--video", "h265"], video: "hevc", audio: nil, chromium: false),
        Shape(name: "gop4", camera: ["--gop", "4"], video: "h264", audio: nil),
        Shape(name: "main720", camera: ["--size", "1280x720", "--noise", "--bitrate", "4000"], video: "h264", audio: nil),
    ]

    /// codec_name (and codec_tag_string for video) of each stream ffprobe sees at `url`.
    static func probe(_ url: String) -> [(type: String, codec: String, tag: String)] {
        let r = Harness.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,codec_tag_string",
                             "-of", "csv=p=0", url], timeout: 30)
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",").map(String.init)
            return f.count >= 3 ? (type: f[1], codec: f[0], tag: f[2]) : nil
        }
    }

    func testEveryCameraShapePlaysWithOutputArgsOmitted() throws {
        var cameras: [String: RTSPCamera] = [:]
        for shape in Self.shapes { cameras[shape.name] = try RTSPCamera(path: "/" + shape.name, shape: shape.camera) }
        defer { cameras.values.forEach { $0.stop() } }
        let g = try GatewayProcess(name: "shapes") { port, root in
            S.config(port: port, root: root, streams: Self.shapes.map { shape in
                """
                  - name: "\(shape.name)"
                    source: "\(cameras[shape.name]!.url)"
                    input_args: ["-rtsp_transport", "tcp"]
                    idle_timeout: 60
                """
            })
        }
        var failures: [String] = []
        var report: [String] = []
        for shape in Self.shapes {
            let playlist = g.url("/hls/\(shape.name)/index.m3u8")
            if shape.chromium {
                // the user's cold first request, in the strictest player
                let play = PlayerMatrixTests.play("chromium", playlist)
                report.append("\(shape.name) chromium: \(play.raw)")
                if !play.ok { failures.append("\(shape.name): Chromium: \(play.error ?? "?")") }
            } else {
                let r = g.curl("/hls/\(shape.name)/index.m3u8", timeout: 25)
                if r.status != 200 { failures.append("\(shape.name): playlist \(r.status) \(r.text)"); continue }
                for player in ["ffmpeg", "mpv"] {
                    let play = PlayerMatrixTests.play(player, playlist)
                    report.append("\(shape.name) \(player): \(play.raw)")
                    if !play.ok { failures.append("\(shape.name): \(player): \(play.error ?? "?")") }
                }
            }
            let text = g.curl("/hls/\(shape.name)/index.m3u8").text
            let first = text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty }.map(String.init) ?? ""
            // MPEG-TS: a served segment alone; fMP4: the playlist (its init segment + segments).
            let target = shape.video == "hevc" ? playlist : g.url("/hls/\(shape.name)/" + first)
            let streams = Self.probe(target)
            report.append("\(shape.name) ffprobe \(target.hasSuffix(".m3u8") ? "playlist" : first): \(streams)")
            let video = streams.first { $0.type == "video" }
            let audio = streams.first { $0.type == "audio" }
            if video?.codec != shape.video { failures.append("\(shape.name): video \(String(describing: video)), want \(shape.video)") }
            if audio?.codec != shape.audio { failures.append("\(shape.name): audio \(String(describing: audio)), want \(String(describing: shape.audio))") }
            if shape.video == "hevc" {
                if video?.tag != "hvc1" { failures.append("h265: tag \(String(describing: video?.tag)), want hvc1") }
                if !text.contains("#EXT-X-MAP:URI=\"init.mp4\"") || !first.hasSuffix(".m4s") {
                    failures.append("h265: not fMP4 segments:\n" + text)
                }
            }
            let api = S.stream(g, shape.name) ?? [:]
            let output = api["output"] as? [String: Any] ?? [:]
            report.append("\(shape.name) output: \(output["reason"] ?? "?") notes: \(api["notes"] ?? [])")
            if output["mode"] as? String != "auto" { failures.append("\(shape.name): output mode \(String(describing: output["mode"]))") }
            if shape.name == "gop4" {
                let notes = api["notes"] as? [String] ?? []
                if !notes.contains(where: { $0.contains("keyframe interval ~4 s") }) { failures.append("gop4: no keyframe note: \(notes)") }
            }
            _ = S.post(g, "/api/v1/streams/\(shape.name)/stop")
        }
        print("camera shapes:\n" + report.joined(separator: "\n"))
        XCTAssertEqual(failures, [], "\n" + report.joined(separator: "\n") + "\n" + g.log.suffix(3000))
    }
}
