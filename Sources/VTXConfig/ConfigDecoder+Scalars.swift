/// The scalar readers: each checks one value, reports what is wrong with it at
/// its position and returns nil (or the default) so decoding goes on.
extension ConfigDecoder {
    enum IntegerParse { case notInteger, outOfRange, value(Int) }

    /// Decimal integer with optional sign; overflow-checked.
    static func parseInteger(_ text: String) -> IntegerParse {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        if bytes.isEmpty { return .notInteger }
        var value = 0
        var overflow = false
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return .notInteger }
            if overflow { continue }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            if o1 || o2 { overflow = true } else { value = s }
        }
        if overflow { return .outOfRange }
        return .value(negative ? -value : value)
    }

    enum IntRule {
        case nonNegative, positive
        var min: Int { self == .positive ? 1 : 0 }
        var noun: String { self == .positive ? "a positive integer" : "a non-negative integer" }
    }

    func int(_ node: YNode?, _ path: String, _ rule: IntRule, default value: Int) -> Int {
        optionalInt(node, path, rule) ?? value
    }

    func optionalInt(_ node: YNode?, _ path: String, _ rule: IntRule) -> Int? {
        guard let node else { return nil }
        guard case .scalar(let text, plain: true) = node.value, !node.isNull else {
            error(node.mark, path, "expected \(rule.noun), got \(Self.describe(node))")
            return nil
        }
        switch Self.parseInteger(text) {
        case .notInteger:
            error(node.mark, path, "expected \(rule.noun), got \(Self.describe(node))")
            return nil
        case .outOfRange:
            error(node.mark, path, "integer out of range (maximum \(ConfigLoader.maxInteger)), got \(text.utf8.count > 40 ? String(text.prefix(40)) + "…" : text)")
            return nil
        case .value(let v):
            if v < rule.min {
                error(node.mark, path, "expected \(rule.noun), got \(v)")
                return nil
            }
            if v > ConfigLoader.maxInteger {
                error(node.mark, path, "integer out of range (maximum \(ConfigLoader.maxInteger)), got \(v)")
                return nil
            }
            return v
        }
    }

    func bool(_ node: YNode?, _ path: String, default value: Bool) -> Bool {
        guard let node else { return value }
        if case .scalar(let text, plain: true) = node.value, !node.isNull {
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        error(node.mark, path, "expected a boolean (true/false), got \(Self.describe(node))")
        return value
    }

    /// A string scalar (quoted or plain, not null), `${VAR}`-expanded.
    func string(_ node: YNode?, _ path: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let raw, _) = node.value, !node.isNull else {
            error(node.mark, path, "expected a string, got \(Self.describe(node))")
            return nil
        }
        let (value, problems) = EnvExpansion.expand(raw, environment: environment)
        for problem in problems { error(node.mark, path, problem) }
        if !problems.isEmpty { return nil }
        if value.utf8.contains(0) {
            error(node.mark, path, "must not contain a NUL character")
            return nil
        }
        return value
    }

    func nonEmptyString(_ node: YNode?, _ path: String) -> String? {
        guard let node, let value = string(node, path) else { return nil }
        if value.isEmpty {
            error(node.mark, path, "must not be empty")
            return nil
        }
        return value
    }

    func stringList(_ node: YNode?, _ path: String) -> [String]? {
        guard let node else { return nil }
        guard case .sequence(let items) = node.value else {
            error(node.mark, path, "expected a list of strings, got \(Self.describe(node))")
            return nil
        }
        var result: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let s = string(item, "\(path)[\(i)]") { result.append(s) } else { ok = false }
        }
        return ok ? result : nil
    }
}
