import XCTest
@testable import VTXEngine

final class OutputPlanTests: XCTestCase {
    static func profile(_ lines: [String]) -> SourceProfile {
        var p = SourceProfile()
        for l in lines { p.read(line: l[...]) }
        return p
    }

    func testReadsFFmpegsInputReport() {
        let p = Self.profile([
            "Input #0, rtsp, from 'rtsp://127.0.0.1:8554/cam':",
            "  Duration: N/A, start: 0.000000, bitrate: N/A",
            "  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 320x240, 25 fps, 25 tbr, 90k tbn",
            "  Stream #0:1: Audio: pcm_alaw, 8000 Hz, mono, s16, 64 kb/s",
            "  Stream #0:2: Audio: aac (LC), 16000 Hz, mono, fltp",
        ])
        XCTAssertEqual(p, SourceProfile(video: "h264", audio: "pcm_alaw"), "the first audio stream is the one FFmpeg maps")
        XCTAssertEqual(Self.profile(["  Stream #0:0[0x100](und): Video: hevc (Main) ([36][0][0][0] / 0x0024), yuv420p"]),
                       SourceProfile(video: "hevc"))
        XCTAssertEqual(Self.profile(["Stream mapping:", "garbage: Video:", "  Stream #0:0 -> #0:0 (copy)"]), SourceProfile())
        XCTAssertTrue(SourceProfile.reportEnds("Output #0, hls, to '/dev/shm/x/index.m3u8':"))
        XCTAssertTrue(SourceProfile.reportEnds("Stream mapping:"))
        XCTAssertFalse(SourceProfile.reportEnds("Input #0, rtsp"))
    }

    func testChoosesWhatPlays() {
        let h264 = OutputPlan.choose(SourceProfile(video: "h264"))
        XCTAssertEqual(h264.args, ["-c:v", "copy", "-an", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                                   "-hls_flags", "delete_segments+omit_endlist", "{output_dir}/index.m3u8"])
        XCTAssertTrue(OutputPlan.defaultPlays(SourceProfile(video: "h264")))
        XCTAssertTrue(OutputPlan.defaultPlays(SourceProfile(video: "h264", audio: "aac")))
        XCTAssertTrue(OutputPlan.choose(SourceProfile(video: "h264", audio: "aac")).args.starts(with: ["-c:v", "copy", "-c:a", "copy"]))
        for g711 in ["pcm_alaw", "pcm_mulaw", "opus"] {
            let p = SourceProfile(video: "h264", audio: g711)
            XCTAssertFalse(OutputPlan.defaultPlays(p))
            XCTAssertTrue(OutputPlan.choose(p).args.starts(with: ["-c:v", "copy", "-c:a", "aac", "-ar", "16000", "-ac", "1", "-b:a", "32k"]))
            let dropped = OutputPlan.choose(p, aacEncoder: false)
            XCTAssertTrue(dropped.args.starts(with: ["-c:v", "copy", "-an"]))
            XCTAssertEqual(dropped.notes.count, 1)
        }
        let hevc = OutputPlan.choose(SourceProfile(video: "hevc", audio: "aac"))
        XCTAssertFalse(OutputPlan.defaultPlays(SourceProfile(video: "hevc")))
        XCTAssertEqual(Array(hevc.args.prefix(6)), ["-c:v", "copy", "-tag:v", "hvc1", "-c:a", "copy"])
        XCTAssertEqual(Array(hevc.args.suffix(5)), ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4", "{output_dir}/index.m3u8"])
    }

    func testKeyframeNote() {
        XCTAssertNil(OutputPlan.keyframeNote(longestSegmentSec: 1.0, minSegments: 3))
        XCTAssertEqual(OutputPlan.keyframeNote(longestSegmentSec: 4.0, minSegments: 3),
                       "camera keyframe interval ~4 s: first picture ≥ 12 s; set its I-frame interval to 1 s")
    }

    func testOutputChangedRestartsWithoutCountingAFailure() {
        var m = SM.machine()
        _ = m.demand(now: 0)
        _ = m.spawned(pid: 7, now: 0)
        XCTAssertEqual(m.outputChanged(now: 1_000), [
            .stateChanged(from: .starting, to: .stopping, reason: .outputChosen), .terminate(pid: 7),
        ])
        XCTAssertEqual(m.exited(pid: 7, code: 255, signal: nil, stderrTail: [], now: 1_100), [
            .cleanDirectory,
            .stateChanged(from: .stopping, to: .starting, reason: .demand), .spawn,
        ])
        XCTAssertEqual(m.counters.failures, 0)
        XCTAssertEqual(m.attempt, 0)
        var idle = SM.machine()
        XCTAssertEqual(idle.outputChanged(now: 0), [])
    }

    func testChooserReadsTheReportOnceAndKeepsThePlan() {
        var c = OutputChooser()
        XCTAssertNil(c.spawning(explicit: false), "the first run uses the default")
        XCTAssertTrue(c.isReading)
        var ring = StderrRing()
        ring.append("Input #0, rtsp, from 'rtsp://cam':\n  Stream #0:0: Video: h264 (High), yuv420p, 640x360\n")
        XCTAssertNil(c.read(ring), "the report has not ended")
        ring.append("  Stream #0:1: Audio: pcm_mulaw, 8000 Hz, mono\nOutput #0, hls, to 'x':\n")
        let chosen = c.read(ring)
        XCTAssertEqual(chosen?.restart, true, "G.711 in MPEG-TS does not play: restart with the plan")
        XCTAssertEqual(c.profile, SourceProfile(video: "h264", audio: "pcm_mulaw"))
        XCTAssertFalse(c.isReading)
        ring.append("  Stream #0:2: Audio: aac\n")
        XCTAssertNil(c.read(ring), "read once")
        // later starts run the plan and read nothing
        XCTAssertEqual(c.spawning(explicit: false), chosen?.plan.args)
        XCTAssertFalse(c.isReading)
        // a binary without an AAC encoder: the audio is dropped from then on
        XCTAssertNil(c.exited(tail: ["Conversion failed!"]))
        let replanned = c.exited(tail: ["Unknown encoder 'aac'"])
        XCTAssertEqual(replanned?.args.prefix(3), ["-c:v", "copy", "-an"])
        XCTAssertNil(c.exited(tail: ["Unknown encoder 'aac'"]), "once")
        // explicit output_args: nothing is read or chosen
        var explicit = OutputChooser()
        XCTAssertNil(explicit.spawning(explicit: true))
        XCTAssertFalse(explicit.isReading)
    }

    func testChooserDoesNotRestartWhatAlreadyPlays() {
        var c = OutputChooser()
        _ = c.spawning(explicit: false)
        var ring = StderrRing()
        ring.append("  Stream #0:0: Video: h264\n  Stream #0:1: Audio: aac (LC)\nStream mapping:\n")
        XCTAssertEqual(c.read(ring)?.restart, false)
    }
}
