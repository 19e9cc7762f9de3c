import VTXEngine
import VTXHTTP
import VTXServer
import VTXSystem

/// `/hls/<stream>/<file>`: playlists (starting FFmpeg on demand) and segments, from
/// the stream's directory only, sent with `sendfile(2)`. The table has answered the
/// preflight, the method and the credentials before `serve`.
final class HLSEndpoint {
    static let playlistLabel = "/hls/{stream}/playlist"
    static let segmentLabel = "/hls/{stream}/segment"

    let engine: Engine
    let access: AccessGate
    let replies: Replies
    /// Rate limit of the log line for files that cannot be opened (EMFILE…).
    var openFailureLog = BurstLog()
    /// The last lines of each kind of answer (see `lines(type:playlist:ranges:modified:)`);
    /// a handful: one per served type × playlist/segment × with/without ranges.
    var sharedLines: [SharedLines] = []

    struct SharedLines {
        let type: String
        let playlist: Bool
        let ranges: Bool
        var origin = ""
        var modified = Int.min
        var lines = HeaderLines.none
    }

    init(engine: Engine, access: AccessGate, replies: Replies) {
        self.engine = engine
        self.access = access
        self.replies = replies
    }

    @_optimize(speed) func serve(_ q: RouteRequest) {
        let (request, r) = (q.request, q.responder)
        // Errors carry the CORS headers too, so a player on another origin can read them.
        guard let stream = engine.stream(q.params[0]) else { return r.send(replies.notFound(.cors)) }
        let file = q.params[1]
        guard HLSEndpoint.isSafeFileName(file), let type = HLSEndpoint.contentType(of: file) else {
            return r.send(replies.notFound(.cors))
        }
        if file == stream.config.playlistName {
            r.route = HLSEndpoint.playlistLabel
            let uriToken = access.uriToken(for: request)
            if let outcome = stream.requestPlaylist(peer: r.peer) {
                answerPlaylist(outcome, type: type, request, r, stream, uriToken: uriToken)
            } else {
                stream.awaitPlaylist { outcome in
                    self.answerPlaylist(outcome, type: type, request, r, stream, uriToken: uriToken)
                }
            }
            return
        }
        // Segments exist only while FFmpeg runs; nothing is started for them.
        r.route = HLSEndpoint.segmentLabel
        guard stream.pid != nil else { return r.send(.text(404, "stream not running", headers: replies.cors())) }
        sendFile(file, type: type, playlist: false, request, r, stream)
    }

    @_optimize(speed) func answerPlaylist(_ outcome: PlaylistOutcome, type: String, _ request: HTTPRequest, _ r: Responder,
                        _ stream: StreamRuntime, uriToken: String?) {
        switch outcome {
        case .ready(let copy?):
            // From memory: head and body go out in one send.
            answer(.bytes(copy.bytes), size: copy.bytes.count, modified: copy.modified, type: type,
                   playlist: true, request, r, stream, uriToken: uriToken)
        case .ready(nil):
            // No version read whole yet (one over `Playlist.readLimit`, a format
            // the rule does not know): the file, as it is now.
            sendFile(stream.config.playlistName, type: type, playlist: true, request, r, stream, uriToken: uriToken)
        case .unavailable(let why):
            let failure = HTTPFailure(why)
            r.send(.text(failure.status, failure.message, headers: replies.cors() + failure.headers))
        }
    }

    /// The type of a file by its extension (after the last dot), nil for one not served.
    static func contentType(of file: String) -> String? {
        var file = file
        return file.withUTF8 { name -> String? in
            var start = name.count   // of the extension: after the last dot
            while start > 0 && name[start - 1] != UInt8(ascii: ".") { start -= 1 }
            guard start > 0, start < name.count, let base = name.baseAddress else { return nil }
            let ext = UnsafeRawPointer(base + start)
            let length = name.count - start
            func named(_ s: StaticString) -> Bool {
                s.utf8CodeUnitCount == length && memcmp(s.utf8Start, ext, length) == 0
            }
            if named("m3u8") { return "application/vnd.apple.mpegurl" }
            if named("ts") { return "video/mp2t" }
            if named("m4s") { return "video/iso.segment" }
            if named("mp4") { return "video/mp4" }
            if named("aac") { return "audio/aac" }
            if named("vtt") { return "text/vtt" }
            return nil
        }
    }

