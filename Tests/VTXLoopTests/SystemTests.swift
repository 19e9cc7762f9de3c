import XCTest
@testable import VTXLoop
@testable import VTXSystem

final class SystemTests: XCTestCase {
    func testMemInfo() throws {
        let info = try XCTUnwrap(ProcFS.memInfo())
        XCTAssertGreaterThan(info.totalKB, 0)
        XCTAssertGreaterThan(info.availableKB, 0)
        XCTAssertLessThanOrEqual(info.availableKB, info.totalKB)
    }

    func testStatusKBOfSelf() throws {
        let rss = try XCTUnwrap(ProcFS.statusKB(pid: 0, field: "VmRSS"))
        XCTAssertGreaterThan(rss, 0)
        let rssByPid = try XCTUnwrap(ProcFS.statusKB(pid: getpid(), field: "VmRSS"))
        XCTAssertGreaterThan(rssByPid, 0)
        XCTAssertNil(ProcFS.statusKB(pid: 0, field: "NoSuchField"))
    }

    func testKilobytesParsing() {
        let meminfo = "MemTotal:       16318768 kB\nMemFree:         1234 kB\nMemAvailable:   8000000 kB\n"
        XCTAssertEqual(ProcFS.kilobytes(field: "MemTotal", in: meminfo), 16318768)
        XCTAssertEqual(ProcFS.kilobytes(field: "MemAvailable", in: meminfo), 8000000)
        XCTAssertEqual(ProcFS.kilobytes(field: "MemFree", in: meminfo), 1234)
        XCTAssertNil(ProcFS.kilobytes(field: "SwapTotal", in: meminfo))
        // A field that is a prefix of another must not match the longer one.
        XCTAssertNil(ProcFS.kilobytes(field: "Mem", in: meminfo))
        XCTAssertEqual(ProcFS.kilobytes(field: "Mem", in: "MemX: 1 kB\nMem: 7 kB\n"), 7)
        // /proc/PID/status separates with a tab and pads with spaces.
        let status = "Name:\tvtx-link\nVmHWM:\t   20480 kB\nVmRSS:\t    9876 kB\nThreads:\t1\n"
        XCTAssertEqual(ProcFS.kilobytes(field: "VmRSS", in: status), 9876)
        XCTAssertEqual(ProcFS.kilobytes(field: "VmHWM", in: status), 20480)
        XCTAssertEqual(ProcFS.kilobytes(field: "Threads", in: status), 1)
        XCTAssertNil(ProcFS.kilobytes(field: "Name", in: status))
        XCTAssertNil(ProcFS.kilobytes(field: "VmRSS", in: ""))
        // Not a number, or no number: nil, as Int("…") of the first word was.
        XCTAssertNil(ProcFS.kilobytes(field: "A", in: "A: 12x kB\n"))
        XCTAssertNil(ProcFS.kilobytes(field: "A", in: "A:\nB: 3 kB\n"))
        XCTAssertNil(ProcFS.kilobytes(field: "A", in: "A"))
        XCTAssertEqual(ProcFS.kilobytes(field: "A", in: "A:5"), 5, "at the very end of the text")
        XCTAssertEqual(ProcFS.kilobytes(field: "A", in: "XA: 1 kB\nA: 2 kB\n"), 2, "only at a line's start")
        // The real files.
        let meminfoText = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        XCTAssertGreaterThan(ProcFS.kilobytes(field: "MemTotal", in: meminfoText ?? "") ?? 0, 0)
    }

    func testDevShmIsRAM() throws {
        let info = try XCTUnwrap(FileSystemInfo.of("/dev/shm"))
        XCTAssertEqual(info.typeName, "tmpfs")
        XCTAssertTrue(info.isRAM)
        XCTAssertGreaterThan(info.totalKB, 0)
        XCTAssertLessThanOrEqual(info.usedKB, info.totalKB)
        XCTAssertNil(FileSystemInfo.of("/nonexistent/vtx"))
        if let proc = FileSystemInfo.of("/proc") { XCTAssertFalse(proc.isRAM) }
    }

