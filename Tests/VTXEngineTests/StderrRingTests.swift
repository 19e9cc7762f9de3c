import Foundation
import XCTest
@testable import VTXEngine

/// FFmpeg's stderr as the engine keeps it: bounded, and progress redraws (`\r`)
/// never pile up as lines.
final class StderrRingTests: XCTestCase {
    func testCompleteLinesAreKeptInOrder() {
        var ring = StderrRing()
        ring.append("first\nsecond\nthird\n")
        XCTAssertEqual(ring.tail(10), ["first", "second", "third"])
        XCTAssertEqual(ring.tail(2), ["second", "third"])
        XCTAssertEqual(ring.lastLine, "third")
    }

    func testEmptyRingHasNoLastLine() {
        let ring = StderrRing()
        XCTAssertEqual(ring.tail(5), [])
        XCTAssertNil(ring.lastLine)
    }

    func testLinesSplitAcrossChunksAreJoined() {
        var ring = StderrRing()
        for chunk in ["Inp", "ut #0, rt", "sp\nOut", "put #0", "\n"] { ring.append(chunk) }
        XCTAssertEqual(ring.tail(5), ["Input #0, rtsp", "Output #0"])
    }

    func testMultiByteCharacterSplitAcrossChunksSurvives() {
        var ring = StderrRing()
        let bytes = Array("caméra\n".utf8)   // é = C3 A9
        let cut = bytes.firstIndex(of: 0xC3)! + 1
        bytes[..<cut].withUnsafeBytes { ring.append($0) }
        bytes[cut...].withUnsafeBytes { ring.append($0) }
        XCTAssertEqual(ring.tail(1), ["caméra"])
    }

    func testProgressRedrawsDoNotFloodTheRing() {
        var ring = StderrRing(maxLines: 5, maxBytes: 4096)
        ring.append("Input #0, rtsp, from 'rtsp://cam'\n")
        ring.append("Output #0, hls, to 'index.m3u8'\n")
        // What FFmpeg writes once per half second for hours: a redrawn progress line.
        for i in 0..<10_000 {
            ring.append("frame=\(i) fps=25 q=-1.0 size=N/A time=00:00:\(i % 60) bitrate=N/A speed=1x    \r")
        }
        XCTAssertEqual(ring.lines.count, 2, "progress redraws must not become lines")
        XCTAssertEqual(ring.tail(5), ["Input #0, rtsp, from 'rtsp://cam'", "Output #0, hls, to 'index.m3u8'"],
                       "a progress line that was redrawn is not a line of the tail")
        // The error FFmpeg prints after the progress is what the history needs.
        ring.append("rtsp://cam: Connection timed out\n")
        XCTAssertEqual(ring.lastLine, "rtsp://cam: Connection timed out")
        XCTAssertEqual(ring.lines.count, 3)
    }

    func testProgressLineThenErrorWithoutNewlineShowsTheError() {
        var ring = StderrRing()
        ring.append("frame=  10 fps=0.0\rframe=  20 fps=19\r")
        ring.append("Conversion failed!")
        XCTAssertEqual(ring.lastLine, "Conversion failed!")
    }

    func testCRLFTerminatedLinesAreKept() {
        var ring = StderrRing()
        ring.append("[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\r\n")
        ring.append("second line\r")
        ring.append("\n")   // CR and LF in different reads
        XCTAssertEqual(ring.tail(5), ["[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized", "second line"])
    }

    func testLineCountIsBounded() {
        var ring = StderrRing(maxLines: 5, maxBytes: 1 << 20)
        for i in 0..<1_000 { ring.append("line \(i)\n") }
        XCTAssertEqual(ring.lines.count, 5)
        XCTAssertEqual(ring.tail(100), (995..<1_000).map { "line \($0)" })
    }

    func testByteCountIsBounded() {
        var ring = StderrRing(maxLines: 1_000, maxBytes: 1_000)
        let line = String(repeating: "x", count: 99)  // 99 bytes per line
        for _ in 0..<100 { ring.append(line + "\n") }
        let kept = ring.tail(1_000)
        XCTAssertEqual(kept.count, 10, "1000 bytes hold ten 99-byte lines")
        XCTAssertLessThanOrEqual(kept.reduce(0) { $0 + $1.utf8.count }, 1_000)
    }

    func testDefaultBoundsHoldUnderAFlood() {
        var ring = StderrRing()
        for i in 0..<5_000 { ring.append("[hls @ 0x55d3afc65ac0] Opening '/dev/shm/vtx/cam/index\(i).ts.tmp' for writing\n") }
        XCTAssertLessThanOrEqual(ring.lines.count, ring.maxLines)
        XCTAssertLessThanOrEqual(ring.lines.reduce(0) { $0 + $1.utf8.count }, ring.maxBytes)
        XCTAssertEqual(ring.lastLine, "[hls @ 0x55d3afc65ac0] Opening '/dev/shm/vtx/cam/index4999.ts.tmp' for writing")
    }

    func testOverlongLineIsTruncated() {
        var ring = StderrRing()
        ring.append(String(repeating: "a", count: 100_000) + "\n")
        ring.append(String(repeating: "b", count: 100_000))   // partial, no newline
        XCTAssertEqual(ring.tail(2).map(\.utf8.count), [StderrRing.maxLineBytes, StderrRing.maxLineBytes])
        XCTAssertEqual(ring.tail(1).first?.first, "b")
    }

    func testOneHugeLineLargerThanMaxBytesIsStillKept() {
        var ring = StderrRing(maxLines: 10, maxBytes: 100)
        ring.append(String(repeating: "z", count: 300) + "\n")
        XCTAssertEqual(ring.tail(1).first?.utf8.count, 300, "the last line is never dropped for size")
        ring.append("short\n")
        XCTAssertEqual(ring.tail(10), ["short"])
    }

    func testPartialLastLineIsInTheTailButNotCounted() {
        var ring = StderrRing(maxLines: 3, maxBytes: 4096)
        ring.append("a\nb\nc\nd\nrtsp://cam: Connection refu")
        XCTAssertEqual(ring.tail(3), ["c", "d", "rtsp://cam: Connection refu"])
        XCTAssertEqual(ring.tail(10), ["b", "c", "d", "rtsp://cam: Connection refu"], "3 complete lines + the partial one")
        XCTAssertEqual(ring.lastLine, "rtsp://cam: Connection refu")
        ring.append("sed\n")
        XCTAssertEqual(ring.tail(10), ["c", "d", "rtsp://cam: Connection refused"])
    }

    func testEmptyLinesAreSkipped() {
        var ring = StderrRing()
        ring.append("\n\n\nx\n\n")
        XCTAssertEqual(ring.tail(5), ["x"])
    }

    func testResetForgetsEverything() {
        var ring = StderrRing()
        ring.append("old run\npartial")
        ring.reset()
        XCTAssertEqual(ring.tail(5), [])
        ring.append("new run\n")
        XCTAssertEqual(ring.tail(5), ["new run"])
    }
}
