// server.auth against the real binary: 401 + WWW-Authenticate, Basic and Bearer,
// the metrics/hls switches, ?token= for players, and the throttle of repeated
// failures (delayed by a timer: other requests are answered at once).
import Foundation
import XCTest

final class AuthTests: XCTestCase {
    static let user = "admin"
    static let password = "pw-Sekrit-42"
    static let token = "tok-0123456789abcdef"
    static var basic: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }
    static var bearer: String { "Bearer " + token }

    static func authGateway(name: String, metrics: Bool? = nil, hls: Bool? = nil) throws -> GatewayProcess {
        var server = "  auth:\n    username: \"\(user)\"\n    password: \"\(password)\"\n    token: \"\(token)\"\n"
        if let metrics { server += "    metrics: \(metrics)\n" }
        if let hls { server += "    hls: \(hls)\n" }
        return try GatewayProcess(name: name) { port, root in
            WebT.config(port: port, root: root, server: server, streams: [Synthetic.stream("cam", idle: 60)])
        }
    }

    func testDefaultsProtectDashboardAPIAndMetricsButNotHLS() throws {
        let gw = try Self.authGateway(name: "auth-default")
        defer { gw.stop() }
        for path in ["/", "/api/v1/streams", "/api/v1/system", "/metrics"] {
            let none = gw.curl(path)
            XCTAssertEqual(none.status, 401, path)
            let challenge = none.headers["www-authenticate"] ?? ""
            XCTAssertTrue(challenge.hasPrefix("Basic realm="), "\(path): \(challenge)")
            XCTAssertFalse(none.text.contains("\"streams\""), path)

            XCTAssertEqual(gw.curl(path, headers: ["Authorization": Self.basic]).status, 200, "\(path) Basic")
            XCTAssertEqual(gw.curl(path, headers: ["Authorization": Self.bearer]).status, 200, "\(path) Bearer")
            XCTAssertEqual(gw.curl(path, headers: ["Authorization": "bearer " + Self.token]).status, 200, "\(path) scheme is case-insensitive")
        }
        let apiError = gw.curl("/api/v1/streams")
        XCTAssertEqual(WebT.errorCode(apiError), "unauthorized")

        let wrong: [String] = [
            "Basic " + Data("\(Self.user):wrong".utf8).base64EncodedString(),
            "Basic " + Data("\(Self.user):\(Self.password)x".utf8).base64EncodedString(),
            "Basic " + Data("nobody:\(Self.password)".utf8).base64EncodedString(),
            "Basic " + Data("\(Self.user)".utf8).base64EncodedString(),
            "Basic !!!notbase64",
            "Bearer wrong-token",
            "Bearer " + String(Self.token.dropLast()),
            "Bearer " + Self.token + "x",
            // 256 bytes longer than the token and starting with it.
            "Bearer " + Self.token + String(repeating: "A", count: 256),
            "Basic " + Data("\(Self.user):\(Self.password)".utf8 + Array(repeating: UInt8(ascii: "A"), count: 256)).base64EncodedString(),
            "Token " + Self.token,
            Self.token,
        ]
        for (i, header) in wrong.enumerated() {
            // Fresh successes between failures keep the throttle out of this test.
            let r = gw.curl("/api/v1/streams", headers: ["Authorization": header])
            XCTAssertEqual(r.status, 401, "wrong credentials #\(i) accepted: \(header.prefix(60))")
            XCTAssertEqual(gw.curl("/api/v1/streams", headers: ["Authorization": Self.basic]).status, 200)
        }
        XCTAssertEqual(gw.curl("/api/v1/streams?token=" + Self.token).status, 401, "?token= is for HLS only")

        // auth.hls defaults to false: players need nothing.
        XCTAssertEqual(gw.curl("/hls/cam/missing.ts").status, 404)
        let playlist = gw.curl("/hls/cam/index.m3u8", timeout: 25)
        XCTAssertEqual(playlist.status, 200, playlist.text)
        XCTAssertTrue(playlist.text.hasPrefix("#EXTM3U"))
        // /healthz is always open.
        XCTAssertEqual(gw.curl("/healthz").status, 200)
    }

    func testMetricsSwitchAndHLSProtectionWithQueryToken() throws {
        let gw = try Self.authGateway(name: "auth-hls", metrics: false, hls: true)
        defer { gw.stop() }
        let metrics = gw.curl("/metrics")
        XCTAssertEqual(metrics.status, 200, "auth.metrics: false leaves /metrics open")
        XCTAssertTrue(metrics.text.contains("vtx_build_info"))
        XCTAssertEqual(gw.curl("/api/v1/streams").status, 401, "the API stays protected")

        let none = gw.curl("/hls/cam/index.m3u8")
        XCTAssertEqual(none.status, 401)
        XCTAssertNotNil(none.headers["www-authenticate"])
        XCTAssertEqual(none.headers["access-control-allow-origin"], "*", "a cross-origin player can see the 401")
        XCTAssertEqual(WebT.state(gw, "cam", headers: ["Authorization": Self.basic]), "idle", "an unauthenticated playlist request starts nothing")
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8?token=wrong").status, 401)
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8", headers: ["Authorization": "Bearer wrong"]).status, 401)

        let withToken = gw.curl("/hls/cam/index.m3u8?token=" + Self.token, timeout: 25)
        XCTAssertEqual(withToken.status, 200, withToken.text)
        XCTAssertTrue(withToken.text.hasPrefix("#EXTM3U"))
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8", headers: ["Authorization": Self.basic]).status, 200)
        XCTAssertEqual(gw.curl("/hls/cam/index.m3u8", headers: ["Authorization": Self.bearer]).status, 200)

        // Segments: the same rules.
        let segment = try XCTUnwrap(withToken.text.split(separator: "\n").last { !$0.hasPrefix("#") }.map(String.init))
        let file = segment.split(separator: "?").first.map(String.init) ?? segment
        XCTAssertEqual(gw.curl("/hls/cam/\(file)").status, 401)
        XCTAssertEqual(gw.curl("/hls/cam/\(file)?token=\(Self.token)").status, 200)
        XCTAssertEqual(gw.curl("/hls/cam/\(file)", headers: ["Authorization": Self.basic]).status, 200)
        // A player resolves segment URIs against the playlist URL and drops its
        // query: the URIs it is given must carry the token it used.
        let uri = try XCTUnwrap(URL(string: segment, relativeTo: URL(string: gw.url("/hls/cam/index.m3u8?token=" + Self.token))))
        XCTAssertEqual(Harness.curl(uri.absoluteString).status, 200, "segment URI \(segment) from a ?token= playlist")
    }

    func testRepeatedFailuresAreSlowedWithoutBlockingTheLoop() throws {
        let gw = try Self.authGateway(name: "auth-throttle")
        defer { gw.stop() }
        // Timed on raw sockets (no curl process start in the measurement).
        func timed(_ path: String, _ header: String = "") -> (status: Int, seconds: TimeInterval) {
            let t0 = Date()
            let r = WebT.rawGET(port: gw.port, target: Array(path.utf8), headers: header)
            return (r.status, Date().timeIntervalSince(t0))
        }
        var durations: [TimeInterval] = []
        for _ in 0..<6 {
            let r = timed("/api/v1/streams", "Authorization: Bearer nope\r\n")
            XCTAssertEqual(r.status, 401)
            durations.append(r.seconds)
        }
        XCTAssertTrue(durations.prefix(5).allSatisfy { $0 < 0.5 }, "the first 5 failures are answered at once: \(durations)")

        // The 7th failure is delayed; meanwhile the same process answers others at once.
        let lock = NSLock()
        var seventh: (status: Int, seconds: TimeInterval)?
        let t = Thread {
            let r = timed("/api/v1/streams", "Authorization: Bearer nope\r\n")
            lock.lock(); seventh = r; lock.unlock()
        }
        t.start()
        Thread.sleep(forTimeInterval: 0.3)
        for _ in 0..<3 {
            let health = timed("/healthz")
            XCTAssertEqual(health.status, 200)
            XCTAssertLessThan(health.seconds, 0.3, "/healthz is answered while a 401 is being delayed")
            let hls = timed("/hls/cam/missing.ts")
            XCTAssertEqual(hls.status, 404)
            XCTAssertLessThan(hls.seconds, 0.3)
        }
        lock.lock(); XCTAssertNil(seventh, "the 7th failure is still being delayed"); lock.unlock()
        XCTAssertTrue(Harness.waitUntil(15) { lock.lock(); defer { lock.unlock() }; return seventh != nil })
        lock.lock(); let result = seventh; lock.unlock()
        XCTAssertEqual(result?.status, 401)
        XCTAssertGreaterThanOrEqual(result?.seconds ?? 0, 1.0, "the 7th failure in a row is slowed: \(durations)")

        let eighth = timed("/api/v1/streams", "Authorization: Bearer nope\r\n")
        XCTAssertEqual(eighth.status, 401)
        XCTAssertGreaterThanOrEqual(eighth.seconds, 1.0, "and the 8th")
        // The 9th is delayed by 4 s. Meanwhile valid credentials are served at once, and
        // SIGTERM is not held up by the pending timer (closed, not awaited).
        let pending = Thread { _ = timed("/api/v1/streams", "Authorization: Bearer nope\r\n") }
        pending.start()
        Thread.sleep(forTimeInterval: 0.3)
        let good = timed("/api/v1/streams", "Authorization: \(Self.basic)\r\n")
        XCTAssertEqual(good.status, 200)
        XCTAssertLessThan(good.seconds, 0.5)
        let t0 = Date()
        XCTAssertEqual(gw.stop(), 0)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2.5, "SIGTERM while a delayed 401 was pending")
    }
}
