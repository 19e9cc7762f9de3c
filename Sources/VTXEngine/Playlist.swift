import VTXSystem

/// What the engine needs to know of an HLS playlist FFmpeg writes.
public enum Playlist {
    /// Number of media segments listed (`#EXTINF` entries). 0 when unreadable.
    /// Lines end in LF or CRLF (split on bytes: Swift treats "\r\n" as one Character,
    /// so a Character split on "\n" would see a CRLF playlist as one line).
    public static func segmentCount(_ text: some StringProtocol) -> Int {
        let tag = Array("#EXTINF".utf8)
        var count = 0
        for line in text.utf8.split(whereSeparator: { $0 == 10 || $0 == 13 }) where line.starts(with: tag) {
            count += 1
        }
        return count
    }

    /// At most this much of a playlist is read: enough to see it change and count
    /// segments, whatever hls_list_size says.
    static let readLimit = 256 * 1024

    /// Reads a playlist from the RAM disk (a small tmpfs file), at most its first
    /// `readLimit` bytes, with its modification time (epoch seconds, taken after the read).
    public static func read(atPath path: String) -> Copy? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { closeDescriptor(fd) }
        var st = stat()
        guard let bytes = try? Files.readToEnd(fd, limit: readLimit).get(), fstat(fd, &st) == 0 else { return nil }
        return Copy(bytes: bytes, modified: Int(st.st_mtim.tv_sec))
    }

    /// The bytes of one version of a playlist and the file's modification time.
    public struct Copy: Equatable {
        public let bytes: [UInt8]
        public let modified: Int

        public init(bytes: [UInt8], modified: Int) {
            self.bytes = bytes
            self.modified = modified
        }

        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Whether `bytes` is a playlist its writer finished: libuv reports every write
    /// (IN_MODIFY), never the close, so a writer that rewrites in place (O_TRUNC, then
    /// write: FFmpeg's VOD playlists, other tools) can be read empty or cut short.
    /// Whole means: starts with `#EXTM3U`, ends with a line feed, its last line is a URI
    /// or `#EXT-X-ENDLIST`, and every `#EXTINF` has a URI before the next `#EXTINF`. A
    /// cut that falls just after a URI's line feed passes: that prefix is itself a
    /// playlist (a window with fewer segments), never a torn one. One of `readLimit`
    /// bytes or more was not read whole.
    public static func isWhole(_ bytes: [UInt8]) -> Bool {
        guard bytes.starts(with: Array("#EXTM3U".utf8)), bytes.last == 10, bytes.count < readLimit else { return false }
        let inf = Array("#EXTINF".utf8), endList = Array("#EXT-X-ENDLIST".utf8)
        var awaitingURI = false
        var lastIsURIOrEnd = false
        for line in bytes.split(whereSeparator: { $0 == 10 || $0 == 13 }) {
            if line.first == UInt8(ascii: "#") {
                if line.starts(with: inf) {
                    if awaitingURI { return false }
                    awaitingURI = true
                }
                lastIsURIOrEnd = line.elementsEqual(endList)
            } else if !line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                awaitingURI = false
                lastIsURIOrEnd = true
            }
        }
        return lastIsURIOrEnd && !awaitingURI
    }

    /// Lines of the playlist, split on LF or CR bytes, empty ones dropped.
    static func lines(_ text: some StringProtocol) -> [Substring.UTF8View.SubSequence] {
        Substring(text).utf8.split(whereSeparator: { $0 == 10 || $0 == 13 })
    }

    /// The files a playlist refers to, as names in the stream directory: media
    /// segment URIs and `#EXT-X-MAP:URI="…"` (fMP4's init segment), without a query
    /// and without any directory part.
    public static func listedFiles(_ text: some StringProtocol) -> Set<String> {
        var names = Set<String>()
        let mapTag = Array("#EXT-X-MAP:".utf8), uriKey = Array("URI=\"".utf8)
        for line in lines(text) {
            var uri: Substring.UTF8View.SubSequence
            if line.first == UInt8(ascii: "#") {
                guard line.starts(with: mapTag), let r = line.firstRange(of: uriKey) else { continue }
                let rest = line[r.upperBound...]
                uri = rest.prefix { $0 != UInt8(ascii: "\"") }
            } else {
                uri = line
            }
            if let q = uri.firstIndex(of: UInt8(ascii: "?")) { uri = uri[..<q] }
            if let slash = uri.lastIndex(of: UInt8(ascii: "/")) { uri = uri[uri.index(after: slash)...] }
            if !uri.isEmpty, let name = String(uri) { names.insert(name) }
        }
        return names
    }

    /// `#EXT-X-TARGETDURATION` and the sum of the `#EXTINF` durations, in seconds.
    public static func durations(_ text: some StringProtocol) -> (target: Double, total: Double) {
        var target = 0.0, total = 0.0
        let targetTag = Array("#EXT-X-TARGETDURATION:".utf8), infTag = Array("#EXTINF:".utf8)
        for line in lines(text) {
            if line.starts(with: infTag) {
                let value = line.dropFirst(infTag.count).prefix { $0 != UInt8(ascii: ",") }
                total += String(value).flatMap(Double.init) ?? 0
            } else if line.starts(with: targetTag) {
                target = String(line.dropFirst(targetTag.count)).flatMap(Double.init) ?? 0
            }
        }
        return (target, total)
    }
}
