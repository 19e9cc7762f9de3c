/// Log severity; `server.log_level` filters below it.
public enum LogSeverity: Int, Comparable, Sendable {
    case debug = 0, info, warn, error

    public static func < (a: LogSeverity, b: LogSeverity) -> Bool { a.rawValue < b.rawValue }

    var label: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        }
    }
}

/// One line per event on stderr: `2026-11-25T10:00:00Z info  engine[lobby] message`.
/// Under journald (`JOURNAL_STREAM` set) the timestamp is dropped: the journal adds its own.
/// Unbuffered `write(2)` of a whole line, so lines from a crash are never lost in a buffer.
public enum Log {
    nonisolated(unsafe) public static var threshold: LogSeverity = .info
    nonisolated(unsafe) static var withTimestamp: Bool = getenv("JOURNAL_STREAM") == nil
    /// Tests capture log lines here (the masking test reads them).
    nonisolated(unsafe) public static var sink: ((String) -> Void)? = nil

    public static func debug(_ subject: String, _ message: @autoclosure () -> String) { emit(.debug, subject, message) }
    public static func info(_ subject: String, _ message: @autoclosure () -> String) { emit(.info, subject, message) }
    public static func warn(_ subject: String, _ message: @autoclosure () -> String) { emit(.warn, subject, message) }
    public static func error(_ subject: String, _ message: @autoclosure () -> String) { emit(.error, subject, message) }

    static func emit(_ severity: LogSeverity, _ subject: String, _ message: () -> String) {
        guard severity >= threshold else { return }
        var line = ""
        if withTimestamp { line += isoTimestamp(WallClock.nowSeconds()) + " " }
        line += severity.label
        line += String(repeating: " ", count: 6 - severity.label.count)
        line += subject + " " + message() + "\n"
        if let sink { sink(line) }
        emitRaw(line)
    }

    /// Writes text to stderr as is (config errors, usage).
    public static func emitRaw(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(2, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` through `gmtime_r`/`strftime`, as swift-log does without Foundation.
    public static func isoTimestamp(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
