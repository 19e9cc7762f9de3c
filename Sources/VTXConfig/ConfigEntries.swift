/// A mapping whose keys were checked against the table `Key`: its values by key,
/// and the key path of each for messages.
struct ConfigEntries<Key: ConfigKeys> {
    let path: String
    let values: [Key: YNode]
    let decoder: ConfigDecoder

    subscript(key: Key) -> YNode? { values[key] }

    func path(_ key: Key) -> String { decoder.join(path, key.rawValue) }

    /// `initial` with each written key decoded into it by `body`, in table order.
    func decode<Target>(into initial: Target, _ body: (Key, YNode, String, inout Target) -> Void) -> Target {
        var target = initial
        for key in Key.allCases {
            if let value = values[key] { body(key, value, path(key), &target) }
        }
        return target
    }

    /// Hands every key of `order` its value (nil when not written) and key path:
    /// for sections where a missing key means something.
    func forEachKey(in order: [Key] = Array(Key.allCases), _ body: (Key, YNode?, String) -> Void) {
        for key in order { body(key, values[key], path(key)) }
    }
}

extension ConfigDecoder {
    /// Checks a mapping's keys against `Key` (unknown, duplicate, non-string keys)
    /// and returns its entries. A null node is an empty mapping. Returns nil (after
    /// reporting) when `node` is not a mapping.
    func entries<Key: ConfigKeys>(_ node: YNode, path: String, _ keys: Key.Type) -> ConfigEntries<Key>? {
        if node.isNull { return ConfigEntries(path: path, values: [:], decoder: self) }
        guard case .mapping(let pairs) = node.value else {
            error(node.mark, path, "expected a mapping, got \(Self.describe(node))")
            return nil
        }
        var firstKeys: [Key: YNode] = [:]
        var values: [Key: YNode] = [:]
        for pair in pairs {
            guard case .scalar(let name, _) = pair.key.value, !pair.key.isNull else {
                error(pair.key.mark, path, "mapping keys must be strings, got \(Self.describe(pair.key))")
                continue
            }
            let keyPath = join(path, name)
            // A duplicate of a known key; an unknown one is reported each time.
            if let key = Key(rawValue: name), let first = firstKeys[key] {
                error(pair.key.mark, keyPath, "duplicate key (first defined at line \(first.mark.line))")
                continue
            }
            guard let key = Key(rawValue: name) else {
                error(pair.key.mark, keyPath, unknownKeyMessage(name, Key.self))
                continue
            }
            firstKeys[key] = pair.key
            values[key] = pair.value
        }
        return ConfigEntries(path: path, values: values, decoder: self)
    }

    /// "unknown key", then a close spelling, else where the key belongs, else the
    /// list of keys allowed here.
    func unknownKeyMessage<Key: ConfigKeys>(_ name: String, _ keys: Key.Type) -> String {
        if let match = closestMatch(to: name, in: Key.names) {
            return "unknown key, did you mean `\(match)`?"
        }
        for neighbour in Key.neighbours.reversed() where neighbour.names.contains(name) {
            return "unknown key; `\(name)` belongs \(neighbour.place)"
        }
        return "unknown key (known keys: \(Key.names.joined(separator: ", ")))"
    }
}
