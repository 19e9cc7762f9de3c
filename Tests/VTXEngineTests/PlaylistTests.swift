import Foundation
import XCTest
@testable import VTXEngine

/// `Playlist.segmentCount`: how the engine decides a playlist is ready.
final class PlaylistTests: XCTestCase {
    static let live = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:12
        #EXTINF:1.960000,
        index12.ts
        #EXTINF:1.000000,
        index13.ts
        #EXTINF:1.000000,
        index14.ts

        """

    func testCountsEXTINFEntries() {
        XCTAssertEqual(Playlist.segmentCount(PlaylistTests.live), 3)
    }

    func testHeaderOnlyAndEmptyHaveNoSegments() {
        XCTAssertEqual(Playlist.segmentCount("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"), 0)
        XCTAssertEqual(Playlist.segmentCount(""), 0)
        XCTAssertEqual(Playlist.segmentCount("\n\n"), 0)
    }

    func testOtherTagsAndURIsAreNotSegments() {
        let text = """
            #EXTM3U
            #EXT-X-TARGETDURATION:2
            #EXT-X-DISCONTINUITY
            #EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z
            #EXTINF:2.0,title with #EXTINF inside
            a.ts
            #EXT-X-ENDLIST
            """
        XCTAssertEqual(Playlist.segmentCount(text), 1)
    }

    func testTagMustStartTheLine() {
        XCTAssertEqual(Playlist.segmentCount("#EXTM3U\nx #EXTINF:1,\na.ts\n"), 0)
    }

    func testLastLineWithoutNewlineCounts() {
        XCTAssertEqual(Playlist.segmentCount("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,"), 2)
    }

    func testCRLFLineEndings() {
        let crlf = PlaylistTests.live.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(Playlist.segmentCount(crlf), 3)
    }

    func testSubstring() {
        let text = "junk" + PlaylistTests.live
        XCTAssertEqual(Playlist.segmentCount(text.dropFirst(4)), 3)
    }

    func testReadsTheFile() throws {
        let path = NSTemporaryDirectory() + "vtx-playlist-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).m3u8"
        defer { unlink(path) }
        try PlaylistTests.live.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(Playlist.read(atPath: path).map { Playlist.segmentCount($0) }, 3)
    }

    func testMissingFileHasNoSegments() {
        XCTAssertNil(Playlist.read(atPath: "/nonexistent/vtx/index.m3u8"))
    }

    func testHugePlaylistStillCountsSegments() throws {
        // hls_list_size 0 keeps every segment: the file outgrows the read limit, but
        // a long-running stream must still count as changed (or the stall watchdog kills it).
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
        for i in 0..<20_000 { text += "#EXTINF:2.000000,\nsegment\(i).ts\n" }
        XCTAssertGreaterThan(text.utf8.count, 256 * 1024)
        let path = NSTemporaryDirectory() + "vtx-playlist-big-\(getpid()).m3u8"
        defer { unlink(path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertGreaterThan(Playlist.segmentCount(Playlist.read(atPath: path) ?? ""), 1_000)
    }
}
