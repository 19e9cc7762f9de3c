// A small, immutable YAML tree built from libyaml's document API.
//
// libyaml objects (parser, document) live on the heap (the parser keeps a
// pointer to itself once an input is set, so it must not move) and are always
// deleted before `YAMLTree.load` returns.

import VTXSystem
import CYAML

/// A 1-based position in the source text.
struct YMark: Equatable {
    var line: Int
    var column: Int
}

/// One YAML node with the position where it starts.
struct YNode {
    indirect enum Value {
        /// `plain` is true for unquoted (plain style) scalars; only those may be
        /// numbers, booleans or null.
        case scalar(String, plain: Bool)
        case sequence([YNode])
        case mapping([(key: YNode, value: YNode)])
    }

    var value: Value
    var mark: YMark

    /// A plain `~`, `null` (any YAML 1.1 case form) or empty scalar.
    var isNull: Bool {
        if case .scalar(let text, plain: true) = value {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }
}

/// A YAML syntax (or structure) error, positioned.
struct YAMLSyntaxError: Error {
    var mark: YMark
    var message: String
}

enum YAMLTree {
    /// Nesting deeper than this is rejected (nothing in the config nests more than 4).
    static let maxDepth = 64
    /// Upper bound of nodes produced, counting alias expansions (billion-laughs guard).
    static let maxNodes = 200_000

    /// Parses `bytes` as a single YAML document. Returns `nil` for an empty
    /// stream (no document at all).
    static func load(bytes: [UInt8]) -> Result<YNode?, YAMLSyntaxError> {
        if bytes.isEmpty { return .success(nil) }

        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) != 0 else {
            return .failure(YAMLSyntaxError(mark: YMark(line: 1, column: 1), message: "cannot initialize the YAML parser (out of memory)"))
        }
        defer { yaml_parser_delete(parser) }

        let document = UnsafeMutablePointer<yaml_document_t>.allocate(capacity: 1)
        defer { document.deallocate() }

        return bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) -> Result<YNode?, YAMLSyntaxError> in
            guard let base = buffer.baseAddress else { return .success(nil) }
            yaml_parser_set_input_string(parser, base, buffer.count)

            // First document.
            guard yaml_parser_load(parser, document) != 0 else {
                // On failure libyaml has already deleted the document.
                return .failure(parserError(parser, bytes: buffer))
            }
            let root: YNode?
            do {
                root = try convertRoot(document)
            } catch let error as YAMLSyntaxError {
                yaml_document_delete(document)
                return .failure(error)
            } catch {
                yaml_document_delete(document)
                return .failure(YAMLSyntaxError(mark: YMark(line: 1, column: 1), message: "\(error)"))
            }
            yaml_document_delete(document)
            guard root != nil else { return .success(nil) }

