import CUV

/// A listening TCP socket on a numeric address, accepted through `uv_poll`.
/// We own the sockets (not `uv_tcp_t`) so that a connection can `sendfile(2)` from
/// tmpfs and wait for writability itself, with no per-write allocation.
public final class TCPListener: HandleOwner {
    let handle: UnsafeMutablePointer<uv_poll_t>
    let loop: EventLoop
    public let fd: Int32
    public let port: Int
    var onConnection: ((_ fd: Int32, _ peer: String) -> Void)?
    var isClosed = false
    var retryTimer: LoopTimer?

    /// Binds and listens. `host` is a numeric IPv4 or IPv6 address ("" or "0.0.0.0": all).
    public init(_ loop: EventLoop, host: String, port: Int, backlog: Int32 = 511) throws(LoopError) {
        self.loop = loop
        let ipv6 = host.contains(":")
        let sock = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw LoopError(errno: errno, "socket") }
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if ipv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else { closeDescriptor(sock); throw LoopError(errno: EINVAL, "listen address \(host)") }
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host.isEmpty ? "0.0.0.0" : host, &addr.sin_addr) == 1 else { closeDescriptor(sock); throw LoopError(errno: EINVAL, "listen address \(host)") }
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard rc == 0 else { let e = errno; closeDescriptor(sock); throw LoopError(errno: e, "bind \(host):\(port)") }
        guard listen(sock, backlog) == 0 else { let e = errno; closeDescriptor(sock); throw LoopError(errno: e, "listen") }
        fd = sock
        self.port = TCPListener.localPort(sock)
        // Allocated only once the socket is ours: a failed bind leaks nothing.
        handle = .allocate(capacity: 1)
        uv_poll_init(loop.raw, handle, sock)
        retainOwner(self, in: asHandle(handle))
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return peerAddress(&storage).port
    }

    /// Starts accepting; `onConnection` gets each non-blocking client socket and its address.
    public func start(_ onConnection: @escaping (_ fd: Int32, _ peer: String) -> Void) {
        self.onConnection = onConnection
        resume()
    }

    func resume() {
        guard !isClosed else { return }
        uv_poll_start(handle, Int32(UV_READABLE.rawValue)) { h, status, _ in
            guard status == 0 else { return }
            owner(asHandle(h!), as: TCPListener.self)?.acceptAll()
        }
    }

    func acceptAll() {
        // Bounded per wakeup so one flood cannot starve the rest of the loop.
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    vtx_accept4(fd, $0, &len, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            if client < 0 {
                let e = errno
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Out of descriptors: pause accepting for a moment instead of spinning.
                    Log.warn("http", "accept: \(errnoDescription(e)); pausing 100 ms")
                    uv_poll_stop(handle)
                    if retryTimer == nil { retryTimer = LoopTimer(loop) { [weak self] in self?.resume() } }
                    retryTimer?.start(afterMs: 100)
                }
                return
            }
            // No Nagle: a response's last partial packet (after the head and a
            // sendfile body) would otherwise wait for the client's delayed ACK, ~40 ms
            // (measured: segment p99 44 ms against nginx's 0.4–3.7 ms, which sets it too).
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCPListener.tcpNoDelay, &one, socklen_t(MemoryLayout<Int32>.size))
            onConnection?(client, TCPListener.peerAddress(&storage).text)
        }
    }

    /// `TCP_NODELAY` of <netinet/tcp.h>, which the Glibc module does not import.
    static let tcpNoDelay: Int32 = 1

    static func peerAddress(_ storage: inout sockaddr_storage) -> (text: String, port: Int) {
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    var addr = a.pointee.sin6_addr
                    var buf = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                    let text = withUnsafeMutableBytes(of: &buf) { b -> String in
                        let chars = b.baseAddress!.assumingMemoryBound(to: CChar.self)
                        inet_ntop(AF_INET6, &addr, chars, socklen_t(b.count))
                        return String(cString: chars)
                    }
                    return (text, Int(UInt16(bigEndian: a.pointee.sin6_port)))
                }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                (dottedQuad(UInt32(bigEndian: a.pointee.sin_addr.s_addr)), Int(UInt16(bigEndian: a.pointee.sin_port)))
            }
        }
    }

    /// `a.b.c.d` of an IPv4 address (host order). glibc's inet_ntop formats it with
    /// sprintf, ~1,500 instructions for every accepted connection.
    static func dottedQuad(_ address: UInt32) -> String {
        var buf = (UInt64(0), UInt64(0))   // "255.255.255.255" is 15 bytes
        return withUnsafeMutableBytes(of: &buf) { b in
            var n = 0
            func put(_ shift: UInt32) {
                let octet = UInt8(truncatingIfNeeded: address >> shift)
                if octet >= 100 { b[n] = UInt8(ascii: "0") + octet / 100; n += 1 }
                if octet >= 10 { b[n] = UInt8(ascii: "0") + octet / 10 % 10; n += 1 }
                b[n] = UInt8(ascii: "0") + octet % 10
                n += 1
                if shift > 0 { b[n] = UInt8(ascii: "."); n += 1 }
            }
            put(24); put(16); put(8); put(0)
            return String(decoding: UnsafeRawBufferPointer(rebasing: b[0..<n]), as: UTF8.self)
        }
    }

    /// Stops accepting and closes the socket once the poll handle is closed.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        onConnection = nil
        retryTimer?.close()
        retryTimer = nil
        closeHandle(asHandle(handle)) { handleClosed($0, as: TCPListener.self) }
    }

    func didClose() { closeDescriptor(fd) }
}
