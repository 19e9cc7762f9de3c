/// Request (or response) header fields in the order received, with names
/// kept as sent and looked up ASCII-case-insensitively.
///
/// A flat list rather than a dictionary: requests carry a handful of
/// headers, a linear scan beats hashing at that size and keeps order and
/// duplicates (which the parser must see to reject e.g. two Host fields).
///
/// Fields the parser received stay bytes (`received`, one copy of the
/// header block) until asked for: a
/// player sends eight or so and a handler reads two or three, so making two
/// Strings per field up front was most of the cost of parsing a request.
/// Fields added through the API (`added`) come after the received ones.
public struct HTTPHeaders: RandomAccessCollection, Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    /// Received fields: a table of 4 offsets per field (4 bytes each, native
    /// order: name start, name end, value start, value end, OWS trimmed,
    /// relative to the block), then the header block as it came (lines with
    /// their CRLFs). The parser appends an entry as each line ends and the
    /// block once the head is complete.
    var received: [UInt8] = []
    var receivedCount = 0
    var added: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        added = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    // MARK: Collection (position-based access, in received order)

    public var startIndex: Int { 0 }
    public var endIndex: Int { receivedCount + added.count }
    public var count: Int { receivedCount + added.count }

    public subscript(position: Int) -> (name: String, value: String) {
        if position >= receivedCount { return added[position - receivedCount] }
        return received.withUnsafeBufferPointer { receivedField($0, receivedCount, position) }
    }

    // MARK: Lookup by name

    /// First value of the field `name` (case-insensitive), or nil.
    public subscript(_ name: String) -> String? {
        var found: String? = nil
        _ = forEachReceived(named: name) { p, vs, ve in
            found = makeString(p, vs, ve)
            return true
        }
        if found != nil { return found }
        for f in added where asciiCaseInsensitiveEquals(f.name, name) { return f.value }
        return nil
    }

    /// All values of the field `name`, in order received.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        _ = forEachReceived(named: name) { p, vs, ve in
            out.append(makeString(p, vs, ve))
            return false
        }
        for f in added where asciiCaseInsensitiveEquals(f.name, name) { out.append(f.value) }
        return out
    }

    /// Whether at least one field `name` is present.
    public func contains(_ name: String) -> Bool {
        if forEachReceived(named: name, { _, _, _ in true }) { return true }
        for f in added where asciiCaseInsensitiveEquals(f.name, name) { return true }
        return false
    }

    /// Whether any field `name`, read as a comma-separated list (RFC 9110
    /// §5.6.1), contains `token` (case-insensitive). E.g. `Connection: close`.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        let inReceived = forEachReceived(named: name) { p, vs, ve in
            anyListElement(p, vs, ve) { s, e in bytesEqualCaseInsensitive(p, s, e, token) }
        }
        if inReceived { return true }
        for f in added where asciiCaseInsensitiveEquals(f.name, name) {
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
        added.append((name: name, value: value))
    }

    /// Removes every field `name`, then appends one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name)
        add(name: name, value: value)
    }

    /// Removes every field `name`.
    public mutating func remove(_ name: String) {
        materialize()
        added.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    // MARK: Received fields (the parser's side)

    /// Notes a received field; offsets are relative to the header block.
    mutating func appendReceivedField(_ ns: Int, _ ne: Int, _ vs: Int, _ ve: Int) {
        let entry = SIMD4<UInt32>(UInt32(truncatingIfNeeded: ns), UInt32(truncatingIfNeeded: ne),
                                  UInt32(truncatingIfNeeded: vs), UInt32(truncatingIfNeeded: ve))
        withUnsafeBytes(of: entry) { received.append(contentsOf: $0) }
        receivedCount += 1
    }

    /// Keeps the header block (`p[from..<to]`, whole lines) the noted
    /// fields point into.
    mutating func finishReceived(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
        if receivedCount == 0 { return }
        received.append(contentsOf: UnsafeBufferPointer(rebasing: p[from..<to]))
    }

    /// Turns received fields into Strings ahead of the added ones, before a
    /// mutation that may remove some of them.
    mutating func materialize() {
        if receivedCount == 0 { return }
        var all: [(name: String, value: String)] = []
        all.reserveCapacity(count)
        for f in self { all.append(f) }
        added = all
        received = []
        receivedCount = 0
    }

    /// Calls `body` with the value range of each received field `name`
    /// until it returns true; returns whether it did.
    func forEachReceived(named name: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Bool) -> Bool {
        if receivedCount == 0 { return false }
        return received.withUnsafeBufferPointer { p in
            let wanted = name.utf8.count
            let block = 16 * receivedCount
            for k in 0..<receivedCount {
                let ns = block + load32(p, 16 * k), ne = block + load32(p, 16 * k + 4)
                if ne - ns == wanted && bytesEqualCaseInsensitive(p, ns, ne, name)
                    && body(p, block + load32(p, 16 * k + 8), block + load32(p, 16 * k + 12)) {
                    return true
                }
            }
            return false
        }
    }
}

@inline(__always)
func load32(_ p: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Int {
    Int(UnsafeRawPointer(p.baseAddress!).loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Received field number `k` of `count`.
func receivedField(_ p: UnsafeBufferPointer<UInt8>, _ count: Int, _ k: Int) -> (name: String, value: String) {
    let block = 16 * count, t = 16 * k
    return (name: makeString(p, block + load32(p, t), block + load32(p, t + 4)),
            value: makeString(p, block + load32(p, t + 8), block + load32(p, t + 12)))
}
