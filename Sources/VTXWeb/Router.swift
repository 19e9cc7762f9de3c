import VTXHTTP
import VTXServer

/// A path of the route table, written the way it is labelled in the metrics:
/// literal segments, `{…}` for any one segment (handed to the handler), and a final
/// `**` for any number of segments, none included.
struct PathPattern {
    enum Part: Equatable {
        case literal(String)
        case param
        case rest
    }

    let text: String
    let parts: [Part]

    init(_ text: String) {
        self.text = text
        parts = text.split(separator: "/").map { s in
            if s == "**" { return .rest }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .param }
            return .literal(String(s))
        }
    }

    /// The `{…}` segments if `segments` fit the pattern, else nil.
    func match(_ segments: [String]) -> [String]? {
        var params: [String] = []
        for (i, part) in parts.enumerated() {
            switch part {
            case .rest:
                return params
            case .param where i < segments.count:
                params.append(segments[i])
            case .literal(let literal) where i < segments.count && segments[i] == literal:
                continue
            default:
                return nil
            }
        }
        return segments.count == parts.count ? params : nil
    }
}

/// What a handler gets: the request, the `{…}` segments of its pattern, and where to answer.
struct RouteRequest {
    let request: HTTPRequest
    let params: [String]
    let responder: Responder
}

/// What a route's path names: its handler, or the 404 for a stream or an action
/// that does not exist.
enum Resolution {
    case handler((RouteRequest) -> Void)
    case missing(Response)
}

/// One entry of the table: a path pattern, the methods it takes, its metrics label and
/// its handler.
struct Route {
    let pattern: PathPattern
    let methods: [HTTPMethod]
    let label: String
    /// Asked before the method: a request for something missing is a 404 whatever its method.
    let resolve: ([String]) -> Resolution

    init(_ pattern: String, _ methods: [HTTPMethod], label: String? = nil,
         resolve: @escaping ([String]) -> Resolution) {
        self.pattern = PathPattern(pattern)
        self.methods = methods
        self.label = label ?? pattern
        self.resolve = resolve
    }

    init(_ pattern: String, _ methods: [HTTPMethod], label: String? = nil, _ handler: @escaping (RouteRequest) -> Void) {
        self.init(pattern, methods, label: label, resolve: { _ in .handler(handler) })
    }

    /// The `Allow` header of its 405.
    var allow: String { methods.map(\.rawValue).joined(separator: ", ") }
}

/// A part of the URL space under one policy: who may enter, how its errors read, and
/// its routes. A request belongs to the first group that claims its path.
struct RouteGroup {
    let claims: [PathPattern]
    /// The label of what is answered before one of its routes is found (401, 404).
    let label: String
    let access: Access
    let errors: ErrorStyle
    /// CORS preflight: answered before the method check and without credentials,
    /// which a browser never sends with one.
    var preflight: (() -> Response)? = nil
    let routes: [Route]

    init(claims: [String], label: String, access: Access, errors: ErrorStyle,
         preflight: (() -> Response)? = nil, routes: [Route]) {
        self.claims = claims.map(PathPattern.init)
        self.label = label
        self.access = access
        self.errors = errors
        self.preflight = preflight
        self.routes = routes
    }

    func claims(_ segments: [String]) -> Bool { claims.contains { $0.match(segments) != nil } }

    func route(for segments: [String]) -> (Route, [String])? {
        for route in routes {
            if let params = route.pattern.match(segments) { return (route, params) }
        }
        return nil
    }
}

/// The route table, built once (`Gateway.routes`) and then only read. Every request
/// goes through `handle`: the one place of the metrics label, credentials, 404, 405
/// and `Allow`.
struct Router {
    let groups: [RouteGroup]
    let access: AccessGate
    let replies: Replies

    func handle(_ request: HTTPRequest, _ r: Responder) {
        let segments = request.segments
        guard let group = groups.first(where: { $0.claims(segments) }) else {
            // Unknown paths are answered without asking for credentials: they hold nothing.
            r.route = "unmatched"
            return r.send(replies.notFound(.text))
        }
        r.route = group.label
        if group.access.isCheckedFirst, !access.admit(request, r, group.access, group.errors) { return }
        guard let (route, params) = group.route(for: segments) else { return r.send(replies.notFound(group.errors)) }
        r.route = route.label
        let handler: (RouteRequest) -> Void
        switch route.resolve(params) {
        case .missing(let response): return r.send(response)
        case .handler(let h): handler = h
        }
        if request.method == .OPTIONS, let preflight = group.preflight { return r.send(preflight()) }
        guard route.methods.contains(request.method) else {
            return r.send(replies.methodNotAllowed(group.errors, allow: route.allow))
        }
        if !group.access.isCheckedFirst, !access.admit(request, r, group.access, group.errors) { return }
        handler(RouteRequest(request: request, params: params, responder: r))
    }
}
