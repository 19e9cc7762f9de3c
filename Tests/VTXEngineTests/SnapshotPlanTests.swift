import XCTest
@testable import VTXEngine
import VTXSystem

final class SnapshotPlanTests: XCTestCase {
    func testNewestSegmentOfTSAndFMP4Playlists() {
        let ts = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nindex3.ts\n#EXTINF:1.0,\nindex4.ts?x=1\n"
        XCTAssertEqual(SnapshotPlan.newestSegment(ts)?.segment, "index4.ts")
        XCTAssertNil(SnapshotPlan.newestSegment(ts)?.map)
        let fmp4 = "#EXTM3U\r\n#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:1.0,\r\nsub/index7.m4s\r\n"
        XCTAssertEqual(SnapshotPlan.newestSegment(fmp4)?.segment, "index7.m4s")
        XCTAssertEqual(SnapshotPlan.newestSegment(fmp4)?.map, "init.mp4")
        XCTAssertNil(SnapshotPlan.newestSegment("#EXTM3U\n#EXT-X-TARGETDURATION:1\n"))
        XCTAssertNil(SnapshotPlan.newestSegment("#EXTM3U\n#EXTINF:1,\na|b.ts\n"), "a | would split concat:")
        XCTAssertEqual(SnapshotPlan.input(directory: "/d", segment: "s.m4s", map: "init.mp4"), "concat:/d/init.mp4|/d/s.m4s")
        XCTAssertEqual(SnapshotPlan.input(directory: "/d", segment: "s.ts", map: nil), "/d/s.ts")
    }

    func testArgumentsDecodeOneKeyframeSingleThreadedAndNeverUpscale() {
        let argv = SnapshotPlan.arguments(binary: "ffmpeg", input: "/d/s.ts", width: 320, output: "/d/.x.part")
        let before = argv[..<argv.firstIndex(of: "-i")!]
        XCTAssertTrue(before.contains("nokey"))
        XCTAssertEqual(before[before.firstIndex(of: "-threads")! + 1], "1")
        XCTAssertTrue(argv.contains("scale='min(320,iw)':-2"))
        XCTAssertEqual(argv.suffix(3), ["mjpeg", "-y", "/d/.x.part"])
    }

    /// Listings as Debian's full FFmpeg and the default tailored one print them.
    func testComponentsFromListings() {
        let decoders = "Decoders:\n V..... = Video\n ------\n VFS..D h264                 H.264 / AVC\n A....D aac\n"
        let encoders = "Encoders:\n V..... = Video\n ------\n V..... mjpeg                MJPEG\n"
        let filters = "Filters:\n  T.. = Timeline support\n  V = Video input/output\n ..C scale             V->V       Scale\n"
        let formats = "File formats:\n D. = Demuxing\n --\n  E mjpeg           raw MJPEG video\n DE mpegts\n"
        let protocols = "Supported file protocols:\nInput:\n  concat\n  file\nOutput:\n  file\n"
        let full = SnapshotComponents(listings: [decoders, encoders, filters, formats, protocols])
        XCTAssertEqual(full.missing(video: nil, fmp4: true), [])
        XCTAssertEqual(full.missing(video: "hevc", fmp4: false), ["decoder hevc"])
        let lite = SnapshotComponents(listings: ["Decoders:\n ------\n A....D aac\n", "Encoders:\n ------\n A..... aac\n",
                                                 "Filters:\n ... aresample  A->A\n", " --\n DE mpegts\n", "Input:\n  file\nOutput:\n"])
        XCTAssertEqual(lite.missing(video: "h264", fmp4: true),
                       ["decoder h264", "filter scale", "encoder mjpeg", "muxer mjpeg", "protocol concat"])
        XCTAssertEqual(SnapshotComponents(listings: []).missing(video: nil, fmp4: false).count, 4, "no listings: nothing assumed")
    }

    /// Segment bytes count each listed file once, across playlist rewrites and runs.
    func testStorageMeterCountsEachSegmentOnce() {
        var m = StorageMeter()
        let files = [Files.Entry(name: "a.ts", bytes: 1000), Files.Entry(name: "b.ts", bytes: 500), Files.Entry(name: "c.ts.tmp", bytes: 90)]
        _ = m.sweep(Array(files.prefix(1)), playlist: "#EXTINF:1.0,\na.ts\n", nowMs: 0, maxStorageMB: nil)
        XCTAssertEqual(m.segmentBytes, 1000)
        XCTAssertEqual(m.listedBitrate, 8000)
        _ = m.sweep(files, playlist: "#EXTINF:1.0,\na.ts\n#EXTINF:1.0,\nb.ts\n", nowMs: 1000, maxStorageMB: nil)
        XCTAssertEqual(m.segmentBytes, 1500, "a.ts counted once, the file being written not at all")
        XCTAssertEqual(m.listedBitrate, 6000)
        m.cleared()
        XCTAssertEqual(m.listedBitrate, 0)
        _ = m.sweep(Array(files.prefix(1)), playlist: "#EXTINF:1.0,\na.ts\n", nowMs: 5000, maxStorageMB: nil)
        XCTAssertEqual(m.segmentBytes, 2500, "a new run's a.ts is new")
    }
}
