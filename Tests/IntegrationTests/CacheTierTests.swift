import Foundation
import XCTest

/// The cache tier of README "Scaling out": Debian's nginx with
/// tools/nginx-edge-cache.conf in front of the real gateway, 100 simulated viewers.
///
/// How requests reaching the gateway are counted: the gateway's
/// `vtx_http_requests_total{route="/hls/…"}` totals, and nginx logs, for every request, `$upstream_status` — set only
/// when nginx itself asked the gateway (a MISS/EXPIRED), "-" when the answer came
/// from the cache (HIT, UPDATING, or a waiter released by proxy_cache_lock). Those
/// upstream requests are split by URI; their total must equal the gateway's own
/// counter, which ties the split to what the gateway really served.
final class CacheTierTests: XCTestCase {
    static let viewers = 100
    static let seconds = 20

    func testHundredViewersCollapseIntoFewGatewayRequests() throws {
        guard FileManager.default.isExecutableFile(atPath: EdgeCache.nginx) else { throw XCTSkip("nginx is not installed (tools/install-deps)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("/usr/bin/python3 is not installed") }

        let gateway = try GatewayProcess(name: "cache", yaml: { port, root in
            """
            server:
              listen: "127.0.0.1:\(port)"
              hls_root: "\(root)"
            streams:
            \(Synthetic.stream("demo", idle: 30))
            """
        })
        defer { gateway.stop() }
        let cache = try EdgeCache(upstreamPort: gateway.port)
        defer { cache.stop() }

        let before = Prometheus(gateway.curl("/metrics").text)
        XCTAssertEqual(before.hlsRequests, 0, "nothing has asked the gateway for HLS yet")

        // 100 viewers through the cache, all starting at once on a stream that is not running.
        let script = cache.prefix + "/viewers.py"
        try CacheTierTests.viewerScript.write(toFile: script, atomically: true, encoding: .utf8)
        let run = Harness.run(["/usr/bin/python3", script, "127.0.0.1", String(cache.port), "/hls/demo/index.m3u8",
                               String(Self.viewers), String(Self.seconds)], timeout: Double(Self.seconds) + 90)
        XCTAssertEqual(run.status, 0, "viewers: " + run.stderr)
        guard let data = run.stdout.data(using: .utf8), let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return XCTFail("viewers printed no report: \(run.stdout) \(run.stderr)\ngateway log:\n\(gateway.log)")
        }
        let after = Prometheus(gateway.curl("/metrics").text)
        let log = cache.accessLog()

        // Every viewer got every segment it saw listed, and every playlist it asked for.
        let listed = report["segments_listed"] as? Int ?? 0
        let ok = report["segments_ok"] as? Int ?? 0
        let polls = report["polls"] as? Int ?? 0
        XCTAssertEqual((report["playlist_errors"] as? [Any])?.count, 0, "playlist errors: \(report["playlist_errors"] ?? "")")
        XCTAssertEqual((report["missing"] as? [Any])?.count, 0, "segments not received: \(report["missing"] ?? "")")
        XCTAssertEqual(ok, listed, "segments received vs listed")
        XCTAssertGreaterThanOrEqual(listed, Self.viewers * (Self.seconds / 2), "each viewer should have seen ~1 new segment per second")
        XCTAssertGreaterThanOrEqual(polls, Self.viewers * (Self.seconds - 2))

        // What reached the gateway (nginx's upstream requests), cross-checked with its counter.
        let upstream = log.filter { $0.upstreamStatus != "-" }
        let playlistFetches = upstream.filter { $0.uri.hasSuffix(".m3u8") }.sorted { $0.time < $1.time }
        let segmentFetches = upstream.filter { !$0.uri.hasSuffix(".m3u8") }
        var perSegment: [String: Int] = [:]
        for e in segmentFetches { perSegment[e.uri, default: 0] += 1 }
        let gatewayRequests = after.hlsRequests - before.hlsRequests
        XCTAssertEqual(gatewayRequests, upstream.count,
                       "the gateway's vtx_http_requests_total{route=\"/hls/…\"} should equal nginx's upstream requests")
        XCTAssertEqual(after.value("vtx_http_requests_total{route=\"/hls/{stream}/playlist\",code=\"200\"}") - before.value("vtx_http_requests_total{route=\"/hls/{stream}/playlist\",code=\"200\"}"),
                       Double(playlistFetches.filter { $0.upstreamStatus == "200" }.count), "playlist requests counted by the gateway")
        let servedBytes = after.value("vtx_stream_served_bytes_total{stream=\"demo\"}") - before.value("vtx_stream_served_bytes_total{stream=\"demo\"}")
        let upstreamBytes = upstream.reduce(0) { $0 + $1.upstreamLength }

        let start = log.map(\.time).min() ?? 0, end = log.map(\.time).max() ?? 0
        let duration = max(end - start, 1)
        let firstReady = playlistFetches.first { $0.upstreamStatus == "200" }?.time ?? start
        let coldStartFetches = playlistFetches.filter { $0.time <= firstReady + 0.25 }.count
        let steady = playlistFetches.filter { $0.time > firstReady + 0.25 }
        var maxGap = 0.0
        var previous = firstReady
        for e in steady { maxGap = max(maxGap, e.time - previous); previous = e.time }
        maxGap = max(maxGap, end - previous)
        var perSecond: [Int: Int] = [:]
        for e in playlistFetches { perSecond[Int(e.time), default: 0] += 1 }
        let maxPerSegment = perSegment.values.max() ?? 0
        let distinctSeen = (report["distinct_segments"] as? Int) ?? 0

        print("""
        cache tier: \(Self.viewers) viewers for \(Self.seconds) s after the stream was ready (\(String(format: "%.1f", duration)) s in all, cold start included)
          viewers:  \(polls) playlist polls, \(ok) of \(listed) listed segments received (\(distinctSeen) distinct), first playlist after \(report["first_ready_s"] ?? "?") s
          nginx:    \(log.count) requests answered; \(log.count - upstream.count) from the cache
          gateway:  \(gatewayRequests) HLS requests (vtx_http_requests_total) = \(upstream.count) upstream requests in nginx's log
                    playlists: \(playlistFetches.count) (\(String(format: "%.2f", Double(playlistFetches.count) / duration))/s, at most \(perSecond.values.max() ?? 0) in one second, longest gap \(String(format: "%.2f", maxGap)) s; \(coldStartFetches) for the \(Self.viewers) concurrent first requests)
                    segments:  \(segmentFetches.count) requests for \(perSegment.count) segments (at most \(maxPerSegment) per segment)
                    bytes:     \(Int(servedBytes)) (vtx_stream_served_bytes_total), nginx received \(upstreamBytes) body bytes
                    FFmpeg starts: \(Int(after.value("vtx_stream_starts_total{stream=\"demo\"}")))
        """)

        // ~1 playlist request per second at most 2 (nginx's micro-cache is fresh 1–2 s).
        XCTAssertLessThanOrEqual(Double(playlistFetches.count), 2 * duration + 2, "playlist requests reaching the gateway")
        XCTAssertLessThanOrEqual(perSecond.values.max() ?? 0, 3, "playlist requests in one second")
        XCTAssertLessThanOrEqual(coldStartFetches, 2, "the concurrent first requests should collapse into one")
        // Each segment once (a few at most), whatever the number of viewers.
        XCTAssertLessThanOrEqual(maxPerSegment, 3, "requests per segment: \(perSegment)")
        XCTAssertGreaterThanOrEqual(perSegment.count, Self.seconds - 2)
        // The gateway's own counter gives the same bound, without trusting nginx's log.
        XCTAssertLessThanOrEqual(Double(gatewayRequests), 2 * duration + 2 + 3 * Double(max(distinctSeen, perSegment.count)))
        // The idle timer was fed all along: the cache's refreshes reached the gateway
        // every ~2 s (idle_timeout is 30 s), so FFmpeg ran once, without interruption.
        XCTAssertLessThanOrEqual(maxGap, 4, "longest time without a playlist request at the gateway")
        XCTAssertEqual(after.value("vtx_stream_starts_total{stream=\"demo\"}"), 1)
        XCTAssertEqual(after.value("vtx_stream_up{stream=\"demo\"}"), 1)
        XCTAssertGreaterThanOrEqual(after.value("vtx_stream_viewers{stream=\"demo\"}"), 1)

        // Headers pass through the cache: content types, CORS, Cache-Control.
        let playlist = Harness.curl(cache.url("/hls/demo/index.m3u8"))
        XCTAssertEqual(playlist.status, 200)
        XCTAssertEqual(playlist.headers["content-type"], "application/vnd.apple.mpegurl")
        XCTAssertEqual(playlist.headers["access-control-allow-origin"], "*")
        XCTAssertEqual(playlist.headers["cache-control"], "no-cache", "players must not cache playlists themselves")
        XCTAssertNotNil(playlist.headers["x-cache-status"])
        if let segment = playlist.text.split(separator: "\n").last(where: { !$0.hasPrefix("#") && !$0.isEmpty }) {
            let s = Harness.curl(cache.url("/hls/demo/" + segment))
            XCTAssertEqual(s.status, 200)
            XCTAssertEqual(s.headers["content-type"], "video/mp2t")
            XCTAssertEqual(s.headers["access-control-allow-origin"], "*")
            XCTAssertEqual(s.headers["cache-control"], "max-age=10")
            let again = Harness.curl(cache.url("/hls/demo/" + segment))
            XCTAssertEqual(again.headers["x-cache-status"], "HIT")
            XCTAssertEqual(again.body, s.body)
            let range = Harness.curl(cache.url("/hls/demo/" + segment), headers: ["Range": "bytes=0-187"])
            XCTAssertEqual(range.status, 206)
            XCTAssertEqual(range.body.count, 188)
            XCTAssertEqual(range.headers["access-control-allow-origin"], "*")
        } else {
            XCTFail("no segment in the playlist: \(playlist.text)")
        }
        let preflight = Harness.curl(cache.url("/hls/demo/index.m3u8"), method: "OPTIONS",
                                     headers: ["Origin": "https://player.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.headers["access-control-allow-origin"], "*")
        XCTAssertNotNil(preflight.headers["access-control-allow-methods"])
        // Only HLS is exposed by the cache.
        XCTAssertEqual(Harness.curl(cache.url("/api/v1/streams")).status, 404)
        XCTAssertEqual(Harness.curl(cache.url("/metrics")).status, 404)
    }

    /// Simulated players (stdlib only, one thread each, keep-alive): poll the
    /// playlist every second (random phase), fetch each segment not fetched yet,
    /// for `seconds` after their first playlist; print one JSON report.
    static let viewerScript = #"""
    import http.client, json, random, sys, threading, time

    host, port, path, viewers, duration = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    base = path.rsplit("/", 1)[0] + "/"
    barrier = threading.Barrier(viewers)
    lock = threading.Lock()
    report = {"viewers": viewers, "polls": 0, "playlist_errors": [], "segments_listed": 0,
              "segments_ok": 0, "missing": [], "first_ready_s": []}
    distinct = set()

    def viewer(index):
        conn = None
        def get(p):
            nonlocal conn
            error = None
            for _ in range(2):  # one retry on a keep-alive connection closed by the server
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(host, port, timeout=40)
                    conn.request("GET", p)
                    r = conn.getresponse()
                    return r.status, r.read()
                except (http.client.HTTPException, OSError) as e:
                    error = e
                    if conn is not None:
                        conn.close()
                    conn = None
            return 0, repr(error).encode()

        fetched, listed = {}, set()
        polls, errors = 0, []
        barrier.wait()
        t0 = time.monotonic()
        end, next_poll = None, t0
        while end is None or time.monotonic() < end:
            delay = next_poll - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, body = get(path)
            polls += 1
            now = time.monotonic()
            if status != 200:
                errors.append(status)
                next_poll = now + 1.0
                if now - t0 > 40:
                    break
                continue
            if end is None:
                end = now + duration
                with lock:
                    report["first_ready_s"].append(now - t0)
                next_poll = now + random.random()  # players are not in lock-step
            else:
                next_poll += 1.0
            for line in body.decode("utf-8", "replace").splitlines():
                name = line.strip()
                if not name or name.startswith("#"):
                    continue
                listed.add(name)
                if name in fetched:
                    continue
                s, data = get(name if name.startswith("/") else base + name)
                # A complete MPEG-TS segment: sync byte, whole 188-byte packets.
                fetched[name] = (s == 200 and len(data) > 0 and data[0] == 0x47 and len(data) % 188 == 0, s, len(data))
        if conn is not None:
            conn.close()
        with lock:
            report["polls"] += polls
            if errors:
                report["playlist_errors"].append({"viewer": index, "statuses": errors[:5]})
            report["segments_listed"] += len(listed)
            distinct.update(listed)
            for name in sorted(listed):
                ok, s, size = fetched.get(name, (False, 0, 0))
                if ok:
                    report["segments_ok"] += 1
                else:
                    report["missing"].append({"viewer": index, "segment": name, "status": s, "bytes": size})

    threads = [threading.Thread(target=viewer, args=(i,)) for i in range(viewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ready = report["first_ready_s"] or [0]
    report["first_ready_s"] = "%.2f-%.2f" % (min(ready), max(ready))
    report["distinct_segments"] = len(distinct)
    report["missing"] = report["missing"][:20]
    print(json.dumps(report))
    """#
}

/// Debian's nginx in the foreground with tools/nginx-edge-cache.conf, its
/// placeholders replaced: the gateway's address, the listen port and the cache
/// directory. Logs every request with its cache and upstream status.
private final class EdgeCache {
    static let nginx = "/usr/sbin/nginx"
    let port: Int
    let prefix: String
    let process = Process()

    struct LogEntry { var time: Double; var uri: String; var status: String; var cacheStatus: String; var upstreamStatus: String; var upstreamLength: Int }

    init(upstreamPort: Int) throws {
        port = Harness.freePort()
        prefix = NSTemporaryDirectory() + "vtx-edge-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: prefix + "/temp", withIntermediateDirectories: true)
        var conf = try String(contentsOfFile: Harness.packageRoot + "/tools/nginx-edge-cache.conf", encoding: .utf8)
        // The placeholders of tools/nginx-edge-cache.conf (each must be there once).
        for (placeholder, value) in [("server 127.0.0.1:8080;", "server 127.0.0.1:\(upstreamPort);"),
                                     ("listen 8081;", "listen 127.0.0.1:\(port);"),
                                     ("listen [::]:8081;", ""),
                                     ("/var/cache/nginx/vtx-link", prefix + "/cache")] {
            let parts = conf.components(separatedBy: placeholder)
            guard parts.count == 2 else {
                throw NSError(domain: "EdgeCache", code: 1, userInfo: [NSLocalizedDescriptionKey: "tools/nginx-edge-cache.conf: expected `\(placeholder)` once, found it \(parts.count - 1) times"])
            }
            conf = parts.joined(separator: value)
        }
        try conf.write(toFile: prefix + "/edge-cache.conf", atomically: true, encoding: .utf8)
        let main = """
        worker_processes 2;
        error_log \(prefix)/error.log warn;
        events { worker_connections 2048; }
        http {
            log_format vtx_upstream '$msec $uri $status $upstream_cache_status $upstream_status $upstream_response_length';
            access_log \(prefix)/access.log vtx_upstream;
            client_body_temp_path \(prefix)/temp/body;
            proxy_temp_path \(prefix)/temp/proxy;
            fastcgi_temp_path \(prefix)/temp/fastcgi;
            uwsgi_temp_path \(prefix)/temp/uwsgi;
            scgi_temp_path \(prefix)/temp/scgi;
            include \(prefix)/edge-cache.conf;
        }
        """
        try main.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        let test = Harness.run([EdgeCache.nginx, "-t", "-q", "-c", prefix + "/nginx.conf", "-p", prefix + "/", "-g", "pid \(prefix)/nginx.pid;"])
        guard test.status == 0 else {
            throw NSError(domain: "EdgeCache", code: 2, userInfo: [NSLocalizedDescriptionKey: "nginx -t: " + test.stderr])
        }
        process.executableURL = URL(fileURLWithPath: EdgeCache.nginx)
        process.arguments = ["-c", prefix + "/nginx.conf", "-p", prefix + "/", "-g", "daemon off; pid \(prefix)/nginx.pid;"]
        _ = FileManager.default.createFile(atPath: prefix + "/stderr.log", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: prefix + "/stderr.log"))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // /healthz is proxied (uncached) to the gateway: up when both are.
        guard Harness.waitUntil(10, { Harness.curl(self.url("/healthz"), timeout: 2).status == 200 }) else {
            let err = (try? String(contentsOfFile: prefix + "/stderr.log", encoding: .utf8)) ?? ""
            stop()
            throw NSError(domain: "EdgeCache", code: 3, userInfo: [NSLocalizedDescriptionKey: "nginx did not answer: " + err])
        }
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func accessLog() -> [LogEntry] {
        let text = (try? String(contentsOfFile: prefix + "/access.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 6, let t = Double(f[0]), f[1].hasPrefix("/hls/") else { return nil }
            return LogEntry(time: t, uri: f[1], status: f[2], cacheStatus: f[3], upstreamStatus: f[4], upstreamLength: Int(f[5]) ?? 0)
        }
    }

    /// SIGQUIT (graceful), then SIGTERM, then SIGKILL; removes the prefix.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGQUIT)
            if !Harness.waitUntil(5, { !self.process.isRunning }) {
                kill(process.processIdentifier, SIGTERM)
                if !Harness.waitUntil(5, { !self.process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: prefix)
    }

    deinit { stop() }
}

/// The samples of a /metrics scrape, by `name{labels}`.
private struct Prometheus {
    var samples: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = v
        }
    }

    func value(_ key: String) -> Double { samples[key] ?? 0 }

    /// All responses of the HLS route, whatever the code.
    var hlsRequests: Int {
        Int(samples.filter { $0.key.hasPrefix("vtx_http_requests_total{route=\"/hls/") }.values.reduce(0, +))
    }
}