    /// `[A-Za-z0-9._-]+`, not starting with a dot (no hidden or temporary files).
    static func isSafeFileName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { u in
            guard let first = u.first, first != UInt8(ascii: "."), u.count <= 128 else { return false }
            for c in u where !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45) {
                return false
            }
            return true
        }
    }

    /// Opens `file` of the stream's directory without following a symlink (and only a
    /// regular file), then answers with Range/304 handling and the body as a `sendfile` region.
    @_optimize(speed) func sendFile(_ file: String, type: String, playlist: Bool, _ request: HTTPRequest, _ r: Responder, _ stream: StreamRuntime,
                  uriToken: String? = nil) {
        let fd = stream.openFile(file, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return r.send(openFailure(errno, stream.directory + "/" + file)) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            closeDescriptor(fd)
            return r.send(replies.notFound(.cors))
        }
        answer(.file(fd: fd, offset: 0, count: Int(st.st_size)), size: Int(st.st_size), modified: Int(st.st_mtim.tv_sec),
               type: type, playlist: playlist, request, r, stream, uriToken: uriToken)
    }

    /// Answers with `whole` (a file's region or bytes in memory, `size` bytes long):
    /// the headers, 304, the `?token=` rewrite of a playlist, Range. Every path that
    /// does not send `whole` closes its descriptor.
    @_optimize(speed) func answer(_ whole: Response.Body, size: Int, modified: Int, type: String, playlist: Bool, _ request: HTTPRequest,
                _ r: Responder, _ stream: StreamRuntime, uriToken: String?) {
        if !playlist { stream.noteAccess(peer: r.peer, bytes: 0) }
        // Not for playlists: Last-Modified has whole seconds, and a playlist rewritten
        // twice in one second must not be answered 304 with the older copy.
        if !playlist, let since = request.headers["If-Modified-Since"].flatMap(HTTPDate.parse), modified <= since, request.headers["Range"] == nil {
            whole.release()
            return r.send(Response(status: 304, lines: lines(type: type, playlist: false, ranges: true, modified: modified)))
        }
        if playlist, let uriToken {
            // Rewritten for each request, sent whole: ~19k instructions for a 6-segment
            // playlist, not worth a cache per token and stream.
            let body = PlaylistToken.adding(uriToken, to: whole.contents(limit: 1 << 20))
            whole.release()
            if request.method == .GET { stream.addServedBytes(body.count) }
            return r.send(Response(status: 200, lines: lines(type: type, playlist: true, ranges: false, modified: modified),
                                   body: .bytes(body)))
        }
        let shared = lines(type: type, playlist: playlist, ranges: true, modified: modified)
        switch ByteRange.parse(request.headers["Range"], size: size) {
        case .full:
            if request.method == .GET { stream.addServedBytes(size) }
            r.send(Response(status: 200, lines: shared, body: whole))
        case .partial(let first, let last):
            if request.method == .GET { stream.addServedBytes(last - first + 1) }
            r.send(Response(status: 206, lines: shared, headers: [("Content-Range", "bytes \(first)-\(last)/\(size)")],
                            body: whole.region(first, last - first + 1)))
        case .unsatisfiable:
            whole.release()
            r.send(Response(status: 416, lines: shared, headers: [("Content-Range", "bytes */\(size)")]))
        }
    }

    /// The header lines of an HLS answer of one kind: CORS, type, caching,
    /// `Last-Modified`, ranges. Every viewer of a stream asks for the same playlist
    /// and segments within a second or two, so each kind keeps its lines for the
    /// last `modified` second, serialised once.
    @_optimize(speed) func lines(type: String, playlist: Bool, ranges: Bool, modified: Int) -> HeaderLines {
        let origin = engine.config.server.hlsAllowOrigin
        let index = sharedLines.firstIndex { $0.type == type && $0.playlist == playlist && $0.ranges == ranges } ?? {
            sharedLines.append(SharedLines(type: type, playlist: playlist, ranges: ranges))
            return sharedLines.count - 1
        }()
        if sharedLines[index].modified != modified || sharedLines[index].origin != origin {
            var fields = replies.cors()
            fields.append(("Content-Type", type))
            fields.append(("Cache-Control", playlist ? "no-cache" : "max-age=10"))
            fields.append(("Last-Modified", HTTPDate.format(epochSeconds: modified)))
            if ranges { fields.append(("Accept-Ranges", "bytes")) }
            sharedLines[index].origin = origin
            sharedLines[index].modified = modified
            sharedLines[index].lines = HeaderLines(fields)
        }
        return sharedLines[index].lines
    }

    /// Status for a failed `open()` of an HLS file, as nginx's static module maps it:
    /// the file is not there (404), may not be read (403), or the gateway is short of
    /// something — descriptors (EMFILE/ENFILE), memory, I/O — which is no fault of the
    /// request and may pass (503; nginx says 500). A 404 there would tell a player the
    /// segment is gone and hide an overloaded or misconfigured device.
    static func status(forOpenErrno code: Int32) -> Int {
        switch code {
        // ELOOP: O_NOFOLLOW met a symlink. Those are never served; 404 as before, so a
        // planted link is indistinguishable from a missing file.
        case ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP: return 404
        case EACCES: return 403
        default: return 503
        }
    }

    /// Seconds a client is asked to wait after a 503 for a file that could not be
    /// opened: about one segment; descriptors free up as other responses finish.
    static let openRetryAfterSec = 1

    func openFailure(_ code: Int32, _ path: String) -> Response {
        let status = HLSEndpoint.status(forOpenErrno: code)
        switch status {
        case 404: return replies.notFound(.cors)
        case 403: return .text(403, "forbidden", headers: replies.cors())
        default:
            // Every request of a flood fails the same way: one line per burst.
            if let count = openFailureLog.note(nowMs: MonotonicClock.nowMs()) {
                let more = count > 1 ? " (\(count) such failures since the last line)" : ""
                Log.error("hls", "cannot open \(path): \(errnoDescription(code)); answering 503\(more)")
            }
            // The reason stays in the log: a client learns only that a retry may work.
            return .text(503, "temporarily unavailable",
                         headers: replies.cors() + [("Retry-After", String(HLSEndpoint.openRetryAfterSec))])
        }
    }
}

