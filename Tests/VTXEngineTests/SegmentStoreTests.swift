import VTXSystem
import XCTest
@testable import VTXEngine

final class SegmentStoreTests: XCTestCase {
    let playlist = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:10
        #EXT-X-MAP:URI="init.mp4"
        #EXTINF:2.000000,
        index10.m4s
        #EXTINF:1.500000,
        sub/index11.m4s?token=abc
        """

    func testListedFilesAndDurations() {
        XCTAssertEqual(Playlist.listedFiles(playlist), ["init.mp4", "index10.m4s", "index11.m4s"])
        let d = Playlist.durations(playlist)
        XCTAssertEqual(d.target, 2)
        XCTAssertEqual(d.total, 3.5, accuracy: 1e-9)
        XCTAssertEqual(Playlist.listedFiles("#EXTM3U\r\n#EXTINF:1,\r\na.ts\r\n"), ["a.ts"])
        XCTAssertEqual(Playlist.listedFiles(""), [])
    }

    func testRemovesOnlyUnlistedFilesOlderThanWindowPlusGrace() {
        // window 3.5 s + grace max(4 s, 2 × 2 s) = 7.5 s
        let now: Int64 = 100_000
        let files = [
            Files.Entry(name: "index.m3u8", bytes: 300, modifiedMs: 0),        // the playlist: never
            Files.Entry(name: "init.mp4", bytes: 800, modifiedMs: 0),          // listed (EXT-X-MAP)
            Files.Entry(name: "index10.m4s", bytes: 1000, modifiedMs: 0),      // listed
            Files.Entry(name: "index9.m4s", bytes: 1000, modifiedMs: now - 7_501),   // dropped, past the grace
            Files.Entry(name: "index8.m4s", bytes: 1000, modifiedMs: now - 60_000),  // long gone
            Files.Entry(name: "index7.m4s", bytes: 1000, modifiedMs: now - 7_499),   // dropped, within the grace
            Files.Entry(name: "index12.m4s", bytes: 500, modifiedMs: now - 100),     // being written
        ]
        let gone = SegmentStore.removable(files, playlistName: "index.m3u8", playlist: playlist, nowMs: now).map(\.name)
        XCTAssertEqual(Set(gone), ["index9.m4s", "index8.m4s"])
    }

    func testAutomaticCapIsThirtySecondsOfBitrateAtLeastFourMiB() {
        XCTAssertEqual(SegmentStore.automaticCapBytes(listedBytes: 0, listedSeconds: 0), 4 << 20)
        // 500 kbit/s: 30 s is 1.9 MB, under the floor
        XCTAssertEqual(SegmentStore.automaticCapBytes(listedBytes: 62_500 * 6, listedSeconds: 6), 4 << 20)
        // 4 Mbit/s = 500,000 B/s: 15,000,000 bytes
        XCTAssertEqual(SegmentStore.automaticCapBytes(listedBytes: 3_000_000, listedSeconds: 6), 15_000_000)
    }

    func testSteadyStateFromTheBitrate() {
        // 3 s listed of a 4 Mbit/s stream, 1 s target: 6 s window + 4 s grace + 1 s being written
        XCTAssertEqual(SegmentStore.steadyBytes(listedBytes: 1_500_000, listedSeconds: 3, targetSec: 1), 5_500_000)
        // 2 s target: at least 6 × 2 s listed, + 4 s grace + 2 s being written; a longer window counts as it is
        XCTAssertEqual(SegmentStore.steadyBytes(listedBytes: 5_000_000, listedSeconds: 10, targetSec: 2), 500_000 * 18)
        XCTAssertEqual(SegmentStore.steadyBytes(listedBytes: 10_000_000, listedSeconds: 20, targetSec: 2), 500_000 * 26)
        XCTAssertEqual(SegmentStore.steadyBytes(listedBytes: 0, listedSeconds: 0, targetSec: 0), 0)
    }

    func testMeterRemovesMeasuresAndReportsTheOverrun() {
        var m = StorageMeter()
        let now: Int64 = 100_000
        let files = [
            Files.Entry(name: "index.m3u8", bytes: 300, modifiedMs: now),
            Files.Entry(name: "init.mp4", bytes: 800, modifiedMs: 0),
            Files.Entry(name: "index10.m4s", bytes: 1_000_000, modifiedMs: now - 3_000),
            Files.Entry(name: "index11.m4s", bytes: 1_000_000, modifiedMs: now - 1_000),
            Files.Entry(name: "index9.m4s", bytes: 1_000_000, modifiedMs: now - 60_000),
        ]
        let (gone, over) = m.sweep(files, playlistName: "index.m3u8", playlist: playlist, nowMs: now, maxStorageMB: 1)
        XCTAssertEqual(gone.map(\.name), ["index9.m4s"])
        XCTAssertEqual(m.bytes, 2_001_100)
        XCTAssertEqual(m.removed, 1)
        XCTAssertEqual(m.capBytes, 1 << 20)
        XCTAssertEqual(over, "4 files, 1954 KiB on the RAM disk, over the cap of 1024 KiB (max_storage_mb)")
        let (_, fine) = m.sweep(files, playlistName: "index.m3u8", playlist: playlist, nowMs: now, maxStorageMB: nil)
        XCTAssertNil(fine, "automatic cap: 30 s of ~571 kB/s is 17 MB")
        XCTAssertGreaterThan(m.projectedKB, m.bytes / 1024)
        XCTAssertEqual(m.growthKB, m.projectedKB - m.bytes / 1024)
        m.cleared()
        XCTAssertEqual(m.bytes, 0)
        XCTAssertEqual(m.peakKB, 1955)
    }

    func testStorageExceededStopsARunningStreamAsAFailure() {
        var m = SM.running(SM.policy(idle: 0, stall: 0), readyAt: 100)
        let actions = m.storageExceeded(detail: "9 files, 20000 KiB", now: 1_000)
        XCTAssertEqual(actions, [.stateChanged(from: .running, to: .stopping, reason: .storageLimit), .terminate(pid: SM.pid)])
        XCTAssertEqual(m.counters.storageLimit, 1)
        XCTAssertEqual(m.counters.failures, 1)
        // the exit of a wanted stream goes through backoff, with the reason in history
        let exit = m.exited(pid: SM.pid, code: 255, signal: nil, stderrTail: [], now: 1_200)
        XCTAssertTrue(exit.contains(.stateChanged(from: .stopping, to: .backoff, reason: .storageLimit)), "\(exit)")
        XCTAssertEqual(m.history.last?.reason, .storageLimit)
        XCTAssertEqual(m.failureMessage, "9 files, 20000 KiB")
        // nothing to stop: nothing happens
        var idle = SM.machine()
        XCTAssertEqual(idle.storageExceeded(detail: "x", now: 0), [])
    }
}
