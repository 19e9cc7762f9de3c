/// Request (or response) header fields in the order received, with names
/// kept as sent and looked up ASCII-case-insensitively.
///
/// A flat list rather than a dictionary: requests carry a handful of
/// headers, a linear scan beats hashing at that size and keeps order and
/// duplicates (which the parser must see to reject e.g. two Host fields).
///
/// Fields the parser received stay bytes (one copy of the header block)
/// until asked for: a player sends eight or so and a handler reads two or
/// three, so making two Strings per field up front was most of the cost of
/// parsing a request. Any mutation turns them into Strings first.
public struct HTTPHeaders: RandomAccessCollection, Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    /// One case with one reference, not two arrays side by side: requests are
    /// copied several times on their way to a handler, and every stored
    /// reference is a retain and a release per copy.
    enum Storage: Sendable {
        case fields([(name: String, value: String)])
        /// `count` fields as received: a table of 4 offsets per field (4 bytes
        /// each, native order: name start, name end, value start, value end,
        /// OWS trimmed, relative to the block), then the header block as it
        /// came (lines with their CRLFs). Built by the parser.
        case received([UInt8], count: Int)
    }

    var storage: Storage

    public init() { storage = .fields([]) }

    public init(_ fields: [(String, String)]) {
        storage = .fields(fields.map { (name: $0.0, value: $0.1) })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// Headers over a table and block laid out as `Storage.received` says.
    init(received: [UInt8], count: Int) {
        storage = count == 0 ? .fields([]) : .received(received, count: count)
    }

    // MARK: Collection (position-based access, in received order)

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public var count: Int {
        switch storage {
        case .fields(let f): return f.count
        case .received(_, let n): return n
        }
    }

    public subscript(position: Int) -> (name: String, value: String) {
        switch storage {
        case .fields(let f): return f[position]
        case .received(let bytes, let n): return bytes.withUnsafeBufferPointer { receivedField($0, n, position) }
        }
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
        for f in addedFields where asciiCaseInsensitiveEquals(f.name, name) { return f.value }
        return nil
    }

    /// All values of the field `name`, in order received.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        _ = forEachReceived(named: name) { p, vs, ve in
            out.append(makeString(p, vs, ve))
            return false
        }
        for f in addedFields where asciiCaseInsensitiveEquals(f.name, name) { out.append(f.value) }
        return out
    }

    /// Whether at least one field `name` is present.
    public func contains(_ name: String) -> Bool {
        if forEachReceived(named: name, { _, _, _ in true }) { return true }
        for f in addedFields where asciiCaseInsensitiveEquals(f.name, name) { return true }
        return false
    }

    /// Whether any field `name`, read as a comma-separated list (RFC 9110
    /// §5.6.1), contains `token` (case-insensitive). E.g. `Connection: close`.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        let inReceived = forEachReceived(named: name) { p, vs, ve in
            anyListElement(p, vs, ve) { s, e in bytesEqualCaseInsensitive(p, s, e, token) }
        }
        if inReceived { return true }
        for f in addedFields where asciiCaseInsensitiveEquals(f.name, name) {
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
        var f = takeFields()
        f.append((name: name, value: value))
        storage = .fields(f)
    }

    /// Removes every field `name`, then appends one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name)
        add(name: name, value: value)
    }

    /// Removes every field `name`.
    public mutating func remove(_ name: String) {
        var f = takeFields()
        f.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
        storage = .fields(f)
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    // MARK: Storage

    /// The fields as Strings, leaving `storage` empty so the array is
    /// uniquely referenced and the caller can mutate it in place.
    mutating func takeFields() -> [(name: String, value: String)] {
        switch storage {
        case .fields(let f):
            storage = .fields([])
            return f
        case .received(let bytes, let n):
            var all: [(name: String, value: String)] = []
            all.reserveCapacity(n)
            bytes.withUnsafeBufferPointer { p in
                for k in 0..<n { all.append(receivedField(p, n, k)) }
            }
            storage = .fields([])
            return all
        }
    }

    /// Fields held as Strings (none when they are still received bytes).
    var addedFields: [(name: String, value: String)] {
        if case .fields(let f) = storage { return f }
        return []
    }

    /// Calls `body` with the value range of each received field `name`
    /// until it returns true; returns whether it did.
    func forEachReceived(named name: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Bool) -> Bool {
        guard case .received(let bytes, let n) = storage else { return false }
        return bytes.withUnsafeBufferPointer { p in
            let wanted = name.utf8.count
            let block = 16 * n
            for k in 0..<n {
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
