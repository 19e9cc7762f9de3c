import XCTest
import VTXHTTP
@testable import VTXServer

/// Drives a `ConnectionMachine` the way `Connection` does, without sockets, and
/// renders its actions as short words so a test reads like a transcript.
struct Client {
    var machine = ConnectionMachine(limits: HTTPLimits())

    init() {}

    static func request(_ path: String, method: String = "GET", version: String = "HTTP/1.1", extra: String = "") -> String {
        "\(method) \(path) \(version)\r\nHost: vtx\r\n\(extra)\r\n"
    }

    mutating func opened() -> [String] { machine.opened(); return words() }
    mutating func send(_ text: String) -> [String] {
        Array(text.utf8).withUnsafeBytes { machine.received($0) }
        return words()
    }
    mutating func handlerReturned() -> [String] { machine.handlerReturned(); return words() }
    mutating func respond(_ id: Int, _ response: Response = .text(200, "ok")) -> [String] {
        machine.respond(response, to: id)
        return words()
    }
    mutating func written(pending: Bool = false) -> [String] { machine.responseWritten(pending: pending); return words() }
    mutating func drained() -> [String] { machine.drained(); return words() }
    mutating func timerFired() -> [String] { machine.timerFired(); return words() }
    mutating func hangup() -> [String] { machine.hangup(); return words() }
    mutating func shutdown() -> [String] { machine.shutdown(); return words() }
    mutating func startStream(_ id: Int) -> [String] {
        machine.startStream(status: 200, headers: [("Content-Type", "text/event-stream")], for: id)
        return words()
    }
    mutating func chunk(_ id: Int, size: Int, queued: Int = 0, limit: Int = 1024) -> [String] {
        machine.streamChunk([UInt8](repeating: 0x61, count: size), for: id, queued: queued, limit: limit)
        return words()
    }
    mutating func finish(_ id: Int) -> [String] { machine.finish(id); return words() }

    /// What the event just reported asks for, drained the way `Connection.drain` does.
    mutating func words() -> [String] {
        var out: [String] = []
        while let action = machine.nextAction() {
            switch action {
            case .dispatch(let id):
                let request = machine.takeRequest()
                out.append("dispatch \(id) \(request.map { "\($0.method) \($0.path)" } ?? "nothing")")
            case .writeResponse(let keepAlive, let isHead):
                let status = machine.takeResponse().map { String($0.status) } ?? "nothing"
                out.append("write \(status)" + (keepAlive ? "" : " close") + (isHead ? " head" : ""))
            case .writeError(let isHead):
                let status = machine.takeError().map { String($0.status) } ?? "nothing"
                out.append("error \(status)" + (isHead ? " head" : ""))
            case .writeStreamHead:
                out.append("stream head \(machine.takeStreamHead().map { String($0.status) } ?? "nothing")")
            case .writeChunk:
                out.append("chunk \(machine.takeChunk().map { String($0.count) } ?? "nothing")")
            default:
                out.append(action.word)
            }
        }
        return out
    }

    /// A request answered the way most routes do: at once, inside the handler, with
    /// the bytes all taken by the kernel.
    mutating func answerAtOnce(_ id: Int, _ response: Response = .text(200, "ok")) -> [String] {
        respond(id, response) + written() + handlerReturned()
    }
}

extension ConnectionAction {
    var word: String {
        switch self {
        case .armTimer(let clock): return "arm \(clock)"
        case .stopTimer: return "stop timer"
        case .pauseReading: return "pause"
        case .resumeReading: return "resume"
        case .dispatch(let id): return "dispatch \(id)"
        case .writeResponse(let keepAlive, let isHead): return "write" + (keepAlive ? "" : " close") + (isHead ? " head" : "")
        case .writeError(let isHead): return "error" + (isHead ? " head" : "")
        case .writeStreamHead: return "stream head"
        case .writeChunk: return "chunk"
        case .dropResponse(let status, let fd): return "drop \(status)" + (fd.map { " fd \($0)" } ?? "")
        case .shutdownWrite: return "shutdown write"
        case .close: return "close"
        }
    }
}

/// What ends a connection after its last response: half-close, discard, linger.
let lingers = ["shutdown write", "resume", "arm linger"]
