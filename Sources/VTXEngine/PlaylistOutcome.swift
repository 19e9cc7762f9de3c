/// How a playlist request of a stream ends, in the engine's words. What a client
/// sees (status, `Retry-After`, error code) is VTXWeb's choice (`HTTPFailure`).
public enum PlaylistOutcome: Equatable {
    /// The playlist is there and lists enough segments: serve this copy, or (nil: no
    /// version was read whole yet) the file at `StreamRuntime.playlistPath`.
    case ready(Playlist.Copy?)
    /// No playlist for this request, and why.
    case unavailable(Unavailability)
}

/// Why a request gets no playlist.
public enum Unavailability: Equatable {
    /// A guard did not let FFmpeg start (memory, max_streams, shutdown).
    case refused(SpawnRefusal)
    /// The stream gave up after its retries; an operator start or a reload revives it.
    case failed(detail: String)
    /// No playlist within `start_timeout`.
    case timedOut(detail: String)
    /// An operator stopped the stream this request waited for.
    case stopped
    /// The run this request waited for ended without a playlist (crash, spawn error,
    /// no viewers left); a retry may follow in `retryInSec`.
    case startFailed(reason: StreamReason, detail: String, retryInSec: Int?)
    /// The stream waits for a retry that comes after this request would give up.
    case backoff(detail: String, retryInSec: Int)
    /// Idle with no refusal on record (a start that never got to the guards).
    case notStarted
    /// A reload took the stream out of the configuration while the request waited.
    case removed
}

/// A guard's refusal to start FFmpeg now, and when trying again makes sense.
public struct SpawnRefusal: Equatable {
    public var reason: StreamRejection
    public var detail: String
    public var retryAfterSec: Int

    /// Every start from `Engine.shutdown` on, and every request still waiting when it ends.
    public static let shuttingDown = SpawnRefusal(reason: .shuttingDown, detail: "gateway is shutting down", retryAfterSec: 5)
}
