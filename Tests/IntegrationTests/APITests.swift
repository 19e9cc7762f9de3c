// REST API /api/v1 against the real binary: stream list and detail (every field,
// with types), operator commands and their errors, /system, and the cross-site
// request forgery rules of POST.
import Foundation
import XCTest

final class APITests: XCTestCase {
    nonisolated(unsafe) static var shared: GatewayProcess?
    nonisolated(unsafe) static var launchedAt = Date()
    static let secretSource = "rtsp://admin:s3cret@127.0.0.1:9/cam?token=abc123xyz"

    override class func setUp() {
        super.setUp()
        launchedAt = Date()
        shared = try? GatewayProcess(name: "api") { port, root in
            WebT.config(port: port, root: root, streams: [
                Synthetic.stream("alpha", idle: 300),
                Synthetic.stream("beta", idle: 300),
                "  - name: \"secretcam\"\n    source: \"\(secretSource)\"\n",
            ])
        }
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }

    func gateway() throws -> GatewayProcess { try XCTUnwrap(Self.shared, "gateway did not start") }

    static let streamFields = ["name", "source", "state", "pid", "uptime_sec", "since_last_request_sec", "idle_timeout",
                               "next_retry_in_sec", "restarts", "failures", "viewers", "bytes_served", "ffmpeg_rss_kb", "hls_url"]

    /// Every field is present with its type; `running` decides which may be null.
    func checkStream(_ s: [String: Any], running: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let name = s["name"] as? String ?? "?"
        for f in Self.streamFields { XCTAssertTrue(s.keys.contains(f), "\(name): missing \(f)", file: file, line: line) }
        XCTAssertTrue(WebT.isString(s["name"]), file: file, line: line)
        XCTAssertTrue(WebT.isString(s["source"]), file: file, line: line)
        XCTAssertTrue(["idle", "starting", "running", "backoff", "stopping", "failed"].contains(s["state"] as? String ?? ""), "\(name) state", file: file, line: line)
        XCTAssertTrue(WebT.isInt(s["idle_timeout"]), file: file, line: line)
        for f in ["restarts", "failures", "viewers", "bytes_served"] {
            XCTAssertTrue(WebT.isInt(s[f]), "\(name).\(f) is an integer: \(String(describing: s[f]))", file: file, line: line)
            XCTAssertGreaterThanOrEqual(WebT.int(s[f]) ?? -1, 0, "\(name).\(f)", file: file, line: line)
        }
        XCTAssertEqual(s["hls_url"] as? String, "/hls/\(name)/index.m3u8", file: file, line: line)
        XCTAssertTrue(WebT.isNull(s["next_retry_in_sec"]) || WebT.isNumber(s["next_retry_in_sec"]), file: file, line: line)
        XCTAssertTrue(WebT.isNull(s["since_last_request_sec"]) || WebT.isNumber(s["since_last_request_sec"]), file: file, line: line)
        if running {
            XCTAssertEqual(s["state"] as? String, "running", file: file, line: line)
            XCTAssertTrue(WebT.isInt(s["pid"]), "\(name).pid", file: file, line: line)
            XCTAssertGreaterThan(WebT.int(s["pid"]) ?? 0, 1, file: file, line: line)
            XCTAssertTrue(WebT.isNumber(s["uptime_sec"]), "\(name).uptime_sec", file: file, line: line)
            XCTAssertGreaterThanOrEqual(WebT.double(s["uptime_sec"]) ?? -1, 0, file: file, line: line)
            XCTAssertTrue(WebT.isNumber(s["since_last_request_sec"]), file: file, line: line)
            XCTAssertTrue(WebT.isInt(s["ffmpeg_rss_kb"]), "\(name).ffmpeg_rss_kb", file: file, line: line)
            XCTAssertGreaterThan(WebT.int(s["ffmpeg_rss_kb"]) ?? 0, 1000, "FFmpeg uses more than 1 MB", file: file, line: line)
            XCTAssertTrue(WebT.isNull(s["next_retry_in_sec"]), file: file, line: line)
        } else {
            XCTAssertTrue(WebT.isNull(s["pid"]), "\(name).pid is null when not running", file: file, line: line)
            XCTAssertTrue(WebT.isNull(s["uptime_sec"]), file: file, line: line)
            XCTAssertTrue(WebT.isNull(s["ffmpeg_rss_kb"]), file: file, line: line)
        }
    }

