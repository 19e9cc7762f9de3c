import VTXConfig
import VTXEngine
import VTXServer
import VTXSystem

/// Live reload (SIGHUP, `POST /api/v1/reload`): re-read the file; an invalid file
/// changes nothing; a valid one is applied as a diff by the engine.
extension Gateway {
    enum ReloadResult {
        case applied(ReloadSummary)
        case invalid([String])
    }

    func reload() -> ReloadResult {
        let result: ReloadResult
        switch ConfigLoader.load(path: config.path) {
        case .failure(let error):
            for line in error.messages { Log.error("config", line) }
            Log.error("gateway", "reload refused: \(error.messages.count) error(s); still running the previous configuration")
            result = .invalid(error.messages)
        case .success(let new):
            let summary = engine.reload(new)
            config = engine.config
            access.auth = config.server.auth.map(Auth.init)
            Log.threshold = LogSeverity(config.server.logLevel)
            for key in summary.needsRestart { Log.warn("gateway", "reload: \(key) changed; it applies after a restart") }
            Log.info("gateway", "reloaded \(config.path): added \(summary.added), removed \(summary.removed), restarted \(summary.restarted), updated \(summary.updated)")
            result = .applied(summary)
        }
        events.broadcastEvent("reload", reloadJSON(result).bytes)
        return result
    }

    func reloadJSON(_ result: ReloadResult) -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        switch result {
        case .invalid(let errors):
            w.field("ok", false)
            w.key("errors"); w.beginArray(); for e in errors { w.value(engine.mask(e)) }; w.endArray()
        case .applied(let s):
            w.field("ok", true)
            for (key, names) in [("added", s.added), ("removed", s.removed), ("restarted", s.restarted), ("updated", s.updated), ("needs_restart", s.needsRestart)] {
                w.key(key); w.beginArray(); for n in names { w.value(n) }; w.endArray()
            }
        }
        w.endObject()
        return w
    }

    func serveReload(_ r: Responder) {
        let result = reload()
        switch result {
        case .applied: r.send(replies.json(200, reloadJSON(result)))
        case .invalid(let errors):
            var w = JSONWriter()
            w.beginObject(); w.key("error"); w.beginObject()
            w.field("code", "invalid_config")
            w.field("message", engine.mask(errors.joined(separator: "\n")))
            w.key("errors"); w.beginArray(); for e in errors { w.value(engine.mask(e)) }; w.endArray()
            w.endObject(); w.endObject()
            r.send(replies.json(400, w))
        }
    }
}

extension LogSeverity {
    public init(_ level: LogLevel) {
        switch level {
        case .debug: self = .debug
        case .info: self = .info
        case .warn: self = .warn
        case .error: self = .error
        }
    }
}
