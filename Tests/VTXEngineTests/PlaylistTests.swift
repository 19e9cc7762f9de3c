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
        let copy = try XCTUnwrap(Playlist.read(atPath: path))
        XCTAssertEqual(Playlist.segmentCount(copy.text), 3)
        XCTAssertEqual(copy.bytes, Array(PlaylistTests.live.utf8))
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(copy.modified, Int(st.st_mtim.tv_sec), "the file's own modification time")
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
        let copy = try XCTUnwrap(Playlist.read(atPath: path))
        XCTAssertGreaterThan(Playlist.segmentCount(copy.text), 1_000)
        XCTAssertFalse(Playlist.isWhole(copy.bytes), "cut at the read limit: never served from memory")
    }

    // MARK: isWhole: which reads may become the playlist served from memory

    func whole(_ text: String) -> Bool { Playlist.isWhole(Array(text.utf8)) }

    func testWholePlaylistsPass() {
        XCTAssertTrue(whole(PlaylistTests.live))
        XCTAssertTrue(whole(PlaylistTests.live.replacingOccurrences(of: "\n", with: "\r\n")), "CRLF")
        XCTAssertTrue(whole(PlaylistTests.live + "#EXT-X-ENDLIST\n"), "a finished playlist")
        // fMP4: the init segment's tag first; tags between #EXTINF and its URI.
        XCTAssertTrue(whole("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:100@0\n"
                            + "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\na.m4s\n#EXTINF:1.0,\nb.m4s\n"))
        XCTAssertTrue(whole("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow.m3u8\n\n"), "a multivariant playlist, blank line last")
    }

    func testWhatAnInPlaceRewriteCanLeaveIsRefused() {
        let live = Array(PlaylistTests.live.utf8)
        // Every prefix a reader can meet between O_TRUNC and the last write() is refused,
        // except those that end just after a URI's line feed: a shorter window, itself whole.
        for n in 0..<live.count {
            let prefix = Array(live[..<n])
            let endsAfterURI = n > 0 && live[n - 1] == 10 && String(decoding: prefix, as: UTF8.self).hasSuffix(".ts\n")
            XCTAssertEqual(Playlist.isWhole(prefix), endsAfterURI, "first \(n) bytes: \(String(decoding: prefix, as: UTF8.self).debugDescription)")
        }
    }

    func testEachRuleOnItsOwn() {
        XCTAssertFalse(whole(""), "empty (just truncated)")
        XCTAssertFalse(whole("#EXTINF:1.0,\na.ts\n"), "no #EXTM3U")
        XCTAssertFalse(whole("\u{FEFF}#EXTM3U\n#EXTINF:1.0,\na.ts\n"), "#EXTM3U must be the first bytes")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\na.ts"), "no final line feed")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\na.ts\n#EXTINF:1.0,\n"), "last #EXTINF without its URI")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\n#EXTINF:1.0,\nb.ts\n"), "#EXTINF followed by #EXTINF")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\na.ts\n#EXT-X-DISCONTINUITY\n"), "last line a tag other than ENDLIST")
        XCTAssertFalse(whole("#EXTM3U\n#EXT-X-TARGETDURATION:1\n"), "a header alone")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\n#EXT-X-ENDLIST\n"), "ENDLIST does not stand for a missing URI")
        XCTAssertFalse(whole("#EXTM3U\n#EXTINF:1.0,\na.ts\n#EXT-X-END\n"), "ENDLIST cut short")
    }
}
