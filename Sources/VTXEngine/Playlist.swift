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

    /// Reads a playlist from the RAM disk (a small tmpfs file) and counts its segments.
    public static func segmentCount(atPath path: String) -> Int {
        guard let text = Files.readString(path, limit: 256 * 1024) else { return 0 }
        return segmentCount(text)
    }
}
