// The embedded dashboard (Assets/dashboard), checked in a real headless Chromium
// against the real gateway. Chromium is driven over the DevTools protocol on pipes
// (--remote-debugging-pipe: commands on its fd 3, replies and events on its fd 4,
// NUL-separated JSON), so no WebSocket client or Python package is needed.
import Foundation
import XCTest

final class DashboardTests: XCTestCase {
    static let assets = Harness.packageRoot + "/Assets/dashboard"
    static let generated = Harness.packageRoot + "/Sources/CDashboard/dashboard_assets.c"
    static let budget = 30 * 1024

    // MARK: - Static checks

    func testAssetsWithinBudgetAndEmbeddedCopyIsCurrent() throws {
        let check = Harness.run(["/usr/bin/python3", Harness.packageRoot + "/tools/embed-dashboard", "--check"])
        XCTAssertEqual(check.status, 0, "tools/embed-dashboard --check: \(check.stdout)\(check.stderr)")

        let c = try String(contentsOfFile: Self.generated, encoding: .utf8)
        let total = try XCTUnwrap(c.firstMatch(of: try Regex(#"vtx_dashboard_gzip_total = (\d+);"#)).flatMap { $0.output[1].substring.flatMap { Int($0) } })
        // Cross-check: the gzip sizes of the files themselves (gzip -9n, as the generator does).
        var sum = 0
        var report: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.assets).sorted()
        where ["html", "css", "js", "svg"].contains((name as NSString).pathExtension) {
            let r = Harness.run(["/bin/sh", "-c", "gzip -9n -c \"$0\" | wc -c", Self.assets + "/" + name])
            let size = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            XCTAssertGreaterThan(size, 0, name)
            sum += size
            report.append("\(name) \(size) B")
        }
        print("dashboard gzip sizes: \(report.joined(separator: ", ")); embedded total \(total) B of \(Self.budget) B")
        XCTAssertLessThanOrEqual(total, Self.budget, "dashboard over budget: \(total) B gzip")
        XCTAssertLessThanOrEqual(sum, Self.budget, "dashboard over budget: \(sum) B gzip")
        XCTAssertLessThan(abs(sum - total), 64 * report.count, "embedded sizes do not match the assets")
    }

    /// The CSP forbids inline script and style; data is only ever inserted as text.
    func testNoInlineScriptOrStyleAndNoHTMLInjection() throws {
        let html = try String(contentsOfFile: Self.assets + "/index.html", encoding: .utf8)
        for tag in html.matches(of: try Regex(#"<script\b[^>]*>"#)) {
            XCTAssertTrue(html[tag.range].contains("src="), "inline <script>: \(html[tag.range])")
        }
        XCTAssertNil(html.firstMatch(of: try Regex(#"<style\b"#).ignoresCase()), "inline <style>")
        XCTAssertNil(html.firstMatch(of: try Regex(#"\sstyle\s*="#).ignoresCase()), "style attribute")
        XCTAssertNil(html.firstMatch(of: try Regex(#"\son[a-z]+\s*="#).ignoresCase()), "inline event handler")
        XCTAssertNil(html.firstMatch(of: try Regex(#"(src|href)\s*=\s*"(https?:)?//"#).ignoresCase()), "external resource (no CDN)")
        let js = try String(contentsOfFile: Self.assets + "/app.js", encoding: .utf8)
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'"] {
            XCTAssertFalse(js.contains(sink), "app.js uses \(sink)")
        }
        XCTAssertEqual(js.components(separatedBy: "new EventSource(").count - 1, 1, "one EventSource")
        XCTAssertEqual(js.components(separatedBy: "fetch(").count - 1, 3, "fetches: the system header, the commands and the thumbnails only")
    }

    func testServesAssetsWithCSPGzipAndETag() throws {
        let gw = try GatewayProcess(name: "dash-http") { port, root in Self.yaml(port, root, streams: "") }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let page = gw.curl("/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        let csp = try XCTUnwrap(page.headers["content-security-policy"])
        XCTAssertTrue(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"), csp)
        XCTAssertTrue(page.text.contains("<script src=\"app.js\""))
        for (file, type) in [("app.js", "text/javascript"), ("style.css", "text/css"), ("icon.svg", "image/svg+xml")] {
            let r = gw.curl("/" + file, headers: ["Accept-Encoding": "gzip"])
            XCTAssertEqual(r.status, 200, file)
            XCTAssertEqual(r.headers["content-encoding"], "gzip", file)
            XCTAssertTrue(r.headers["content-type"]?.hasPrefix(type) ?? false, file)
            let etag = try XCTUnwrap(r.headers["etag"], file)
            XCTAssertEqual(gw.curl("/" + file, headers: ["If-None-Match": etag]).status, 304, file)
        }
    }

    // MARK: - In the browser

    /// The page follows the API live: POST start/stop from outside turns the card
    /// running/idle without a reload; a hostile source name is shown as text.
    func testCardsFollowStateLiveAndShowSourcesAsText() throws {
        let evil = "rtsp://h/<img src=x onerror=alert(1)>"
        let gw = try GatewayProcess(name: "dash-live") { port, root in
            Self.yaml(port, root, streams: Synthetic.stream("demo") + "\n" + """
              - name: "evil"
                source: "\(evil)"
            """)
        }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor("document.querySelector('#conn').dataset.state === 'live'", timeout: 10), "event stream not live")
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 5), "demo card")
        XCTAssertEqual(try browser.eval("document.querySelectorAll('[data-stream]').length") as? Int, 2)
        try browser.eval("window.__sameDocument = true")

        // Hostile data stays text: no element, no script, no dialog.
        XCTAssertEqual(try browser.eval("document.querySelector('[data-stream=\"evil\"] .source').textContent") as? String, evil)
        XCTAssertEqual(try browser.eval("document.querySelectorAll('main img:not(.thumb)').length") as? Int, 0)

        // Header from the one GET /api/v1/system and the stats events.
        XCTAssertTrue(browser.waitFor("document.querySelector('#version').textContent.startsWith('v')", timeout: 5))
        XCTAssertEqual(try browser.eval("document.querySelector('#configured').textContent") as? String, "2")
        XCTAssertEqual(try browser.eval("document.querySelector('#fstype').textContent") as? String, "tmpfs")
        XCTAssertEqual(try browser.eval("document.querySelector('#fs-warn').hidden") as? Bool, true, "/dev/shm is a RAM disk")

        XCTAssertEqual(gw.curl("/api/v1/streams/demo/start", method: "POST", headers: ["X-VTX-Request": "1"]).status, 202)
        try assertCardFollows(gw, browser, "demo", to: "running", within: 30)
        XCTAssertEqual(try browser.eval("document.querySelector('#running').textContent") as? String, "1")
        XCTAssertTrue(browser.waitFor("/\\d/.test(document.querySelector('[data-stream=\"demo\"] .uptime').textContent)", timeout: 3))

        XCTAssertEqual(gw.curl("/api/v1/streams/demo/stop", method: "POST", headers: ["X-VTX-Request": "1"]).status, 202)
        try assertCardFollows(gw, browser, "demo", to: "idle", within: 15)

        XCTAssertEqual(try browser.eval("window.__sameDocument") as? Bool, true, "the page was reloaded")
        // Live, not polling: one system request, no API request after it (the event
        // stream, still open, is not in the finished-resources list).
        // (Thumbnails of running streams are fetched every 10 s by design: not counted.)
        let apiRequests = "performance.getEntriesByType('resource').filter(r => r.name.includes('/api/') && !r.name.includes('/snapshot.jpg')).map(r => new URL(r.name).pathname)"
        let before = try browser.eval(apiRequests) as? [String] ?? []
        XCTAssertEqual(before, ["/api/v1/system"], "\(before)")
        Thread.sleep(forTimeInterval: 3)
        XCTAssertEqual(try browser.eval(apiRequests) as? [String] ?? [], before, "the page polls")
        XCTAssertEqual(browser.dialogs, [], "a dialog opened (script ran?)")
        // The stop may land while the card's first thumbnail is being made: that one
        // request is a 503 (not running), which Chromium logs; nothing else may be.
        let problems = browser.problems.filter { !($0.contains("status of 503") && $0.contains("/snapshot.jpg")) }
        XCTAssertEqual(problems, [], "console errors / CSP violations")
    }

    /// A running stream's card shows its snapshot within 15 s, a refresh ~10 s later
    /// shows another picture (testsrc moves), and the card has its fps and kbit/s.
    func testRunningStreamShowsAThumbnailThatRefreshes() throws {
        let gw = try GatewayProcess(name: "dash-thumb") { port, root in
            Self.yaml(port, root, streams: SnapshotTests.moving("demo"), server: "  min_available_mb: 0")
        }
        defer { gw.stop() }
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 10), "demo card")
        let thumb = "document.querySelector('[data-stream=\"demo\"] .thumb')"
        XCTAssertEqual(try browser.eval("\(thumb).hidden") as? Bool, true, "an idle stream has no picture")
        XCTAssertEqual(gw.curl("/api/v1/streams/demo/start", method: "POST", headers: ["X-VTX-Request": "1"]).status, 202)
        try assertCardFollows(gw, browser, "demo", to: "running", within: 30)
        let running = Date()
        XCTAssertTrue(browser.waitFor("!\(thumb).hidden && \(thumb).complete && \(thumb).naturalWidth === 320", timeout: 15),
                      "no thumbnail within 15 s of running")
        let shownAfter = Date().timeIntervalSince(running)
        // The decoded pixels, hashed in the page (a blob: URL is same-origin: the canvas is readable).
        let hash = "(() => { const i = \(thumb), c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;"
            + " const x = c.getContext('2d'); x.drawImage(i, 0, 0); const d = x.getImageData(0, 0, c.width, c.height).data;"
            + " let h = 0; for (let k = 0; k < d.length; k += 4) h = (Math.imul(h, 31) + d[k] + d[k + 1] + d[k + 2]) >>> 0; return h; })()"
        let refreshes = try XCTUnwrap(Int(try browser.eval("\(thumb).dataset.refreshes") as? String ?? ""))
        let first = try browser.eval(hash) as? Int
        XCTAssertTrue(browser.waitFor("Number(\(thumb).dataset.refreshes) > \(refreshes) && \(thumb).complete", timeout: 15), "not refreshed")
        let second = try browser.eval(hash) as? Int
        XCTAssertNotNil(first)
        XCTAssertNotEqual(first, second, "the refreshed thumbnail shows the same pixels")
        XCTAssertTrue(browser.waitFor("/fps · \\d+ kbit\\/s/.test(document.querySelector('[data-stream=\"demo\"] .input').textContent)", timeout: 5),
                      (try? browser.eval("document.querySelector('[data-stream=\"demo\"] .input').textContent") as? String) ?? "")
        print("DASHBOARD-MEASURE thumbnail shown \(String(format: "%.1f", shownAfter)) s after the card turned running; refreshed pixels differ")
        XCTAssertEqual(browser.problems, [], "console errors / CSP violations")
    }

    /// The card's buttons use the API (with X-VTX-Request), stop asks first, and
    /// refusals (409, 503 with its reason) appear in the card.
    func testButtonsCommandTheStreamAndShowErrors() throws {
        let gw = try GatewayProcess(name: "dash-buttons") { port, root in Self.yaml(port, root, streams: Synthetic.stream("demo")) }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 10))

        // Stop on an idle stream: confirm(), then 409 shown in the card.
        try browser.eval(Self.click("demo", "[data-action=stop]"))
        XCTAssertTrue(browser.waitFor(Self.errorContains("demo", "409"), timeout: 5), "409 not shown")
        XCTAssertEqual(browser.dialogs.count, 1)
        XCTAssertTrue(browser.dialogs.first?.contains("Stop stream \"demo\"") ?? false, "\(browser.dialogs)")

        try browser.eval(Self.click("demo", "[data-action=start]"))
        try assertCardFollows(gw, browser, "demo", to: "running", within: 30)
        XCTAssertEqual(try browser.eval("document.querySelector('[data-stream=\"demo\"] .error').hidden") as? Bool, true, "old error cleared")
        try browser.eval(Self.click("demo", "[data-action=stop]"))
        try assertCardFollows(gw, browser, "demo", to: "idle", within: 15)
        XCTAssertEqual(browser.dialogs.count, 2)
        XCTAssertEqual(browser.problems.filter { !$0.contains("409") }, [])
    }

    func testMemoryGuardRefusalIsShownWithItsReason() throws {
        let gw = try GatewayProcess(name: "dash-503") { port, root in
            Self.yaml(port, root, streams: Synthetic.stream("demo"), server: "  min_available_mb: 100000000\n")
        }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 10))
        XCTAssertTrue(browser.waitFor("!document.querySelector('#membar .guard').hidden", timeout: 5), "guard marker")
        XCTAssertEqual(try browser.eval("document.querySelector('#membar').dataset.low") as? String, "true")
        try browser.eval(Self.click("demo", "[data-action=start]"))
        XCTAssertTrue(browser.waitFor(Self.errorContains("demo", "503"), timeout: 5), "503 not shown")
        let error = try browser.eval("document.querySelector('[data-stream=\"demo\"] .error').textContent") as? String ?? ""
        XCTAssertTrue(error.contains("memory guard") && error.contains("retry after"), error)
    }

    /// With HTTP Basic auth on, the browser's credentials cover the page, the event
    /// stream, the system request and the commands.
    func testWorksBehindBasicAuth() throws {
        let gw = try GatewayProcess(name: "dash-auth") { port, root in
            Self.yaml(port, root, streams: Synthetic.stream("demo"), server: "  auth:\n    username: \"admin\"\n    password: \"s3cret\"\n")
        }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        XCTAssertEqual(gw.curl("/").status, 401)
        XCTAssertEqual(gw.curl("/api/v1/events").status, 401)
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open("http://admin:s3cret@127.0.0.1:\(gw.port)/")
        XCTAssertTrue(browser.waitFor("document.querySelector('#conn').dataset.state === 'live'", timeout: 10), "event stream not live")
        XCTAssertTrue(browser.waitFor("document.querySelector('#version').textContent.startsWith('v')", timeout: 5), "system request refused")
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 5))
        try browser.eval(Self.click("demo", "[data-action=start]"))
        let basic = ["Authorization": "Basic " + Data("admin:s3cret".utf8).base64EncodedString()]
        try assertCardFollows(gw, browser, "demo", to: "running", within: 30, headers: basic)
        XCTAssertEqual(try browser.eval("document.querySelector('[data-stream=\"demo\"] .error').hidden") as? Bool, true)
        XCTAssertEqual(browser.problems, [])
    }

    /// "disconnected — retrying" while the gateway does not answer; back to live by itself.
    func testReconnectsByItself() throws {
        let gw = try GatewayProcess(name: "dash-reconnect") { port, root in Self.yaml(port, root, streams: Synthetic.stream("demo")) }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor("document.querySelector('#conn').dataset.state === 'live'", timeout: 10))
        try browser.eval("window.__sameDocument = true")

        kill(gw.pid, SIGSTOP)  // frozen: the connection stays open but silent
        let frozen = browser.waitFor("document.querySelector('#conn').textContent === 'disconnected — retrying'", timeout: 10)
        kill(gw.pid, SIGCONT)
        XCTAssertTrue(frozen, "silence not noticed")
        XCTAssertTrue(browser.waitFor("document.querySelector('#conn').dataset.state === 'live'", timeout: 15), "did not reconnect")
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 5))

        gw.stop()  // gone: the browser's own reconnects keep failing
        XCTAssertTrue(browser.waitFor("document.querySelector('#conn').textContent === 'disconnected — retrying'", timeout: 5))
        XCTAssertEqual(try browser.eval("window.__sameDocument") as? Bool, true)
    }

    /// The preview plays the stream's playlist in a <video>; closing it releases the
    /// player so the stream goes idle.
    func testPreviewPlaysAndClosingReleasesTheStream() throws {
        let gw = try GatewayProcess(name: "dash-preview") { port, root in Self.yaml(port, root, streams: Synthetic.stream("demo", idle: 4)) }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 10))
        XCTAssertNotEqual(try browser.eval("document.createElement('video').canPlayType('application/vnd.apple.mpegurl')") as? String, "",
                          "this Chromium cannot play HLS natively")
        try browser.eval(Self.click("demo", ".play"))
        let video = "document.querySelector('[data-stream=\"demo\"] video')"
        let played = browser.waitFor("(\(video)?.currentTime ?? 0) > 2", timeout: 40)
        let position = try browser.eval("\(video)?.currentTime ?? -1")
        XCTAssertTrue(played, "video did not advance past 2 s (currentTime \(String(describing: position)), error \(String(describing: try? browser.eval("\(video)?.error?.message ?? ''"))))")
        XCTAssertEqual(try browser.eval("\(video).dataset.retries") as? String, "0",
                       "a healthy cold stream must play on the preview's first try, not after a retry")
        XCTAssertEqual(try browser.eval("\(video).muted") as? Bool, true)
        XCTAssertTrue(try browser.eval("\(video).src") as? String == gw.url("/hls/demo/index.m3u8"))
        XCTAssertEqual(stateFromAPI(gw, "demo"), "running")
        // Keeps running while watched (idle_timeout 4 s).
        Thread.sleep(forTimeInterval: 5)
        XCTAssertEqual(stateFromAPI(gw, "demo"), "running", "reclaimed while the preview played")

        XCTAssertEqual(try browser.eval("document.querySelector('[data-stream=\"demo\"] .play').getAttribute('aria-expanded')") as? String, "true")
        try browser.eval(Self.click("demo", ".play"))  // the same button closes
        XCTAssertEqual(try browser.eval("\(video) === null") as? Bool, true)
        XCTAssertTrue(Harness.waitUntil(15, interval: 0.2) { self.stateFromAPI(gw, "demo") == "idle" }, "stream not idle after the preview closed")
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "idle"), timeout: 3))
    }

    /// A camera that is down: the preview retries only while the stream is in
    /// backoff, and says why.
    func testPreviewOfAStreamInBackoffSaysWhy() throws {
        let dead = Harness.freePort()  // nothing listens there: FFmpeg fails at once
        let gw = try GatewayProcess(name: "dash-down") { port, root in
            Self.yaml(port, root, streams: """
              - name: "down"
                source: "rtsp://127.0.0.1:\(dead)/cam"
                start_timeout: 3
                retry:
                  initial_backoff_sec: 5
            """)
        }
        defer { gw.stop() }
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("down", "idle"), timeout: 10))
        try browser.eval(Self.click("down", ".play"))
        let status = "document.querySelector('[data-stream=\"down\"] .pstatus').textContent"
        XCTAssertTrue(browser.waitFor("\(status).includes('camera is unavailable')", timeout: 15),
                      "preview status: \(String(describing: try? browser.eval(status)))\n" + gw.log.suffix(1500))
        XCTAssertNotEqual(try browser.eval("document.querySelector('[data-stream=\"down\"] video').dataset.retries") as? String, "0")
    }

    /// Screenshots for people: one running stream, one failed with its history open,
    /// at desktop and phone width, light and dark. Saved next to the build products.
    func testScreenshot() throws {
        let gw = try GatewayProcess(name: "dash-shot") { port, root in
            Self.yaml(port, root, streams: Synthetic.stream("demo") + "\n" + """
              - name: "entrance"
                source: "rtsp://camera:secret@127.0.0.1:1/stream1"
                retry:
                  max_attempts: 1
                  initial_backoff_sec: 1
            """)
        }
        defer { gw.stop() }  // SIGTERM: the gateway ends its FFmpeg too
        XCTAssertEqual(gw.curl("/api/v1/streams/demo/start", method: "POST", headers: ["X-VTX-Request": "1"]).status, 202)
        XCTAssertEqual(gw.curl("/api/v1/streams/entrance/start", method: "POST", headers: ["X-VTX-Request": "1"]).status, 202)
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(gw.url("/"))
        XCTAssertTrue(browser.waitFor(Self.stateIs("entrance", "failed"), timeout: 20), "entrance did not fail")
        XCTAssertTrue(browser.waitFor(Self.stateIs("demo", "running"), timeout: 30), "demo not running")
        XCTAssertFalse(try browser.eval("document.querySelector('[data-stream=\"entrance\"] .source').textContent") as? String == "rtsp://camera:secret@127.0.0.1:1/stream1",
                       "credentials shown")
        // Expand the failure in the (already opened) history.
        XCTAssertEqual(try browser.eval("document.querySelector('[data-stream=\"entrance\"] .history').open") as? Bool, true)
        try browser.eval(Self.click("entrance", ".ev[data-kind=fail] .ev-head"))
        let stderr = try browser.eval("document.querySelector('[data-stream=\"entrance\"] .ev[data-kind=fail] .stderr').textContent") as? String ?? ""
        XCTAssertTrue(browser.waitFor("!document.querySelector('[data-stream=\"entrance\"] .ev[data-kind=fail] .stderr').hidden", timeout: 2))
        XCTAssertFalse(stderr.isEmpty)
        XCTAssertTrue(browser.waitFor("/failed/i.test(document.querySelector('[data-stream=\"entrance\"] .failure').textContent)", timeout: 2))
        Thread.sleep(forTimeInterval: 6)  // a few seconds of sparkline

        let dir = Self.buildDirectory
        try browser.screenshot(to: dir + "/dashboard-screenshot.png", width: 1280)
        try browser.screenshot(to: dir + "/dashboard-screenshot-phone.png", width: 390, mobile: true)
        XCTAssertEqual(try browser.eval("document.documentElement.scrollWidth <= innerWidth") as? Bool, true, "horizontal scrolling at phone width")
        try browser.send("Emulation.setEmulatedMedia", ["features": [["name": "prefers-color-scheme", "value": "dark"]]])
        try browser.screenshot(to: dir + "/dashboard-screenshot-dark.png", width: 1280)
        let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/dashboard-screenshot.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertGreaterThan(png.count, 20_000)
        print("dashboard screenshots in \(dir): dashboard-screenshot.png, -phone.png, -dark.png")
        XCTAssertEqual(browser.problems, [])
    }

    // MARK: - Helpers

    static func yaml(_ port: Int, _ root: String, streams: String, server: String = "") -> String {
        """
        server:
          listen: "127.0.0.1:\(port)"
          hls_root: "\(root)"
        \(server)
        streams:\(streams.isEmpty ? " []" : "\n" + streams)

        """
    }

    /// .build (or the scratch path in use, e.g. .build-dash): the parent of the
    /// configuration directory holding the binary.
    static var buildDirectory: String {
        var url = URL(fileURLWithPath: Harness.binary).deletingLastPathComponent()
        while url.pathComponents.count > 1 {
            if url.lastPathComponent.hasPrefix(".build") { return url.path }
            url.deleteLastPathComponent()
        }
        return Harness.packageRoot + "/.build"
    }

    static func stateIs(_ stream: String, _ state: String) -> String {
        "document.querySelector('[data-stream=\"\(stream)\"] .state')?.textContent === '\(state)'"
    }

    static func errorContains(_ stream: String, _ text: String) -> String {
        "(() => { const e = document.querySelector('[data-stream=\"\(stream)\"] .error'); return !e.hidden && e.textContent.includes('\(text)'); })()"
    }

    static func click(_ stream: String, _ selector: String) -> String {
        "document.querySelector('[data-stream=\"\(stream)\"] \(selector)').click()"
    }

    func stateFromAPI(_ gw: GatewayProcess, _ stream: String, headers: [String: String] = [:]) -> String? {
        let r = gw.curl("/api/v1/streams/\(stream)", headers: headers, timeout: 5)
        guard r.status == 200, let json = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any] else { return nil }
        return json["state"] as? String
    }

    /// Waits for the API to report `state`, then for the card to show it within 2 s.
    func assertCardFollows(_ gw: GatewayProcess, _ browser: HeadlessChromium, _ stream: String, to state: String, within: TimeInterval,
                           headers: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(Harness.waitUntil(within, interval: 0.05) { stateFromAPI(gw, stream, headers: headers) == state },
                      "API never reported \(stream) \(state)", file: file, line: line)
        let reported = Date()
        let shown = browser.waitFor(Self.stateIs(stream, state), timeout: 2)
        let shownState = try? browser.eval("document.querySelector('[data-stream=\"\(stream)\"] .state')?.textContent")
        XCTAssertTrue(shown, "card \(stream) shows \(String(describing: shownState)) 2 s after the API reported \(state)", file: file, line: line)
        print("card \(stream) → \(state) shown \(String(format: "%.0f", Date().timeIntervalSince(reported) * 1000)) ms after the API reported it")
    }
}

