import XCTest
@testable import VTXEngine

final class ProgressParserTests: XCTestCase {
    /// A block as FFmpeg 5.1 writes it for an HLS output (copied from `ffmpeg -progress pipe:1`).
    static let block = """
        frame=51
        fps=25.37
        stream_0_0_q=-1.0
        bitrate=N/A
        total_size=N/A
        out_time_us=2040000
        out_time_ms=2040000
        out_time=00:00:02.040000
        dup_frames=0
        drop_frames=3
        speed=1.01x
        progress=continue

        """

    func parse(_ chunks: [[UInt8]], into parser: inout ProgressParser) -> [ProgressReport] {
        var out: [ProgressReport] = []
        for c in chunks { c.withUnsafeBytes { parser.feed($0) { out.append($0) } } }
        return out
    }

    func testOneBlock() {
        var p = ProgressParser()
        let r = parse([Array(Self.block.utf8)], into: &p)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].frame, 51)
        XCTAssertEqual(r[0].fps, 25.37)
        XCTAssertNil(r[0].bitrateKbps, "N/A")
        XCTAssertNil(r[0].totalSize, "N/A")
        XCTAssertEqual(r[0].outTimeUs, 2_040_000)
        XCTAssertEqual(r[0].dupFrames, 0)
        XCTAssertEqual(r[0].dropFrames, 3)
        XCTAssertEqual(r[0].speed, 1.01)
        XCTAssertFalse(r[0].isEnd)
    }

    /// Every split point of two blocks gives the same two reports as one chunk.
    func testLinesSplitAcrossChunksAnywhere() {
        let bytes = Array((Self.block + Self.block.replacingOccurrences(of: "continue", with: "end")).utf8)
        var whole = ProgressParser()
        let expected = parse([bytes], into: &whole)
        XCTAssertEqual(expected.count, 2)
        XCTAssertTrue(expected[1].isEnd)
        for cut in 0...bytes.count {
            var p = ProgressParser()
            XCTAssertEqual(parse([Array(bytes[..<cut]), Array(bytes[cut...])], into: &p), expected, "cut at \(cut)")
        }
        var bytewise = ProgressParser()
        XCTAssertEqual(parse(bytes.map { [$0] }, into: &bytewise), expected)
    }

    func testPaddedValuesAndUnits() {
        var p = ProgressParser()
        let r = parse([Array("bitrate= 812.3kbits/s\ntotal_size=1024\nspeed=   0x\nfps=0.00\nprogress=continue\n".utf8)], into: &p)
        XCTAssertEqual(r.first?.bitrateKbps, 812.3)
        XCTAssertEqual(r.first?.totalSize, 1024)
        XCTAssertEqual(r.first?.speed, 0)
        XCTAssertEqual(r.first?.fps, 0)
    }

    /// Junk, negative, non-finite, invalid UTF-8, lines without `=`: no crash, no value.
    func testGarbageNeverCrashesNorInventsValues() {
        var p = ProgressParser()
        var junk: [UInt8] = Array("frame=-5\nfps=nan\nspeed=infx\ndrop_frames=abc\n=\n==\nnoequals\n\u{0}\u{1}=\u{2}\n".utf8)
        junk += [0xff, 0xfe, 0x3d, 0xc3, 0x28, 10]
        junk += Array("bitrate=12kbit\nout_time_us=99999999999999999999999\nprogress=continue\n".utf8)
        let r = parse([junk], into: &p)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0], ProgressReport())
        // Random bytes: only bounded state, never a trap.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let chunk = (0..<Int.random(in: 0..<600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = parse([chunk], into: &p)
            XCTAssertLessThanOrEqual(p.line.count, ProgressParser.maxLine)
        }
    }

    func testOverlongLineIsDroppedWholeAndTheNextLineCounts() {
        var p = ProgressParser()
        let long = "frame=" + String(repeating: "9", count: 10_000) + "\n"
        let r = parse([Array(long.utf8), Array("frame=7\nprogress=continue\n".utf8)], into: &p)
        XCTAssertEqual(r.map(\.frame), [7])
        XCTAssertEqual(p.dropped, 1)
        XCTAssertLessThanOrEqual(p.line.capacity, 4 * ProgressParser.maxLine)
    }

    func testUnterminatedBlockIsBounded() {
        var p = ProgressParser()
        let many = String(repeating: "frame=1\n", count: ProgressParser.maxKeysPerBlock + 1)
        XCTAssertTrue(parse([Array(many.utf8)], into: &p).isEmpty)
        XCTAssertEqual(p.dropped, 1)
        XCTAssertEqual(parse([Array("frame=2\nprogress=continue\n".utf8)], into: &p).map(\.frame), [2])
    }

    // MARK: InputStats

    func report(frame: Int, drop: Int = 0) -> ProgressReport {
        var r = ProgressReport()
        r.frame = frame
        r.dropFrames = drop
        return r
    }

    func testRateIsFramesBetweenBlocksAndCountersSurviveRestarts() {
        var s = InputStats()
        s.apply(report(frame: 10), nowMs: 1_000)
        XCTAssertNil(s.fps, "one block: no rate yet")
        s.apply(report(frame: 35), nowMs: 2_000)
        XCTAssertEqual(s.fps, 25)
        s.apply(report(frame: 35, drop: 2), nowMs: 3_000)
        XCTAssertEqual(s.fps, 0, "no new frame: 0 fps (a stalled source)")
        XCTAssertEqual(s.lastFrameAtMs, 2_000)
        XCTAssertEqual(s.frames, 35)
        XCTAssertEqual(s.droppedFrames, 2)
        s.runEnded()
        XCTAssertNil(s.fps)
        XCTAssertEqual(s.frames, 35, "counters never go down")
        s.apply(report(frame: 5), nowMs: 10_000)
        XCTAssertEqual(s.frames, 40)
        XCTAssertEqual(s.droppedFrames, 2)
        // A count that goes back without an exit seen: a new run, not a negative rate.
        s.apply(report(frame: 1), nowMs: 11_000)
        XCTAssertEqual(s.frames, 41)
        XCTAssertNil(s.fps)
    }

    func testFeedParsesChunks() {
        var s = InputStats()
        Array(Self.block.utf8).withUnsafeBytes { s.feed($0, nowMs: 0) }
        XCTAssertEqual(s.frames, 51)
        XCTAssertEqual(s.droppedFrames, 3)
        XCTAssertEqual(s.reports, 1)
    }
}
