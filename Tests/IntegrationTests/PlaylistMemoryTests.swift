// Playlists answered from memory (issue 15): whatever the writer does to the file,
// a reader gets a whole playlist. Measured figures are printed as
// `PLAYLIST-MEASURE …` lines.
import Foundation
import XCTest

final class PlaylistMemoryTests: XCTestCase {
    /// Half-second segments (a keyframe every 0.1 s), and no `temp_file` in the flags.
    static let stream = """
          - name: "cam"
            source: "testsrc=size=160x120:rate=50"
            input_args: ["-re", "-f", "lavfi"]
            output_args: ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "5", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "0.5", "-hls_list_size", "4", "-hls_flags", "delete_segments+omit_endlist", "{output_dir}/index.m3u8"]
            idle_timeout: 300
        """
    static let readers = 100
    static let seconds = 20.0

    /// Why `body` is not a whole playlist, or nil. Written apart from the gateway's
    /// `Playlist.isWhole` on purpose: the same rule, a second implementation.
    static func tornness(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard text.hasPrefix("#EXTM3U\n") else { return "does not start with #EXTM3U" }
        guard text.hasSuffix("\n") else { return "no final line feed" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let last = lines.last, !last.hasPrefix("#") || last == "#EXT-X-ENDLIST" else { return "last line is a tag" }
        var pendingINF = false, segments = 0
        for line in lines {
            if line.hasPrefix("#EXTINF") {
                if pendingINF { return "#EXTINF without a URI" }
                pendingINF = true
            } else if !line.hasPrefix("#") {
                if !pendingINF { return "URI \(line) without #EXTINF" }
                pendingINF = false
                segments += 1
            }
        }
        return pendingINF ? "#EXTINF without a URI" : segments == 0 ? "no segment" : nil
    }

    /// `readers` keep-alive clients ask for the playlist back to back for `seconds`
    /// while FFmpeg rewrites it every half second and, to stand for writers that rewrite
    /// in place (FFmpeg's own live playlists go through `.tmp` + rename(2)), the test
    /// rewrites it in place too: O_TRUNC, all but its last 3 bytes, a pause, the rest.
    /// Every answer must be a 200 whose body is exactly Content-Length bytes (nothing
    /// more follows on the connection) and a whole playlist.
    func testReadersNeverSeeATornPlaylist() throws {
        let gw = try GatewayProcess(name: "plmem") { port, root in WebT.config(port: port, root: root, streams: [Self.stream]) }
        defer { gw.stop() }
        WebT.startByPlaylist(gw, "cam")
        let path = gw.hlsRoot + "/cam/index.m3u8"

        let lock = NSLock()
        var answers = 0, failures: [String] = [], bodies = Set<[UInt8]>(), sequences = Set<Substring>()
        let deadline = Date().addingTimeInterval(Self.seconds)
        let group = DispatchGroup()
        for i in 0..<Self.readers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var mine = 0, seen = Set<[UInt8]>(), problems: [String] = []
                do {
                    let s = try RawSocket(port: gw.port)
                    defer { s.close() }
                    while Date() < deadline && problems.count < 3 {
                        s.send("GET /hls/cam/index.m3u8 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        guard let r = s.readResponse(timeout: 10) else { problems.append("reader \(i): no whole response (\(s.end))"); break }
                        mine += 1
                        if r.status != 200 { problems.append("reader \(i): \(r.statusLine)"); continue }
                        if !s.received.isEmpty { problems.append("reader \(i): bytes past Content-Length"); break }
                        if let why = Self.tornness(r.body) {
                            problems.append("reader \(i): \(why): \(r.text.debugDescription)")
                        }
                        seen.insert(r.body)
                    }
                } catch { problems.append("reader \(i): \(error)") }
                lock.lock()
                answers += mine
                failures += problems
                bodies.formUnion(seen)
                lock.unlock()
            }
        }
        // The in-place writer, meanwhile.
        var inPlace = 0
        while Date() < deadline {
            if let current = FileManager.default.contents(atPath: path), Self.tornness(Array(current)) == nil {
                let bytes = Array(current)
                let fd = open(path, O_WRONLY | O_TRUNC)
                if fd >= 0 {
                    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count - 3) }
                    usleep(2_000)
                    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + bytes.count - 3, 3) }
                    Glibc.close(fd)
                    inPlace += 1
                }
            }
            usleep(20_000)
        }
        group.wait()
        for body in bodies {
            let text = String(decoding: body, as: UTF8.self)
            if let r = text.range(of: "#EXT-X-MEDIA-SEQUENCE:") { sequences.insert(text[r.upperBound...].prefix { $0.isNumber }) }
        }
        print("PLAYLIST-MEASURE \(Self.readers) keep-alive readers, \(Int(Self.seconds)) s: \(answers) answers "
              + "(\(Int(Double(answers) / Self.seconds))/s), \(failures.count) torn or failed; FFmpeg rewrites seen "
              + "(distinct media sequences) \(sequences.count), distinct bodies \(bodies.count); in-place rewrites by the test \(inPlace)")
        XCTAssertEqual(failures, [], failures.prefix(5).joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(sequences.count, 20, "the run must span many FFmpeg rewrites")
        XCTAssertGreaterThanOrEqual(inPlace, 200, "and many in-place rewrites")
        XCTAssertGreaterThan(answers, Self.readers * 50)
    }

    /// From memory, the playlist keeps the file's headers: HEAD's Content-Length is
    /// GET's, Range is honoured, Last-Modified and CORS are there.
    func testHeadersAndRangeFromMemory() throws {
        let gw = try GatewayProcess(name: "plhdr") { port, root in WebT.config(port: port, root: root, streams: [Self.stream]) }
        defer { gw.stop() }
        WebT.startByPlaylist(gw, "cam")
        let s = try RawSocket(port: gw.port)
        defer { s.close() }
        // Between two rewrites (every ~0.5 s): asked back to back on one connection.
        var got: (get: RawResponse, head: RawResponse, range: RawResponse)?
        XCTAssertTrue(Harness.waitUntil(10, interval: 0.05) {
            s.send("GET /hls/cam/index.m3u8 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hls/cam/index.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n"
                   + "GET /hls/cam/index.m3u8 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-6\r\n\r\n")
            let r = s.readResponses(3, headRequests: [false, true, false])
            guard r.count == 3 else { return false }
            got = (r[0], r[1], r[2])
            return r[0].header("Last-Modified") == r[2].header("Last-Modified") && r[0].header("Content-Length") == r[1].header("Content-Length")
        })
        let (get, head, range) = try XCTUnwrap(got)
        XCTAssertEqual(get.status, 200)
        XCTAssertNil(Self.tornness(get.body), get.text)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Length"), String(get.body.count))
        XCTAssertEqual(head.header("Content-Type"), "application/vnd.apple.mpegurl")
        XCTAssertEqual(head.header("Cache-Control"), "no-cache")
        XCTAssertEqual(range.status, 206)
        XCTAssertEqual(range.text, "#EXTM3U")
        XCTAssertEqual(range.header("Content-Range"), "bytes 0-6/\(get.body.count)")
        XCTAssertNotNil(get.header("Last-Modified"))
        XCTAssertEqual(get.header("Access-Control-Allow-Origin"), "*")
    }
}
