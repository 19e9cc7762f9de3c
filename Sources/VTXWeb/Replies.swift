import VTXEngine
import VTXServer

/// How a route group words its errors.
enum ErrorStyle {
    /// A line of text (dashboard, metrics, health, unknown paths).
    case text
    /// `{"error":{"code":"…","message":"…"}}` (the API).
    case json
    /// A line of text with the CORS headers, so a player on another origin can read it (HLS).
    case cors
}

/// The responses the routes share: errors in each style, JSON documents with
/// credentials masked, the CORS headers of HLS.
struct Replies {
    /// Masks secrets; holds the live config (`hls_allow_origin` may change on reload).
    let engine: Engine

    func error(_ style: ErrorStyle, _ status: Int, code: String, text: String, message: String,
               headers: [(String, String)] = []) -> Response {
        switch style {
        case .text: return .text(status, text, headers: headers)
        case .cors: return .text(status, text, headers: cors() + headers)
        case .json: return jsonError(status, code, message, headers: headers)
        }
    }

    func notFound(_ style: ErrorStyle) -> Response {
        error(style, 404, code: "not_found", text: "not found", message: "no such API route")
    }

    func methodNotAllowed(_ style: ErrorStyle, allow: String) -> Response {
        error(style, 405, code: "method_not_allowed", text: "method not allowed", message: "allowed: \(allow)",
              headers: [("Allow", allow)])
    }

    func unauthorized(_ style: ErrorStyle) -> Response {
        error(style, 401, code: "unauthorized", text: "unauthorized", message: "credentials required",
              headers: [("WWW-Authenticate", "Basic realm=\"vtx-link\", charset=\"UTF-8\"")])
    }

    func json(_ status: Int, _ w: JSONWriter, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + headers, body: .bytes(w.bytes + [10]))
    }

    /// `{"error":{"code":"…","message":"…"}}`
    func jsonError(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []) -> Response {
        var w = JSONWriter()
        w.beginObject(); w.key("error"); w.beginObject()
        w.field("code", code); w.field("message", engine.mask(message))
        w.endObject(); w.endObject()
        return json(status, w, headers: headers)
    }

    func cors() -> [(String, String)] {
        [("Access-Control-Allow-Origin", engine.config.server.hlsAllowOrigin),
         ("Access-Control-Expose-Headers", "Content-Length, Content-Range")]
    }

    func corsPreflight() -> Response {
        Response(status: 204, headers: cors() + [
            ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
            ("Access-Control-Allow-Headers", "Range, Authorization"),
            ("Access-Control-Max-Age", "86400"),
        ])
    }
}
