// Credentials of a stream source never leave the gateway: not in the API (list,
// detail with history and stderr, system, errors), not in events, not in the log
// (at debug), not in /metrics — even when "FFmpeg" prints them.
import Foundation
import XCTest

final class MaskingTests: XCTestCase {
    static let password = "s3cret"
    static let token = "abc123xyz"
    static let source = "rtsp://admin:\(password)@127.0.0.1:9/cam?token=\(token)"

    func testCredentialsAppearNowhere() throws {
        // A fake FFmpeg: prints its arguments (the URL with credentials) and the
        // secrets alone to stderr, a few times, then fails.
        let fake = NSTemporaryDirectory() + "vtx-fake-ffmpeg-\(UUID().uuidString).sh"
        let script = """
        #!/bin/sh
        for i in 1 2 3; do echo "[rtsp @ 0x55] opening $*" >&2; done
        for a in "$@"; do echo "arg: $a" >&2; done
        echo "method DESCRIBE failed: 401 Unauthorized \(Self.source)" >&2
        echo "password \(Self.password) token \(Self.token)" >&2
        exit 1
        """
        FileManager.default.createFile(atPath: fake, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: fake) }
        let gw = try GatewayProcess(name: "mask") { port, root in
            WebT.config(port: port, root: root, server: "  ffmpeg_binary: \"\(fake)\"\n  log_level: debug\n", streams: [
                "  - name: \"cam\"\n    source: \"\(Self.source)\"\n    idle_timeout: 60\n    retry:\n      initial_backoff_sec: 1\n      max_backoff_sec: 1\n",
            ])
        }
        let sse = try XCTUnwrap(WebT.SSEClient(port: gw.port))

        var seen: [(what: String, text: String)] = []
        let playlist = gw.curl("/hls/cam/index.m3u8", timeout: 25)
        XCTAssertNotEqual(playlist.status, 200)
        seen.append(("playlist \(playlist.status)", playlist.text + playlist.headers.description))
        seen.append(("playlist with ?token=", gw.curl("/hls/cam/index.m3u8?token=\(Self.token)", timeout: 25).text))
        XCTAssertTrue(Harness.waitUntil(15, interval: 0.2) { WebT.int(WebT.stream(gw, "cam")?["failures"]) ?? 0 >= 3 },
                      "a few failures: \(gw.log)")
        // Between attempts: in backoff, with the time to the next retry.
        var backoff: [String: Any] = [:]
        XCTAssertTrue(Harness.waitUntil(5, interval: 0.05) {
            backoff = WebT.stream(gw, "cam") ?? [:]
            return backoff["state"] as? String == "backoff"
        })
        XCTAssertTrue(WebT.isNumber(backoff["next_retry_in_sec"]), "\(String(describing: backoff["next_retry_in_sec"]))")
        XCTAssertLessThanOrEqual(WebT.double(backoff["next_retry_in_sec"]) ?? 99, 1.1, "1 s backoff, ±10 % jitter")
        XCTAssertEqual(backoff["reason"] as? String, "crashed")
        XCTAssertEqual(backoff["source"] as? String, "rtsp://admin:***@127.0.0.1:9/cam?token=***")
        let detail = gw.curl("/api/v1/streams/cam")
        let history = WebT.object(detail.body)["history"] as? [[String: Any]] ?? []
        let stderr = history.flatMap { $0["stderr"] as? [String] ?? [] }
        XCTAssertTrue(stderr.contains { $0.contains("rtsp://admin:") }, "the stderr tail is there, masked: \(stderr)")
        XCTAssertTrue(stderr.contains { $0.contains("***") }, "\(stderr)")
        seen.append(("detail", detail.text))
        seen.append(("list", gw.curl("/api/v1/streams").text))
        seen.append(("system", gw.curl("/api/v1/system").text))
        seen.append(("metrics", gw.curl("/metrics").text))
        seen.append(("error with a secret in the path", gw.curl("/api/v1/streams/\(Self.password)").text))
        seen.append(("start", gw.curl("/api/v1/streams/cam/restart", method: "POST", headers: ["X-VTX-Request": "1"]).text))
        Thread.sleep(forTimeInterval: 1.2)
        seen.append(("stop", gw.curl("/api/v1/streams/cam/stop", method: "POST", headers: ["X-VTX-Request": "1"]).text))
        Thread.sleep(forTimeInterval: 0.5)
        sse.close()
        let events = sse.events
        XCTAssertGreaterThan(events.filter { $0.name == "stream" }.count, 3, "events were seen")
        seen.append(("events", events.map { "event: \($0.name)\ndata: \($0.data)" }.joined(separator: "\n")))
        XCTAssertEqual(gw.stop(), 0)
        let log = gw.log
        XCTAssertTrue(log.contains("debug"), "log_level debug is on")
        XCTAssertTrue(log.contains("rtsp://admin:***@127.0.0.1:9/cam?token=***"), "the spawn line is logged, masked:\n\(log)")
        seen.append(("log", log))

        for (what, text) in seen {
            XCTAssertFalse(text.isEmpty, what)
            XCTAssertFalse(text.contains(Self.password), "\(what) shows the password:\n\(text.prefix(3000))")
            XCTAssertFalse(text.contains(Self.token), "\(what) shows the token:\n\(text.prefix(3000))")
        }
    }
}
