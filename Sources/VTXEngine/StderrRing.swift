/// The last lines FFmpeg wrote to stderr, bounded in lines and bytes.
///
/// FFmpeg redraws its progress line with `\r`; a carriage return replaces the line
/// being built instead of adding one, so progress cannot flood the ring. A `\r`
/// directly followed by `\n` is a CRLF line end: that line is kept.
public struct StderrRing {
    public let maxLines: Int
    public let maxBytes: Int
    private(set) var lines: [String] = []
    /// Lines committed since the last reset (kept or not): a reader that remembers
    /// this count knows how many lines are new.
    public private(set) var committedLines = 0
    private var bytes = 0
    private var partial: [UInt8] = []
    /// The last byte was `\r`: `partial` is a redrawn (progress) line, dropped by the
    /// next byte unless that is `\n` (CRLF).
    private var afterCR = false
    /// Longest line kept; the rest of an overlong line is dropped.
    static let maxLineBytes = 512

    public init(maxLines: Int = 50, maxBytes: Int = 8192) {
        self.maxLines = maxLines
        self.maxBytes = maxBytes
    }

    public mutating func append(_ chunk: UnsafeRawBufferPointer) {
        for byte in chunk {
            switch byte {
            case UInt8(ascii: "\n"):
                commit()
            case UInt8(ascii: "\r"):
                afterCR = true
            default:
                if afterCR {
                    afterCR = false
                    partial.removeAll(keepingCapacity: true)
                }
                if partial.count < StderrRing.maxLineBytes { partial.append(byte) }
            }
        }
    }

    public mutating func append(_ text: String) {
        let copy = Array(text.utf8)
        copy.withUnsafeBytes { append($0) }
    }

    private mutating func commit() {
        afterCR = false
        defer { partial.removeAll(keepingCapacity: true) }
        guard !partial.isEmpty else { return }
        let line = String(decoding: partial, as: UTF8.self)
        lines.append(line)
        committedLines += 1
        bytes += line.utf8.count
        while lines.count > maxLines || (bytes > maxBytes && lines.count > 1) {
            bytes -= lines.removeFirst().utf8.count
        }
    }

    /// The last `n` complete lines (plus a pending partial line, which is often the
    /// error FFmpeg printed just before dying without a newline). A progress line
    /// ended by `\r` is not part of it.
    public func tail(_ n: Int) -> [String] {
        var all = lines
        if !partial.isEmpty && !afterCR { all.append(String(decoding: partial, as: UTF8.self)) }
        return Array(all.suffix(n))
    }

    public var lastLine: String? { tail(1).first }

    /// The last `n` complete lines (no partial line), at most all that are kept.
    public func lastComplete(_ n: Int) -> ArraySlice<String> { lines.suffix(max(0, n)) }

    public mutating func reset() {
        lines = []
        committedLines = 0
        bytes = 0
        partial = []
        afterCR = false
    }
}
