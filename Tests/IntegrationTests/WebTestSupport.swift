// Helpers shared by the web-layer integration tests (HLS, API, auth, events,
// metrics, masking, serving memory): config text, JSON, raw sockets, an SSE
// client. Everything is namespaced under `WebT` so it cannot clash with other
// suites of the IntegrationTests target.
import Foundation
import XCTest

enum WebT {
    // MARK: config

    /// A whole config: `server:` with listen/hls_root plus `server` (lines indented
    /// by two spaces), then the stream entries (e.g. `Synthetic.stream(...)`).
    static func config(port: Int, root: String, server: String = "", streams: [String]) -> String {
        var text = "server:\n  listen: \"127.0.0.1:\(port)\"\n  hls_root: \"\(root)\"\n"
        text += server
        if !text.hasSuffix("\n") { text += "\n" }
        text += "streams:\n" + streams.joined(separator: "\n") + "\n"
        return text
    }

    // MARK: JSON

    static func object(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        guard let any = try? JSONSerialization.jsonObject(with: data), let object = any as? [String: Any] else {
            XCTFail("not a JSON object: \(String(decoding: data.prefix(500), as: UTF8.self))", file: file, line: line)
            return [:]
        }
        return object
    }

    static func object(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        object(Data(text.utf8), file: file, line: line)
    }

