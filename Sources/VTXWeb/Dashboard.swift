import CDashboard
import VTXHTTP
import VTXServer

/// The embedded dashboard: Assets/dashboard, compiled into read-only data by
/// tools/embed-dashboard (raw and gzip), so it costs no heap while nobody looks.
enum Dashboard {
    struct Asset {
        let name: String
        let contentType: String
        let raw: UnsafeBufferPointer<UInt8>
        let gzip: UnsafeBufferPointer<UInt8>
        let etag: String
    }

    static func asset(named name: String) -> Asset? {
        for i in 0..<Int(vtx_dashboard_asset_count) {
            let a = vtx_dashboard_asset(UInt32(i)).pointee
            guard String(cString: a.name) == name else { continue }
            return Asset(name: name, contentType: String(cString: a.content_type),
                         raw: UnsafeBufferPointer(start: a.raw, count: Int(a.raw_length)),
                         gzip: UnsafeBufferPointer(start: a.gzip, count: Int(a.gzip_length)),
                         etag: String(cString: a.etag))
        }
        return nil
    }

    /// Every asset's name (each is also served at `/<name>`).
    static var names: [String] {
        (0..<Int(vtx_dashboard_asset_count)).map { String(cString: vtx_dashboard_asset(UInt32($0)).pointee.name) }
    }

    /// Sum of the compressed sizes (the 30 KiB budget).
    static var gzipTotal: Int { Int(vtx_dashboard_gzip_total) }
}

extension Dashboard {
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]

    /// `/`, `/<asset>`, `/assets/<asset>`: an asset raw or gzipped, with its ETag.
    static func serve(_ q: RouteRequest, _ replies: Replies) {
        let (request, r) = (q.request, q.responder)
        let seg = request.segments
        let name = seg.isEmpty ? "index.html" : seg.last!
        guard seg.count <= 2, let asset = Dashboard.asset(named: name) else { return r.send(replies.notFound(.text)) }
        var headers = Dashboard.securityHeaders + [
            ("Content-Type", asset.contentType), ("ETag", asset.etag),
            ("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding"),
        ]
        if let match = request.headers["If-None-Match"], match.split(separator: ",").contains(where: { $0.trimmingSpaces() == asset.etag }) {
            return r.send(Response(status: 304, headers: headers))
        }
        let acceptsGzip = request.headers["Accept-Encoding"]?.lowercased().contains("gzip") ?? false
        if acceptsGzip {
            headers.append(("Content-Encoding", "gzip"))
            return r.send(Response(status: 200, headers: headers, body: .bytes(Array(asset.gzip))))
        }
        r.send(Response(status: 200, headers: headers, body: .bytes(Array(asset.raw))))
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