    func testOpenJoinedJoinsThreePartsWithSlashes() {
        let root = makeTempDir("joined")
        defer { Files.removeTree(root) }
        XCTAssertEqual(Files.makeDirectories(root + "/cam"), 0)
        XCTAssertTrue(Files.write(root + "/cam/seg1.ts", "abc"))
        let fd = Files.openJoined(root, "cam", "seg1.ts", flags: O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var buffer = [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(read(fd, &buffer, 8), 3)
        XCTAssertEqual(Array(buffer[0..<3]), Array("abc".utf8))
        close(fd)
        XCTAssertEqual(Files.openJoined(root, "cam", "missing.ts", flags: O_RDONLY), -1)
        XCTAssertEqual(errno, ENOENT)
        XCTAssertEqual(Files.openJoined(root, "cam", String(repeating: "a", count: Int(PATH_MAX)), flags: O_RDONLY), -1)
        XCTAssertEqual(errno, ENAMETOOLONG)
    }

    func testMakeDirectoriesAndRemoveTree() {
        let base = makeTempDir("files")
        defer { Files.removeTree(base) }
        let deep = base + "/a/b/c"
        XCTAssertEqual(Files.makeDirectories(deep), 0)
        XCTAssertTrue(Files.isDirectory(deep))
        XCTAssertEqual(Files.makeDirectories(deep), 0, "mkdir -p of an existing tree")
        XCTAssertTrue(Files.write(deep + "/seg1.ts", "x"))
        XCTAssertEqual(Files.makeDirectories(deep + "/seg1.ts/d"), ENOTDIR)
        XCTAssertEqual(Files.list(deep), ["seg1.ts"])
        XCTAssertEqual(Files.readString(deep + "/seg1.ts"), "x")

        // A symlink to a directory outside the tree is unlinked, never entered.
        let outside = makeTempDir("outside")
        defer { Files.removeTree(outside) }
        XCTAssertTrue(Files.write(outside + "/keep.txt", "keep"))
        XCTAssertEqual(symlink(outside, base + "/a/link-out"), 0)
        XCTAssertEqual(symlink(outside + "/keep.txt", base + "/a/b/file-link"), 0)
        XCTAssertFalse(Files.isDirectory(base + "/a/link-out"), "isDirectory follows symlinks")

        Files.removeTree(base + "/a")
        XCTAssertFalse(Files.exists(base + "/a"))
        XCTAssertTrue(Files.exists(outside + "/keep.txt"), "removeTree followed a symlink")
        XCTAssertEqual(Files.readString(outside + "/keep.txt"), "keep")
        XCTAssertTrue(Files.isDirectory(base))

        // emptyDirectory keeps the directory itself.
        XCTAssertEqual(Files.makeDirectories(base + "/x/y"), 0)
        Files.emptyDirectory(base)
        XCTAssertTrue(Files.isDirectory(base))
        XCTAssertEqual(Files.list(base), [])
        Files.removeTree(base + "/does-not-exist")   // no crash
    }

    func testRelativeMakeDirectories() {
        let base = makeTempDir("rel")
        defer { Files.removeTree(base) }
        var cwd = [CChar](repeating: 0, count: 4096)
        XCTAssertNotNil(getcwd(&cwd, cwd.count))
        XCTAssertEqual(chdir(base), 0)
        defer { _ = chdir(cwd) }
        XCTAssertEqual(Files.makeDirectories("r1/r2"), 0)
        XCTAssertTrue(Files.isDirectory(base + "/r1/r2"))
    }

    func testIsoTimestamp() {
        XCTAssertEqual(Log.isoTimestamp(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(Log.isoTimestamp(1_000_000_000), "2001-09-09T01:46:40Z")
        XCTAssertEqual(Log.isoTimestamp(951_782_400), "2000-02-29T00:00:00Z")
    }

    func testLogSinkAndThreshold() {
        var lines: [String] = []
        let savedSink = Log.sink, savedThreshold = Log.threshold
        defer { Log.sink = savedSink; Log.threshold = savedThreshold }
        Log.sink = { lines.append($0) }
        Log.threshold = .warn
        Log.info("test", "hidden")
        Log.warn("test", "shown")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines.first?.hasSuffix("warn  test shown\n") ?? false, "\(lines)")
    }

    func testCommandLineAndState() {
        XCTAssertNotNil(ProcFS.commandLine(pid: getpid()))
        XCTAssertNotNil(ProcFS.processState(pid: getpid()))
        XCTAssertNil(ProcFS.commandLine(pid: 0x3fff_fff0))
        XCTAssertNotNil(ProcFS.cpuSeconds())
        XCTAssertEqual(ProcFS.loadAverage().count, 3)
        let fds = ProcFS.openFileCount()
        let fd = open("/dev/null", O_RDONLY)
        XCTAssertEqual(ProcFS.openFileCount(), fds + 1)
        close(fd)
        XCTAssertEqual(ProcFS.openFileCount(), fds)
    }
}
