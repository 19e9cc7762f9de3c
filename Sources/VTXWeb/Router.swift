import VTXHTTP
import VTXServer

/// A path of the route table, written the way it is labelled in the metrics:
/// literal segments, `{…}` for any one segment (handed to the handler), and a final
/// `**` for any number of segments, none included.
struct PathPattern {
    let text: String
    /// One per segment before a `**`: the literal it must be, nil for a `{…}`.
    let literals: [String?]
    let endsInRest: Bool
    /// Which segments are `{…}`s, a bit each (a match hands them over in place, with
    /// nothing to allocate or retain but the segments).
    let paramMask: UInt64

    init(_ text: String) {
        self.text = text
        var literals: [String?] = []
        var rest = false
        for s in text.split(separator: "/") {
            if s == "**" { rest = true; break }
            literals.append(s.hasPrefix("{") && s.hasSuffix("}") ? nil : String(s))
        }
        precondition(literals.count <= 64, "a pattern of more than 64 segments: \(text)")
        self.literals = literals
        endsInRest = rest
        paramMask = literals.indices.reduce(0) { mask, i in literals[i] == nil ? mask | 1 << i : mask }
    }

    /// Whether `segments` fit the pattern (nothing is allocated: this runs per request).
    func fits(_ segments: [String]) -> Bool {
        guard endsInRest ? segments.count >= literals.count : segments.count == literals.count else { return false }
        for i in literals.indices {
            if let literal = literals[i], segments[i] != literal { return false }
        }
        return true
    }

    /// The `{…}` segments if `segments` fit the pattern, else nil.
    func match(_ segments: [String]) -> [String]? { fits(segments) ? Array(RouteParams(segments, paramMask)) : nil }
}

/// The `{…}` segments of a matched path, read in place from the request's segments.
struct RouteParams: RandomAccessCollection {
    let segments: [String]
    let mask: UInt64

    init(_ segments: [String], _ mask: UInt64) {
        self.segments = segments
        self.mask = mask
    }

    var startIndex: Int { 0 }
    var endIndex: Int { mask.nonzeroBitCount }
    subscript(i: Int) -> String {
        var m = mask
        for _ in 0..<i { m &= m - 1 }   // clears the lowest bit set, i times
        return segments[m.trailingZeroBitCount]
    }
}

/// What a handler gets: the request, the `{…}` segments of its pattern, and where to answer.
struct RouteRequest {
    let request: HTTPRequest
    let params: RouteParams
    let responder: Responder
}

/// What a route's path names: its handler, or the 404 for a stream or an action
/// that does not exist.
enum Resolution {
    case handler((RouteRequest) -> Void)
    case missing(Response)
}

/// One entry of the table: a path pattern, the methods it takes, its metrics label and
/// its handler. A class: the table is walked per request, and a struct would be
/// copied (every field retained) at each step.
final class Route {
    enum Target {
        case handler((RouteRequest) -> Void)
        /// Asked before the method: a request for something missing is a 404 whatever its method.
        case resolve(([String]) -> Resolution)
    }

    let pattern: PathPattern
    let methods: [HTTPMethod]
    let label: String
    let target: Target
    /// The `Allow` header of its 405.
    let allow: String

    init(_ pattern: String, _ methods: [HTTPMethod], label: String? = nil, target: Target) {
        self.pattern = PathPattern(pattern)
        self.methods = methods
        self.label = label ?? pattern
        self.target = target
        allow = methods.map(\.rawValue).joined(separator: ", ")
    }

    convenience init(_ pattern: String, _ methods: [HTTPMethod], label: String? = nil,
                     resolve: @escaping ([String]) -> Resolution) {
        self.init(pattern, methods, label: label, target: .resolve(resolve))
    }

    convenience init(_ pattern: String, _ methods: [HTTPMethod], label: String? = nil,
                     _ handler: @escaping (RouteRequest) -> Void) {
        self.init(pattern, methods, label: label, target: .handler(handler))
    }
}

/// A part of the URL space under one policy: who may enter, how its errors read, and
/// its routes. A request belongs to the first group that claims its path.
final class RouteGroup {
    let claims: [PathPattern]
    /// The label of what is answered before one of its routes is found (401, 404).
    let label: String
    let access: Access
    let errors: ErrorStyle
    /// CORS preflight: answered before the method check and without credentials,
    /// which a browser never sends with one.
    let preflight: (() -> Response)?
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

    func claims(_ segments: [String]) -> Bool { claims.contains { $0.fits(segments) } }

    func route(for segments: [String]) -> (Route, RouteParams)? {
        for route in routes where route.pattern.fits(segments) {
            return (route, RouteParams(segments, route.pattern.paramMask))
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

    /// Optimised for speed, unlike the rest (`-Osize`): there its copies of the request
    /// are `rep movsb`, a step per byte (~250 instructions per request under callgrind).
    @_optimize(speed) func handle(_ request: consuming HTTPRequest, _ r: Responder) {
        let segments = request.segments
        guard let group = groups.first(where: { $0.claims(segments) }) else {
            // Unknown paths are answered without asking for credentials: they hold nothing.
            r.route = "unmatched"
            return r.send(replies.notFound(.text))
        }
        let checkedFirst = group.access.isCheckedFirst
        if checkedFirst {
            r.route = group.label
            if !access.admit(request, r, group.access, group.errors) { return }
        }
        guard let (route, params) = group.route(for: segments) else {
            r.route = group.label
            return r.send(replies.notFound(group.errors))
        }
        r.route = route.label
        let handler: (RouteRequest) -> Void
        switch route.target {
        case .handler(let h): handler = h
        case .resolve(let resolve):
            switch resolve(Array(params)) {
            case .missing(let response): return r.send(response)
            case .handler(let h): handler = h
            }
        }
        if request.method == .OPTIONS, let preflight = group.preflight { return r.send(preflight()) }
        guard route.methods.contains(request.method) else {
            return r.send(replies.methodNotAllowed(group.errors, allow: route.allow))
        }
        if !checkedFirst, !access.admit(request, r, group.access, group.errors) { return }
        handler(RouteRequest(request: consume request, params: params, responder: r))
    }
}
