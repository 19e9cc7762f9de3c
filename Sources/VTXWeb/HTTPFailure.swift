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

    init(status: Int, code: String, message: String, retryAfterSec: Int?) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSec = retryAfterSec
    }

    var headers: [(String, String)] { retryAfterSec.map { [("Retry-After", String($0))] } ?? [] }
}