    static func isNull(_ v: Any?) -> Bool { v is NSNull }
    static func isString(_ v: Any?) -> Bool { v is String }
    /// JSON true/false: Foundation keeps them as NSNumber of type "c".
    static func isBool(_ v: Any?) -> Bool { (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false }
    /// A JSON number (not a boolean).
    static func isNumber(_ v: Any?) -> Bool { v is NSNumber && !isBool(v) }
    /// A JSON number without a fraction.
    static func isInt(_ v: Any?) -> Bool {
        guard isNumber(v), let d = double(v) else { return false }
        return d == d.rounded()
    }
    static func double(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
    static func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue }

    /// `{"error":{"code":"…","message":"…"}}` → the code (fails the test on another shape).
    static func errorCode(_ r: CurlResponse, file: StaticString = #filePath, line: UInt = #line) -> String? {
        XCTAssertEqual(r.headers["content-type"], "application/json", "error body type", file: file, line: line)
        let o = object(r.body, file: file, line: line)
        guard let e = o["error"] as? [String: Any] else {
            XCTFail("no error object in \(r.text)", file: file, line: line)
            return nil
        }
        XCTAssertEqual(o.count, 1, "only the error member: \(r.text)", file: file, line: line)
        XCTAssertTrue(e["message"] is String, "error.message is a string: \(r.text)", file: file, line: line)
        XCTAssertFalse((e["message"] as? String ?? "").isEmpty, file: file, line: line)
        guard let code = e["code"] as? String else {
            XCTFail("error.code is not a string: \(r.text)", file: file, line: line)
            return nil
        }
        return code
    }

    // MARK: gateway state

    static func stream(_ gw: GatewayProcess, _ name: String, headers: [String: String] = [:]) -> [String: Any]? {
        let r = gw.curl("/api/v1/streams/\(name)", headers: headers, timeout: 5)
        guard r.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
    }

    static func state(_ gw: GatewayProcess, _ name: String, headers: [String: String] = [:]) -> String? {
        stream(gw, name, headers: headers)?["state"] as? String
    }

    /// Requests the playlist (which starts FFmpeg and waits for it) until it is served.
    @discardableResult
    static func startByPlaylist(_ gw: GatewayProcess, _ name: String, file: StaticString = #filePath, line: UInt = #line) -> CurlResponse {
        var last = CurlResponse(status: 0, headers: [:], body: Data())
        let ok = Harness.waitUntil(30, interval: 0.2) {
            last = gw.curl("/hls/\(name)/index.m3u8", timeout: 25)
            return last.status == 200
        }
        XCTAssertTrue(ok, "playlist of \(name) never served: \(last.status) \(last.text)\n\(gw.log)", file: file, line: line)
        return last
    }

    /// Segment names listed in a playlist, oldest first.
    static func segments(_ playlist: String) -> [String] {
        playlist.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The newest segment of a running stream, served right now (name and bytes on disk).
    static func newestSegment(_ gw: GatewayProcess, _ name: String, file: StaticString = #filePath, line: UInt = #line) -> (name: String, bytes: Data)? {
        let playlist = gw.curl("/hls/\(name)/index.m3u8", timeout: 25)
        guard playlist.status == 200, let seg = segments(playlist.text).last,
              let bytes = FileManager.default.contents(atPath: "\(gw.hlsRoot)/\(name)/\(seg)") else {
            XCTFail("no segment in \(playlist.status) \(playlist.text)", file: file, line: line)
            return nil
        }
        return (seg, bytes)
    }

    static func rssKB(_ pid: Int32) -> Int { Harness.procStatus(pid, "VmRSS") ?? -1 }

    // MARK: raw sockets

    static func connect(port: Int, receiveBuffer: Int32? = nil) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { close(fd); return nil }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    struct RawResponse {
        var status: Int
        var head: String
        var body: Data
        var raw: Data
    }

    /// Sends `request` exactly as given (any bytes: `..`, `\`, NUL) and reads until the
    /// server closes or `timeout`. Add `Connection: close` to get a single response.
    static func raw(port: Int, _ request: [UInt8], timeout: TimeInterval = 5) -> RawResponse {
        guard let fd = connect(port: port) else { return RawResponse(status: -1, head: "", body: Data(), raw: Data()) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        sendAll(fd, request)
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        let sep = data.range(of: Data("\r\n\r\n".utf8))
        let head = sep.map { String(decoding: data[..<$0.lowerBound], as: UTF8.self) } ?? String(decoding: data, as: UTF8.self)
        let body = sep.map { Data(data[$0.upperBound...]) } ?? Data()
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        let status = parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
        return RawResponse(status: status, head: head, body: body, raw: data)
    }

    static func rawGET(port: Int, target: [UInt8], headers: String = "") -> RawResponse {
        raw(port: port, Array("GET ".utf8) + target + Array(" HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)Connection: close\r\n\r\n".utf8))
    }

    // MARK: Server-Sent Events

    /// A client of `/api/v1/events` on a raw socket, read by a background thread.
    final class SSEClient {
        struct Event {
            var time: Date
            var name: String
            var data: String
            var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
        }

        let fd: Int32
        private let lock = NSLock()
        private var _events: [Event] = []
        private var _head = ""
        private var _closedByServer = false
        private var _bytes = 0
        private var thread: Thread?
        private var stopped = false

        init?(port: Int, headers: String = "") {
            guard let fd = WebT.connect(port: port) else { return nil }
            self.fd = fd
            var tv = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            WebT.sendAll(fd, Array("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\(headers)\r\n".utf8))
            let t = Thread { self.readLoop() }   // strong: ends with the connection or close()
            thread = t
            t.start()
        }

        private func readLoop() {
            var buffer = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 65536)
            var headDone = false
            while true {
                lock.lock(); let stop = stopped; lock.unlock()
                if stop { return }
                let n = recv(fd, &buf, buf.count, 0)
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    lock.lock(); _closedByServer = true; lock.unlock()
                    return
                }
                if n < 0 { continue }
                let now = Date()
                buffer.append(contentsOf: buf[0..<n])
                lock.lock(); _bytes += n; lock.unlock()
                if !headDone {
                    guard let r = Data(buffer).range(of: Data("\r\n\r\n".utf8)) else { continue }
                    lock.lock(); _head = String(decoding: buffer[0..<r.lowerBound], as: UTF8.self); lock.unlock()
                    buffer.removeFirst(r.upperBound)
                    headDone = true
                }
                // Frames end with a blank line.
                while let end = WebT.find(buffer, Array("\n\n".utf8)) {
                    let frame = String(decoding: buffer[0..<end], as: UTF8.self)
                    buffer.removeFirst(end + 2)
                    var name = "message", data: [String] = []
                    for line in frame.split(separator: "\n", omittingEmptySubsequences: false) {
                        if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                        else if line.hasPrefix("data:") { data.append(String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces)) }
                    }
                    if data.isEmpty { continue }   // retry: / comments
                    lock.lock(); _events.append(Event(time: now, name: name, data: data.joined(separator: "\n"))); lock.unlock()
                }
            }
        }

        var events: [Event] { lock.lock(); defer { lock.unlock() }; return _events }
        var head: String { lock.lock(); defer { lock.unlock() }; return _head }
        var closedByServer: Bool { lock.lock(); defer { lock.unlock() }; return _closedByServer }
        var bytesReceived: Int { lock.lock(); defer { lock.unlock() }; return _bytes }

        /// `stream` events of `name` as (time, state).
        func states(of name: String) -> [(time: Date, state: String)] {
            events.filter { $0.name == "stream" }.compactMap { e in
                let o = e.json
                guard o["name"] as? String == name, let s = o["state"] as? String else { return nil }
                return (e.time, s)
            }
        }

        func close() {
            lock.lock(); stopped = true; lock.unlock()
            shutdown(fd, Int32(SHUT_RDWR))
            while thread?.isFinished == false { usleep(10_000) }
            Foundation.close(fd)
        }
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// Samples the VmRSS of `pid` every 20 ms on a thread until `stop()`.
    final class RSSSampler {
        private let lock = NSLock()
        private var _max = 0
        private var _samples = 0
        private var stopped = false
        private var thread: Thread?

        init(pid: Int32) {
            let t = Thread {
                while true {
                    self.lock.lock()
                    if self.stopped { self.lock.unlock(); return }
                    self.lock.unlock()
                    let v = WebT.rssKB(pid)
                    self.lock.lock(); self._max = max(self._max, v); self._samples += 1; self.lock.unlock()
                    usleep(20_000)
                }
            }
            thread = t
            t.start()
        }

        /// Stops and returns (maximum kB, number of samples).
        func stop() -> (maxKB: Int, samples: Int) {
            lock.lock(); stopped = true; lock.unlock()
            while thread?.isFinished == false { usleep(5_000) }
            lock.lock(); defer { lock.unlock() }
            return (_max, _samples)
        }
    }
}