// MARK: - Headless Chromium over the DevTools protocol

/// One headless Chromium with one page, driven over `--remote-debugging-pipe`.
final class HeadlessChromium {
    let pid: pid_t
    let profile: String
    let logPath: String
    private let commandFD: Int32
    private let replyFD: Int32
    private let cond = NSCondition()
    private let writeLock = NSLock()
    private var replies: [Int: [String: Any]] = [:]
    private var nextID = 0
    private var ended = false
    private var dialogMessages: [String] = []
    private var problemMessages: [String] = []
    private var session: String?
    private var width = 1280, height = 900

    /// `message`s of the dialogs (alert/confirm) the page opened; each was accepted.
    var dialogs: [String] { cond.lock(); defer { cond.unlock() }; return dialogMessages }
    /// Console errors, CSP violations and uncaught exceptions.
    var problems: [String] { cond.lock(); defer { cond.unlock() }; return problemMessages }

    static var executable: String? {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init() throws {
        guard let exe = HeadlessChromium.executable else {
            throw NSError(domain: "HeadlessChromium", code: 1, userInfo: [NSLocalizedDescriptionKey: "chromium not found (tools/install-deps installs it; or set CHROMIUM)"])
        }
        signal(SIGPIPE, SIG_IGN)
        let id = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        profile = NSTemporaryDirectory() + "vtx-chromium-\(id)"
        logPath = profile + ".log"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)

        // Pipes above fd 10 (so dup2 onto 3 and 4 never meets itself), close-on-exec
        // except for the two ends Chromium gets as its fds 3 and 4.
        func pipeHigh() -> (Int32, Int32) {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            let r = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), w = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
            Glibc.close(fds[0]); Glibc.close(fds[1])
            return (r, w)
        }
        let (cmdRead, cmdWrite) = pipeHigh()
        let (replyRead, replyWrite) = pipeHigh()

