// The HTTP server of the real binary, through curl and raw sockets: framing, keep-alive,
// pipelining, limits, timeouts, the connection limit and shutdown.
import Foundation
import XCTest

final class HTTPServerTests: XCTestCase {
    /// One gateway (no streams) shared by the tests that do not need their own.
    nonisolated(unsafe) static var shared: GatewayProcess?

    static func yaml(maxConnections: Int? = nil) -> (Int, String) -> String {
        { port, root in
            """
            server:
              listen: "127.0.0.1:\(port)"
              hls_root: "\(root)"
            \(maxConnections.map { "  max_connections: \($0)" } ?? "")
            streams:
              - name: "idle"
                source: "rtsp://127.0.0.1:9/never-started"
                auto_start: false
                output_args: ["-f", "hls", "{output_dir}/index.m3u8"]

            """
        }
    }

    var gateway: GatewayProcess {
        get throws {
            if let g = Self.shared, g.process.isRunning { return g }
            let g = try GatewayProcess(name: "http", yaml: Self.yaml())
            Self.shared = g
            return g
        }
    }

    override class func tearDown() {
        if let g = shared { XCTAssertEqual(g.stop(), 0, "exit status"); shared = nil }
        super.tearDown()
    }

    func request(_ path: String, method: String = "GET", extra: String = "") -> [UInt8] {
        Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\n\(extra)\r\n".utf8)
    }

    // MARK: Basics

