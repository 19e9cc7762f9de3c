// Serving a 1 MiB segment to 50 concurrent clients costs the gateway (almost) no
// memory: segments go out with sendfile(2), never through our heap.
import Foundation
import XCTest

final class ServingMemoryTests: XCTestCase {
    func testFiftyClientsOnAOneMiBSegment() throws {
        let gw = try GatewayProcess(name: "serve-mem") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 120)])
        }
        defer { gw.stop() }
        WebT.startByPlaylist(gw, "cam")
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let file = Data(bytes)
        try file.write(to: URL(fileURLWithPath: gw.hlsRoot + "/cam/big.ts"))

        // Warm up (first-use allocations), and check the bytes.
        for _ in 0..<3 {
            let r = gw.curl("/hls/cam/big.ts")
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.body, file)
        }
        Thread.sleep(forTimeInterval: 0.3)
        let before = WebT.rssKB(gw.pid)
        let sampler = WebT.RSSSampler(pid: gw.pid)

        var requests = 0
        var rate = 0.0
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") {
            let r = Harness.run(["/usr/bin/wrk", "-c50", "-t2", "-d5s", "--latency", gw.url("/hls/cam/big.ts")], timeout: 30)
            XCTAssertEqual(r.status, 0, r.stderr)
            let out = r.stdout
            rate = Double(out.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }?.split(separator: " ").last ?? "") ?? 0
            requests = Int(out.split(separator: "\n").first { $0.contains("requests in") }?
                .trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") ?? 0
            XCTAssertFalse(out.contains("Non-2xx"), out)
            XCTAssertFalse(out.contains("Socket errors"), out)
            print("wrk, 50 connections, 1 MiB segment:\n\(out)")
        } else {
            // 50 parallel curl loops for 5 s.
            let r = Harness.run(["/bin/sh", "-c", """
                end=$(($(date +%s) + 5)); n=0
                for c in $(seq 50); do (while [ $(date +%s) -lt $end ]; do curl -s -o /dev/null -w '%{http_code}\\n' '\(gw.url("/hls/cam/big.ts"))'; done) & done | grep -c '^200$'
                """], timeout: 60)
            requests = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            rate = Double(requests) / 5
        }
        let peak = sampler.stop()
        Thread.sleep(forTimeInterval: 0.3)
        let after = WebT.rssKB(gw.pid)
        print("serving memory: VmRSS before \(before) kB, peak \(peak.maxKB) kB (\(peak.samples) samples), after \(after) kB; \(requests) requests, \(rate) req/s")
        XCTAssertGreaterThan(requests, 100, "the clients were served")
        XCTAssertGreaterThan(peak.samples, 20)
        XCTAssertLessThan(peak.maxKB - before, 1024, "RSS rose by \(peak.maxKB - before) kB under 50 clients")
        XCTAssertLessThan(after - before, 1024, "RSS after the load: +\(after - before) kB")
        XCTAssertEqual(gw.curl("/healthz").status, 200)
        // The bytes were counted, the connections closed.
        let served = WebT.int(WebT.stream(gw, "cam")?["bytes_served"]) ?? 0
        XCTAssertGreaterThan(served, requests * (1 << 20) / 2)
    }
}
