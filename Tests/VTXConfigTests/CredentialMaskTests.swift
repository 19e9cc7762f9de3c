import XCTest
@testable import VTXConfig

final class CredentialMaskTests: XCTestCase {
    func testUserinfoPassword() {
        XCTAssertEqual(CredentialMask.mask("rtsp://admin:s3cret@host"), "rtsp://admin:***@host")
        XCTAssertEqual(CredentialMask.mask("rtsp://admin:s3cret@192.168.1.10:554/Streaming/101"), "rtsp://admin:***@192.168.1.10:554/Streaming/101")
        XCTAssertEqual(CredentialMask.mask("rtsp://admin:p%40ss@host/x"), "rtsp://admin:***@host/x")
        XCTAssertEqual(CredentialMask.mask("rtsp://admin:p@ss@host/x"), "rtsp://admin:***@host/x")
        XCTAssertEqual(CredentialMask.mask("rtsp://u:pa:ss@[::1]:554/x"), "rtsp://u:***@[::1]:554/x")
        XCTAssertEqual(CredentialMask.mask("RTMPS://user:key@live.example.com/app"), "RTMPS://user:***@live.example.com/app")
    }

    func testNoPasswordUnchanged() {
        for text in ["rtsp://admin@host/x", "rtsp://admin:@host/x", "rtsp://host:554/x", "http://[::1]:8080/a@b",
                     "rtsp://host/path/user:pw@thing", "mailto:someone@example.com", "user:pass@host"] {
            XCTAssertEqual(CredentialMask.mask(text), text)
        }
    }

    func testQueryParameters() {
        XCTAssertEqual(CredentialMask.mask("http://h/x?token=abc"), "http://h/x?token=***")
        XCTAssertEqual(CredentialMask.mask("http://h/x?a=1&Password=p&pass=q&pwd=r&passwd=s&KEY=t&secret=u&auth=v&b=2#frag"),
                       "http://h/x?a=1&Password=***&pass=***&pwd=***&passwd=***&KEY=***&secret=***&auth=***&b=2#frag")
        XCTAssertEqual(CredentialMask.mask("https://h/x?access_token=abc&api-key=def&keyframes=1&monkey=2"),
                       "https://h/x?access_token=***&api-key=***&keyframes=1&monkey=2")
        XCTAssertEqual(CredentialMask.mask("http://h/x?token="), "http://h/x?token=")
        // Without a scheme, e.g. a request line in a log.
        XCTAssertEqual(CredentialMask.mask("GET /live/cam/index.m3u8?token=abc HTTP/1.1"), "GET /live/cam/index.m3u8?token=*** HTTP/1.1")
        // Both userinfo and query.
        XCTAssertEqual(CredentialMask.mask("rtsp://u:p@h/x?token=abc"), "rtsp://u:***@h/x?token=***")
    }

    func testEmbeddedInFFmpegLines() {
        XCTAssertEqual(
            CredentialMask.mask("[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized rtsp://u:p@h/x?token=abc"),
            "[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized rtsp://u:***@h/x?token=***")
        XCTAssertEqual(
            CredentialMask.mask("Input #0, rtsp, from 'rtsp://admin:hunter2@10.0.0.1:554/live':"),
            "Input #0, rtsp, from 'rtsp://admin:***@10.0.0.1:554/live':")
        XCTAssertEqual(
            CredentialMask.mask("copy \"rtsp://a:b1@h1/x\" to rtmp://c:d2@h2/live?key=zz and http://e:f3@h3"),
            "copy \"rtsp://a:***@h1/x\" to rtmp://c:***@h2/live?key=*** and http://e:***@h3")
    }

    func testTextWithoutURLsUnchanged() {
        for text in ["", "frame=  100 fps= 25 q=-1.0 size=N/A time=00:00:04.00 bitrate=N/A speed=1x",
                     "[hls @ 0x5566] Opening '/dev/shm/vtx-hls/cam/index5.ts' for writing",
                     "key=value a=b token", "e-mail me@example.com", "naïve ünïcödé @ ✓ = ?"] {
            XCTAssertEqual(CredentialMask.mask(text), text)
        }
    }

