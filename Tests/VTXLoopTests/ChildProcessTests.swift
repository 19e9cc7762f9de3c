import XCTest
import CUV
@testable import VTXLoop

final class ChildProcessTests: XCTestCase {
    /// Spawns `arguments`, collects stderr and the exit, runs until exit (or timeout).
    final class Run {
        var stderr: [UInt8] = []
        var exits: [(status: Int64, signal: Int32)] = []
        var child: ChildProcess?
        var error: LoopError?
        var text: String { String(decoding: stderr, as: UTF8.self) }

        init(_ loop: EventLoop, _ arguments: [String]) {
            let result = ChildProcess.spawn(loop, arguments: arguments, onStderr: { [unowned self] chunk in
                self.stderr.append(contentsOf: chunk)
            }, onExit: { [unowned self] status, sig in
                self.exits.append((status, sig))
            })
            switch result {
            case .success(let c): child = c
            case .failure(let e): error = e
            }
        }
    }

    func testStderrAndExitStatus() {
        let fds = openFDCount()   // before the loop: uv_loop_init opens descriptors of its own
        let loop = EventLoop()
        let run = Run(loop, ["/bin/sh", "-c", "echo hello >&2; exit 3"])
        XCTAssertNil(run.error)
        XCTAssertGreaterThan(run.child?.pid ?? 0, 0)
        XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
        XCTAssertEqual(run.exits.count, 1)
        XCTAssertEqual(run.exits.first?.status, 3)
        XCTAssertEqual(run.exits.first?.signal, 0)
        XCTAssertTrue(run.text.contains("hello"), "stderr: \(run.text)")
        XCTAssertEqual(run.child?.hasExited, true)
        XCTAssertEqual(run.child?.signalGroup(SIGTERM), false, "signalled an exited child")
        closeLoop(loop)
        XCTAssertEqual(openFDCount(), fds, "stderr pipe leaked")
        XCTAssertEqual(run.exits.count, 1, "onExit ran twice")
    }

    func testKilledBySignal() {
        let loop = EventLoop()
        let run = Run(loop, ["/bin/sh", "-c", "kill -TERM $$"])
        XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
        XCTAssertEqual(run.exits.first?.signal, SIGTERM)
        closeLoop(loop)
    }

    func testNonexistentBinaryFailsWithoutLeak() {
        let fds = openFDCount()   // before the loop: uv_loop_init opens descriptors of its own
        let loop = EventLoop()
        let run = Run(loop, ["/nonexistent/vtx-no-such-binary", "-x"])
        XCTAssertNil(run.child)
        XCTAssertEqual(run.error?.code, -ENOENT, "error: \(String(describing: run.error))")
        XCTAssertTrue(run.error?.description.lowercased().contains("no such file") ?? false)
        closeLoop(loop)
        XCTAssertEqual(openFDCount(), fds, "descriptor leaked by a failed spawn")
        XCTAssertTrue(run.exits.isEmpty)
    }

    func testStdinAndStdoutAreDevNull() {
        let loop = EventLoop()
        // cat reads stdin: /dev/null gives EOF at once.
        let cat = Run(loop, ["/bin/cat"])
        XCTAssertTrue(spin(loop, timeout: 3) { !cat.exits.isEmpty }, "cat did not see EOF on stdin")
        XCTAssertEqual(cat.exits.first?.status, 0)
        XCTAssertEqual(cat.exits.first?.signal, 0)

        // stdout is not our pipe: what goes there never reaches onStderr. The `test`
        // builtin runs in the shell itself with no redirection active (dash applies a
        // command's `>&2` in the parent around the fork, so /proc/$$/fd is not checked there).
        let sh = Run(loop, ["/bin/sh", "-c", """
            echo to-stdout
            if [ /proc/$$/fd/0 -ef /dev/null ]; then in=null; else in=other; fi
            if [ /proc/$$/fd/1 -ef /dev/null ]; then out=null; else out=other; fi
            if [ /proc/$$/fd/1 -ef /proc/$$/fd/2 ]; then same=yes; else same=no; fi
            echo "stdin=$in stdout=$out same=$same" >&2
            """])
        XCTAssertTrue(spin(loop) { !sh.exits.isEmpty })
        XCTAssertEqual(sh.exits.first?.status, 0)
        XCTAssertEqual(sh.text, "stdin=null stdout=null same=no\n")
        XCTAssertFalse(sh.text.contains("to-stdout"))
        closeLoop(loop)
    }

    /// stdout has its own pipe and callback: nothing of one stream reaches the other's
    /// callback, and both are complete before onExit.
    func testStdoutHasItsOwnPipe() {
        let loop = EventLoop()
        var out: [UInt8] = [], err: [UInt8] = [], exited = false, outAtExit = 0, errAtExit = 0
        let result = ChildProcess.spawn(loop, arguments: ["/bin/sh", "-c", """
            i=0; while [ $i -lt 2000 ]; do echo "out-$i"; echo "err-$i" >&2; i=$((i+1)); done
            if [ /proc/$$/fd/1 -ef /proc/$$/fd/2 ]; then echo same >&2; fi
            """], onStderr: { err.append(contentsOf: $0) }, onStdout: { out.append(contentsOf: $0) },
            onExit: { _, _ in exited = true; outAtExit = out.count; errAtExit = err.count })
        guard case .success = result else { return XCTFail("\(result)") }
        XCTAssertTrue(spin(loop) { exited })
        let outText = String(decoding: out, as: UTF8.self), errText = String(decoding: err, as: UTF8.self)
        XCTAssertEqual(outText.split(separator: "\n").count, 2000)
        XCTAssertEqual(errText.split(separator: "\n").count, 2000)
        XCTAssertFalse(outText.contains("err-"))
        XCTAssertFalse(errText.contains("out-"))
        XCTAssertFalse(errText.contains("same"))
        XCTAssertEqual(outAtExit, out.count, "stdout chunks after onExit")
        XCTAssertEqual(errAtExit, err.count, "stderr chunks after onExit")
        closeLoop(loop)
    }

