/// Request (or response) header fields in the order received, with names
/// kept as sent and looked up ASCII-case-insensitively.
///
/// A flat array rather than a dictionary: requests carry a handful of
/// headers, a linear scan beats hashing at that size and keeps order and
/// duplicates (which the parser must see to reject e.g. two Host fields).
public struct HTTPHeaders: RandomAccessCollection, Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    @usableFromInline var fields: [(name: String, value: String)]

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    // MARK: Collection (position-based access, in received order)

    public var startIndex: Int { 0 }
    public var endIndex: Int { fields.count }
    public var count: Int { fields.count }
    public subscript(position: Int) -> (name: String, value: String) { fields[position] }

    // MARK: Lookup by name

    /// First value of the field `name` (case-insensitive), or nil.
    public subscript(_ name: String) -> String? {
        for f in fields where asciiCaseInsensitiveEquals(f.name, name) { return f.value }
        return nil
    }

    /// All values of the field `name`, in order received.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        for f in fields where asciiCaseInsensitiveEquals(f.name, name) { out.append(f.value) }
        return out
    }

    /// Whether at least one field `name` is present.
    public func contains(_ name: String) -> Bool {
        for f in fields where asciiCaseInsensitiveEquals(f.name, name) { return true }
        return false
    }

    /// Whether any field `name`, read as a comma-separated list (RFC 9110
    /// §5.6.1), contains `token` (case-insensitive). E.g. `Connection: close`.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        for f in fields where asciiCaseInsensitiveEquals(f.name, name) {
            let found = withUTF8Bytes(f.value[...]) { p in
                anyListElement(p, 0, p.count) { s, e in bytesEqualCaseInsensitive(p, s, e, token) }
            }
            if found { return true }
        }
        return false
    }

    // MARK: Mutation

    /// Appends a field (keeps any existing ones of the same name).
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field `name`, then appends one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name)
        add(name: name, value: value)
    }

    /// Removes every field `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
