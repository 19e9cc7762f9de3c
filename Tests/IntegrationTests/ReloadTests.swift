import Foundation
import XCTest

/// Live reload with the real binary and real FFmpeg: SIGHUP and POST /api/v1/reload.
final class ReloadTests: XCTestCase {
    func config(port: Int, root: String, streams: [String]) -> String {
        """
        server:
          listen: "127.0.0.1:\(port)"
          hls_root: "\(root)"
        streams:
        \(streams.joined(separator: "\n"))
        """
    }

    func streamState(_ g: GatewayProcess, _ name: String) -> [String: Any]? {
        let r = g.curl("/api/v1/streams/\(name)")
        guard r.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
    }

    func post(_ g: GatewayProcess, _ path: String) -> CurlResponse {
        g.curl(path, method: "POST", headers: ["X-VTX-Request": "1"])
    }

    func testUnchangedStreamKeepsItsPIDWhenAStreamIsAddedAndRemovedStreamStops() throws {
        var portSeen = 0, rootSeen = ""
        let g = try GatewayProcess(name: "reload") { port, root in
            portSeen = port; rootSeen = root
            return self.config(port: port, root: root, streams: [Synthetic.stream("one"), Synthetic.stream("two")])
        }
        XCTAssertEqual(g.curl("/hls/one/index.m3u8").status, 200)
        XCTAssertEqual(g.curl("/hls/two/index.m3u8").status, 200)
        let pidOne = try XCTUnwrap(streamState(g, "one")?["pid"] as? Int)
        let pidTwo = try XCTUnwrap(streamState(g, "two")?["pid"] as? Int)

        // Add "three", drop "two", keep "one" unchanged; reload by SIGHUP.
        try config(port: portSeen, root: rootSeen, streams: [Synthetic.stream("one"), Synthetic.stream("three")])
            .write(toFile: g.configPath, atomically: true, encoding: .utf8)
        kill(g.pid, SIGHUP)
        XCTAssertTrue(Harness.waitUntil(5) { self.streamState(g, "three") != nil }, g.log)
        XCTAssertEqual(streamState(g, "one")?["pid"] as? Int, pidOne, "unchanged stream must keep its FFmpeg")
        XCTAssertEqual(streamState(g, "one")?["state"] as? String, "running")
        XCTAssertEqual(g.curl("/api/v1/streams/two").status, 404)
        XCTAssertTrue(Harness.waitUntil(6) { kill(Int32(pidTwo), 0) != 0 }, "removed stream's FFmpeg must stop")
        XCTAssertTrue(Harness.waitUntil(3) { !FileManager.default.fileExists(atPath: g.hlsRoot + "/two") }, "its directory must go")
        XCTAssertEqual(g.curl("/hls/three/index.m3u8").status, 200)
        XCTAssertEqual(g.stop(), 0)
    }

    func testInvalidFileChangesNothingAndAnswers400WithPositions() throws {
        var portSeen = 0, rootSeen = ""
        let g = try GatewayProcess(name: "reload-bad") { port, root in
            portSeen = port; rootSeen = root
            return self.config(port: port, root: root, streams: [Synthetic.stream("one")])
        }
        XCTAssertEqual(g.curl("/hls/one/index.m3u8").status, 200)
        let pid = try XCTUnwrap(streamState(g, "one")?["pid"] as? Int)
        try (config(port: portSeen, root: rootSeen, streams: [Synthetic.stream("one")]) + "\n    idle_timout: 5\n")
            .write(toFile: g.configPath, atomically: true, encoding: .utf8)
        let r = post(g, "/api/v1/reload")
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssertTrue(r.text.contains("vtx-link.yaml:"), r.text)
        XCTAssertNotNil(r.text.range(of: #"yaml:\d+:\d+: streams\[0\]\.idle_timout"#, options: .regularExpression), r.text)
        XCTAssertEqual(streamState(g, "one")?["pid"] as? Int, pid)
        XCTAssertEqual(streamState(g, "one")?["state"] as? String, "running")
        XCTAssertTrue(g.log.contains("reload refused"), g.log)
        // Without the header a cross-site form could trigger it: refused.
        XCTAssertEqual(g.curl("/api/v1/reload", method: "POST").status, 403)
        XCTAssertEqual(g.stop(), 0)
    }

    func testChangedRunningStreamRestartsAndListenChangeIsReported() throws {
        var portSeen = 0, rootSeen = ""
        let g = try GatewayProcess(name: "reload-change") { port, root in
            portSeen = port; rootSeen = root
            return self.config(port: port, root: root, streams: [Synthetic.stream("one")])
        }
        XCTAssertEqual(g.curl("/hls/one/index.m3u8").status, 200)
        let pid = try XCTUnwrap(streamState(g, "one")?["pid"] as? Int)
        let changed = Synthetic.stream("one").replacingOccurrences(of: "size=320x240", with: "size=160x120")
        try config(port: portSeen, root: rootSeen, streams: [changed])
            .replacingOccurrences(of: "127.0.0.1:\(portSeen)", with: "127.0.0.1:\(Harness.freePort())")
            .write(toFile: g.configPath, atomically: true, encoding: .utf8)
        let r = post(g, "/api/v1/reload")
        XCTAssertEqual(r.status, 200, r.text)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.body) as? [String: Any])
        XCTAssertEqual(body["restarted"] as? [String], ["one"])
        XCTAssertEqual(body["needs_restart"] as? [String], ["server.listen"])
        XCTAssertTrue(Harness.waitUntil(15) {
            guard let s = self.streamState(g, "one"), let p = s["pid"] as? Int else { return false }
            return p != pid && s["state"] as? String == "running"
        }, g.log)
        XCTAssertEqual(g.curl("/healthz").status, 200, "still on the old port")
        XCTAssertEqual(g.stop(), 0)
    }
}