    func testOwnProcessGroupAndSession() {
        let loop = EventLoop()
        let run = Run(loop, ["/bin/sleep", "30"])
        guard let child = run.child else { XCTFail("spawn: \(String(describing: run.error))"); closeLoop(loop); return }
        XCTAssertEqual(getpgid(child.pid), child.pid)
        XCTAssertEqual(getsid(child.pid), child.pid)
        XCTAssertNotEqual(getpgid(child.pid), getpgid(0))
        XCTAssertTrue(child.signalGroup(SIGKILL))
        XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
        XCTAssertEqual(run.exits.first?.signal, SIGKILL)
        closeLoop(loop)
    }

    func testSignalGroupReachesGrandchild() {
        let loop = EventLoop()
        let run = Run(loop, ["/bin/sh", "-c", "sleep 100 & echo $! >&2; wait"])
        guard let child = run.child else { XCTFail("spawn: \(String(describing: run.error))"); closeLoop(loop); return }
        XCTAssertTrue(spin(loop) { run.text.contains("\n") })
        let grandchild = Int32(run.text.split(separator: "\n").first.map(String.init) ?? "") ?? 0
        XCTAssertGreaterThan(grandchild, 0, "stderr: \(run.text)")
        XCTAssertEqual(getpgid(grandchild), child.pid, "grandchild not in the child's group")
        XCTAssertFalse(child.hasExited)

        XCTAssertTrue(child.signalGroup(SIGTERM))
        XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
        XCTAssertEqual(run.exits.first?.signal, SIGTERM)
        XCTAssertTrue(child.hasExited)
        let gone = spin(loop, timeout: 3) { grandchild <= 0 || processGone(grandchild) }
        XCTAssertTrue(gone, "grandchild \(grandchild) survived the group signal")
        if !gone && grandchild > 0 { kill(grandchild, SIGKILL) }
        closeLoop(loop)
    }

    /// The child writes its last stderr bytes and exits at once: the exit callback must
    /// not close the pipe before those bytes are read.
    func testStderrEndingAtExitIsNotLost() {
        for size in [100 * 1024, 100 * 1024 + 1, 300 * 1024] {
            let loop = EventLoop()
            let run = Run(loop, ["/bin/sh", "-c", "exec head -c \(size) /dev/zero >&2"])
            XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
            XCTAssertEqual(run.exits.first?.status, 0)
            XCTAssertEqual(run.stderr.count, size, "stderr bytes lost at exit")
            XCTAssertTrue(run.stderr.allSatisfy { $0 == 0 })
            closeLoop(loop)
        }
    }

    /// The exit path itself must drain: with the pipe's normal reads stopped, every byte
    /// still has to reach onStderr, and before onExit.
    func testExitDrainsUnreadStderr() {
        let loop = EventLoop()
        var atExit = -1
        var bytes = 0
        let result = ChildProcess.spawn(loop, arguments: ["/bin/sh", "-c", "exec head -c 50000 /dev/zero >&2"],
            onStderr: { bytes += $0.count },
            onExit: { _, _ in atExit = bytes })
        guard case .success(let child) = result else { XCTFail("spawn failed"); closeLoop(loop); return }
        XCTAssertEqual(uv_read_stop(asStream(child.stderrPipe!.handle)), 0)
        XCTAssertTrue(spin(loop) { atExit >= 0 })
        XCTAssertEqual(atExit, 50000, "bytes left in the pipe at exit were dropped")
        closeLoop(loop)
    }

    /// A grandchild that keeps stderr's write end open must not keep the pipe (and the
    /// loop) alive after the child exits.
    func testGrandchildHoldingStderrDoesNotPinThePipe() {
        let loop = EventLoop()
        let run = Run(loop, ["/bin/sh", "-c", "sleep 5 & echo started >&2; exit 0"])
        guard let child = run.child else { XCTFail("spawn"); closeLoop(loop); return }
        XCTAssertTrue(spin(loop) { !run.exits.isEmpty })
        XCTAssertEqual(run.text, "started\n")
        XCTAssertEqual(child.stderrPipe?.isClosed, true)
        let started = MonotonicClock.nowMs()
        closeLoop(loop)
        XCTAssertLessThan(MonotonicClock.nowMs() - started, 1000, "waited for the grandchild's EOF")
        kill(-child.pid, SIGKILL)   // the orphaned sleep is still in the child's group
    }

    /// Several children at once, each exit delivered exactly once to its own callback.
    func testConcurrentChildren() {
        let loop = EventLoop()
        let runs = (0..<5).map { i in Run(loop, ["/bin/sh", "-c", "echo child\(i) >&2; exit \(i + 10)"]) }
        XCTAssertTrue(spin(loop) { runs.allSatisfy { !$0.exits.isEmpty } })
        for (i, run) in runs.enumerated() {
            XCTAssertEqual(run.exits.count, 1)
            XCTAssertEqual(run.exits.first?.status, Int64(i + 10))
            XCTAssertEqual(run.text, "child\(i)\n")
        }
        closeLoop(loop)
    }
}
