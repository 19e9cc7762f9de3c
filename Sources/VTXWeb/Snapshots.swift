import VTXEngine
import VTXServer
import VTXSystem

/// `GET /api/v1/streams/{name}/snapshot.jpg[?width=N]`: a JPEG of a running stream's
/// newest segment (`SnapshotMaker`). Never starts a stream and never counts as
/// viewing: a dashboard refreshing thumbnails must not keep cameras on.
struct SnapshotEndpoint {
    let engine: Engine
    let replies: Replies

    func resolve(_ params: [String]) -> Resolution {
        guard let s = engine.stream(params[0]) else {
            return .missing(replies.jsonError(404, "unknown_stream", "no stream named \(params[0])"))
        }
        return .handler { q in self.serve(s, q) }
    }

    func serve(_ s: StreamRuntime, _ q: RouteRequest) {
        var width = SnapshotPlan.defaultWidth
        if let given = q.request.query.last(where: { $0.name == "width" })?.value {
            guard let w = Int(given), SnapshotPlan.widths.contains(w) else {
                let range = SnapshotPlan.widths
                return q.responder.send(replies.jsonError(400, "bad_width", "width must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
            }
            width = w
        }
        engine.snapshots.snapshot(of: s, width: width) { outcome in
            switch outcome {
            case .ready(let path):
                q.responder.send(self.jpeg(path))
            case .unavailable(let why):
                let f = HTTPFailure(why)
                q.responder.send(self.replies.jsonError(f.status, f.code, f.message, headers: f.headers))
            }
        }
    }

    /// The cached file, sent with sendfile(2).
    func jpeg(_ path: String) -> Response {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, st.st_size > 0 else {
            if fd >= 0 { closeDescriptor(fd) }
            // Removed between the engine's answer and now (the stream stopped).
            return replies.jsonError(503, "no_segment", "the snapshot is gone with its stream; ask again", headers: [("Retry-After", "1")])
        }
        return Response(status: 200, headers: [("Content-Type", "image/jpeg"), ("Cache-Control", "no-cache")],
                        body: .file(fd: fd, offset: 0, count: Int(st.st_size)))
    }
}
