import XCTest
@testable import VTXSystem

/// `HelperProcess.run`, the blocking one-shot runner `--check` uses.
final class HelperProcessTests: XCTestCase {
    func testHelperOutputAndExitCode() throws {
        let ok = try XCTUnwrap(HelperProcess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]))
        XCTAssertEqual(String(decoding: ok.output, as: UTF8.self), "out\n")   // stderr is not captured
        XCTAssertEqual(ok.exitCode, 3)
        // argv, not a shell string: quotes and spaces arrive as they are.
        let echo = try XCTUnwrap(HelperProcess.run(["echo", "it's a \"test\"", "$HOME"]))
        XCTAssertEqual(String(decoding: echo.output, as: UTF8.self), "it's a \"test\" $HOME\n")
        XCTAssertEqual(echo.exitCode, 0)
    }

    func testHelperThatTalksTooMuchEndsOnSIGPIPE() throws {
        let yes = try XCTUnwrap(HelperProcess.run(["yes"], outputLimit: 1000))
        XCTAssertEqual(yes.output.count, 1000)
        XCTAssertNil(yes.exitCode)   // ended by a signal
    }

    func testMissingHelperIsNil() {
        XCTAssertNil(HelperProcess.run(["/nonexistent/vtx-helper"]))
        XCTAssertNil(HelperProcess.run(["vtx-no-such-helper-\(getpid())"]))
    }

    func testHelperLeavesNoDescriptorBehind() throws {
        let before = ProcFS.openFileCount()
        for _ in 0..<5 { _ = HelperProcess.run(["true"]) }
        _ = HelperProcess.run(["/nonexistent/vtx-helper"])
        XCTAssertEqual(ProcFS.openFileCount(), before)
    }
}
