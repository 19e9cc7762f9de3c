import XCTest
import VTXConfig
@testable import VTXEngine

final class FFmpegCapabilitiesTests: XCTestCase {
    let formats = """
    File formats:
     D. = Demuxing supported
     .E = Muxing supported
     --
     D  h264            raw H.264 video
     DE hls             Apple HTTP Live Streaming
     D  lavfi           Libavfilter virtual input device
     D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV
      E mp4             MP4 (MPEG-4 Part 14)
     DE rtsp            RTSP output
    """
    let protocols = """
    Supported file protocols:
    Input:
      file
      http
      rtmp
    Output:
      file
      srt
    """

    func caps() -> FFmpegCapabilities {
        var c = FFmpegCapabilities.parse(formats: formats)
        c.inputProtocols = FFmpegCapabilities.parse(protocols: protocols)
        return c
    }

    func testParsesFormatsAndProtocols() {
        let c = caps()
        XCTAssertEqual(c.demuxers, ["h264", "hls", "lavfi", "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "rtsp"])
        XCTAssertEqual(c.muxers, ["hls", "mp4", "rtsp"])
        XCTAssertEqual(c.inputProtocols, ["file", "http", "rtmp"])
    }

    func testMissingNamesWhatAStreamNeeds() {
        let c = caps()
        XCTAssertEqual(c.missing(for: StreamConfig(name: "a", source: "rtsp://cam/x")), [])
        XCTAssertEqual(c.missing(for: StreamConfig(name: "b", source: "rtmp://cam/x")), ["demuxer flv"])
        XCTAssertEqual(c.missing(for: StreamConfig(name: "c", source: "srt://cam:9000")), ["protocol srt"])
        XCTAssertEqual(c.missing(for: StreamConfig(name: "d", source: "x", inputArgs: ["-f", "v4l2"],
                                                   outputArgs: ["-f", "dash", "{output_dir}/index.m3u8"])),
                       ["demuxer v4l2", "muxer dash"])
    }

    func testProbesTheRealBinary() throws {
        guard let c = FFmpegCapabilities.probe(binary: "ffmpeg") else { throw XCTSkip("ffmpeg not installed") }
        XCTAssertTrue(c.muxers.contains("hls"))
        XCTAssertTrue(c.demuxers.contains("rtsp"))
        XCTAssertTrue(c.inputProtocols.contains("file"))
    }
}
