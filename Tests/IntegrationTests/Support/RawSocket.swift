// A raw TCP client for the HTTP tests: exact bytes out, exact bytes in, and whether
// (and how) the server closed. curl normalises too much for hostile input.
import Foundation

/// One HTTP/1.1 response as parsed from raw bytes.
struct RawResponse {
    var statusLine: String
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    var text: String { String(decoding: body, as: UTF8.self) }

    /// Parses consecutive responses from `bytes`. `headRequests` tells, per response, whether
    /// it answers a HEAD (no body despite Content-Length). Stops at the first incomplete one;
    /// `rest` is what is left over.
    static func parseAll(_ bytes: [UInt8], headRequests: [Bool] = []) -> (responses: [RawResponse], rest: [UInt8]) {
        var out: [RawResponse] = []
        var i = 0
        while i < bytes.count {
            guard let end = find(bytes, [13, 10, 13, 10], from: i) else { break }
            let headText = String(decoding: bytes[i..<end], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { break }
            var headers: [(String, String)] = []
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            var response = RawResponse(statusLine: statusLine, status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: [])
            let isHead = out.count < headRequests.count ? headRequests[out.count] : false
            let length = isHead || status == 204 || status == 304 ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
            let bodyStart = end + 4
            guard bytes.count - bodyStart >= length else { break }
            response.body = Array(bytes[bodyStart..<(bodyStart + length)])
            out.append(response)
            i = bodyStart + length
        }
        return (out, Array(bytes[i...]))
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

/// A blocking TCP socket to 127.0.0.1 with poll-based deadlines.
final class RawSocket {
    enum End: Equatable { case open, eof, reset }

    private(set) var fd: Int32
    /// Bytes received and not yet consumed by `readResponses`.
    var received: [UInt8] = []
    /// How the peer ended the stream, once seen.
    private(set) var end: End = .open

    init(port: Int, sendTimeout: TimeInterval = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "RawSocket", code: Int(errno)) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw NSError(domain: "RawSocket", code: Int(e), userInfo: [NSLocalizedDescriptionKey: "connect: \(String(cString: strerror(e)))"])
        }
        var tv = timeval(tv_sec: Int(sendTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Half-closes our side (the server reads EOF after what was sent).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Writes all of `bytes` (or as much as the server takes before it closes).
    /// Returns false if the write failed (EPIPE/ECONNRESET/timeout) — not an error for
    /// hostile input, which the server may refuse half way.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Waits up to `timeout` for input; reads what is there into `received`.
    /// Returns false on timeout (nothing new and no end).
    @discardableResult
    func readSome(timeout: TimeInterval) -> Bool {
        guard end == .open else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, timeout * 1000))
        let r = poll(&p, 1, ms)
        if r <= 0 { return false }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { received += buf[0..<n]; return true }
        if n == 0 { end = .eof; return true }
        if errno == EINTR || errno == EAGAIN { return true }
        end = .reset
        return true
    }

    /// Reads until the server closes (EOF or reset) or `timeout` passes. Returns how it ended.
    @discardableResult
    func readUntilClosed(timeout: TimeInterval) -> End {
        let deadline = Date().addingTimeInterval(timeout)
        while end == .open {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            readSome(timeout: left)
        }
        return end
    }

    /// Reads until `count` complete responses are buffered (or the server closes, or
    /// `timeout` passes), then returns and consumes them.
    func readResponses(_ count: Int, headRequests: [Bool] = [], timeout: TimeInterval = 5) -> [RawResponse] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let parsed = RawResponse.parseAll(received, headRequests: headRequests)
            if parsed.responses.count >= count || end != .open || Date() >= deadline {
                let take = Array(parsed.responses.prefix(count))
                // Consume exactly the bytes of the responses taken.
                if take.count == parsed.responses.count {
                    received = parsed.rest
                } else {
                    var consumed = 0
                    for r in take { consumed += RawResponse.serializedLength(r, in: received, from: consumed) }
                    received = Array(received[consumed...])
                }
                return take
            }
            readSome(timeout: max(0.001, deadline.timeIntervalSinceNow))
        }
    }

    func readResponse(head: Bool = false, timeout: TimeInterval = 5) -> RawResponse? {
        readResponses(1, headRequests: [head], timeout: timeout).first
    }

    /// True if the server closes within `timeout` without sending anything more.
    func closesQuietly(within timeout: TimeInterval) -> Bool {
        readUntilClosed(timeout: timeout) != .open && received.isEmpty
    }

    /// One exchange on a fresh connection: send `bytes`, then collect everything until the
    /// server closes or `timeout` passes.
    static func exchange(port: Int, _ bytes: [UInt8], timeout: TimeInterval = 3) throws -> (bytes: [UInt8], end: End) {
        let s = try RawSocket(port: port)
        defer { s.close() }
        s.send(bytes)
        let end = s.readUntilClosed(timeout: timeout)
        return (s.received, end)
    }
}

extension RawResponse {
    /// Length in `bytes` (from `from`) of the serialized response `r` (head + body).
    static func serializedLength(_ r: RawResponse, in bytes: [UInt8], from: Int) -> Int {
        guard let end = find(bytes, [13, 10, 13, 10], from: from) else { return bytes.count - from }
        return end + 4 - from + r.body.count
    }
}
