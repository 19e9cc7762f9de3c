import VTXEngine
import VTXHTTP
import VTXLoop
import VTXServer
import VTXSystem

/// `/api/v1/…`: streams, operator commands, system, events.
extension Gateway {
    func serveAPI(_ request: HTTPRequest, _ r: Responder) {
        let seg = request.segments
        guard seg.count >= 3, seg[1] == "v1" else { return r.send(jsonError(404, "not_found", "no such API route")) }
        switch (seg.count, seg[2]) {
        case (3, "streams"):
            r.route = "/api/v1/streams"
            guard isRead(request) else { return r.send(apiMethodNotAllowed("GET, HEAD")) }
            var w = JSONWriter()
            w.beginObject(); w.key("streams"); w.beginArray()
            for s in engine.streams { writeStream(s, into: &w, history: false) }
            w.endArray(); w.endObject()
            r.send(jsonResponse(200, w))
        case (4, "streams"):
            r.route = "/api/v1/streams/{name}"
            guard let s = engine.stream(seg[3]) else { return r.send(jsonError(404, "unknown_stream", "no stream named \(seg[3])")) }
            guard isRead(request) else { return r.send(apiMethodNotAllowed("GET, HEAD")) }
            var w = JSONWriter()
            writeStream(s, into: &w, history: true)
            r.send(jsonResponse(200, w))
        case (5, "streams"):
            r.route = "/api/v1/streams/{name}/{action}"
            guard let s = engine.stream(seg[3]) else { return r.send(jsonError(404, "unknown_stream", "no stream named \(seg[3])")) }
            guard ["start", "stop", "restart"].contains(seg[4]) else { return r.send(jsonError(404, "not_found", "actions are start, stop, restart")) }
            guard request.method == .POST else { return r.send(apiMethodNotAllowed("POST")) }
            if let refusal = forgeryCheck(request) { return r.send(refusal) }
            command(OperatorCommand(rawValue: seg[4]) ?? .restart, s, r)
        case (3, "system"):
            r.route = "/api/v1/system"
            guard isRead(request) else { return r.send(apiMethodNotAllowed("GET, HEAD")) }
            withFFmpegVersion { r.send(self.jsonResponse(200, self.systemJSON())) }
        case (3, "reload"):
            r.route = "/api/v1/reload"
            guard request.method == .POST else { return r.send(apiMethodNotAllowed("POST")) }
            if let refusal = forgeryCheck(request) { return r.send(refusal) }
            serveReload(r)
        case (3, "events"):
            r.route = "/api/v1/events"
            guard request.method == .GET else { return r.send(apiMethodNotAllowed("GET")) }
            events.subscribe(r, initial: engine.streams.map(streamJSON))
        default:
            r.send(jsonError(404, "not_found", "no such API route"))
        }
    }

    func isRead(_ request: HTTPRequest) -> Bool { request.method == .GET || request.method == .HEAD }

    func apiMethodNotAllowed(_ allow: String) -> Response {
        jsonError(405, "method_not_allowed", "allowed: \(allow)", headers: [("Allow", allow)])
    }

    /// State-changing requests must not be forgeable cross-site: a simple form cannot
    /// send `Authorization` or a custom header, and a foreign `Origin` is refused.
    func forgeryCheck(_ request: HTTPRequest) -> Response? {
        if let origin = request.headers["Origin"] {
            // "scheme://host[:port]" must name this very host; "null" (sandboxed or
            // file pages) never does.
            let afterScheme = origin.firstRange(of: "://").map { String(origin[$0.upperBound...]) } ?? ""
            if afterScheme.isEmpty || afterScheme != (request.headers["Host"] ?? "") {
                return jsonError(403, "forbidden_origin", "cross-origin requests may not change state")
            }
        }
        if request.headers["Authorization"] == nil && request.headers["X-VTX-Request"] == nil {
            return jsonError(403, "missing_header", "send the X-VTX-Request header (or Authorization) with POST requests")
        }
        return nil
    }

    func command(_ command: OperatorCommand, _ s: StreamRuntime, _ r: Responder) {
        switch s.run(command) {
        case .refused(let refusal):
            let failure = HTTPFailure(.refused(refusal))
            r.send(jsonError(failure.status, failure.code, failure.message, headers: failure.headers))
        case .result(.accepted):
            var w = JSONWriter()
            writeStream(s, into: &w, history: false)
            r.send(jsonResponse(202, w))
        case .result(.alreadyStarted):
            r.send(jsonError(409, "already_started", "stream \(s.name) is already \(s.phase.rawValue)"))
        case .result(.alreadyStopped):
            r.send(jsonError(409, "already_stopped", "stream \(s.name) is already \(s.phase.rawValue)"))
        }
    }

    /// `ffmpeg -version`, asked once, on the first `/api/v1/system` (never at boot: on a
    /// small device a full FFmpeg costs megabytes even to print its version).
    func withFFmpegVersion(_ then: @escaping () -> Void) {
        if ffmpegVersion != nil { return then() }
        versionWaiters.append(then)
        guard versionWaiters.count == 1 else { return }
        var output: [UInt8] = []
        let finish = { [unowned self] (text: String) in
            self.ffmpegVersion = text
            let waiters = self.versionWaiters
            self.versionWaiters = []
            waiters.forEach { $0() }
        }
        let result = ChildProcess.spawn(loop, arguments: [config.server.ffmpegBinary, "-hide_banner", "-version"], capture: .stdout, onStderr: { chunk in
            if output.count < 4096 { output.append(contentsOf: chunk) }
        }, onExit: { _, _ in
            let first = String(decoding: output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "unknown"
            finish(first)
        })
        if case .failure(let error) = result { finish("unavailable: \(error)") }
    }
}
