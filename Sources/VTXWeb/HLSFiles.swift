import VTXEngine
import VTXHTTP
import VTXServer
import VTXSystem

/// `/hls/<stream>/<file>`: playlists (starting FFmpeg on demand) and segments, from
/// the stream's directory only, sent with `sendfile(2)`.
extension Gateway {
    static let contentTypes: [String: String] = [
        "m3u8": "application/vnd.apple.mpegurl", "ts": "video/mp2t", "m4s": "video/iso.segment",
        "mp4": "video/mp4", "aac": "audio/aac", "vtt": "text/vtt",
    ]

    func serveHLS(_ request: HTTPRequest, _ r: Responder) {
        let seg = request.segments
        guard seg.count == 3, let stream = engine.stream(seg[1]) else { return r.send(.text(404, "not found")) }
        if request.method == .OPTIONS { return r.send(corsPreflight()) }
        guard request.method == .GET || request.method == .HEAD else { return methodNotAllowed(r, "GET, HEAD, OPTIONS") }
        if let auth, auth.protectsHLS, !auth.allows(request, acceptQueryToken: true) {
            return unauthorized(request, r)
        }
        let file = seg[2]
        guard Gateway.isSafeFileName(file), let ext = file.split(separator: ".").last.map(String.init),
              let type = Gateway.contentTypes[ext] else { return r.send(.text(404, "not found")) }
        if file == stream.config.playlistName {
            stream.requestPlaylist(peer: r.peer) { [unowned self] outcome in
                switch outcome {
                case .ready(let path):
                    self.sendFile(path, type: type, playlist: true, request, r, stream)
                case .unavailable(let status, _, let reason, let retryAfter):
                    var headers = self.corsHeaders()
                    if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
                    r.send(.text(status, reason, headers: headers))
                }
            }
            return
        }
        // Segments exist only while FFmpeg runs; nothing is started for them.
        guard stream.pid != nil else { return r.send(.text(404, "stream not running", headers: corsHeaders())) }
        sendFile(stream.directory + "/" + file, type: type, playlist: false, request, r, stream)
    }

    /// `[A-Za-z0-9._-]+`, not starting with a dot (no hidden or temporary files).
    static func isSafeFileName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), name.utf8.count <= 128 else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
    }

    func corsHeaders() -> [(String, String)] {
        [("Access-Control-Allow-Origin", config.server.hlsAllowOrigin),
         ("Access-Control-Expose-Headers", "Content-Length, Content-Range")]
    }

    func corsPreflight() -> Response {
        Response(status: 204, headers: corsHeaders() + [
            ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
            ("Access-Control-Allow-Headers", "Range, Authorization"),
            ("Access-Control-Max-Age", "86400"),
        ])
    }

    /// Opens `path` without following a symlink (and only a regular file), then
    /// answers with Range/304 handling and the body as a `sendfile` region.
    func sendFile(_ path: String, type: String, playlist: Bool, _ request: HTTPRequest, _ r: Responder, _ stream: StreamRuntime) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return r.send(.text(404, "not found", headers: corsHeaders())) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            closeDescriptor(fd)
            return r.send(.text(404, "not found", headers: corsHeaders()))
        }
        let size = Int(st.st_size)
        let mtime = Int(st.st_mtim.tv_sec)
        var headers = corsHeaders()
        headers.append(("Content-Type", type))
        headers.append(("Cache-Control", playlist ? "no-cache" : "max-age=10"))
        headers.append(("Last-Modified", HTTPDate.format(epochSeconds: mtime)))
        headers.append(("Accept-Ranges", "bytes"))
        if !playlist { stream.noteAccess(peer: r.peer, bytes: 0) }
        if let since = request.headers["If-Modified-Since"].flatMap(HTTPDate.parse), mtime <= since, request.headers["Range"] == nil {
            closeDescriptor(fd)
            return r.send(Response(status: 304, headers: headers))
        }
        switch ByteRange.parse(request.headers["Range"], size: size) {
        case .full:
            if request.method == .GET { stream.addServedBytes(size) }
            r.send(Response(status: 200, headers: headers, body: .file(fd: fd, offset: 0, count: size)))
        case .partial(let first, let last):
            headers.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
            if request.method == .GET { stream.addServedBytes(last - first + 1) }
            r.send(Response(status: 206, headers: headers, body: .file(fd: fd, offset: first, count: last - first + 1)))
        case .unsatisfiable:
            closeDescriptor(fd)
            headers.append(("Content-Range", "bytes */\(size)"))
            r.send(Response(status: 416, headers: headers))
        }
    }
}
