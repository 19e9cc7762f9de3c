// /metrics of the real binary: valid for promtool, every required family, bounded
// route labels (a random path never becomes a label), sane process metrics.
import Foundation
import XCTest

final class MetricsTests: XCTestCase {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the text format (names, labels with escapes, values); also returns the TYPE lines.
    static func parse(_ text: String) -> (samples: [Sample], types: [String: String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            var name = "", labels: [String: String] = [:]
            var rest = Substring(line)
            if let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                name = String(line[..<brace])
                var body = line[line.index(after: brace)..<close]
                while !body.isEmpty {
                    guard let eq = body.firstIndex(of: "=") else { break }
                    let key = String(body[..<eq])
                    var i = body.index(eq, offsetBy: 2)   // skip ="
                    var value = ""
                    while i < body.endIndex && body[i] != "\"" {
                        if body[i] == "\\" { i = body.index(after: i) }
                        value.append(body[i])
                        i = body.index(after: i)
                    }
                    labels[key] = value
                    body = body[body.index(after: i)...]
                    if body.first == "," { body = body.dropFirst() }
                }
                rest = line[line.index(after: close)...]
            } else {
                let parts = line.split(separator: " ")
                name = String(parts[0])
                rest = parts.count > 1 ? parts[1] : ""
            }
            let value = Double(rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") ?? .nan
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return (samples, types)
    }

    func testPromtoolAndRequiredFamilies() throws {
        let launched = Date()
        let gw = try GatewayProcess(name: "metrics") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("cam", idle: 120), Synthetic.stream("other", idle: 120)])
        }
        defer { gw.stop() }
        WebT.startByPlaylist(gw, "cam")
        let seg = try XCTUnwrap(WebT.newestSegment(gw, "cam"))
        XCTAssertEqual(gw.curl("/hls/cam/\(seg.name)").status, 200)
        let uuid = UUID().uuidString.lowercased()
        XCTAssertEqual(gw.curl("/zzz-\(uuid)").status, 404)
        XCTAssertEqual(gw.curl("/hls/cam/zzz-\(uuid).ts").status, 404)
        XCTAssertEqual(gw.curl("/api/v1/streams/zzz-\(uuid)").status, 404)
        _ = WebT.rawGET(port: gw.port, target: Array("/zzz-\(uuid)/%zz".utf8))   // a 400 from the parser
        // process_start_time_seconds must be the start, not the first scrape.
        Thread.sleep(forTimeInterval: max(0, 2.5 - Date().timeIntervalSince(launched)))

        let r = gw.curl("/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue((r.headers["content-type"] ?? "").hasPrefix("text/plain; version=0.0.4"), r.headers["content-type"] ?? "")
        let file = gw.dir + "/metrics.txt"
        try r.body.write(to: URL(fileURLWithPath: file))
        let check = Harness.run(["/bin/sh", "-c", "promtool check metrics < '\(file)'"], timeout: 30)
        XCTAssertEqual(check.status, 0, "promtool: \(check.stdout) \(check.stderr)")
        XCTAssertFalse(r.text.contains(uuid), "a request path became a label value")

        let (samples, types) = Self.parse(r.text)
        func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
            samples.filter { sample in sample.name == name && labels.allSatisfy { k, v in sample.labels[k] == v } }.map(\.value)
        }
        func one(_ name: String, _ labels: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> Double {
            let v = values(name, labels)
            XCTAssertEqual(v.count, 1, "\(name)\(labels)", file: file, line: line)
            return v.first ?? .nan
        }
        let expectedTypes: [String: String] = [
            "vtx_build_info": "gauge", "vtx_streams_configured": "gauge", "vtx_stream_up": "gauge",
            "vtx_stream_state": "gauge", "vtx_stream_starts_total": "counter", "vtx_stream_failures_total": "counter",
            "vtx_stream_viewers": "gauge", "vtx_stream_uptime_seconds": "gauge",
            "vtx_stream_ffmpeg_resident_memory_bytes": "gauge", "vtx_stream_served_bytes_total": "counter",
            "vtx_http_requests_total": "counter", "vtx_http_connections_open": "gauge",
            "vtx_spawn_rejections_total": "counter", "vtx_system_memory_available_bytes": "gauge",
            "process_resident_memory_bytes": "gauge", "process_cpu_seconds_total": "counter",
            "process_open_fds": "gauge", "process_start_time_seconds": "gauge",
            "vtx_stream_frames_total": "counter", "vtx_stream_dropped_frames_total": "counter",
            "vtx_stream_input_fps": "gauge", "vtx_stream_segment_bytes_total": "counter",
            "vtx_stream_segment_bytes_per_second": "gauge", "vtx_snapshots_total": "counter",
        ]
        for (name, type) in expectedTypes {
            XCTAssertEqual(types[name], type, "# TYPE \(name)")
            XCTAssertFalse(values(name).isEmpty, "samples of \(name)")
        }

        XCTAssertEqual(one("vtx_build_info", ["version": samples.first { $0.name == "vtx_build_info" }?.labels["version"] ?? "?"]), 1)
        XCTAssertFalse((samples.first { $0.name == "vtx_build_info" }?.labels["version"] ?? "").isEmpty)
        XCTAssertEqual(one("vtx_streams_configured"), 2)
        XCTAssertEqual(one("vtx_stream_up", ["stream": "cam"]), 1)
        XCTAssertEqual(one("vtx_stream_up", ["stream": "other"]), 0)
        XCTAssertEqual(one("vtx_stream_state", ["stream": "cam", "state": "running"]), 1)
        XCTAssertEqual(one("vtx_stream_state", ["stream": "other", "state": "idle"]), 1)
        XCTAssertEqual(values("vtx_stream_state", ["stream": "cam"]).reduce(0, +), 1, "exactly one state is 1")
        XCTAssertEqual(one("vtx_stream_starts_total", ["stream": "cam"]), 1)
        XCTAssertEqual(one("vtx_stream_starts_total", ["stream": "other"]), 0)
        let failureReasons = Set(samples.filter { $0.name == "vtx_stream_failures_total" }.compactMap { $0.labels["reason"] })
        XCTAssertFalse(failureReasons.isEmpty)
        XCTAssertTrue(samples.filter { $0.name == "vtx_stream_failures_total" }.allSatisfy { $0.labels["stream"] != nil && $0.value == 0 })
        XCTAssertGreaterThanOrEqual(one("vtx_stream_viewers", ["stream": "cam"]), 1)
        XCTAssertGreaterThan(one("vtx_stream_uptime_seconds", ["stream": "cam"]), 0)
        XCTAssertEqual(one("vtx_stream_uptime_seconds", ["stream": "other"]), 0)
        XCTAssertGreaterThan(one("vtx_stream_ffmpeg_resident_memory_bytes", ["stream": "cam"]), 1_000_000)
        XCTAssertEqual(one("vtx_stream_ffmpeg_resident_memory_bytes", ["stream": "other"]), 0)
        XCTAssertGreaterThanOrEqual(one("vtx_stream_served_bytes_total", ["stream": "cam"]), Double(seg.bytes.count))
        XCTAssertGreaterThanOrEqual(one("vtx_http_connections_open"), 1, "the scrape's own connection")
        XCTAssertGreaterThan(one("vtx_system_memory_available_bytes"), 1_000_000)
        XCTAssertFalse(values("vtx_spawn_rejections_total").isEmpty)
        // The input series, from FFmpeg's -progress (testsrc at 25 fps) and the segments.
        XCTAssertGreaterThan(one("vtx_stream_frames_total", ["stream": "cam"]), 25)
        XCTAssertEqual(one("vtx_stream_frames_total", ["stream": "other"]), 0)
        XCTAssertEqual(one("vtx_stream_input_fps", ["stream": "cam"]), 25, accuracy: 5)
        XCTAssertEqual(one("vtx_stream_input_fps", ["stream": "other"]), 0)
        XCTAssertEqual(one("vtx_stream_dropped_frames_total", ["stream": "cam"]), 0)
        XCTAssertGreaterThanOrEqual(one("vtx_stream_segment_bytes_total", ["stream": "cam"]), Double(seg.bytes.count))
        XCTAssertGreaterThan(one("vtx_stream_segment_bytes_per_second", ["stream": "cam"]), 1_000)
        XCTAssertEqual(one("vtx_stream_segment_bytes_per_second", ["stream": "other"]), 0)

        // Route labels are patterns from a small fixed set.
        let routes = Set(samples.filter { $0.name == "vtx_http_requests_total" }.compactMap { $0.labels["route"] })
        let known: Set<String> = ["/", "/healthz", "/metrics", "/hls/{stream}/{file}", "/hls/{stream}/playlist", "/hls/{stream}/segment", "/api", "/api/v1/streams",
                                  "/api/v1/streams/{name}", "/api/v1/streams/{name}/{action}", "/api/v1/streams/{name}/snapshot.jpg", "/api/v1/system",
                                  "/api/v1/events", "unmatched", "invalid", "overload"]
        XCTAssertTrue(routes.isSubset(of: known), "unexpected routes: \(routes.subtracting(known))")
        XCTAssertGreaterThanOrEqual(one("vtx_http_requests_total", ["route": "unmatched", "code": "404"]), 1)
        XCTAssertGreaterThanOrEqual(one("vtx_http_requests_total", ["route": "/healthz", "code": "200"]), 1)
        XCTAssertGreaterThanOrEqual(one("vtx_http_requests_total", ["route": "/hls/{stream}/playlist", "code": "200"]), 1)
        XCTAssertTrue(samples.filter { $0.name == "vtx_http_requests_total" }.allSatisfy { Int($0.labels["code"] ?? "") != nil })

        let rss = one("process_resident_memory_bytes")
        XCTAssertGreaterThan(rss, 1_000_000)
        XCTAssertLessThan(abs(rss / 1024 - Double(WebT.rssKB(gw.pid))), 2048)
        let cpu = one("process_cpu_seconds_total")   // clock ticks: may still be 0 for an idle gateway
        XCTAssertTrue(cpu >= 0 && cpu < 60, "\(cpu)")
        let fds = one("process_open_fds")
        let actualFDs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(gw.pid)/fd").count) ?? -1
        XCTAssertGreaterThan(fds, 3)
        XCTAssertLessThan(abs(fds - Double(actualFDs)), 5, "process_open_fds ≈ /proc/PID/fd")
        let start = one("process_start_time_seconds")
        XCTAssertEqual(start, launched.timeIntervalSince1970, accuracy: 1.5, "process_start_time_seconds is the start of the process")

        // A second scrape counts the first one; values stay consistent.
        let again = Self.parse(gw.curl("/metrics").text).samples
        XCTAssertGreaterThanOrEqual(again.first { $0.name == "vtx_http_requests_total" && $0.labels["route"] == "/metrics" }?.value ?? 0, 1)
    }
}
