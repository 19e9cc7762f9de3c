// Pure tests of VTXWeb pieces (no sockets): JSONWriter, PrometheusWriter, Base64,
// Auth.equal, the auth throttle and the playlist token rewrite. They live in the
// IntegrationTests target because it is the one that depends on VTXWeb.
import Foundation
import XCTest
@testable import VTXEngine
@testable import VTXWeb

final class APIJSONWriterTests: XCTestCase {
    func parse(_ w: JSONWriter) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(w.bytes), options: [.fragmentsAllowed])
    }

    func testNestedContainersAndCommas() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", 1)
        w.key("b"); w.beginArray(); w.value(1); w.value("x"); w.null(); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
        w.field("c", true)
        w.field("d", nil as String?)
        w.field("e", nil as Int?)
        w.field("f", nil as Double?)
        w.field("g", Int64(-5))
        w.key("h"); w.beginObject(); w.field("i", "j"); w.endObject()
        w.endObject()
        XCTAssertEqual(w.string, #"{"a":1,"b":[1,"x",null,{},[]],"c":true,"d":null,"e":null,"f":null,"g":-5,"h":{"i":"j"}}"#)
        let o = try XCTUnwrap(try parse(w) as? [String: Any])
        XCTAssertEqual(o.count, 8)
    }

    func testStringEscaping() throws {
        let nasty = "q\"b\\s/\n\r\t\u{0}\u{1}\u{1f}\u{7f}é😀\u{2028}</script>"
        var w = JSONWriter()
        w.beginArray(); w.value(nasty); w.endArray()
        let text = w.string
        XCTAssertFalse(text.utf8.contains { $0 < 0x20 }, "no raw control characters: \(text)")
        XCTAssertTrue(text.contains(#"\u0000"#))
        XCTAssertTrue(text.contains(#"\u007f"#))
        let back = try XCTUnwrap(try parse(w) as? [String])
        XCTAssertEqual(back, [nasty])
    }

    func testInvalidUTF8BecomesReplacementCharacter() throws {
        var w = JSONWriter()
        w.beginArray(); w.value(bytes: [0x61, 0xFF, 0xC3, 0x62]); w.endArray()
        let back = try XCTUnwrap(try parse(w) as? [String])
        XCTAssertEqual(back, ["a\u{FFFD}\u{FFFD}b"])
    }

    func testNumbers() throws {
        XCTAssertEqual(JSONWriter.format(0), "0")
        XCTAssertEqual(JSONWriter.format(1.5), "1.5")
        XCTAssertEqual(JSONWriter.format(-0.25), "-0.25")
        XCTAssertEqual(JSONWriter.format(0.0004), "0")
        XCTAssertEqual(JSONWriter.format(12.1), "12.1")
        XCTAssertEqual(JSONWriter.format(1e12), "1000000000000")
        var w = JSONWriter()
        w.beginArray(); w.value(Double.nan); w.value(Double.infinity); w.value(2.0); w.value(Int.max); w.value(Int.min); w.endArray()
        XCTAssertEqual(w.string, "[null,null,2,\(Int.max),\(Int.min)]")
        XCTAssertNotNil(try parse(w))
        // Large doubles stay valid JSON numbers.
        for d in [1e14, 1e15, 1e16, 8.9e18, 9.2e18, 1e19, -3e19, 1e300, -3e17, 123456.789] {
            var v = JSONWriter()
            v.beginArray(); v.value(d); v.endArray()
            let back = try XCTUnwrap(try parse(v) as? [NSNumber], v.string)
            XCTAssertEqual(back.first?.doubleValue ?? 0, d, accuracy: abs(d) * 1e-9 + 0.001, v.string)
        }
    }
}

final class MetricsWriterTests: XCTestCase {
    func testFamiliesSamplesAndEscaping() {
        var p = PrometheusWriter()
        p.family("x_total", "counter", "Things.")
        p.sample("x_total", [("a", "plain"), ("b", "q\"b\\s\nn")], 3)
        p.sample("x_total", 0.5)
        p.sample("x_total", [("c", "é")], Double.nan)
        p.sample("x_total", Double.infinity)
        p.sample("x_total", 1e15)
        p.sample("x_total", -2)
        XCTAssertEqual(p.text, """
        # HELP x_total Things.
        # TYPE x_total counter
        x_total{a="plain",b="q\\"b\\\\s\\nn"} 3
        x_total 0.5
        x_total{c="é"} NaN
        x_total +Inf
        x_total \(PrometheusWriter.format(1e15))
        x_total -2

        """)
        XCTAssertNotNil(Double(PrometheusWriter.format(1e15)))
        XCTAssertNotNil(Double(PrometheusWriter.format(123456789.123)))
        XCTAssertEqual(PrometheusWriter.format(-0.0), "0")
        for v in [1e19, -1e19, 1e300] { XCTAssertEqual(Double(PrometheusWriter.format(v)), v, "no trap beyond Int64") }
    }
}

final class AuthUnitTests: XCTestCase {
    func testBase64() {
        let cases: [(String, String)] = [("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"),
                                         ("Zm9vYmE=", "fooba"), ("Zm9vYmFy", "foobar"), ("YWRtaW46cHc=", "admin:pw"),
                                         ("Zm9vYmFy", "foobar")]
        for (encoded, plain) in cases {
            XCTAssertEqual(Base64.decode(encoded[...]), Array(plain.utf8), encoded)
        }
        // Every byte value round-trips through Foundation's encoder.
        let all = Data((0...255).map { UInt8($0) })
        XCTAssertEqual(Base64.decode(all.base64EncodedString()[...]), Array(all))
        for bad in ["Zm9v!", "Zm 9v", "Zm9v\n", "é"] { XCTAssertNil(Base64.decode(bad[...]), bad) }
    }

    func testEqualIsExact() {
        let secret = Array("tok-0123456789".utf8)
        XCTAssertTrue(Auth.equal(secret, secret))
        XCTAssertFalse(Auth.equal([], secret))
        XCTAssertFalse(Auth.equal(Array(secret.dropLast()), secret))
        XCTAssertFalse(Auth.equal(secret + [0], secret), "a trailing NUL")
        XCTAssertFalse(Auth.equal(secret + Array(repeating: 0, count: 256), secret), "256 extra bytes")
        XCTAssertFalse(Auth.equal(secret + Array(repeating: 65, count: 256), secret), "length difference a multiple of 256")
        XCTAssertFalse(Auth.equal(secret + Array(repeating: 65, count: 512), secret))
        var flipped = secret
        flipped[flipped.count - 1] ^= 1
        XCTAssertFalse(Auth.equal(flipped, secret))
        XCTAssertFalse(Auth.equal(secret, []) , "an empty secret only matches empty input")
        XCTAssertTrue(Auth.equal([], []))
    }

    func testThrottleSchedule() {
        let t = AuthThrottle()
        let delays = (0..<12).map { _ in t.failed("10.0.0.1") }
        XCTAssertEqual(delays, [0, 0, 0, 0, 0, 1000, 2000, 3000, 4000, 5000, 5000, 5000])
        XCTAssertEqual(t.failed("10.0.0.2"), 0, "per address")
        t.succeeded("10.0.0.1")
        XCTAssertEqual(t.failed("10.0.0.1"), 0, "a success resets")
        // Bounded however many addresses fail at once, and an address being slowed
        // stays slowed through a spray of others.
        for _ in 0..<7 { _ = t.failed("10.0.0.9") }
        for i in 0..<5000 { _ = t.failed("2001:db8::\(i)") }
        XCTAssertLessThanOrEqual(t.failures.count, 1024)
        XCTAssertEqual(t.failed("10.0.0.9"), 3000)
    }
}

final class HLSServingUnitTests: XCTestCase {
    /// nginx's static-module mapping of open() errors (issue 13), ELOOP (a symlink
    /// under O_NOFOLLOW) kept at 404.
    func testOpenErrnoStatus() {
        for e in [ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP] { XCTAssertEqual(HLSEndpoint.status(forOpenErrno: e), 404, "errno \(e)") }
        XCTAssertEqual(HLSEndpoint.status(forOpenErrno: EACCES), 403)
        for e in [EMFILE, ENFILE, EIO, ENOMEM, EAGAIN, EINTR, EPERM, EOVERFLOW] {
            XCTAssertEqual(HLSEndpoint.status(forOpenErrno: e), 503, "errno \(e)")
        }
    }

    func testBurstLogOneLinePerInterval() {
        var b = BurstLog()
        XCTAssertEqual(b.note(nowMs: 1_000), 1, "the first failure is logged at once")
        XCTAssertNil(b.note(nowMs: 1_001))
        XCTAssertNil(b.note(nowMs: 10_999))
        XCTAssertEqual(b.note(nowMs: 11_000), 3, "10 s later: one line for the three")
        XCTAssertNil(b.note(nowMs: 11_500))
        XCTAssertEqual(b.note(nowMs: 500_000), 2, "a new burst much later counts the unlogged one too")
        XCTAssertEqual(b.note(nowMs: 510_000), 1)
    }

    func testSafeFileNames() {
        for ok in ["index.m3u8", "index0.ts", "seg-1_a.ts", "A.B.C.m4s"] { XCTAssertTrue(HLSEndpoint.isSafeFileName(ok), ok) }
        for bad in ["", ".", "..", ".hidden.ts", "a/b.ts", "a\\b.ts", "a b.ts", "a%2e.ts", "a\u{0}.ts", "é.ts",
                    String(repeating: "a", count: 129)] {
            XCTAssertFalse(HLSEndpoint.isSafeFileName(bad), bad)
        }
    }

    func testContentTypeByTheLastExtension() {
        let served = ["index.m3u8": "application/vnd.apple.mpegurl", "seg1.ts": "video/mp2t", "a.b.m4s": "video/iso.segment",
                      "init.mp4": "video/mp4", "x.aac": "audio/aac", "subs.vtt": "text/vtt"]
        for (file, type) in served { XCTAssertEqual(HLSEndpoint.contentType(of: file), type, file) }
        for file in ["", "ts", "a.", ".", "a.tsx", "a.t", "a.m3u", "a.m3u8x", "a.TS", "m3u8.txt"] {
            XCTAssertNil(HLSEndpoint.contentType(of: file), file)
        }
    }

    func testPlaylistTokenRewrite() {
        let input = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"key?x=1\",IV=0x1\n#EXTINF:1.0,\nseg0.m4s\n\n#EXTINF:1.0,\r\nseg1.m4s\r\nseg2.ts#frag\n"
        let out = String(decoding: PlaylistToken.adding("a b&c/é", to: Array(input.utf8)), as: UTF8.self)
        let t = "token=a%20b%26c%2F%C3%A9"
        XCTAssertEqual(out, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"init.mp4?\(t)\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"key?x=1&\(t)\",IV=0x1\n#EXTINF:1.0,\nseg0.m4s?\(t)\n\n#EXTINF:1.0,\r\nseg1.m4s?\(t)\r\nseg2.ts?\(t)#frag\n")
        // Two attributes on one tag, and one left open (copied as it is).
        let tags = "#EXT-X-SESSION-DATA:URI=\"a\",X-URI=\"b\"\n#EXT-X-FOO:URI=\"open\n"
        XCTAssertEqual(String(decoding: PlaylistToken.adding("x", to: Array(tags.utf8)), as: UTF8.self),
                       "#EXT-X-SESSION-DATA:URI=\"a?token=x\",X-URI=\"b?token=x\"\n#EXT-X-FOO:URI=\"open\n")
        XCTAssertEqual(PlaylistToken.adding("x", to: []), [])
        XCTAssertEqual(String(decoding: PlaylistToken.adding("x", to: Array("a.ts".utf8)), as: UTF8.self), "a.ts?token=x")
    }
}

final class RouterUnitTests: XCTestCase {
    func testPathPatterns() {
        let p = PathPattern("/api/v1/streams/{name}/{action}")
        XCTAssertEqual(p.match(["api", "v1", "streams", "cam", "start"]), ["cam", "start"])
        XCTAssertEqual(p.match(["api", "v1", "streams", "", "start"]), ["", "start"], "an empty segment is still a segment")
        XCTAssertNil(p.match(["api", "v1", "streams", "cam"]))
        XCTAssertNil(p.match(["api", "v1", "streams", "cam", "start", "x"]))
        XCTAssertNil(p.match(["api", "v2", "streams", "cam", "start"]))
        XCTAssertEqual(PathPattern("/").match([]), [])
        XCTAssertNil(PathPattern("/").match([""]))
        XCTAssertNil(PathPattern("/healthz").match(["healthz", ""]), "/healthz/ is not /healthz")
        let rest = PathPattern("/hls/**")
        for ok in [["hls"], ["hls", "a"], ["hls", "a", "b", "c"]] { XCTAssertEqual(rest.match(ok), [], "\(ok)") }
        XCTAssertNil(rest.match([]))
        XCTAssertNil(rest.match(["api"]))
        XCTAssertEqual(PathPattern("/**").match(["x", "y"]), [])
    }

    func testGroupsClaimAndRoutesAnswerInTableOrder() {
        let routes = [
            Route("/api/v1/streams", [.GET, .HEAD]) { _ in },
            Route("/api/v1/streams/{name}", [.POST], label: "named") { _ in },
        ]
        let group = RouteGroup(claims: ["/api/**"], label: "/api", access: .credentials, errors: .json, routes: routes)
        XCTAssertTrue(group.claims(["api", "nothing", "here"]))
        XCTAssertFalse(group.claims(["hls", "a", "b"]))
        XCTAssertEqual(group.route(for: ["api", "v1", "streams"])?.0.label, "/api/v1/streams")
        XCTAssertEqual(group.route(for: ["api", "v1", "streams", "cam"])?.0.label, "named")
        XCTAssertEqual(group.route(for: ["api", "v1", "streams", "cam"]).map { Array($0.1) }, ["cam"])
        XCTAssertNil(group.route(for: ["api", "v1"]))
        XCTAssertEqual(routes.map(\.allow), ["GET, HEAD", "POST"])
        XCTAssertEqual(Route("/hls/{stream}/{file}", [.GET, .HEAD, .OPTIONS]) { _ in }.allow, "GET, HEAD, OPTIONS")
    }
}

final class HTTPFailureUnitTests: XCTestCase {
    /// The engine's words → status, error code, message, Retry-After: the one mapping.
    func testHTTPFailureOfEveryUnavailability() {
        func row(_ why: Unavailability) -> String {
            let f = HTTPFailure(why)
            return "\(f.status) \(f.code) \(f.message) \(f.retryAfterSec.map(String.init) ?? "-")"
        }
        XCTAssertEqual(row(.refused(.shuttingDown)), "503 shutting_down gateway is shutting down 5")
        XCTAssertEqual(row(.refused(SpawnRefusal(reason: .maxStreams, detail: "max_streams 2 reached", retryAfterSec: 10))),
                       "503 max_streams max_streams 2 reached 10")
        XCTAssertEqual(row(.refused(SpawnRefusal(reason: .memory, detail: "memory guard: …", retryAfterSec: 10))),
                       "503 memory_guard memory guard: … 10")
        XCTAssertEqual(row(.failed(detail: "crashed: exit 1")), "503 stream_failed crashed: exit 1 -")
        XCTAssertEqual(row(.timedOut(detail: "no playlist within 20 s")), "504 start_timeout no playlist within 20 s -")
        XCTAssertEqual(row(.stopped), "503 stopped stream stopped by operator -")
        XCTAssertEqual(row(.startFailed(reason: .crashed, detail: "crashed: exit 1", retryInSec: 3)), "502 crashed crashed: exit 1 3")
        XCTAssertEqual(row(.startFailed(reason: .spawnFailed, detail: "x", retryInSec: nil)), "502 spawn_failed x -")
        XCTAssertEqual(row(.backoff(detail: "crashed", retryInSec: 30)), "503 backoff crashed; next try in 30 s 30")
        XCTAssertEqual(row(.notStarted), "503 unavailable stream could not be started 5")
        XCTAssertEqual(row(.removed), "404 unknown_stream stream removed from the configuration -")
        XCTAssertEqual(HTTPFailure(.stopped).headers.count, 0)
        XCTAssertEqual(HTTPFailure(.notStarted).headers.first?.1, "5")
    }
}
