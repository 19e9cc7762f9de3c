import VTXEngine

/// Why the engine has no playlist for a request, in HTTP terms: the one place that
/// chooses the status, the `Retry-After` and the API's error code. 502: the source
/// or FFmpeg failed this run; 503: no FFmpeg now (refused, given up, stopped);
/// 504: it did not produce a playlist in time.
struct HTTPFailure: Equatable {
    var status: Int
    var code: String
    var message: String
    var retryAfterSec: Int?

    init(_ why: Unavailability) {
        switch why {
        case .refused(let refusal):
            let code = switch refusal.reason {
            case .memory: "memory_guard"
            case .maxStreams: "max_streams"
            case .shuttingDown: "shutting_down"
            }
            self.init(status: 503, code: code, message: refusal.detail, retryAfterSec: refusal.retryAfterSec)
        case .failed(let detail):
            self.init(status: 503, code: "stream_failed", message: detail, retryAfterSec: nil)
        case .timedOut(let detail):
            self.init(status: 504, code: "start_timeout", message: detail, retryAfterSec: nil)
        case .stopped:
            self.init(status: 503, code: "stopped", message: "stream stopped by operator", retryAfterSec: nil)
        case .startFailed(let reason, let detail, let retry):
            self.init(status: 502, code: reason.rawValue, message: detail, retryAfterSec: retry)
        case .backoff(let detail, let retry):
            self.init(status: 503, code: "backoff", message: detail + "; next try in \(retry) s", retryAfterSec: retry)
        case .notStarted:
            self.init(status: 503, code: "unavailable", message: "stream could not be started", retryAfterSec: 5)
        case .removed:
            self.init(status: 404, code: "unknown_stream", message: "stream removed from the configuration", retryAfterSec: nil)
        }
    }

    /// A snapshot's: 503 when there is nothing to take one of now (or no memory, or
    /// this FFmpeg cannot), 502 when its FFmpeg failed.
    init(_ why: SnapshotUnavailability) {
        switch why {
        case .notRunning(let phase):
            self.init(status: 503, code: "not_running",
                      message: "stream is \(phase.rawValue): snapshots are taken of running streams only (a playlist request starts it)",
                      retryAfterSec: nil)
        case .noSegment:
            self.init(status: 503, code: "no_segment", message: "no complete segment yet", retryAfterSec: 1)
        case .unsupported(let detail):
            self.init(status: 503, code: "snapshot_unsupported", message: detail, retryAfterSec: nil)
        case .refused(let refusal):
            self.init(Unavailability.refused(refusal))
        case .busy:
            self.init(status: 503, code: "snapshot_busy", message: "too many snapshots waiting", retryAfterSec: 1)
        case .failed(let detail):
            self.init(status: 502, code: "snapshot_failed", message: detail, retryAfterSec: nil)
        }
    }

    init(status: Int, code: String, message: String, retryAfterSec: Int?) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSec = retryAfterSec
    }

    var headers: [(String, String)] { retryAfterSec.map { [("Retry-After", String($0))] } ?? [] }
}
