import Foundation
import XCTest
@testable import VTXEngine

/// `MemoryGuard.check` with injected readers: no procfs needed.
final class MemoryGuardTests: XCTestCase {
    func guardWith(minMB: Int, availableKB: Int?) -> MemoryGuard {
        MemoryGuard(minAvailableMB: minMB, readAvailableKB: { availableKB })
    }

    func testAllowsWhenAvailableCoversMinimumPlusCost() {
        XCTAssertEqual(guardWith(minMB: 8, availableKB: 64 * 1024).check(expectedCostKB: 20 * 1024), .allowed)
    }

    func testExactlyEnoughIsAllowed() {
        XCTAssertEqual(guardWith(minMB: 8, availableKB: 8 * 1024 + 5_000).check(expectedCostKB: 5_000), .allowed)
    }

    func testOneKBShortIsRefusedWithRetryAfter() {
        let verdict = guardWith(minMB: 8, availableKB: 8 * 1024 + 4_999).check(expectedCostKB: 5_000)
        guard case .refused(let reason, let retry) = verdict else { return XCTFail("expected a refusal, got \(verdict)") }
        XCTAssertGreaterThan(retry, 0)
        XCTAssertTrue(reason.contains("min_available_mb 8"), reason)
    }

    func testExpectedCostOfEarlierRunsCounts() {
        let g = guardWith(minMB: 8, availableKB: 30 * 1024)
        XCTAssertEqual(g.check(expectedCostKB: 0), .allowed, "first start: no cost known yet")
        guard case .refused(let reason, _) = g.check(expectedCostKB: 25 * 1024) else { return XCTFail("cost must count") }
        XCTAssertTrue(reason.contains("30 MB available"), reason)
        XCTAssertTrue(reason.contains("33 MB needed"), reason)
        XCTAssertTrue(reason.contains("expected 25 MB"), reason)
    }

    func testMinimumIsInMegabytes() {
        let g = guardWith(minMB: 16, availableKB: 16 * 1024 - 1)
        XCTAssertNotEqual(g.check(expectedCostKB: 0), .allowed)
        XCTAssertEqual(g.minAvailableKB, 16 * 1024)
    }

    func testZeroMinimumAllowsAnythingButAnEmptyMachine() {
        XCTAssertEqual(guardWith(minMB: 0, availableKB: 0).check(expectedCostKB: 0), .allowed)
        XCTAssertNotEqual(guardWith(minMB: 0, availableKB: 0).check(expectedCostKB: 1), .allowed)
    }

    func testUnknownAvailableMemoryDoesNotBlockStarts() {
        XCTAssertEqual(guardWith(minMB: 1 << 20, availableKB: nil).check(expectedCostKB: 1 << 30), .allowed)
    }

    func testReaderIsAskedOnEveryCheck() {
        var available = 100 * 1024
        var calls = 0
        let g = MemoryGuard(minAvailableMB: 50, readAvailableKB: { calls += 1; return available })
        XCTAssertEqual(g.check(expectedCostKB: 0), .allowed)
        available = 40 * 1024
        XCTAssertNotEqual(g.check(expectedCostKB: 0), .allowed)
        XCTAssertEqual(calls, 2)
    }

    func testRefusalShowsFractionsOfAMegabyte() {
        guard case .refused(let reason, _) = guardWith(minMB: 4, availableKB: 4_090).check(expectedCostKB: 536) else { return XCTFail() }
        XCTAssertTrue(reason.contains("4.0 MB available, 4.5 MB needed (min_available_mb 4 + expected 0.5 MB)"), reason)
    }

    func testAStreamNeverMeasuredPlansForTheCostliestNeighbour() {
        XCTAssertEqual(MemoryGuard.plannedCostKB(own: 0, others: [0, 11_800, 2_100]), 11_800)
        XCTAssertEqual(MemoryGuard.plannedCostKB(own: 0, others: []), 0, "nothing measured yet: nothing to plan for")
        XCTAssertEqual(MemoryGuard.plannedCostKB(own: 600, others: [11_800]), 600, "its own measurement wins")
    }

    // MARK: expected cost of a restart

    func testExpectedCostLeavesOutSharedLibraryPages() {
        // Debian's dynamically linked FFmpeg, -c copy RTSP→HLS: VmHWM 52000, RssFile 40324, RssAnon 11676.
        XCTAssertEqual(MemoryGuard.expectedCostKB(peakRSSKB: 52_000, fileKB: 40_324, anonKB: 11_676, shmemKB: 0), 11_676)
    }

    func testExpectedCostKeepsThePeakOfPrivateMemory() {
        // Peak (VmHWM) was reached with more anonymous memory than is mapped now.
        XCTAssertEqual(MemoryGuard.expectedCostKB(peakRSSKB: 60_000, fileKB: 40_000, anonKB: 12_000, shmemKB: 0), 20_000)
    }

    func testExpectedCostIsNeverBelowCurrentPrivateMemory() {
        // File pages grew after the peak (RssFile now larger than at the peak).
        XCTAssertEqual(MemoryGuard.expectedCostKB(peakRSSKB: 50_000, fileKB: 45_000, anonKB: 9_000, shmemKB: 1_000), 10_000)
    }

    func testExpectedCostWithoutRssFileIsThePeakRSS() {
        XCTAssertEqual(MemoryGuard.expectedCostKB(peakRSSKB: 30_000, fileKB: nil, anonKB: nil, shmemKB: nil), 30_000)
    }

    func testAStaticFFmpegWithLittleFileRSSCostsNearlyItsRSS() {
        XCTAssertEqual(MemoryGuard.expectedCostKB(peakRSSKB: 14_000, fileKB: 2_500, anonKB: 11_000, shmemKB: 0), 11_500)
    }

    func testSystemReaderSeesThisMachine() throws {
        let kb = try XCTUnwrap(MemoryGuard.systemAvailableKB(), "procfs is there on Linux")
        XCTAssertGreaterThan(kb, 0)
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let line = try XCTUnwrap(meminfo.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") })
        let memAvailable = try XCTUnwrap(Int(line.split(separator: " ")[1]))
        // The smaller of MemAvailable and the cgroup headroom; allow for drift between reads.
        XCTAssertLessThanOrEqual(kb, memAvailable + 64 * 1024)
    }
}
