// /api/v1/events (Server-Sent Events) of the real binary: state changes within a
// second, stats each second while someone listens, no wakeups while nobody does,
// and a client that stops reading is dropped instead of buffered.
import Foundation
import XCTest

final class EventsTests: XCTestCase {
    func testStreamEventsFollowStateChangesWithinOneSecond() throws {
        let gw = try GatewayProcess(name: "events") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 2)])
        }
        defer { gw.stop() }
        let sse = try XCTUnwrap(WebT.SSEClient(port: gw.port))
        defer { sse.close() }
        XCTAssertTrue(Harness.waitUntil(3) { sse.states(of: "cam").first != nil }, "the initial snapshot")
        XCTAssertTrue(sse.head.hasPrefix("HTTP/1.1 200"), sse.head)
        XCTAssertTrue(sse.head.lowercased().contains("content-type: text/event-stream"), sse.head)
        XCTAssertEqual(sse.states(of: "cam").first?.state, "idle")
        let snapshotCount = sse.states(of: "cam").count

        // Start by demand (a player), then let idle_timeout (2 s) stop it; meanwhile
        // note when the API first shows each state.
        let player = Thread { _ = gw.curl("/hls/cam/index.m3u8", timeout: 25) }
        player.start()
        // First time the API shows each state after the start (idle: after running).
        var apiFirst: [String: Date] = [:]
        let deadline = Date().addingTimeInterval(25)
        while Date() < deadline {
            let now = Date()
            if let s = WebT.state(gw, "cam"), apiFirst[s] == nil, s != "idle" || apiFirst["running"] != nil { apiFirst[s] = now }
            if apiFirst["idle"] != nil { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 1.2)
        let seen = Array(sse.states(of: "cam").dropFirst(snapshotCount))
        XCTAssertNotNil(apiFirst["running"], "the stream ran: \(apiFirst)\n\(gw.log)")
        XCTAssertNotNil(apiFirst["idle"], "and went idle again")

        // starting → running → (stopping →) idle, in order.
        let order = seen.map(\.state)
        let starting = order.firstIndex(of: "starting")
        let running = order.firstIndex(of: "running")
        let idle = order.lastIndex(of: "idle")
        XCTAssertNotNil(starting, "\(order)")
        XCTAssertNotNil(running, "\(order)")
        XCTAssertNotNil(idle, "\(order)")
        if let starting, let running, let idle { XCTAssertTrue(starting < running && running < idle, "\(order)") }

        for state in ["starting", "running", "idle"] {
            guard let event = seen.first(where: { $0.state == state }) else { continue }
            guard let api = apiFirst[state] else { continue }   // "starting" may be too short for the poll
            let late = event.time.timeIntervalSince(api)
            XCTAssertLessThan(late, 1.0, "\(state): the event came \(late) s after the API showed it")
        }
        // The running event carries the whole stream document.
        let runningEvent = sse.events.first { $0.name == "stream" && $0.json["state"] as? String == "running" }
        XCTAssertNotNil(WebT.int(runningEvent?.json["pid"]))
        XCTAssertEqual(runningEvent?.json["hls_url"] as? String, "/hls/cam/index.m3u8")

        // Stats: one a second while connected.
        let stats = sse.events.filter { $0.name == "stats" }
        let span = (sse.events.last?.time ?? Date()).timeIntervalSince(sse.events.first?.time ?? Date())
        XCTAssertGreaterThanOrEqual(Double(stats.count), span * 0.8, "\(stats.count) stats in \(span) s")
        XCTAssertLessThanOrEqual(Double(stats.count), span + 2)
        let gaps = zip(stats.dropFirst(), stats).map { $0.time.timeIntervalSince($1.time) }
        XCTAssertTrue(gaps.dropFirst().allSatisfy { $0 > 0.4 && $0 < 1.8 }, "stats gaps \(gaps)")
        let last = try XCTUnwrap(stats.last?.json)
        XCTAssertNotNil(WebT.int(last["gateway_rss_kb"]))
        XCTAssertEqual((last["streams"] as? [[String: Any]])?.first?["name"] as? String, "cam")
    }

    func testNoWakeupsWithoutListeners() throws {
        let gw = try GatewayProcess(name: "events-idle") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 2)])
        }
        defer { gw.stop() }
        // A listener comes and goes: its once-a-second timer must go with it.
        let sse = try XCTUnwrap(WebT.SSEClient(port: gw.port))
        XCTAssertTrue(Harness.waitUntil(3) { sse.events.contains { $0.name == "stats" } })
        sse.close()
        // (The server notices the hang-up on its next write at the latest, ≤ 1 s.)
        Thread.sleep(forTimeInterval: 2.5)
        let before = try XCTUnwrap(Harness.procStatus(gw.pid, "voluntary_ctxt_switches"))
        Thread.sleep(forTimeInterval: 10)
        let after = try XCTUnwrap(Harness.procStatus(gw.pid, "voluntary_ctxt_switches"))
        XCTAssertEqual(after - before, 0, "an idle gateway with no event client sleeps (woke \(after - before) times in 10 s)")
        XCTAssertEqual(gw.curl("/healthz").status, 200)
    }

    func testClientThatStopsReadingIsDropped() throws {
        // Many streams whose fake FFmpeg fails at once, with a long source and stderr:
        // big `stream` events, several a second.
        // (The fake lives in the temporary directory: /dev/shm may be mounted noexec.)
        let fakeDir = NSTemporaryDirectory() + "vtx-fake-ffmpeg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: fakeDir, withIntermediateDirectories: true)
        let line = String(repeating: "x", count: 480)
        let script = "#!/bin/sh\nfor i in 1 2 3 4 5; do echo \"error $i \(line)\" >&2; done\nexit 1\n"
        FileManager.default.createFile(atPath: fakeDir + "/ffmpeg", contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: fakeDir) }
        let gw = try GatewayProcess(name: "events-slow") { port, root in
            let longPath = String(repeating: "p", count: 4000)
            let streams = (0..<24).map { i in
                "  - name: \"s\(i)\"\n    source: \"rtsp://127.0.0.1:9/\(longPath)\"\n    auto_start: true\n    retry:\n      initial_backoff_sec: 1\n      max_backoff_sec: 1\n"
            }
            return WebT.config(port: port, root: root, server: "  ffmpeg_binary: \"\(fakeDir)/ffmpeg\"\n  min_available_mb: 0\n", streams: streams)
        }
        defer { gw.stop() }
        // A well-behaved client alongside, to see the traffic and that it keeps flowing.
        let good = try XCTUnwrap(WebT.SSEClient(port: gw.port))
        defer { good.close() }
        XCTAssertTrue(Harness.waitUntil(5) { good.events.count > 30 })
        let rssBefore = WebT.rssKB(gw.pid)

        // The slow one: a tiny receive buffer, reads nothing after connecting.
        let fd = try XCTUnwrap(WebT.connect(port: gw.port, receiveBuffer: 4096))
        defer { close(fd) }
        WebT.sendAll(fd, Array("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let sampler = WebT.RSSSampler(pid: gw.pid)
        let startBytes = good.bytesReceived
        // Wait until far more than the backlog limit plus socket buffers went to the good client.
        let enough = Harness.waitUntil(40, interval: 0.25) { good.bytesReceived - startBytes > 12 << 20 }
        let peak = sampler.stop()
        let sent = good.bytesReceived - startBytes
        XCTAssertTrue(enough, "only \(sent) bytes of events in 40 s")
        XCTAssertFalse(good.closedByServer, "a client that reads is kept")

        // Drain what the kernel holds for the slow client: a dropped connection ends in EOF.
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buf = [UInt8](repeating: 0, count: 65536)
        var drained = 0, eof = false
        let drainDeadline = Date().addingTimeInterval(20)
        while Date() < drainDeadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { eof = true; break }
            if n < 0 { break }   // timeout: still open, nothing more queued
            drained += n
        }
        XCTAssertTrue(eof, "the stalled client was not dropped: \(drained) bytes were waiting, \(sent) sent to the other client")
        XCTAssertLessThan(drained, sent, "it did not get everything")
        XCTAssertLessThan(peak.maxKB - rssBefore, 4096, "RSS while a client stalls (before \(rssBefore) kB, peak \(peak.maxKB) kB)")

        // By now the snapshot of 24 streams with full histories is larger than the
        // backlog limit: a client connecting now still gets it, and stays.
        let late = try XCTUnwrap(WebT.SSEClient(port: gw.port))
        defer { late.close() }
        XCTAssertTrue(Harness.waitUntil(5) { Set(late.events.filter { $0.name == "stream" }.compactMap { $0.json["name"] as? String }).count == 24 },
                      "the snapshot of every stream (\(late.bytesReceived) bytes, closed: \(late.closedByServer))")
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertFalse(late.closedByServer, "a new client is not dropped for the size of the snapshot")
        XCTAssertGreaterThan(late.bytesReceived, 256 * 1024, "the snapshot is larger than the backlog limit")
    }
}