            // A second document is not supported; report it (or a syntax error after the first).
            guard yaml_parser_load(parser, document) != 0 else {
                return .failure(parserError(parser, bytes: buffer))
            }
            var second: YMark? = nil
            if let node = yaml_document_get_root_node(document) {
                second = mark(node.pointee.start_mark)
            }
            yaml_document_delete(document)
            if let second {
                return .failure(YAMLSyntaxError(mark: second, message: "a second YAML document (`---`) is not supported; the config must be a single document"))
            }
            return .success(root)
        }
    }

    static func mark(_ m: yaml_mark_t) -> YMark {
        YMark(line: Int(clamping: m.line) &+ 1, column: Int(clamping: m.column) &+ 1)
    }

    private static func cString(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        return String(cString: p)
    }

    /// Builds a one-line message from libyaml's error fields.
    private static func parserError(_ parser: UnsafeMutablePointer<yaml_parser_t>, bytes: UnsafeBufferPointer<UInt8>) -> YAMLSyntaxError {
        let p = parser.pointee
        let problem = cString(p.problem) ?? "invalid YAML"
        switch p.error {
        case YAML_MEMORY_ERROR:
            return YAMLSyntaxError(mark: YMark(line: 1, column: 1), message: "out of memory while parsing YAML")
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset, not a mark.
            let offset = min(Int(clamping: p.problem_offset), bytes.count)
            var line = 1, column = 1
            var i = 0
            while i < offset {
                let b = bytes[i]
                if b == 0x0A { line &+= 1; column = 1 } else if b & 0xC0 != 0x80 { column &+= 1 }
                i &+= 1
            }
            var message = problem
            if p.problem_value != -1 {
                message += " (byte 0x" + String(UInt32(truncatingIfNeeded: p.problem_value) & 0xFF, radix: 16, uppercase: true) + ")"
            }
            return YAMLSyntaxError(mark: YMark(line: line, column: column), message: message)
        default:
            let at = mark(p.problem_mark)
            var message = problem
            if let context = cString(p.context) {
                let cm = mark(p.context_mark)
                if cm != at && (cm.line > 0) {
                    message += " (\(context) started at line \(cm.line), column \(cm.column))"
                } else {
                    message += " (\(context))"
                }
            }
            let index = Int(clamping: p.problem_mark.index)
            if index < bytes.count, bytes[index] == 0x09 {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return YAMLSyntaxError(mark: at, message: message)
        }
    }

    private static func convertRoot(_ document: UnsafeMutablePointer<yaml_document_t>) throws -> YNode? {
        guard let root = yaml_document_get_root_node(document) else { return nil }
        var budget = maxNodes
        return try convert(document, root, depth: 0, budget: &budget)
    }

    private static func convert(_ document: UnsafeMutablePointer<yaml_document_t>, _ node: UnsafeMutablePointer<yaml_node_t>, depth: Int, budget: inout Int) throws -> YNode {
        let at = mark(node.pointee.start_mark)
        if depth > maxDepth {
            throw YAMLSyntaxError(mark: at, message: "YAML nested too deeply (more than \(maxDepth) levels, or a recursive alias)")
        }
        budget -= 1
        if budget < 0 {
            throw YAMLSyntaxError(mark: at, message: "YAML document too large (more than \(maxNodes) nodes after expanding aliases)")
        }
        switch node.pointee.type {
        case YAML_SCALAR_NODE:
            let scalar = node.pointee.data.scalar
            let length = Int(clamping: scalar.length)
            let text: String
            if let value = scalar.value, length > 0 {
                text = String(decoding: UnsafeBufferPointer(start: value, count: length), as: UTF8.self)
            } else {
                text = ""
            }
            return YNode(value: .scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE || scalar.style == YAML_ANY_SCALAR_STYLE), mark: at)
        case YAML_SEQUENCE_NODE:
            var items: [YNode] = []
            let seq = node.pointee.data.sequence.items
            try eachItem(seq.start, seq.top) { index in
                if let child = yaml_document_get_node(document, index) {
                    items.append(try convert(document, child, depth: depth + 1, budget: &budget))
                }
            }
            return YNode(value: .sequence(items), mark: at)
        case YAML_MAPPING_NODE:
            var pairs: [(key: YNode, value: YNode)] = []
            let map = node.pointee.data.mapping.pairs
            try eachItem(map.start, map.top) { pair in
                if let k = yaml_document_get_node(document, pair.key), let v = yaml_document_get_node(document, pair.value) {
                    let key = try convert(document, k, depth: depth + 1, budget: &budget)
                    let value = try convert(document, v, depth: depth + 1, budget: &budget)
                    pairs.append((key: key, value: value))
                }
            }
            return YNode(value: .mapping(pairs), mark: at)
        default:
            return YNode(value: .scalar("", plain: true), mark: at)
        }
    }
}

/// Visits the items of a libyaml stack, `start ..< top` (both nil when empty).
private func eachItem<T>(_ start: UnsafeMutablePointer<T>?, _ top: UnsafeMutablePointer<T>?,
                         _ body: (T) throws -> Void) rethrows {
    guard let start, let top else { return }
    for i in 0..<(top - start) { try body(start[i]) }
}