    func testUnicodeAroundMaskedParts() {
        XCTAssertEqual(CredentialMask.mask("caméra rtsp://ü:pässwörd@hôst/ß ✓"), "caméra rtsp://ü:***@hôst/ß ✓")
    }

    func testLiteralSecrets() {
        let secrets = ["hunter2", "tok-123456", "ab"]
        XCTAssertEqual(CredentialMask.mask("Password hunter2 rejected; token tok-123456", secrets: secrets),
                       "Password *** rejected; token ***")
        // Too-short secrets are ignored.
        XCTAssertEqual(CredentialMask.mask("about abc", secrets: secrets), "about abc")
        // URL masking still applies.
        XCTAssertEqual(CredentialMask.mask("rtsp://u:zz9@h", secrets: []), "rtsp://u:***@h")
        XCTAssertEqual(CredentialMask.mask("nothing here", secrets: secrets), "nothing here")
    }

    func testSecretsOfConfig() throws {
        let text = """
            server:
              auth:
                username: admin
                password: adminpass
                token: bearer-token-1
            streams:
              - name: a
                source: "rtsp://cam:p%40ss@10.0.0.1/x"
              - name: b
                source: "http://h/live.m3u8?token=qwerty&x=1"
              - name: c
                source: "rtsp://u:p1@h/short"
                output_args: ["-f", "flv", "rtmp://h/app?key=streamkey", "-f", "hls", "{output_dir}/i.m3u8"]
            """
        let config = try ConfigLoader.parse(text: text, fileName: "t.yaml", environment: { _ in nil }).get()
        let found = secrets(of: config)
        XCTAssertEqual(Set(found), ["adminpass", "bearer-token-1", "p%40ss", "p@ss", "qwerty", "streamkey"])
        XCTAssertEqual(found.first, "bearer-token-1")  // longest first
        XCTAssertEqual(config.secrets, found)
        XCTAssertEqual(CredentialMask.mask("auth failed for p@ss", secrets: found), "auth failed for ***")
    }

    func testSummaryNeverPrintsSecrets() throws {
        let text = """
            server:
              listen: ":9000"
              auth:
                username: admin
                password: adminpass
                token: bearer-token-1
            streams:
              - name: lobby_cam
                source: "rtsp://admin:password@192.168.1.10"
                auto_start: true
              - name: door
                source: "http://h/x.m3u8?token=qwerty"
                idle_timeout: 0
              - name: yard
                source: "rtsp://10.0.0.9/adminpass"
                output_args: ["-f", "hls", "{output_dir}/live.m3u8"]
            """
        let config = try ConfigLoader.parse(text: text, fileName: "t.yaml", environment: { _ in nil }).get()
        let summary = config.summary()
        for secret in ["password@", "adminpass", "bearer-token-1", "qwerty"] {
            XCTAssertFalse(summary.contains(secret), "\(secret) leaked:\n\(summary)")
        }
        for expected in ["0.0.0.0:9000", "/dev/shm/vtx-hls", "lobby_cam", "rtsp://admin:***@192.168.1.10", "auto_start",
                         "idle_timeout", "never idle-stopped", "live.m3u8", "index.m3u8", "max_connections 512",
                         "max_streams unlimited", "bearer token", "/metrics protected", "HLS open", "rtsp://10.0.0.9/***"] {
            XCTAssertTrue(summary.contains(expected), "missing \(expected):\n\(summary)")
        }
        let plain = try ConfigLoader.parse(text: "", fileName: "t.yaml", environment: { _ in nil }).get().summary()
        XCTAssertTrue(plain.contains("off"), plain)
        XCTAssertTrue(plain.contains("streams           0"), plain)
    }
}