/// A response body as the source of an HLS answer: a file region from its start, or bytes.
extension Response.Body {
    /// `count` bytes from `offset`.
    func region(_ offset: Int, _ count: Int) -> Response.Body {
        switch self {
        case .file(let fd, _, _): return .file(fd: fd, offset: offset, count: count)
        case .bytes(let b): return .bytes(Array(b[offset..<(offset + count)]))
        case .empty: return .empty
        }
    }

    /// All of it, at most `limit` bytes (a file just opened: from its start).
    func contents(limit: Int) -> [UInt8] {
        switch self {
        case .file(let fd, _, _): return (try? Files.readToEnd(fd, limit: limit).get()) ?? []
        case .bytes(let b): return b
        case .empty: return []
        }
    }
}

/// At most one log line per `intervalMs` for a failure that can repeat on every
/// request; each line says how many failures it stands for.
struct BurstLog {
    var intervalMs: Int64 = 10_000
    var lastLineMs: Int64? = nil
    var unlogged = 0

    /// Counts one failure. Returns the count the line due now must report (this
    /// failure included), or nil if a line was written less than `intervalMs` ago.
    mutating func note(nowMs: Int64) -> Int? {
        unlogged += 1
        if let last = lastLineMs, nowMs - last < intervalMs { return nil }
        lastLineMs = nowMs
        defer { unlogged = 0 }
        return unlogged
    }
}
