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

    /// Reads a playlist from the RAM disk (a small tmpfs file), at most its first
    /// 256 KiB: enough to see it change and count segments, whatever hls_list_size says.
    public static func read(atPath path: String) -> String? {
        Files.readString(path, limit: 256 * 1024)
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
