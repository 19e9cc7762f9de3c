import XCTest
import CUV
@testable import VTXLoop

/// Runs `loop` until `condition` holds or `timeout` seconds pass. A 5 ms ticker keeps the
/// loop alive and bounds each blocking iteration, so the wait never hangs.
@discardableResult
func spin(_ loop: EventLoop, timeout: Double = 5, until condition: () -> Bool) -> Bool {
    let tick = LoopTimer(loop) {}
    tick.start(afterMs: 5, repeatMs: 5)
    defer {
        tick.close()
        loop.runOnce(wait: false)   // reap the ticker, so handle counts after a spin are exact
    }
    let deadline = MonotonicClock.nowMs() + Int64(timeout * 1000)
    while !condition() {
        if MonotonicClock.nowMs() > deadline { return false }
        loop.runOnce(wait: true)
    }
    return true
}

/// libuv's `close_loop`: run until every handle is gone, then the loop must close with 0.
func closeLoop(_ loop: EventLoop, file: StaticString = #filePath, line: UInt = #line) {
    let deadline = MonotonicClock.nowMs() + 3000
    while loop.openHandleCount > 0 && MonotonicClock.nowMs() < deadline {
        loop.runOnce(wait: false)
        if loop.openHandleCount > 0 { usleep(1000) }
    }
    loop.runOnce(wait: false)   // any close callback queued by the last iteration
    XCTAssertEqual(loop.openHandleCount, 0, "handles left open", file: file, line: line)
    XCTAssertEqual(loop.close(), 0, "uv_loop_close: a handle leaked", file: file, line: line)
}

func openFDCount() -> Int { ProcFS.openFileCount() }

func makeTempDir(_ tag: String) -> String {
    var template = Array("/tmp/vtxloop-\(tag)-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp")
    return String(cString: p!)
}

/// A blocking IPv4 client socket connected to 127.0.0.1:`port` (loopback connects
/// complete in the kernel's backlog, before the server accepts).
func connectClient(port: Int, receiveBuffer: Int32 = 0) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    precondition(fd >= 0)
    if receiveBuffer > 0 {   // before connect, so the advertised window scale fits it
        var size = receiveBuffer
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(rc == 0, "connect: \(errnoDescription())")
    return fd
}

func setNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

/// Reads what is available now (non-blocking), up to `max` bytes. Returns nil at EOF.
func readAvailable(_ fd: Int32, max: Int) -> [UInt8]? {
    var buf = [UInt8](repeating: 0, count: max)
    let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, Int32(MSG_DONTWAIT)) }
    if n == 0 { return nil }
    if n < 0 { return [] }
    return Array(buf[0..<n])
}

func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
        precondition(n > 0, "send: \(errnoDescription())")
        off += n
    }
}

/// A deterministic, non-repeating-looking pattern so a reordered or dropped chunk shows.
func pattern(_ count: Int, seed: UInt32 = 0x9E37_79B9) -> [UInt8] {
    var x = seed
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        return UInt8(truncatingIfNeeded: x)
    }
}

/// Whether `pid` is gone (or a zombie nobody reaps, e.g. under a container's PID 1).
func processGone(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 && errno == ESRCH { return true }
    return ProcFS.processState(pid: pid) == "Z" || ProcFS.processState(pid: pid) == nil
}
