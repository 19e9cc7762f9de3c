import VTXEngine
import VTXHTTP
import VTXServer
import VTXSystem

extension Gateway {
    /// Every request enters here: authentication, then the route by path.
    func handle(_ request: HTTPRequest, _ r: Responder) {
        let seg = request.segments
        switch seg.first {
        case "healthz" where seg.count == 1:
            r.route = "/healthz"
            guard request.method == .GET || request.method == .HEAD else { return methodNotAllowed(r, "GET, HEAD") }
            r.send(.text(200, "ok"))
        case "hls":
            r.route = "/hls/{stream}/{file}"
            serveHLS(request, r)
        case "api":
            r.route = "/api"
            withAuth(request, r) { self.serveAPI(request, r) }
        case "metrics" where seg.count == 1:
            r.route = "/metrics"
            if auth?.protectsMetrics == true {
                withAuth(request, r) { self.serveMetrics(request, r) }
            } else {
                serveMetrics(request, r)
            }
        case nil, "assets":
            r.route = "/"
            withAuth(request, r) { self.serveDashboard(request, r) }
        default:
            if seg.count == 1 && Dashboard.asset(named: seg[0]) != nil {
                r.route = "/"
                withAuth(request, r) { self.serveDashboard(request, r) }
            } else {
                r.route = "unmatched"
                r.send(.text(404, "not found"))
            }
        }
    }

    func methodNotAllowed(_ r: Responder, _ allow: String) {
        r.send(.text(405, "method not allowed", headers: [("Allow", allow)]))
    }
}
