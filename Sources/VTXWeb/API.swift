import VTXEngine
import VTXHTTP
import VTXServer

/// `/api/v1/…`: streams, operator commands, system, events, reload. The table has
/// checked the credentials and the method before these run.
struct APIEndpoint {
    let engine: Engine
    let replies: Replies
    let documents: StreamDocuments
    let events: EventHub
    let system: SystemInfo
    /// Re-reads the config file and answers (the gateway's `serveReload`).
    let reloadConfig: (Responder) -> Void

    func list(_ q: RouteRequest) {
        var w = JSONWriter()
        w.beginObject(); w.key("streams"); w.beginArray()
        for s in engine.streams { documents.writeStream(s, into: &w, history: false) }
        w.endArray(); w.endObject()
        q.responder.send(replies.json(200, w))
    }

    func show(_ params: [String]) -> Resolution {
        guard let s = engine.stream(params[0]) else { return .missing(unknownStream(params[0])) }
        return .handler { q in
            var w = JSONWriter()
            self.documents.writeStream(s, into: &w, history: true)
            q.responder.send(self.replies.json(200, w))
        }
    }

    func command(_ params: [String]) -> Resolution {
        guard let s = engine.stream(params[0]) else { return .missing(unknownStream(params[0])) }
        guard let command = OperatorCommand(rawValue: params[1]) else {
            let actions = OperatorCommand.allCases.map(\.rawValue).joined(separator: ", ")
            return .missing(replies.jsonError(404, "not_found", "actions are \(actions)"))
        }
        return .handler { q in
            if let refusal = self.forgeryCheck(q.request) { return q.responder.send(refusal) }
            q.responder.send(self.reply(to: command, s))
        }
    }

    func systemInfo(_ q: RouteRequest) {
        system.withFFmpegVersion { q.responder.send(self.replies.json(200, self.system.json())) }
    }

    func reload(_ q: RouteRequest) {
        if let refusal = forgeryCheck(q.request) { return q.responder.send(refusal) }
        reloadConfig(q.responder)
    }

    func subscribe(_ q: RouteRequest) {
        events.subscribe(q.responder, initial: engine.streams.map(documents.streamJSON))
    }

    func unknownStream(_ name: String) -> Response {
        replies.jsonError(404, "unknown_stream", "no stream named \(name)")
    }

    /// State-changing requests must not be forgeable cross-site: a simple form cannot
    /// send `Authorization` or a custom header, and a foreign `Origin` is refused.
    func forgeryCheck(_ request: HTTPRequest) -> Response? {
        if let origin = request.headers["Origin"] {
            // "scheme://host[:port]" must name this very host; "null" (sandboxed or
            // file pages) never does.
            let afterScheme = origin.firstRange(of: "://").map { String(origin[$0.upperBound...]) } ?? ""
            if afterScheme.isEmpty || afterScheme != (request.headers["Host"] ?? "") {
                return replies.jsonError(403, "forbidden_origin", "cross-origin requests may not change state")
            }
        }
        if request.headers["Authorization"] == nil && request.headers["X-VTX-Request"] == nil {
            return replies.jsonError(403, "missing_header", "send the X-VTX-Request header (or Authorization) with POST requests")
        }
        return nil
    }

    func reply(to command: OperatorCommand, _ s: StreamRuntime) -> Response {
        switch s.run(command) {
        case .refused(let refusal):
            let failure = HTTPFailure(Unavailability.refused(refusal))
            return replies.jsonError(failure.status, failure.code, failure.message, headers: failure.headers)
        case .result(.accepted):
            var w = JSONWriter()
            documents.writeStream(s, into: &w, history: false)
            return replies.json(202, w)
        case .result(.alreadyStarted):
            return replies.jsonError(409, "already_started", "stream \(s.name) is already \(s.phase.rawValue)")
        case .result(.alreadyStopped):
            return replies.jsonError(409, "already_stopped", "stream \(s.name) is already \(s.phase.rawValue)")
        }
    }
}
