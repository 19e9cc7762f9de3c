/// The `streams:` list, its items and their `retry:` mappings.
extension ConfigDecoder {
    func decodeStreams(_ node: YNode, path: String) -> [StreamConfig] {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.value else {
            error(node.mark, path, "expected a list of streams, got \(Self.describe(node))")
            return []
        }
        var streams: [StreamConfig] = []
        var seen: [String: YMark] = [:]
        for (i, item) in items.enumerated() {
            if let stream = decodeStream(item, path: "\(path)[\(i)]", seen: &seen) { streams.append(stream) }
        }
        return streams
    }

    /// One item; nil when its name or source is missing or invalid (the other keys'
    /// problems are still reported).
    func decodeStream(_ node: YNode, path: String, seen: inout [String: YMark]) -> StreamConfig? {
        if node.isNull {
            error(node.mark, path, "expected a stream mapping (with `name` and `source`), got null")
            return nil
        }
        guard let m = entries(node, path: path, StreamKey.self) else { return nil }
        var s = StreamConfig(name: "", source: "")
        var ok = true
        m.forEachKey(in: StreamKey.decodingOrder) { key, value, keyPath in
            guard let v = value else {
                if StreamKey.required.contains(key) {
                    error(node.mark, keyPath, "missing required key")
                    ok = false
                }
                return
            }
            switch key {
            case .name:
                if let name = streamName(v, keyPath, seen: &seen) { s.name = name } else { ok = false }
            case .source:
                if let source = nonEmptyString(v, keyPath) { s.source = source } else { ok = false }
            case .autoStart: s.autoStart = bool(v, keyPath, default: s.autoStart)
            case .idleTimeout: s.idleTimeout = int(v, keyPath, .nonNegative, default: s.idleTimeout)
            case .inputArgs:
                if let list = stringList(v, keyPath) { s.inputArgs = list }
            case .outputArgs:
                guard let list = stringList(v, keyPath) else { return }
                s.outputArgs = list
                s.outputArgsGiven = true
                checkOutputArgs(list, at: v.mark, keyPath)
            case .startTimeout: s.startTimeout = int(v, keyPath, .positive, default: s.startTimeout)
            case .stallTimeout: s.stallTimeout = int(v, keyPath, .positive, default: s.stallTimeout)
            case .startMinSegments: s.startMinSegments = int(v, keyPath, .positive, default: s.startMinSegments)
            case .killTimeout: s.killTimeout = int(v, keyPath, .positive, default: s.killTimeout)
            case .maxStorageMB: s.maxStorageMB = optionalInt(v, keyPath, .positive)
            case .retry:
                if let retry = decodeRetry(v, path: keyPath) { s.retry = retry }
            }
        }
        return ok ? s : nil
    }

    /// A valid name that no earlier item uses.
    func streamName(_ node: YNode, _ path: String, seen: inout [String: YMark]) -> String? {
        guard let text = string(node, path) else { return nil }
        if !Self.isValidStreamName(text) {
            error(node.mark, path, "invalid stream name \(quoteForMessage(text)): use 1-64 characters from A-Z a-z 0-9 _ -")
            return nil
        }
        if let first = seen[text] {
            error(node.mark, path, "duplicate stream name \(quoteForMessage(text)) (first defined at line \(first.line))")
            return nil
        }
        seen[text] = node.mark
        return text
    }

    /// Names appear in URLs and are directory names under `hls_root`.
    static func isValidStreamName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard bytes.count >= 1, bytes.count <= 64 else { return false }
        for c in bytes {
            let ok = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }

    /// FFmpeg must write into the stream's directory, and exactly one element must
    /// be the playlist we serve.
    func checkOutputArgs(_ list: [String], at mark: YMark, _ path: String) {
        if !list.contains(where: { containsSubstring($0, StreamConfig.outputDirPlaceholder) }) {
            error(mark, path, "must contain \"{output_dir}\" in some element (where FFmpeg writes the HLS files)")
        }
        let playlists = list.filter { $0.hasSuffix(".m3u8") }
        if playlists.isEmpty {
            error(mark, path, "no element ends in \".m3u8\"; exactly one element must be the HLS playlist, e.g. \"{output_dir}/index.m3u8\"")
        } else if playlists.count > 1 {
            error(mark, path, "\(playlists.count) elements end in \".m3u8\"; exactly one must (the HLS playlist)")
        } else if lastPathComponent(playlists[0]) == ".m3u8" || playlists[0].hasSuffix("/.m3u8") {
            error(mark, path, "the playlist element \(quoteForMessage(playlists[0])) has no file name")
        }
    }

    func decodeRetry(_ node: YNode, path: String) -> RetryConfig? {
        guard let m = entries(node, path: path, RetryKey.self) else { return nil }
        var r = RetryConfig()
        m.forEachKey { key, v, keyPath in
            switch key {
            case .maxAttempts: r.maxAttempts = int(v, keyPath, .nonNegative, default: r.maxAttempts)
            case .initialBackoffSec: r.initialBackoffSec = int(v, keyPath, .positive, default: r.initialBackoffSec)
            case .maxBackoffSec:
                guard let v else {
                    // Unset, the cap rises with a large first delay instead of cutting it.
                    r.maxBackoffSec = Swift.max(RetryConfig.defaultMaxBackoffSec, r.initialBackoffSec)
                    return
                }
                guard let max = optionalInt(v, keyPath, .positive) else { return }
                if max < r.initialBackoffSec {
                    error(v.mark, keyPath, "must be >= initial_backoff_sec (\(r.initialBackoffSec)), got \(max)")
                } else {
                    r.maxBackoffSec = max
                }
            case .resetAfterSec: r.resetAfterSec = int(v, keyPath, .nonNegative, default: r.resetAfterSec)
            }
        }
        return r
    }
}