    func testHealthz() throws {
        let g = try gateway
        let r = g.curl("/healthz")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "ok\n")
        XCTAssertEqual(r.headers["server"], "vtx-link/0.1.0")
        XCTAssertEqual(r.headers["content-length"], "3")
        XCTAssertEqual(r.headers["content-type"], "text/plain; charset=utf-8")
        let date = try XCTUnwrap(r.headers["date"])
        // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", within a few seconds of now.
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let parsed = try XCTUnwrap(f.date(from: date), "Date: \(date)")
        XCTAssertLessThan(abs(parsed.timeIntervalSinceNow), 5, date)
        XCTAssertEqual(date.count, 29, date)
    }

    func testHeadHasLengthButNoBody() throws {
        let g = try gateway
        let s = try RawSocket(port: g.port)
        s.send(request("/healthz", method: "HEAD") + request("/healthz"))
        let rs = s.readResponses(2, headRequests: [true, false])
        XCTAssertEqual(rs.count, 2)
        XCTAssertEqual(rs.first?.status, 200)
        XCTAssertEqual(rs.first?.header("Content-Length"), "3")
        XCTAssertEqual(rs.first?.body, [])
        // The HEAD response carried no body: the very next bytes are the GET's status line.
        XCTAssertEqual(rs.last?.status, 200)
        XCTAssertEqual(rs.last?.text, "ok\n")
        XCTAssertTrue(s.received.isEmpty, "stray bytes: \(String(decoding: s.received, as: UTF8.self))")

        let c = Harness.curl(g.url("/healthz"), method: "HEAD")
        XCTAssertEqual(c.status, 200)
        XCTAssertEqual(c.headers["content-length"], "3")
    }

    /// Issue 13: an error answered to HEAD has no body either (RFC 9110 §9.3.2), and
    /// the same Content-Length as for GET. Without a known method (the request line
    /// never had its three parts) the body is sent.
    func testHeadErrorsHaveNoBody() throws {
        let g = try gateway
        let cases: [(String, String, Int)] = [
            ("missing Host", "%@ /healthz HTTP/1.1\r\n\r\n", 400),
            ("bad target", "%@ /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("HTTP/2.0", "%@ /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("body too large", "%@ /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413),
            ("header too large", "%@ /healthz HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "v", count: 17000))\r\n\r\n", 431),
        ]
        for (name, template, status) in cases {
            func answer(_ method: String) throws -> (RawResponse, rest: [UInt8]) {
                let s = try RawSocket(port: g.port)
                defer { s.close() }
                s.send(Array(template.replacingOccurrences(of: "%@", with: method).utf8))
                s.readUntilClosed(timeout: 3)
                let parsed = RawResponse.parseAll(s.received, headRequests: [method == "HEAD"])
                let r = try XCTUnwrap(parsed.responses.first, "\(name) \(method): \(String(decoding: s.received, as: UTF8.self))")
                XCTAssertEqual(parsed.responses.count, 1, "\(name) \(method)")
                return (r, parsed.rest)
            }
            let (get, _) = try answer("GET")
            let (head, rest) = try answer("HEAD")
            XCTAssertEqual(get.status, status, name)
            XCTAssertEqual(head.status, status, name)
            XCTAssertFalse(get.body.isEmpty, name)
            XCTAssertEqual(head.header("Content-Length"), String(get.body.count), name)
            XCTAssertTrue(rest.isEmpty, "\(name): a body after the HEAD answer: \(String(decoding: rest, as: UTF8.self))")
        }
        // "HEAD /" is no request line we can read a method from: the body is sent.
        let (bytes, _) = try RawSocket.exchange(port: g.port, Array("HEAD /\r\n\r\n".utf8))
        let parsed = RawResponse.parseAll(bytes)
        XCTAssertEqual(parsed.responses.map(\.status), [400])
        XCTAssertEqual(parsed.responses.first?.text, "missing HTTP version\n")
    }

    /// 204 and 304 carry no content: no body and no Content-Length (RFC 9110 §8.6, RFC 9112
    /// §6.3), and the connection stays in sync for the next request.
    func testNoContentResponsesHaveNoLengthOrBody() throws {
        let g = try gateway
        let s = try RawSocket(port: g.port)
        s.send(request("/hls/idle/index.m3u8", method: "OPTIONS") + request("/healthz"))
        let rs = s.readResponses(2)
        XCTAssertEqual(rs.map(\.status), [204, 200])
        XCTAssertNil(rs.first?.header("Content-Length"), "\(rs.first?.headers ?? [])")
        XCTAssertEqual(rs.first?.header("Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS")
        XCTAssertEqual(rs.last?.text, "ok\n")

        s.send(request("/"))
        let page = try XCTUnwrap(s.readResponse())
        XCTAssertEqual(page.status, 200)
        let etag = try XCTUnwrap(page.header("ETag"))
        s.send(request("/", extra: "If-None-Match: \(etag)\r\n") + request("/healthz"))
        let cached = s.readResponses(2)
        XCTAssertEqual(cached.map(\.status), [304, 200])
        XCTAssertNil(cached.first?.header("Content-Length"), "a 304 must not claim Content-Length: 0 for a non-empty page")
        XCTAssertEqual(cached.first?.header("ETag"), etag)
        XCTAssertEqual(cached.last?.text, "ok\n")
        XCTAssertTrue(s.received.isEmpty)
    }

    /// A client that half-closes after its request still gets the whole response.
    func testHalfClosedClientGetsItsResponse() throws {
        let g = try gateway
        let s = try RawSocket(port: g.port)
        s.send(request("/healthz") + request("/nope"))
        s.shutdownWrite()
        XCTAssertEqual(s.readUntilClosed(timeout: 3), .eof)
        XCTAssertEqual(RawResponse.parseAll(s.received).responses.map(\.status), [200, 404])
    }

    func testUnknownPathIs404() throws {
        let g = try gateway
        for path in ["/nope", "/healthz/x", "/hls/nostream/index.m3u8", "/api/v1/nothing-here-\(UInt32.random(in: 0...UInt32.max))"] {
            let r = g.curl(path)
            XCTAssertEqual(r.status, 404, path)
        }
        // A 404 keeps the connection.
        let s = try RawSocket(port: g.port)
        s.send(request("/nope") + request("/healthz"))
        XCTAssertEqual(s.readResponses(2).map(\.status), [404, 200])
        XCTAssertEqual(s.readUntilClosed(timeout: 0.3), .open)
    }

    // MARK: Keep-alive and pipelining

    func testCurlReusesTheConnection() throws {
        let g = try gateway
        let r = Harness.run(["curl", "-sv", "--max-time", "10", g.url("/healthz"), g.url("/healthz")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "ok\nok\n")
        XCTAssertTrue(r.stderr.contains("Re-using existing connection"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "Connected to ").count - 1, 1, "one TCP connection:\n" + r.stderr)
        XCTAssertTrue(r.stderr.contains("< Connection: keep-alive"), r.stderr)
    }

    func testOpenConnectionsMetricCountsOneKeptAliveConnection() throws {
        let g = try gateway
        // Let connections of earlier tests finish closing.
        XCTAssertTrue(Harness.waitUntil(5) { self.openConnections(g) == 1 }, "\(openConnections(g) ?? -1)")
        let s = try RawSocket(port: g.port)
        for _ in 0..<3 {
            s.send(request("/healthz"))
            XCTAssertEqual(s.readResponse()?.status, 200)
        }
        // This socket (still open after 3 requests) plus curl's own.
        XCTAssertEqual(openConnections(g), 2)
        s.close()
        XCTAssertTrue(Harness.waitUntil(5) { self.openConnections(g) == 1 })
    }

    func openConnections(_ g: GatewayProcess) -> Int? {
        let text = g.curl("/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix("vtx_http_connections_open ") {
            return Int(line.split(separator: " ")[1])
        }
        return nil
    }

    func testPipelinedRequestsAnsweredInOrder() throws {
        let g = try gateway
        let s = try RawSocket(port: g.port)
        // Three requests in one write.
        XCTAssertTrue(s.send(request("/healthz") + request("/nope") + request("/healthz", method: "HEAD")))
        let rs = s.readResponses(3, headRequests: [false, false, true])
        XCTAssertEqual(rs.map(\.status), [200, 404, 200])
        XCTAssertEqual(rs.map(\.text), ["ok\n", "not found\n", ""])
        XCTAssertTrue(s.received.isEmpty)
        XCTAssertEqual(s.readUntilClosed(timeout: 0.3), .open, "pipelining keeps the connection")

        // 50 in one write, split at an awkward place.
        let all = (0..<50).flatMap { i in request(i % 2 == 0 ? "/healthz" : "/nope") }
        s.send(Array(all[..<1001]))
        usleep(20_000)
        s.send(Array(all[1001...]))
        let many = s.readResponses(50)
        XCTAssertEqual(many.map(\.status), (0..<50).map { $0 % 2 == 0 ? 200 : 404 })
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let g = try gateway
        let s = try RawSocket(port: g.port)
        s.send("GET /healthz HTTP/1.0\r\n\r\n")
        let r = s.readResponse()
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.header("Connection"), "close")
        XCTAssertEqual(r?.text, "ok\n")
        XCTAssertEqual(s.readUntilClosed(timeout: 2), .eof, "HTTP/1.0 without keep-alive must close")

        let k = try RawSocket(port: g.port)
        k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.header("Connection"), "keep-alive")
        XCTAssertEqual(k.readUntilClosed(timeout: 0.5), .open, "HTTP/1.0 keep-alive must stay open")
        k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.status, 200)

        // HTTP/1.1 with Connection: close.
        let c = try RawSocket(port: g.port)
        c.send(request("/healthz", extra: "Connection: close\r\n") + request("/healthz"))
        let rs = c.readResponses(2, timeout: 2)
        XCTAssertEqual(rs.map(\.status), [200], "nothing after Connection: close")
        XCTAssertEqual(rs.first?.header("Connection"), "close")
        XCTAssertEqual(c.readUntilClosed(timeout: 2), .eof)
    }

    // MARK: Limits and refusals

    /// Sends `bytes` and expects exactly one response with `status`, then a close.
    func expectRefusal(_ g: GatewayProcess, _ bytes: [UInt8], _ status: Int, file: StaticString = #filePath, line: UInt = #line) throws -> RawResponse? {
        let (received, end) = try RawSocket.exchange(port: g.port, bytes, timeout: 3)
        let parsed = RawResponse.parseAll(received)
        XCTAssertEqual(parsed.responses.map(\.status), [status], String(decoding: received.prefix(300), as: UTF8.self), file: file, line: line)
        XCTAssertEqual(parsed.responses.first?.header("Connection"), "close", file: file, line: line)
        XCTAssertTrue(parsed.rest.isEmpty, file: file, line: line)
        XCTAssertNotEqual(end, .open, "the connection must be closed after \(status)", file: file, line: line)
        XCTAssertEqual(end, .eof, "a clean close (FIN), not a reset that could eat the response", file: file, line: line)
        return parsed.responses.first
    }

    func testHugeHeaderIs431() throws {
        let g = try gateway
        let big = String(repeating: "a", count: 20 * 1024)
        _ = try expectRefusal(g, request("/healthz", extra: "X-Big: \(big)\r\n"), 431)
        // And curl sees it too.
        let r = g.curl("/healthz", headers: ["X-Big": big])
        XCTAssertEqual(r.status, 431)
    }

    func testLongRequestLineIs414() throws {
        let g = try gateway
        let path = "/" + String(repeating: "a", count: 9 * 1024)
        _ = try expectRefusal(g, request(path), 414)
        XCTAssertEqual(g.curl(path).status, 414)
        // Just under the limit (8 KiB) is fine: an ordinary 404.
        let ok = "/" + String(repeating: "a", count: 8192 - "GET / HTTP/1.1".count)
        XCTAssertEqual(g.curl(ok).status, 404)
    }

    func testLargeBodyIs413() throws {
        let g = try gateway
        let body = String(repeating: "b", count: 70 * 1024)
        _ = try expectRefusal(g, request("/api/v1/streams", method: "POST", extra: "Content-Length: \(body.utf8.count)\r\n") + Array(body.utf8), 413)
        // curl, which keeps sending its body after the 413, still gets the answer.
        for _ in 0..<3 {
            let r = g.curl("/api/v1/streams", method: "POST", headers: ["Content-Type": "application/octet-stream"], body: body)
            XCTAssertEqual(r.status, 413)
        }
        // 64 KiB is the limit: accepted by the parser (the route decides: not 413).
        let max = String(repeating: "b", count: 64 * 1024)
        let r = g.curl("/healthz", method: "POST", body: max)
        XCTAssertEqual(r.status, 405)
    }

    func testChunkedIs501() throws {
        let g = try gateway
        _ = try expectRefusal(g, request("/api/v1/streams", method: "POST", extra: "Transfer-Encoding: chunked\r\n") + Array("5\r\nhello\r\n0\r\n\r\n".utf8), 501)
        let r = g.curl("/api/v1/streams", method: "POST", headers: ["Transfer-Encoding": "chunked"], body: "hello")
        XCTAssertEqual(r.status, 501)
    }

    func testContentLengthWithTransferEncodingIs400() throws {
        let g = try gateway
        _ = try expectRefusal(g, request("/healthz", method: "POST", extra: "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + Array("0\r\n\r\n".utf8), 400)
        _ = try expectRefusal(g, request("/healthz", method: "POST", extra: "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + Array("0\r\n\r\n".utf8), 400)
    }

    func testPutIs405WithAllow() throws {
        let g = try gateway
        let r = try expectRefusal(g, request("/healthz", method: "PUT"), 405)
        XCTAssertEqual(r?.header("Allow"), "GET, HEAD, POST, OPTIONS")
        // A route that does not take a supported method says which ones it does take.
        let s = try RawSocket(port: g.port)
        s.send(request("/healthz", method: "POST", extra: "Content-Length: 0\r\n"))
        let p = s.readResponse()
        XCTAssertEqual(p?.status, 405)
        XCTAssertEqual(p?.header("Allow"), "GET, HEAD")
    }

    func testUnknownMethodIs501() throws {
        let g = try gateway
        _ = try expectRefusal(g, request("/healthz", method: "BREW"), 501)
        XCTAssertEqual(g.curl("/healthz", method: "BREW").status, 501)
    }

    func testEncodedDotDotIs400() throws {
        let g = try gateway
        _ = try expectRefusal(g, request("/hls/%2e%2e/%2e%2e/etc/passwd"), 400)
        _ = try expectRefusal(g, request("/%2e%2e"), 400)
        // curl normalises literal dot segments itself unless told not to.
        let r = Harness.curl(g.url("/hls/../../etc/passwd"), extra: ["--path-as-is"])
        XCTAssertEqual(r.status, 400)
    }

    // MARK: Timeouts (run concurrently: ~15 s together)

    func testSlowlorisIdleAndSilentConnectionsAreClosed() throws {
        let g = try gateway
        let group = DispatchGroup()
        let outcomes = Outcomes()
        let record = outcomes.record

        // Slowloris: a request head that never ends, one byte per second.
        DispatchQueue.global().async(group: group) {
            guard let s = try? RawSocket(port: g.port) else { return }
            let start = Date()
            s.send("GET / HTTP/1.1\r\nHost: x\r\n")
            let trickle = Array("X-Slow: abcdefghijklmnopqrstuvwxyz\r\n".utf8)
            var i = 0
            while s.end == .open && Date().timeIntervalSince(start) < 14 {
                if i < trickle.count { s.send([trickle[i]]); i += 1 }
                let tick = Date().addingTimeInterval(1)
                while s.end == .open && Date() < tick { s.readSome(timeout: tick.timeIntervalSinceNow) }
            }
            record("slowloris", start, s)
        }
        // A keep-alive connection that goes quiet after one request.
        DispatchQueue.global().async(group: group) {
            guard let s = try? RawSocket(port: g.port) else { return }
            let start = Date()
            s.send(self.request("/healthz"))
            guard s.readResponse()?.status == 200 else { return }
            s.readUntilClosed(timeout: 19)
            record("idle", start, s)
        }
        // A connection that never sends a byte.
        DispatchQueue.global().async(group: group) {
            guard let s = try? RawSocket(port: g.port) else { return }
            let start = Date()
            s.readUntilClosed(timeout: 14)
            record("silent", start, s)
        }
        XCTAssertEqual(group.wait(timeout: .now() + 25), .success)

        let results = outcomes.all
        let slow = try XCTUnwrap(results["slowloris"])
        let slowResponses = RawResponse.parseAll(slow.bytes).responses
        XCTAssertEqual(slowResponses.map(\.status), [408], String(decoding: slow.bytes, as: UTF8.self))
        XCTAssertEqual(slowResponses.first?.header("Connection"), "close")
        XCTAssertNotEqual(slow.end, .open)
        XCTAssertEqual(slow.seconds, 10, accuracy: 1.5, "header timeout is 10 s")

        let idle = try XCTUnwrap(results["idle"])
        XCTAssertTrue(idle.bytes.isEmpty, "an idle keep-alive connection is closed without a response")
        XCTAssertEqual(idle.end, .eof)
        XCTAssertEqual(idle.seconds, 15, accuracy: 1.5, "keep-alive timeout is 15 s")

        let silent = try XCTUnwrap(results["silent"])
        XCTAssertNotEqual(silent.end, .open)
        XCTAssertEqual(silent.seconds, 10, accuracy: 1.5)
        XCTAssertEqual(RawResponse.parseAll(silent.bytes).responses.map(\.status), [408])

        XCTAssertEqual(g.curl("/healthz").status, 200)
    }

    // MARK: Connection limit

    func testMaxConnections() throws {
        let g = try GatewayProcess(name: "maxconn", yaml: Self.yaml(maxConnections: 4))
        defer { XCTAssertEqual(g.stop(), 0) }
        // Wait for the readiness probe's connection to be gone.
        XCTAssertTrue(Harness.waitUntil(5) { self.openConnections(g) == 1 })
        usleep(100_000)
        var held: [RawSocket] = []
        for _ in 0..<4 {
            let s = try RawSocket(port: g.port)
            s.send(request("/healthz"))
            XCTAssertEqual(s.readResponse()?.status, 200)
            held.append(s)
        }
        // The fifth: 503 and closed.
        let fifth = try RawSocket(port: g.port)
        fifth.send(request("/healthz"))
        XCTAssertNotEqual(fifth.readUntilClosed(timeout: 3), .open)
        let refused = RawResponse.parseAll(fifth.received).responses
        XCTAssertEqual(refused.map(\.status), [503])
        XCTAssertEqual(refused.first?.header("Connection"), "close")
        XCTAssertEqual(refused.first?.text, "too many connections\n")
        XCTAssertEqual(g.curl("/healthz", timeout: 3).status, 503)

        // The four held connections still work.
        for s in held {
            s.send(request("/healthz"))
            XCTAssertEqual(s.readResponse()?.status, 200)
        }
        held.forEach { $0.close() }
        held = []
        // Once they are gone, new connections are served again.
        XCTAssertTrue(Harness.waitUntil(5) { g.curl("/healthz", timeout: 2).status == 200 })
        XCTAssertEqual(openConnections(g), 1)
        XCTAssertTrue(g.process.isRunning)
    }

    // MARK: Shutdown

    func testSIGTERMWithIdleConnectionsExitsQuickly() throws {
        let g = try GatewayProcess(name: "term", yaml: Self.yaml())
        var sockets: [RawSocket] = []
        for i in 0..<5 {
            let s = try RawSocket(port: g.port)
            if i % 2 == 0 {   // idle keep-alive after a request…
                s.send(request("/healthz"))
                XCTAssertEqual(s.readResponse()?.status, 200)
            } else if i == 3 { // …half a request head…
                s.send("GET /healthz HTTP/1.1\r\nHo")
            }                  // …or nothing at all.
            sockets.append(s)
        }
        usleep(100_000)
        let start = Date()
        let status = g.stop(timeout: 5)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(status, 0, g.log)
        XCTAssertLessThan(elapsed, 2, "exit took \(elapsed) s")
        for s in sockets { XCTAssertNotEqual(s.readUntilClosed(timeout: 1), .open) }
        XCTAssertTrue(g.log.contains("stopped"), g.log)
    }
}

/// What each concurrent slow client saw, collected across threads.
final class Outcomes: @unchecked Sendable {
    typealias Outcome = (seconds: Double, bytes: [UInt8], end: RawSocket.End)
    private let lock = NSLock()
    private var map: [String: Outcome] = [:]

    func record(_ name: String, _ start: Date, _ s: RawSocket) {
        lock.lock(); map[name] = (Date().timeIntervalSince(start), s.received, s.end); lock.unlock()
    }

    var all: [String: Outcome] { lock.lock(); defer { lock.unlock() }; return map }
}
