/// How a playlist request of a stream ends.
public enum PlaylistOutcome: Equatable {
    /// The playlist is there and lists enough segments: serve this file.
    case ready(path: String)
    /// No playlist: HTTP status, a short reason (credentials masked) and, for the
    /// memory guard, a Retry-After.
    case unavailable(status: Int, code: String, reason: String, retryAfterSec: Int?)
}
