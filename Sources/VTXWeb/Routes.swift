/// Every path the gateway answers, built once at start: who may enter, which methods
/// each route takes, its metrics label and its handler. `Router.handle` reads it.
enum Routes {
    static func table(replies: Replies, hls: HLSEndpoint, api: APIEndpoint, metrics: MetricsEndpoint,
                      snapshots: SnapshotEndpoint) -> [RouteGroup] {
        [
            // First: nearly every request is a player's, and the groups' claims do not
            // overlap, so the walk usually ends at its first step.
            RouteGroup(claims: ["/hls/**"], label: "/hls/{stream}/{file}", access: .hlsCredentials, errors: .cors,
                       preflight: replies.corsPreflight, routes: [
                // The playlist or a segment, told apart by the handler (labels `HLSEndpoint.*Label`).
                Route("/hls/{stream}/{file}", [.GET, .HEAD, .OPTIONS], hls.serve),
            ]),
            RouteGroup(claims: ["/healthz"], label: "/healthz", access: .open, errors: .text, routes: [
                Route("/healthz", [.GET, .HEAD]) { $0.responder.send(.text(200, "ok")) },
            ]),
            RouteGroup(claims: ["/metrics"], label: "/metrics", access: .metricsCredentials, errors: .text, routes: [
                Route("/metrics", [.GET, .HEAD], metrics.serve),
            ]),
            RouteGroup(claims: ["/api/**"], label: "/api", access: .credentials, errors: .json, routes: [
                Route("/api/v1/streams", [.GET, .HEAD], api.list),
                Route("/api/v1/streams/{name}", [.GET, .HEAD], resolve: api.show),
                Route("/api/v1/streams/{name}/snapshot.jpg", [.GET, .HEAD], resolve: snapshots.resolve),
                Route("/api/v1/streams/{name}/{action}", [.POST], resolve: api.command),
                Route("/api/v1/system", [.GET, .HEAD], api.systemInfo),
                Route("/api/v1/reload", [.POST], api.reload),
                Route("/api/v1/events", [.GET], api.subscribe),
            ]),
            // Assets are also served at the top level (`/app.js`); a path under
            // `/assets/` that names none is the dashboard's 404, behind its credentials.
            RouteGroup(claims: ["/", "/assets/**"] + Dashboard.names.map { "/" + $0 }, label: "/", access: .credentials,
                       errors: .text, routes: [
                Route("/**", [.GET, .HEAD], label: "/") { [replies] in Dashboard.serve($0, replies) },
            ]),
        ]
    }
}
