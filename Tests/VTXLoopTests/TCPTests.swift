import XCTest
@testable import VTXLoop

final class TCPTests: XCTestCase {
    /// A listener on 127.0.0.1:0 whose accepted connections land in `connections`.
    final class Server {
        let listener: TCPListener
        var connections: [TCPConnection] = []
        var received: [UInt8] = []
        var hangups = 0
        var drained = 0
        var peers: [String] = []

        init(_ loop: EventLoop, closeOnHangup: Bool = true) throws {
            listener = try TCPListener(loop, host: "127.0.0.1", port: 0)
            listener.start { [unowned self] fd, peer in
                let conn = TCPConnection(loop, fd: fd, peer: peer)
                conn.onRead = { [unowned self] bytes in self.received.append(contentsOf: bytes) }
                conn.onHangup = { [unowned self, unowned conn] in
                    self.hangups += 1
                    if closeOnHangup { conn.close() }
                }
                conn.onDrained = { [unowned self] in self.drained += 1 }
                conn.start()
                self.peers.append(peer)
                self.connections.append(conn)
            }
        }

        func close() {
            connections.forEach { $0.close() }
            listener.close()
        }
    }

    /// Reads `fd` in slices of `slice` bytes every `everyMs` until `count` bytes (or EOF).
    final class SlowReader {
        var data: [UInt8] = []
        var eof = false
        let timer: LoopTimer
        init(_ loop: EventLoop, fd: Int32, slice: Int, everyMs: Int64) {
            var me: SlowReader?
            timer = LoopTimer(loop) {
                guard let r = me else { return }
                if let chunk = readAvailable(fd, max: slice) { r.data.append(contentsOf: chunk) } else { r.eof = true }
            }
            me = self
            timer.start(afterMs: everyMs, repeatMs: everyMs)
            // The timer closure keeps `me` strongly; broken in `close`.
            breakCycle = { me = nil }
        }
        var breakCycle: () -> Void = {}
        func close() { timer.close(); breakCycle() }
    }

    func testListenerBindsEphemeralPortAndReads() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        XCTAssertGreaterThan(server.listener.port, 0)
        XCTAssertLessThan(server.listener.port, 65536)

        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        XCTAssertEqual(server.peers.first, "127.0.0.1")
        XCTAssertEqual(server.connections.first?.peer, "127.0.0.1")

        sendAll(client, Array("GET / HTTP/1.1\r\n\r\n".utf8))
        XCTAssertTrue(spin(loop) { server.received.count == 18 })
        XCTAssertEqual(String(decoding: server.received, as: UTF8.self), "GET / HTTP/1.1\r\n\r\n")

        // A larger upload arrives whole and in order through the shared read buffer.
        let upload = pattern(300_000)
        server.received = []
        sendAll(client, upload)
        XCTAssertTrue(spin(loop) { server.received.count >= upload.count })
        XCTAssertEqual(server.received, upload)

