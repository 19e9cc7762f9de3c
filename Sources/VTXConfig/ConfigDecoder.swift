/// Turns a YAML tree into a `GatewayConfig`, collecting every problem as a
/// positioned message instead of stopping at the first. The sections are in
/// `ConfigDecoder+Server.swift` and `ConfigDecoder+Streams.swift`, the scalar
/// readers in `ConfigDecoder+Scalars.swift`.
final class ConfigDecoder {
    let fileName: String
    let environment: (String) -> String?
    private var diagnostics: [(mark: YMark, seq: Int, text: String)] = []

    init(fileName: String, environment: @escaping (String) -> String?) {
        self.fileName = fileName
        self.environment = environment
    }

    /// By position; messages at one position keep the order they were found in.
    func sortedMessages() -> [String] {
        diagnostics.sorted { a, b in
            if a.mark.line != b.mark.line { return a.mark.line < b.mark.line }
            if a.mark.column != b.mark.column { return a.mark.column < b.mark.column }
            return a.seq < b.seq
        }.map { $0.text }
    }

    func error(_ mark: YMark, _ path: String, _ message: String) {
        diagnostics.append((mark, diagnostics.count, "\(fileName):\(mark.line):\(mark.column): \(path): \(message)"))
    }

    /// A problem that has no position yet (the caller knows where it belongs).
    struct Message: Error { var message: String }

    /// How a value is shown after "got": its kind, or the value itself quoted.
    static func describe(_ node: YNode) -> String {
        switch node.value {
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        case .scalar(let text, let plain):
            if plain {
                if node.isNull { return "null" }
                if case .value = parseInteger(text) { return text }
                return quoteForMessage(text)
            }
            if case .value = parseInteger(text) {
                return "\(quoteForMessage(text)) (a quoted string; remove the quotes)"
            }
            return quoteForMessage(text)
        }
    }

    /// `path.key`, the key quoted when it is not a plain word.
    func join(_ path: String, _ key: String) -> String {
        let plainKey = !key.isEmpty && key.utf8.count <= 64 && key.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
        let shown = plainKey ? key : quoteForMessage(key)
        return path.isEmpty ? shown : path + "." + shown
    }
}
