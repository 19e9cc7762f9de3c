import XCTest
@testable import VTXLoop

final class FSWatchTests: XCTestCase {
    func testCreateAndRenameReportNames() throws {
        let loop = EventLoop()
        let dir = makeTempDir("fswatch")
        defer { Files.removeTree(dir) }
        var names: [String?] = []
        let watch = try FSWatch(loop, path: dir) { names.append($0) }

        XCTAssertTrue(Files.write(dir + "/index.m3u8.tmp", "#EXTM3U\n"))
        XCTAssertTrue(spin(loop, timeout: 3) { names.contains("index.m3u8.tmp") }, "names: \(names)")

        XCTAssertEqual(rename(dir + "/index.m3u8.tmp", dir + "/index.m3u8"), 0)
        XCTAssertTrue(spin(loop, timeout: 3) { names.contains("index.m3u8") }, "names: \(names)")

        watch.close()
        watch.close()
        closeLoop(loop)
    }

    func testNonexistentPathThrows() {
        let loop = EventLoop()
        XCTAssertThrowsError(try FSWatch(loop, path: "/nonexistent/vtx-watch-dir") { _ in }) { error in
            XCTAssertEqual((error as? LoopError)?.code, -ENOENT)
        }
        closeLoop(loop)   // the failed watch's handle must still be closed and freed
    }
}