    func testStreamsListHasEveryFieldWithItsType() throws {
        let gw = try gateway()
        WebT.startByPlaylist(gw, "alpha")
        let r = gw.curl("/api/v1/streams")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "application/json")
        let streams = try XCTUnwrap(WebT.object(r.body)["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.map { $0["name"] as? String ?? "" }, ["alpha", "beta", "secretcam"], "config order")
        let byName = Dictionary(uniqueKeysWithValues: streams.map { ($0["name"] as? String ?? "", $0) })
        let alpha = try XCTUnwrap(byName["alpha"])
        checkStream(alpha, running: true)
        XCTAssertGreaterThanOrEqual(WebT.int(alpha["viewers"]) ?? 0, 1, "the playlist request counts as a viewer")
        XCTAssertGreaterThan(WebT.int(alpha["bytes_served"]) ?? 0, 0)
        XCTAssertEqual(WebT.int(alpha["idle_timeout"]), 300)
        XCTAssertLessThan(WebT.double(alpha["since_last_request_sec"]) ?? 99, 10)
        checkStream(try XCTUnwrap(byName["secretcam"]), running: false)
        let secret = try XCTUnwrap(byName["secretcam"])
        XCTAssertEqual(secret["source"] as? String, "rtsp://admin:***@127.0.0.1:9/cam?token=***")
        XCTAssertFalse(r.text.contains("s3cret"))
        XCTAssertFalse(r.text.contains("abc123xyz"))
        XCTAssertEqual(secret["state"] as? String, "idle")
    }

    func testStreamDetailWithHistory() throws {
        let gw = try gateway()
        WebT.startByPlaylist(gw, "alpha")
        let r = gw.curl("/api/v1/streams/alpha")
        XCTAssertEqual(r.status, 200)
        let s = WebT.object(r.body)
        checkStream(s, running: true)
        let history = try XCTUnwrap(s["history"] as? [[String: Any]], "detail has a history array")
        XCTAssertFalse(history.isEmpty, "at least the start")
        for e in history {
            XCTAssertTrue(WebT.isInt(e["time"]), "history.time")
            XCTAssertGreaterThan(WebT.int(e["time"]) ?? 0, 1_600_000_000, "wall-clock seconds")
            XCTAssertTrue(WebT.isString(e["reason"]))
            XCTAssertTrue(e["stderr"] is [Any], "history.stderr is an array")
        }
        XCTAssertTrue(history.contains { $0["reason"] as? String == "started" })
        // The list has no history; an unknown stream is a JSON 404.
        let list = WebT.object(gw.curl("/api/v1/streams").body)["streams"] as? [[String: Any]] ?? []
        XCTAssertNil(list.first?["history"])
        let unknown = gw.curl("/api/v1/streams/nosuch")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(WebT.errorCode(unknown), "unknown_stream")
    }

    func post(_ gw: GatewayProcess, _ path: String, headers: [String: String] = ["X-VTX-Request": "1"]) -> CurlResponse {
        gw.curl(path, method: "POST", headers: headers)
    }

    func waitState(_ gw: GatewayProcess, _ name: String, _ state: String, timeout: TimeInterval = 20) -> Bool {
        Harness.waitUntil(timeout, interval: 0.1) { WebT.state(gw, name) == state }
    }

    func testStartStopRestartAndTheirErrors() throws {
        let gw = try gateway()
        if WebT.state(gw, "beta") != "idle" {
            _ = post(gw, "/api/v1/streams/beta/stop")
            XCTAssertTrue(waitState(gw, "beta", "idle"))
        }
        let start = post(gw, "/api/v1/streams/beta/start")
        XCTAssertEqual(start.status, 202, start.text)
        XCTAssertEqual(start.headers["content-type"], "application/json")
        XCTAssertEqual(WebT.object(start.body)["state"] as? String, "starting")
        XCTAssertEqual(WebT.object(start.body)["name"] as? String, "beta")

        let again = post(gw, "/api/v1/streams/beta/start")
        XCTAssertEqual(again.status, 409, again.text)
        XCTAssertEqual(WebT.errorCode(again), "already_started")

        XCTAssertTrue(waitState(gw, "beta", "running"), "beta never ran:\n\(gw.log)")
        let runningAgain = post(gw, "/api/v1/streams/beta/start")
        XCTAssertEqual(runningAgain.status, 409)
        XCTAssertEqual(WebT.errorCode(runningAgain), "already_started")
        let pidBefore = WebT.int(WebT.stream(gw, "beta")?["pid"])

        let restart = post(gw, "/api/v1/streams/beta/restart")
        XCTAssertEqual(restart.status, 202, restart.text)
        XCTAssertTrue(Harness.waitUntil(20, interval: 0.1) {
            let s = WebT.stream(gw, "beta")
            return s?["state"] as? String == "running" && WebT.int(s?["pid"]) != pidBefore
        }, "restart gives a new FFmpeg")
        XCTAssertGreaterThanOrEqual(WebT.int(WebT.stream(gw, "beta")?["restarts"]) ?? 0, 0)

        let stop = post(gw, "/api/v1/streams/beta/stop")
        XCTAssertEqual(stop.status, 202, stop.text)
        XCTAssertTrue(waitState(gw, "beta", "idle"))
        let stopIdle = post(gw, "/api/v1/streams/beta/stop")
        XCTAssertEqual(stopIdle.status, 409, stopIdle.text)
        XCTAssertEqual(WebT.errorCode(stopIdle), "already_stopped")

        for action in ["start", "stop", "restart"] {
            let unknown = post(gw, "/api/v1/streams/nosuch/\(action)")
            XCTAssertEqual(unknown.status, 404, action)
            XCTAssertEqual(WebT.errorCode(unknown), "unknown_stream")
        }
        let getAction = gw.curl("/api/v1/streams/beta/start")
        XCTAssertEqual(getAction.status, 405)
        XCTAssertEqual(getAction.headers["allow"], "POST")
        XCTAssertEqual(WebT.errorCode(getAction), "method_not_allowed")
        XCTAssertEqual(WebT.state(gw, "beta"), "idle", "a GET of an action changes nothing")

        let postList = post(gw, "/api/v1/streams")
        XCTAssertEqual(postList.status, 405)
        XCTAssertNotNil(postList.headers["allow"])
        XCTAssertEqual(WebT.errorCode(postList), "method_not_allowed")
        XCTAssertEqual(post(gw, "/api/v1/system").status, 405)
        XCTAssertEqual(post(gw, "/api/v1/streams/beta").status, 405)

        let bogus = post(gw, "/api/v1/streams/beta/explode")
        XCTAssertEqual(bogus.status, 404)
        XCTAssertNotNil(WebT.errorCode(bogus))
        for path in ["/api/v1/nosuch", "/api/v2/streams", "/api", "/api/v1"] {
            let r = gw.curl(path)
            XCTAssertEqual(r.status, 404, path)
            XCTAssertEqual(WebT.errorCode(r), "not_found", path)
        }
    }

    func testPOSTNeedsACustomHeaderAndNoForeignOrigin() throws {
        let gw = try gateway()
        XCTAssertEqual(WebT.state(gw, "secretcam"), "idle")
        let bare = post(gw, "/api/v1/streams/secretcam/start", headers: [:])
        XCTAssertEqual(bare.status, 403)
        XCTAssertEqual(WebT.errorCode(bare), "missing_header")
        let form = post(gw, "/api/v1/streams/secretcam/start", headers: ["Content-Type": "application/x-www-form-urlencoded"])
        XCTAssertEqual(form.status, 403)
        for origin in ["http://evil.example", "http://127.0.0.1:\(gw.port).evil.example", "null", "http://127.0.0.1:1"] {
            let foreign = post(gw, "/api/v1/streams/secretcam/start", headers: ["X-VTX-Request": "1", "Origin": origin])
            XCTAssertEqual(foreign.status, 403, origin)
            XCTAssertEqual(WebT.errorCode(foreign), "forbidden_origin", origin)
        }
        XCTAssertEqual(WebT.state(gw, "secretcam"), "idle", "refused requests change nothing")

        // Same origin (the dashboard): accepted (409: the stream is already stopped).
        let same = post(gw, "/api/v1/streams/secretcam/stop", headers: ["X-VTX-Request": "1", "Origin": "http://127.0.0.1:\(gw.port)"])
        XCTAssertEqual(same.status, 409, same.text)
        XCTAssertEqual(WebT.errorCode(same), "already_stopped")
        let noOrigin = post(gw, "/api/v1/streams/secretcam/stop")
        XCTAssertEqual(noOrigin.status, 409)
    }

    func testSystem() throws {
        let gw = try gateway()
        WebT.startByPlaylist(gw, "alpha")
        Thread.sleep(forTimeInterval: max(0, 1.5 - Date().timeIntervalSince(Self.launchedAt)))
        let r = gw.curl("/api/v1/system")
        XCTAssertEqual(r.status, 200)
        let s = WebT.object(r.body)
        XCTAssertFalse((s["version"] as? String ?? "").isEmpty)
        XCTAssertTrue(WebT.isNumber(s["uptime_sec"]))
        let sinceLaunch = Date().timeIntervalSince(Self.launchedAt)
        XCTAssertGreaterThan(WebT.double(s["uptime_sec"]) ?? 0, sinceLaunch - 1.5, "uptime counts from the gateway's start")
        XCTAssertLessThanOrEqual(WebT.double(s["uptime_sec"]) ?? .infinity, sinceLaunch + 1)

        let memory = try XCTUnwrap(s["memory"] as? [String: Any])
        XCTAssertTrue(WebT.isInt(memory["total_kb"]))
        XCTAssertTrue(WebT.isInt(memory["available_kb"]))
        XCTAssertGreaterThan(WebT.int(memory["total_kb"]) ?? 0, WebT.int(memory["available_kb"]) ?? .max)
        XCTAssertTrue(memory.keys.contains("cgroup_limit_kb"), "cgroup limit present (may be null)")
        XCTAssertTrue(WebT.isNull(memory["cgroup_limit_kb"]) || WebT.isInt(memory["cgroup_limit_kb"]))

        XCTAssertTrue(WebT.isInt(s["gateway_rss_kb"]))
        let rss = WebT.int(s["gateway_rss_kb"]) ?? 0
        XCTAssertGreaterThan(rss, 500)
        XCTAssertLessThan(abs(rss - WebT.rssKB(gw.pid)), 2048, "gateway_rss_kb is the gateway's own VmRSS")

        let load = try XCTUnwrap(s["load_average"] as? [Any])
        XCTAssertEqual(load.count, 3)
        XCTAssertTrue(load.allSatisfy { WebT.isNumber($0) })

        let hls = try XCTUnwrap(s["hls_root"] as? [String: Any])
        XCTAssertEqual(hls["fs_type"] as? String, "tmpfs")
        XCTAssertEqual(hls["path"] as? String, gw.hlsRoot)
        XCTAssertTrue(WebT.isInt(hls["used_kb"]))
        XCTAssertTrue(WebT.isInt(hls["total_kb"]))
        XCTAssertGreaterThan(WebT.int(hls["used_kb"]) ?? 0, 0, "alpha's segments use the RAM disk")

        let ffmpeg = try XCTUnwrap(s["ffmpeg"] as? [String: Any])
        XCTAssertEqual(ffmpeg["binary"] as? String, "ffmpeg")
        XCTAssertTrue((ffmpeg["version"] as? String ?? "").hasPrefix("ffmpeg version"), "\(String(describing: ffmpeg["version"]))")
        XCTAssertEqual(WebT.int(s["streams_configured"]), 3)
        XCTAssertFalse(r.text.contains("s3cret"))
    }
}
