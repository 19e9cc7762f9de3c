import VTXHTTP
import VTXLoop
import VTXServer

/// Who may enter a route group.
enum Access {
    /// No credentials asked (`/healthz`: probes have none).
    case open
    /// `server.auth`, before anything else about the path is told (API, dashboard).
    case credentials
    /// `server.auth` when `auth.metrics` is set.
    case metricsCredentials
    /// `server.auth` when `auth.hls` is set, also as `?token=` (players cannot always
    /// send headers); asked after the preflight and the method check.
    case hlsCredentials

    var isCheckedFirst: Bool { self != .hlsCredentials }
}

/// `server.auth` at the door of the route groups, and its 401s: delayed by a timer
/// after repeated failures (never by blocking the loop).
final class AccessGate {
    let loop: EventLoop
    /// Replaced by a reload.
    var auth: Auth?
    let throttle = AuthThrottle()
    let replies: Replies
    /// Timers delaying throttled 401s (closed on shutdown).
    var delayTimers: [ObjectIdentifier: LoopTimer] = [:]

    init(loop: EventLoop, auth: Auth?, replies: Replies) {
        self.loop = loop
        self.auth = auth
        self.replies = replies
    }

    /// Whether the request may go on; if not, it has been answered (401, in the
    /// group's style).
    func admit(_ request: HTTPRequest, _ r: Responder, _ access: Access, _ errors: ErrorStyle) -> Bool {
        guard let auth else { return true }
        switch access {
        case .open:
            return true
        case .credentials, .metricsCredentials:
            if access == .metricsCredentials && !auth.protectsMetrics { return true }
            if auth.allows(request) {
                throttle.succeeded(r.peer)
                return true
            }
        case .hlsCredentials:
            if !auth.protectsHLS || auth.allows(request, acceptQueryToken: true) { return true }
        }
        let response = replies.unauthorized(errors)
        let delay = throttle.failed(r.peer)
        if delay > 0 { delayed(by: delay) { r.send(response) } } else { r.send(response) }
        return false
    }

    /// The `?token=` that let an HLS request in, when only it did: a player given
    /// `…/index.m3u8?token=…` resolves the playlist's segment URIs against that URL
    /// without its query, so the playlist it gets must carry the token.
    func uriToken(for request: HTTPRequest) -> String? {
        // The query first: without a token there is no header to check again.
        guard let auth, auth.protectsHLS, let given = request.queryValue("token"), !auth.allows(request) else { return nil }
        return given
    }

    /// Runs `body` once after `ms` on a timer that closes itself. Pending ones are
    /// closed by `shutdown` (an open timer would keep the loop, and the process, alive
    /// for up to 5 s after SIGTERM).
    func delayed(by ms: Int64, _ body: @escaping () -> Void) {
        var id: ObjectIdentifier?
        let timer = LoopTimer(loop) { [unowned self] in
            if let id, let t = self.delayTimers.removeValue(forKey: id) { t.close() }
            body()
        }
        id = ObjectIdentifier(timer)
        delayTimers[ObjectIdentifier(timer)] = timer
        timer.start(afterMs: ms)
    }

    func closeDelayTimers() {
        for t in delayTimers.values { t.close() }
        delayTimers = [:]
    }
}
