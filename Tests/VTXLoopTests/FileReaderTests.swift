import XCTest
@testable import VTXSystem

/// The one file reader of VTXSystem (`FileReader.swift`), tested here with the
/// other system tests.
final class FileReaderTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = "/tmp/vtx-file-reader-\(getpid())"
        XCTAssertEqual(Files.makeDirectories(dir), 0)
    }

    override func tearDown() { Files.removeTree(dir) }

    func testContentsUpToTheLimitAndNoFurther() {
        let path = dir + "/f"
        XCTAssertTrue(Files.write(path, String(repeating: "x", count: 10_000)))
        XCTAssertEqual(try Files.contents(of: path, limit: 10_000).get().count, 10_000)
        XCTAssertEqual(Files.contents(of: path, limit: 9_999), .failure(.tooLarge))
        XCTAssertEqual(Files.contents(of: dir + "/missing", limit: 10), .failure(.cannotOpen(ENOENT)))
        XCTAssertEqual(Files.contents(of: dir, limit: 10), .failure(.cannotRead(EISDIR)))
    }

    func testReadStopsAtTheLimit() {
        let path = dir + "/f"
        XCTAssertTrue(Files.write(path, "0123456789"))
        XCTAssertEqual(Files.readString(path, limit: 4), "0123")
        XCTAssertEqual(Files.readString(path), "0123456789")
        XCTAssertNil(Files.read(dir + "/missing"))
        XCTAssertNotNil(Files.readString("/proc/self/status", limit: 8192))
    }

    func testLinkTarget() {
        XCTAssertEqual(Files.linkTarget("/proc/self/exe"), ParentDeath.selfExecutable)
        XCTAssertNotNil(Files.linkTarget("/proc/self/exe"))
        XCTAssertNil(Files.linkTarget(dir))
    }
}