        close(client)
        server.close()
        closeLoop(loop)
    }

    func testPeerCloseCallsHangupAndHandlesReturnToZero() throws {
        let fdsBeforeLoop = openFDCount()
        let loop = EventLoop()
        let server = try Server(loop)
        let fds = openFDCount()
        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        XCTAssertEqual(loop.openHandleCount, 2)   // listener + connection

        sendAll(client, [1, 2, 3])
        close(client)
        XCTAssertTrue(spin(loop) { server.hangups >= 1 })
        XCTAssertEqual(server.received, [1, 2, 3], "data before the FIN was lost")
        XCTAssertEqual(server.hangups, 1)
        XCTAssertEqual(server.connections.first?.isClosed, true)

        spin(loop, timeout: 0.05) { false }
        XCTAssertEqual(loop.openHandleCount, 1, "closed connection's handle not released")
        XCTAssertEqual(openFDCount(), fds, "server-side socket not closed")
        server.listener.close()
        closeLoop(loop)
        XCTAssertEqual(openFDCount(), fdsBeforeLoop, "listening socket not closed")
    }

    func testLargeWriteToSlowReaderIsDeliveredIntact() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        // Small buffers on both ends (set before connect on the client, as a shrunken
        // window after connect stalls loopback TCP in zero-window probes).
        let client = connectClient(port: server.listener.port, receiveBuffer: 32 * 1024)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]
        var sndbuf: Int32 = 32 * 1024
        setsockopt(conn.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, socklen_t(MemoryLayout<Int32>.size))

        let payload = pattern(1 << 20)
        conn.write(Array(payload[0..<1000]), more: true)   // queued, not sent yet
        XCTAssertEqual(conn.pendingBytes, 1000)
        conn.write(Array(payload[1000...]))
        XCTAssertGreaterThan(conn.pendingBytes, 0, "1 MB went out at once: no backpressure exercised")
        XCTAssertTrue(conn.hasPendingOutput)
        XCTAssertEqual(server.drained, 0, "onDrained re-entered from write()")

        let reader = SlowReader(loop, fd: client, slice: 16 * 1024, everyMs: 1)
        XCTAssertTrue(spin(loop, timeout: 8) { reader.data.count >= payload.count }, "got \(reader.data.count)")
        XCTAssertEqual(reader.data.count, payload.count)
        XCTAssertTrue(reader.data == payload, "bytes corrupted or reordered")
        XCTAssertFalse(conn.hasPendingOutput)
        XCTAssertTrue(spin(loop, timeout: 1) { server.drained == 1 })
        XCTAssertEqual(server.drained, 1)

        reader.close()
        close(client)
        server.close()
        closeLoop(loop)
    }

    func testSendFileDeliversFileAndClosesIt() throws {
        let loop = EventLoop()
        let dir = makeTempDir("sendfile")
        defer { Files.removeTree(dir) }
        let payload = pattern(1 << 20, seed: 12345)
        let path = dir + "/seg.ts"
        let wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        payload.withUnsafeBytes { XCTAssertEqual(write(wfd, $0.baseAddress, $0.count), payload.count) }
        close(wfd)

        let server = try Server(loop)
        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]

        let fdsBefore = openFDCount()
        let fileFD = open(path, O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fileFD, 0)
        XCTAssertEqual(openFDCount(), fdsBefore + 1)
        let header = Array("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n".utf8)
        conn.write(header, more: true)
        conn.sendFile(fileFD, offset: 0, count: payload.count)

        let reader = SlowReader(loop, fd: client, slice: 64 * 1024, everyMs: 1)
        let total = header.count + payload.count
        XCTAssertTrue(spin(loop, timeout: 8) { reader.data.count >= total }, "got \(reader.data.count)")
        XCTAssertEqual(reader.data.count, total)
        XCTAssertTrue(Array(reader.data.prefix(header.count)) == header)
        XCTAssertTrue(Array(reader.data.dropFirst(header.count)) == payload, "file bytes differ")
        XCTAssertFalse(conn.hasPendingOutput)
        XCTAssertEqual(openFDCount(), fdsBefore, "sendFile left the file descriptor open")
        XCTAssertEqual(fcntl(fileFD, F_GETFD), -1)

        // A region from an offset, then end the response with a half-close.
        let fd2 = open(path, O_RDONLY | O_CLOEXEC)
        reader.data = []
        conn.sendFile(fd2, offset: 1000, count: 5000)
        conn.shutdownWrite()
        XCTAssertTrue(spin(loop) { reader.eof })
        XCTAssertTrue(reader.data == Array(payload[1000..<6000]))
        XCTAssertEqual(openFDCount(), fdsBefore)

        // Zero bytes: the fd is closed at once.
        let fd3 = open(path, O_RDONLY | O_CLOEXEC)
        conn.sendFile(fd3, offset: 0, count: 0)
        XCTAssertEqual(openFDCount(), fdsBefore)

        reader.close()
        close(client)
        server.close()
        closeLoop(loop)
    }

    func testCloseWithPendingFileClosesIt() throws {
        let loop = EventLoop()
        let dir = makeTempDir("pending")
        defer { Files.removeTree(dir) }
        let path = dir + "/big"
        XCTAssertTrue(Files.write(path, String(repeating: "v", count: 4 << 20)))
        let server = try Server(loop)
        let client = connectClient(port: server.listener.port, receiveBuffer: 32 * 1024)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]
        let fds = openFDCount()
        let fileFD = open(path, O_RDONLY | O_CLOEXEC)
        conn.sendFile(fileFD, offset: 0, count: 4 << 20)
        XCTAssertTrue(conn.hasPendingOutput, "4 MB to a 32 KB reader cannot go out at once")
        conn.close()
        XCTAssertEqual(openFDCount(), fds, "close() leaked the queued file")
        conn.sendFile(open(path, O_RDONLY | O_CLOEXEC), offset: 0, count: 10)   // after close: fd closed
        XCTAssertEqual(openFDCount(), fds)
        conn.write([1, 2, 3])   // ignored after close
        close(client)
        server.close()
        closeLoop(loop)
    }

    func testDottedQuadMatchesInetNtop() {
        var samples: [UInt32] = [0, 0x7F00_0001, 0xFFFF_FFFF, 0x0A00_0A64, 0xC0A8_0109, 0x0102_0304, 0x6463_0A09]
        var seed: UInt32 = 0x9E37_79B9
        for _ in 0..<2000 { seed = seed &* 1_664_525 &+ 1_013_904_223; samples.append(seed) }
        for address in samples {
            var addr = in_addr(s_addr: address.bigEndian)
            var buf = [CChar](repeating: 0, count: 32)
            inet_ntop(AF_INET, &addr, &buf, 32)
            XCTAssertEqual(TCPListener.dottedQuad(address), String(cString: buf))
        }
    }

    func testPauseAndResumeReading() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]
        conn.pauseReading()
        sendAll(client, [9, 8, 7])
        spin(loop, timeout: 0.05) { false }
        XCTAssertTrue(server.received.isEmpty, "read while paused")
        conn.resumeReading()
        XCTAssertTrue(spin(loop) { server.received.count == 3 })
        XCTAssertEqual(server.received, [9, 8, 7])
        close(client)
        server.close()
        closeLoop(loop)
    }

    /// A pause keeps the read watch until bytes arrive while paused (saving two
    /// epoll_ctl calls a request); then the watch must go, or the level-triggered
    /// readable event would spin the loop for as long as the pause lasts.
    func testBytesWaitingDuringALongPauseDoNotSpinTheLoop() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]
        conn.pauseReading()
        sendAll(client, [1, 2, 3])
        var fired = false
        let deadline = LoopTimer(loop) { fired = true }
        deadline.start(afterMs: 200)
        var turns = 0
        while !fired && turns < 1000 {
            loop.runOnce(wait: true)
            turns += 1
        }
        XCTAssertTrue(fired)
        XCTAssertLessThanOrEqual(turns, 4, "the paused socket's readable event kept waking the loop")
        XCTAssertTrue(server.received.isEmpty, "read while paused")
        conn.resumeReading()
        XCTAssertTrue(spin(loop) { server.received == [1, 2, 3] })
        deadline.close()
        close(client)
        server.close()
        closeLoop(loop)
    }

    func testWriteToVanishedPeerHangsUp() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        let client = connectClient(port: server.listener.port)
        XCTAssertTrue(spin(loop) { server.connections.count == 1 })
        let conn = server.connections[0]
        conn.pauseReading()   // only the write path can notice
        var linger = linger(l_onoff: 1, l_linger: 0)   // close with RST
        setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close(client)
        spin(loop, timeout: 0.02) { false }
        for _ in 0..<4 where !conn.isClosed { conn.write(pattern(256 * 1024)) ; spin(loop, timeout: 0.02) { conn.isClosed } }
        XCTAssertTrue(spin(loop, timeout: 2) { conn.isClosed }, "no hangup after EPIPE/ECONNRESET")
        XCTAssertGreaterThanOrEqual(server.hangups, 1)
        server.close()
        closeLoop(loop)
    }

    func testManyClients() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        let clients = (0..<20).map { _ in connectClient(port: server.listener.port) }
        XCTAssertTrue(spin(loop) { server.connections.count == 20 })
        for c in clients { sendAll(c, [0x41]) }
        XCTAssertTrue(spin(loop) { server.received.count == 20 })
        clients.forEach { close($0) }
        XCTAssertTrue(spin(loop) { server.hangups == 20 })
        server.listener.close()
        closeLoop(loop)
    }

    func testListenerErrors() throws {
        let loop = EventLoop()
        let server = try Server(loop)
        XCTAssertThrowsError(try TCPListener(loop, host: "127.0.0.1", port: server.listener.port)) { error in
            XCTAssertEqual((error as? LoopError)?.code, -EADDRINUSE)
        }
        XCTAssertThrowsError(try TCPListener(loop, host: "not-an-address", port: 0))
        XCTAssertThrowsError(try TCPListener(loop, host: "::zz", port: 0))
        XCTAssertEqual(loop.openHandleCount, 1, "a failed listener left a handle")
        server.close()
        closeLoop(loop)
    }

    func testListenerClosedBeforeStart() throws {
        let fdsBeforeLoop = openFDCount()
        let loop = EventLoop()
        let fds = openFDCount()
        let listener = try TCPListener(loop, host: "", port: 0)
        XCTAssertEqual(openFDCount(), fds + 1)
        listener.close()
        listener.close()
        closeLoop(loop)
        XCTAssertEqual(openFDCount(), fdsBeforeLoop)
    }
}
