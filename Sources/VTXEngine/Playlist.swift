import VTXSystem

/// What the engine needs to know of an HLS playlist FFmpeg writes.
public enum Playlist {
    /// Number of media segments listed (`#EXTINF` entries). 0 when unreadable.
    public static func segmentCount(_ text: some StringProtocol) -> Int {
        var count = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("#EXTINF") {
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
