// HLS serving over real sockets: content types, caching, CORS, Range, 304, 404s,
// file-name rules and every traversal shape we know of (including symlinks planted
// inside the running stream's directory).
import Foundation
import XCTest

final class HLSServingTests: XCTestCase {
    nonisolated(unsafe) static var shared: GatewayProcess?
    static let origin = "https://player.example.com"
    static let marker = "VTX-OUTSIDE-MARKER-7d1f"

    override class func setUp() {
        super.setUp()
        shared = try? GatewayProcess(name: "hls") { port, root in
            WebT.config(port: port, root: root, server: "  hls_allow_origin: \"\(origin)\"\n",
                        streams: [Synthetic.stream("cam", idle: 300), Synthetic.stream("idle", idle: 300)])
        }
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }

    /// The shared gateway with `cam` running.
    func running(file: StaticString = #filePath, line: UInt = #line) throws -> GatewayProcess {
        let gw = try XCTUnwrap(Self.shared, "gateway did not start", file: file, line: line)
        WebT.startByPlaylist(gw, "cam", file: file, line: line)
        return gw
    }

    /// The bytes after the head of a HEAD response (curl -I would mix head and body).
    func rawHEAD(_ gw: GatewayProcess, _ path: String) -> Data {
        let r = WebT.raw(port: gw.port, Array("HEAD \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        XCTAssertEqual(r.status, 200, r.head)
        return r.body
    }

    func testPlaylistGETAndHEAD() throws {
        let gw = try running()
        let get = gw.curl("/hls/cam/index.m3u8")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.headers["content-type"], "application/vnd.apple.mpegurl")
        XCTAssertEqual(get.headers["cache-control"], "no-cache")
        XCTAssertEqual(get.headers["access-control-allow-origin"], Self.origin, "hls_allow_origin, not the default *")
        XCTAssertTrue(get.text.hasPrefix("#EXTM3U"), get.text)
        XCTAssertEqual(Int(get.headers["content-length"] ?? ""), get.body.count)
        XCTAssertFalse(WebT.segments(get.text).isEmpty)

        let head = gw.curl("/hls/cam/index.m3u8", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-type"], "application/vnd.apple.mpegurl")
        XCTAssertEqual(head.headers["cache-control"], "no-cache")
        XCTAssertEqual(head.headers["access-control-allow-origin"], Self.origin)
        XCTAssertGreaterThan(Int(head.headers["content-length"] ?? "") ?? 0, 0)
        XCTAssertTrue(rawHEAD(gw, "/hls/cam/index.m3u8").isEmpty, "HEAD has no body")
    }

    func testSegmentGETAndHEAD() throws {
        let gw = try running()
        let seg = try XCTUnwrap(WebT.newestSegment(gw, "cam"))
        let get = gw.curl("/hls/cam/\(seg.name)")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.headers["content-type"], "video/mp2t")
        let cache = get.headers["cache-control"] ?? ""
        let maxAge = cache.range(of: "max-age=").flatMap { Int(cache[$0.upperBound...].prefix(while: { $0.isNumber })) }
        XCTAssertNotNil(maxAge, "segments are cacheable: \(cache)")
        XCTAssertGreaterThan(maxAge ?? 0, 0)
        XCTAssertEqual(get.headers["access-control-allow-origin"], Self.origin)
        XCTAssertEqual(get.headers["accept-ranges"], "bytes")
        XCTAssertNotNil(get.headers["last-modified"])
        XCTAssertEqual(get.body, seg.bytes, "the body is the file")

        let head = gw.curl("/hls/cam/\(seg.name)", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-type"], "video/mp2t")
        XCTAssertEqual(Int(head.headers["content-length"] ?? ""), seg.bytes.count)
        XCTAssertEqual(head.headers["access-control-allow-origin"], Self.origin)
        XCTAssertTrue(rawHEAD(gw, "/hls/cam/\(seg.name)").isEmpty, "HEAD has no body")
    }

    func testCORSPreflight() throws {
        let gw = try running()
        let seg = try XCTUnwrap(WebT.newestSegment(gw, "cam"))
        for path in ["/hls/cam/index.m3u8", "/hls/cam/\(seg.name)"] {
            let r = gw.curl(path, method: "OPTIONS", headers: ["Origin": Self.origin, "Access-Control-Request-Method": "GET",
                                                                "Access-Control-Request-Headers": "range"])
            XCTAssertEqual(r.status, 204, path)
            XCTAssertNil(r.headers["content-length"], "no Content-Length on a 204 (RFC 9110 §8.6)")
            XCTAssertEqual(r.headers["access-control-allow-origin"], Self.origin, path)
            let methods = r.headers["access-control-allow-methods"] ?? ""
            XCTAssertTrue(methods.contains("GET") && methods.contains("HEAD"), methods)
            XCTAssertTrue((r.headers["access-control-allow-headers"] ?? "").lowercased().contains("range"))
            XCTAssertTrue(r.body.isEmpty)
        }
    }

    func testRangeRequests() throws {
        let gw = try running()
        let seg = try XCTUnwrap(WebT.newestSegment(gw, "cam"))
        let size = seg.bytes.count
        XCTAssertGreaterThan(size, 100)

        let first = gw.curl("/hls/cam/\(seg.name)", headers: ["Range": "bytes=0-99"])
        XCTAssertEqual(first.status, 206)
        XCTAssertEqual(first.headers["content-range"], "bytes 0-99/\(size)")
        XCTAssertEqual(first.headers["content-length"], "100")
        XCTAssertEqual(first.body.count, 100)
        XCTAssertEqual(first.body, seg.bytes.prefix(100), "exactly the first 100 bytes of the file")

        let suffix = gw.curl("/hls/cam/\(seg.name)", headers: ["Range": "bytes=-50"])
        XCTAssertEqual(suffix.status, 206)
        XCTAssertEqual(suffix.headers["content-range"], "bytes \(size - 50)-\(size - 1)/\(size)")
        XCTAssertEqual(suffix.body, seg.bytes.suffix(50))

        let open = gw.curl("/hls/cam/\(seg.name)", headers: ["Range": "bytes=100-"])
        XCTAssertEqual(open.status, 206)
        XCTAssertEqual(open.body, seg.bytes.dropFirst(100))

        for bad in ["bytes=\(size)-", "bytes=\(size + 1000)-\(size + 2000)", "bytes=-0"] {
            let r = gw.curl("/hls/cam/\(seg.name)", headers: ["Range": bad])
            XCTAssertEqual(r.status, 416, bad)
            XCTAssertEqual(r.headers["content-range"], "bytes */\(size)", bad)
            XCTAssertTrue(r.body.isEmpty, bad)
        }
    }

    func testIfModifiedSince() throws {
        let gw = try running()
        let seg = try XCTUnwrap(WebT.newestSegment(gw, "cam"))
        let get = gw.curl("/hls/cam/\(seg.name)")
        let lastModified = try XCTUnwrap(get.headers["last-modified"])
        let notModified = gw.curl("/hls/cam/\(seg.name)", headers: ["If-Modified-Since": lastModified])
        XCTAssertEqual(notModified.status, 304)
        XCTAssertTrue(notModified.body.isEmpty)
        // RFC 9110 §8.6: a 304 may only carry the length of the 200 response.
        XCTAssertTrue(notModified.headers["content-length"].map { $0 == String(seg.bytes.count) } ?? true,
                      "304 Content-Length \(notModified.headers["content-length"] ?? "")")
        XCTAssertEqual(notModified.headers["last-modified"], lastModified)
        let old = gw.curl("/hls/cam/\(seg.name)", headers: ["If-Modified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"])
        XCTAssertEqual(old.status, 200)
        XCTAssertEqual(old.body, seg.bytes)
    }

    func testNotRunningAndUnknownStreams() throws {
        let gw = try running()
        // A file in the directory of a stream that is not running is not served, and
        // asking for it starts nothing.
        let idleDir = gw.hlsRoot + "/idle"
        try FileManager.default.createDirectory(atPath: idleDir, withIntermediateDirectories: true)
        try Data("stale".utf8).write(to: URL(fileURLWithPath: idleDir + "/index0.ts"))
        let stale = gw.curl("/hls/idle/index0.ts")
        XCTAssertEqual(stale.status, 404)
        XCTAssertFalse(stale.text.contains("stale"))
        XCTAssertEqual(WebT.state(gw, "idle"), "idle", "a segment request must not start FFmpeg")

        let unknown = gw.curl("/hls/nosuch/index.m3u8")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.headers["access-control-allow-origin"], Self.origin, "a cross-origin player can read the error")
        XCTAssertEqual(stale.headers["access-control-allow-origin"], Self.origin)
        XCTAssertEqual(gw.curl("/hls/cam/bad!name.ts").headers["access-control-allow-origin"], Self.origin)
        XCTAssertEqual(gw.curl("/hls/nosuch/index0.ts").status, 404)
        XCTAssertEqual(gw.curl("/hls/cam/missing-segment.ts").status, 404)
        XCTAssertEqual(gw.curl("/hls/cam").status, 404)
        XCTAssertEqual(gw.curl("/hls/cam/").status, 404)
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8/extra").status, 404)
    }

    func testFileNamesOutsideTheSafeSet() throws {
        let gw = try running()
        let dir = gw.hlsRoot + "/cam"
        // Files that exist but have names outside [A-Za-z0-9._-] (or hidden) are refused.
        for name in ["we!rd.ts", ".hidden.ts", "sp ace.ts", "semi;colon.ts", "t~ilde.ts", "caf\u{e9}.ts"] {
            try Data(Self.marker.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        try Data("plain-ok".utf8).write(to: URL(fileURLWithPath: dir + "/plain_ok-1.ts"))
        let control = gw.curl("/hls/cam/plain_ok-1.ts")
        XCTAssertEqual(control.status, 200, "control: a safe name in the running stream's directory is served")
        XCTAssertEqual(control.text, "plain-ok")

        for target in ["/hls/cam/we!rd.ts", "/hls/cam/.hidden.ts", "/hls/cam/sp%20ace.ts", "/hls/cam/semi;colon.ts",
                       "/hls/cam/t~ilde.ts", "/hls/cam/caf%C3%A9.ts", "/hls/cam/a:b.ts", "/hls/cam/x*.ts",
                       "/hls/cam/plain_ok-1.exe", "/hls/cam/plain_ok-1", "/hls/cam/PLAIN.TS"] {
            let r = WebT.rawGET(port: gw.port, target: Array(target.utf8))
            XCTAssertTrue([400, 404].contains(r.status), "\(target): \(r.status)")
            XCTAssertFalse(String(decoding: r.raw, as: UTF8.self).contains(Self.marker), target)
        }
    }

    func testTraversalAndSymlinksNeverLeaveTheStreamDirectory() throws {
        let gw = try running()
        let root = gw.hlsRoot
        let dir = root + "/cam"
        // Targets outside the stream directory: a marker file next to the stream
        // directories, and /etc/passwd.
        try Data(Self.marker.utf8).write(to: URL(fileURLWithPath: root + "/outside.ts"))
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir + "/evil.ts")
        try fm.createSymbolicLink(atPath: dir + "/evil.ts", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: dir + "/evil-marker.ts", withDestinationPath: root + "/outside.ts")
        try fm.createSymbolicLink(atPath: dir + "/evil-rel.ts", withDestinationPath: "../outside.ts")
        try fm.createSymbolicLink(atPath: dir + "/evildir", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: dir + "/evildir.ts", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: dir + "/up", withDestinationPath: root)
        XCTAssertNotNil(WebT.stream(gw, "cam")?["pid"] as? Int, "the stream must be running for this to mean anything")

        let targets: [String] = [
            "/hls/cam/../outside.ts", "/hls/cam/../../../../../../etc/passwd", "/hls/cam/./index.m3u8",
            "/hls/cam/%2e%2e/outside.ts", "/hls/cam/%2E%2E/%2E%2E/%2E%2E/etc/passwd", "/hls/cam/.%2e/outside.ts",
            "/hls/cam/%2e./outside.ts", "/hls/cam/..%2foutside.ts", "/hls/cam/..%2Foutside.ts",
            "/hls/cam/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/hls/cam/%252e%252e/outside.ts",
            "/hls/cam/%252e%252e%252foutside.ts", "/hls/cam/..%252foutside.ts", "/hls/cam/..\\outside.ts",
            "/hls/cam/..%5coutside.ts", "/hls/cam/..%5Coutside.ts", "/hls/cam/%5c..%5c..%5cetc%5cpasswd",
            "/hls/cam/outside.ts%00.ts", "/hls/cam/..%00/outside.ts", "/hls/cam/%00", "/hls/cam/evil.ts%00",
            "/hls/cam//etc/passwd", "/hls/cam/%2fetc%2fpasswd", "/hls/cam/%2Fetc%2Fpasswd", "/hls//etc/passwd",
            "//etc/passwd", "/etc/passwd", "/hls/%2e%2e/outside.ts", "/hls/..%2foutside.ts/x",
            "/hls/cam/%c0%ae%c0%ae/outside.ts", "/hls/cam/%e0%80%ae%e0%80%ae/outside.ts", "/hls/cam/..;/outside.ts",
            "/hls/cam/....//outside.ts", "/hls/cam/~/../outside.ts",
            "http://127.0.0.1/hls/cam/../outside.ts", "http://127.0.0.1/hls/cam/%2e%2e/outside.ts", "file:///etc/passwd",
            // Symlinks planted inside the running stream's directory.
            "/hls/cam/evil.ts", "/hls/cam/evil-marker.ts", "/hls/cam/evil-rel.ts", "/hls/cam/evildir.ts",
            "/hls/cam/evildir/passwd", "/hls/cam/evildir.ts/passwd", "/hls/cam/up/outside.ts", "/hls/cam/up",
            "/hls/cam/evil.ts?x=1", "/hls/cam/evil-marker.ts?token=x",
        ]
        var requests: [[UInt8]] = targets.map { Array($0.utf8) }
        // Raw bytes curl would never send: NUL, backslash, absolute paths.
        requests.append(Array("/hls/cam/evil".utf8) + [0] + Array(".ts".utf8))
        requests.append(Array("/hls/cam/..".utf8) + [0x5C] + Array("outside.ts".utf8))
        requests.append(Array("/hls/cam/".utf8) + [0xC0, 0xAE, 0xC0, 0xAE] + Array("/outside.ts".utf8))

        for target in requests {
            let label = String(decoding: target.map { $0 == 0 ? UInt8(ascii: "@") : $0 }, as: UTF8.self)
            for headers in ["", "Range: bytes=0-\r\n"] {
                let r = WebT.rawGET(port: gw.port, target: target, headers: headers)
                let text = String(decoding: r.raw, as: UTF8.self)
                XCTAssertFalse(text.contains("root:"), "\(label) served /etc/passwd")
                XCTAssertFalse(text.contains(Self.marker), "\(label) served a file outside the stream directory")
                XCTAssertFalse(r.status == 200 || r.status == 206 || r.status == 304,
                               "\(label) \(headers) → \(r.status) \(String(text.prefix(200)))")
                XCTAssertTrue([400, 403, 404].contains(r.status), "\(label) → \(r.status)")
            }
        }
        // Same through HEAD and curl's own normalisation off.
        for path in ["/hls/cam/evil.ts", "/hls/cam/evil-marker.ts", "/hls/cam/../outside.ts"] {
            let head = Harness.curl(gw.url(path), method: "HEAD", extra: ["--path-as-is"])
            XCTAssertTrue([400, 404].contains(head.status), "\(path) HEAD → \(head.status)")
        }
        // And the stream still works.
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8").status, 200)
    }

    // MARK: open() failures (issue 13): 404 only for a missing file

    /// A gateway of its own with `cam` running, started through `wrap` (see GatewayProcess).
    func wrappedGateway(_ name: String, wrap: String) throws -> GatewayProcess {
        let g = try GatewayProcess(name: name, yaml: { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 300)])
        }, wrap: wrap)
        WebT.startByPlaylist(g, "cam")
        return g
    }

    func rawRequest(_ method: String, _ path: String) -> [UInt8] {
        Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    }

    /// Descriptors the process has open, counting only numbers below `below`: one
    /// inherited at a high number before `ulimit -n` (Foundation's Process can pass
    /// one) stays open but takes none of the numbers the limit allows.
    static func openDescriptors(_ pid: Int32, below: Int = Int.max) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return -1 }
        return names.compactMap { Int($0) }.filter { $0 < below }.count
    }

    /// Out of descriptors, a segment is a 503 with Retry-After, not a 404, logged once
    /// for the burst (the playlist, from memory, is still served); once descriptors are
    /// free again the segment is served.
    func testOutOfDescriptorsIs503NotA404() throws {
        let limit = 64
        let g = try wrappedGateway("emfile", wrap: "ulimit -n \(limit); exec \"$0\" \"$@\"")
        defer { g.stop() }
        let limits = try String(contentsOfFile: "/proc/\(g.pid)/limits", encoding: .utf8)
        XCTAssertTrue(limits.contains("Max open files            \(limit)"), limits)
        let seg = try XCTUnwrap(WebT.newestSegment(g, "cam")).name
        let idle = Self.openDescriptors(g.pid, below: limit)

        // Keep-alive connections until the gateway cannot accept one more: then every
        // descriptor it may have is in use.
        var held: [RawSocket] = []
        defer { held.forEach { $0.close() } }
        while held.count < limit {
            let s = try RawSocket(port: g.port)
            s.send(rawRequest("GET", "/healthz"))
            guard s.readResponse(timeout: 1)?.status == 200 else { s.close(); break }
            held.append(s)
        }
        let full = Self.openDescriptors(g.pid, below: limit)
        print("EMFILE test: limit \(limit), \(idle) descriptors idle, \(held.count) connections accepted, \(full) descriptors then")
        XCTAssertLessThan(held.count, limit, "the gateway never ran out of descriptors")
        XCTAssertEqual(full, limit)

        let c = try XCTUnwrap(held.first)
        for path in ["/hls/cam/\(seg)", "/hls/cam/\(seg)"] {
            c.send(rawRequest("GET", path))
            let r = try XCTUnwrap(c.readResponse(), path)
            XCTAssertEqual(r.status, 503, "\(path): \(r.statusLine) \(r.text)")
            XCTAssertEqual(r.header("Retry-After"), "1", path)
        }
        // The playlist needs no descriptor: it is answered from memory (issue 15).
        c.send(rawRequest("GET", "/hls/cam/index.m3u8"))
        let playlist = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(playlist.status, 200, "\(playlist.statusLine) \(playlist.text)")
        XCTAssertTrue(playlist.text.hasPrefix("#EXTM3U") && !WebT.segments(playlist.text).isEmpty, playlist.text)
        c.send(rawRequest("HEAD", "/hls/cam/\(seg)"))
        XCTAssertEqual(c.readResponse(head: true)?.status, 503)
        XCTAssertTrue(c.received.isEmpty, "HEAD: no body")

        // One log line for the burst, naming the cause.
        let lines = g.log.split(separator: "\n").filter { $0.contains("cannot open") }
        XCTAssertEqual(lines.count, 1, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.first?.contains("Too many open files") ?? false, lines.first.map(String.init) ?? "")

        // Descriptors back: served again (the newest segment: the old one may be gone).
        held.dropFirst().forEach { $0.close() }
        held = [c]
        var status = 0
        XCTAssertTrue(Harness.waitUntil(10) {
            guard let now = WebT.newestSegment(g, "cam")?.name else { return false }
            c.send(self.rawRequest("GET", "/hls/cam/\(now)"))
            status = c.readResponse()?.status ?? -1
            return status == 200
        }, "after the flood: \(status)")
    }

    /// EACCES is a 403. The tests run as root, which reads any file: the gateway is
    /// started without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a mode 000 file
    /// is unreadable to it as to any other user.
    func testUnreadableFileIs403() throws {
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { throw XCTSkip("no \(setpriv)") }
        let g = try wrappedGateway("eacces", wrap: "exec \(setpriv) --bounding-set=-dac_override,-dac_read_search -- \"$0\" \"$@\"")
        defer { g.stop() }
        let status = try String(contentsOfFile: "/proc/\(g.pid)/status", encoding: .utf8)
        let capEff = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        XCTAssertEqual((capEff ?? 0x6) & 0x6, 0, "CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2) dropped")

        let seg = try XCTUnwrap(WebT.newestSegment(g, "cam")).name
        let file = "\(g.hlsRoot)/cam/\(seg)"
        XCTAssertEqual(chmod(file, 0), 0)
        let get = g.curl("/hls/cam/\(seg)")
        XCTAssertEqual(get.status, 403, get.text)
        XCTAssertEqual(get.headers["access-control-allow-origin"], "*", "errors carry CORS headers")
        XCTAssertEqual(g.curl("/hls/cam/\(seg)", method: "HEAD").status, 403)
        XCTAssertEqual(chmod(file, 0o644), 0)
        XCTAssertEqual(g.curl("/hls/cam/\(seg)").status, 200)
        XCTAssertFalse(g.log.contains("cannot open"), "403 is the client's answer, not an overload to log")
    }
}