        let args = [exe, "--headless", "--no-sandbox", "--remote-debugging-pipe", "--user-data-dir=" + profile,
                    "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-first-run", "--no-default-browser-check",
                    "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--password-store=basic",
                    "--window-size=1280,900", "about:blank"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, cmdRead, 3)
        posix_spawn_file_actions_adddup2(&actions, replyWrite, 4)
        // Nothing else of this process leaks into Chromium (Foundation's Process keeps
        // a socket per child whose closing tells it the child ended).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 4 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group: close() can end Chromium and all its helpers, and only them.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        let argv = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, exe, &actions, &attr, argv, environ)
        Glibc.close(cmdRead); Glibc.close(replyWrite)
        guard rc == 0 else {
            Glibc.close(cmdWrite); Glibc.close(replyRead)
            throw NSError(domain: "HeadlessChromium", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(exe): \(rc)"])
        }
        pid = child
        commandFD = cmdWrite
        replyFD = replyRead
        let reader = Thread { [unowned self] in self.readLoop() }
        reader.name = "chromium-devtools"
        reader.start()
    }

    private func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(replyFD, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(of: 0) {
                let message = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                if let json = try? JSONSerialization.jsonObject(with: message) as? [String: Any] { dispatch(json) }
            }
        }
        cond.lock(); ended = true; cond.broadcast(); cond.unlock()
    }

    private func dispatch(_ json: [String: Any]) {
        if let id = json["id"] as? Int {
            cond.lock(); replies[id] = json; cond.broadcast(); cond.unlock()
            return
        }
        let params = json["params"] as? [String: Any] ?? [:]
        switch json["method"] as? String {
        case "Page.javascriptDialogOpening":
            cond.lock(); dialogMessages.append(params["message"] as? String ?? ""); cond.unlock()
            // Answer off this thread: it must stay free to deliver the reply.
            DispatchQueue.global().async { _ = try? self.send("Page.handleJavaScriptDialog", ["accept": true]) }
        case "Runtime.exceptionThrown":
            let details = params["exceptionDetails"] as? [String: Any]
            let text = ((details?["exception"] as? [String: Any])?["description"] as? String) ?? (details?["text"] as? String ?? "exception")
            cond.lock(); problemMessages.append(text); cond.unlock()
        case "Log.entryAdded":
            if let entry = params["entry"] as? [String: Any], entry["level"] as? String == "error" {
                cond.lock(); problemMessages.append("\(entry["source"] ?? ""): \(entry["text"] ?? "") \(entry["url"] ?? "")"); cond.unlock()
            }
        case "Runtime.consoleAPICalled":
            if params["type"] as? String == "error" {
                cond.lock(); problemMessages.append("console.error \(params["args"] ?? "")"); cond.unlock()
            }
        default:
            break
        }
    }

    /// Sends a command (to the page's session unless `browser`) and waits for its result.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], browser: Bool = false, timeout: TimeInterval = 30) throws -> [String: Any] {
        cond.lock()
        nextID += 1
        let id = nextID
        let target = browser ? nil : session
        cond.unlock()
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let target { message["sessionId"] = target }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        writeLock.lock()
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(commandFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        writeLock.unlock()
        guard offset == bytes.count else { throw Self.error("\(method): Chromium is gone (log: \(log))") }
        cond.lock()
        defer { cond.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while replies[id] == nil && !ended {
            if !cond.wait(until: deadline) { break }
        }
        guard let reply = replies.removeValue(forKey: id) else { throw Self.error("\(method): no reply within \(timeout) s") }
        if let error = reply["error"] as? [String: Any] { throw Self.error("\(method): \(error)") }
        return reply["result"] as? [String: Any] ?? [:]
    }

    /// Opens a page on `url` and waits until it has loaded.
    func open(_ url: String, width: Int = 1280, height: Int = 900) throws {
        self.width = width; self.height = height
        let target = try send("Target.createTarget", ["url": "about:blank"], browser: true)
        let attached = try send("Target.attachToTarget", ["targetId": target["targetId"] ?? "", "flatten": true], browser: true)
        cond.lock(); session = attached["sessionId"] as? String; cond.unlock()
        try send("Page.enable")
        try send("Runtime.enable")
        try send("Log.enable")
        try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
        try send("Page.navigate", ["url": url])
        guard waitFor("document.readyState === 'complete' && location.href.startsWith('http')", timeout: 15) else {
            throw Self.error("page \(url) did not load")
        }
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its JSON value.
    @discardableResult
    func eval(_ expression: String) throws -> Any? {
        let r = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = r["exceptionDetails"] as? [String: Any] {
            throw Self.error("\(expression): \((exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? "exception")")
        }
        let value = (r["result"] as? [String: Any])?["value"]
        return value is NSNull ? nil : value
    }

    /// Polls a boolean `expression` until it is true.
    func waitFor(_ expression: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if (try? eval("!!(\(expression))")) as? Bool == true { return true }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return false
    }

    /// A PNG of the whole page at `width` CSS pixels.
    func screenshot(to path: String, width: Int, mobile: Bool = false) throws {
        try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": 800, "deviceScaleFactor": 1, "mobile": mobile])
        Thread.sleep(forTimeInterval: 0.3)
        let full = (try eval("Math.ceil(document.documentElement.scrollHeight)") as? Int) ?? 800
        try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": full, "deviceScaleFactor": 1, "mobile": mobile])
        Thread.sleep(forTimeInterval: 0.3)
        let shot = try send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": false])
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else { throw Self.error("no screenshot data") }
        try data.write(to: URL(fileURLWithPath: path))
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Closes the browser (politely, then its process group by force) and removes the profile.
    func close() {
        _ = try? send("Browser.close", browser: true, timeout: 5)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        var reaped = false
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { reaped = true; break }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)  // the group we created: stray helpers, if any
        if !reaped { waitpid(pid, &status, 0) }
        Glibc.close(commandFD)
        // The reader sees EOF once Chromium is gone; only then may its fd be closed.
        cond.lock()
        let readerDeadline = Date().addingTimeInterval(5)
        while !ended { if !cond.wait(until: readerDeadline) { break } }
        let readerDone = ended
        cond.unlock()
        if readerDone { Glibc.close(replyFD) }
        try? FileManager.default.removeItem(atPath: profile)
        try? FileManager.default.removeItem(atPath: logPath)
    }

    static func error(_ message: String) -> NSError {
        NSError(domain: "HeadlessChromium", code: 2, userInfo: [NSLocalizedDescriptionKey: message])
    }
}
