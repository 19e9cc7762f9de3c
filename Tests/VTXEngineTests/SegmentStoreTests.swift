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

    static func listing(_ names: [String]) -> String {
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + names.map { "#EXTINF:1.0,\n" + $0 }.joined(separator: "\n") + "\n"
    }

    func testRemovesOnlyWhatAPlaylistListedAndDroppedAfterTheGrace() {
        var m = StorageMeter()
        let files = ["index.m3u8", "a.ts", "b.ts", "c.ts", "d.ts", "mine.bin"].map { Files.Entry(name: $0, bytes: 100) }
        // a and b listed; c is being written; mine.bin was never listed
        XCTAssertEqual(m.sweep(files, playlist: Self.listing(["a.ts", "b.ts"]), nowMs: 0, maxStorageMB: nil).remove, [])
        // a dropped at 1 s: kept for the grace (max(4 s, 2 × 1 s))
        XCTAssertEqual(m.sweep(files, playlist: Self.listing(["b.ts", "c.ts"]), nowMs: 1_000, maxStorageMB: nil).remove, [])
        XCTAssertEqual(m.sweep(files, playlist: Self.listing(["c.ts", "d.ts"]), nowMs: 4_999, maxStorageMB: nil).remove, [])
        let gone = m.sweep(files, playlist: Self.listing(["c.ts", "d.ts"]), nowMs: 5_000, maxStorageMB: nil).remove.map(\.name)
        XCTAssertEqual(gone, ["a.ts"], "b was dropped at 4.999 s: not yet")
        let later = m.sweep(files.filter { $0.name != "a.ts" }, playlist: Self.listing(["d.ts"]), nowMs: 9_000, maxStorageMB: nil)
        XCTAssertEqual(later.remove.map(\.name), ["b.ts"])
        XCTAssertEqual(m.removed, 2)
        // the playlist itself, the never-listed file and what is listed are never taken
        let all = m.sweep(files, playlist: Self.listing(["d.ts"]), nowMs: 60_000, maxStorageMB: nil).remove.map(\.name)
        XCTAssertEqual(all, ["c.ts"])
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
            Files.Entry(name: "index.m3u8", bytes: 300),
            Files.Entry(name: "init.mp4", bytes: 800),
            Files.Entry(name: "index10.m4s", bytes: 1_000_000),
            Files.Entry(name: "index11.m4s", bytes: 1_000_000),
            Files.Entry(name: "index9.m4s", bytes: 1_000_000),
        ]
        let (gone, over) = m.sweep(files, playlist: playlist, nowMs: now, maxStorageMB: 1)
        XCTAssertEqual(gone.map(\.name), [], "index9 was never listed: not ours to remove")
        XCTAssertEqual(m.bytes, 3_001_100)
        XCTAssertEqual(m.capBytes, 1 << 20)
        XCTAssertEqual(over, "5 files, 2930 KiB on the RAM disk, over the cap of 1024 KiB (max_storage_mb)")
        let (_, fine) = m.sweep(files, playlist: playlist, nowMs: now, maxStorageMB: nil)
        XCTAssertNil(fine, "automatic cap: 30 s of ~571 kB/s is 17 MB")
        XCTAssertGreaterThan(m.projectedKB, m.bytes / 1024)
        XCTAssertEqual(m.growthKB, m.projectedKB - m.bytes / 1024)
        m.cleared()
        XCTAssertEqual(m.bytes, 0)
        XCTAssertEqual(m.peakKB, 2931)
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
