/// `?token=` carried into a playlist for players that cannot send headers.
enum PlaylistToken {
    /// The playlist with `token=<token>` added to every URI: URI lines and `URI="…"`
    /// attributes of tags (EXT-X-MAP, EXT-X-KEY, EXT-X-MEDIA…). Line endings are kept.
    static func adding(_ token: String, to text: [UInt8]) -> [UInt8] {
        let param = Array("token=".utf8) + percentEncoded(token)
        func withParam(_ uri: ArraySlice<UInt8>) -> [UInt8] {
            guard !uri.isEmpty else { return Array(uri) }
            var u = Array(uri)
            var fragment: [UInt8] = []
            if let hash = u.firstIndex(of: UInt8(ascii: "#")) { fragment = Array(u[hash...]); u.removeSubrange(hash...) }
            u.append(u.contains(UInt8(ascii: "?")) ? UInt8(ascii: "&") : UInt8(ascii: "?"))
            return u + param + fragment
        }
        let key = Array("URI=\"".utf8), quote = UInt8(ascii: "\"")
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 4)
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > start && text[lineEnd - 1] == 13 { lineEnd -= 1 }
            let line = text[start..<lineEnd]
            if line.isEmpty || line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                out.append(contentsOf: line)
            } else if line.first == UInt8(ascii: "#") {
                // URI="…" attributes inside tags; most tags have none and are copied whole.
                // (A `U` search: the generic `firstRange(of:)` made a ?token= request 4–5 times dearer.)
                var i = line.startIndex, copied = line.startIndex
                while let u = line[i...].firstIndex(of: key[0]) {
                    i = u + 1
                    let value = u + key.count
                    guard line[u...].starts(with: key), let close = line[value...].firstIndex(of: quote) else { continue }
                    out.append(contentsOf: line[copied..<value])
                    out.append(contentsOf: withParam(line[value..<close]))
                    out.append(quote)
                    i = close + 1
                    copied = i
                }
                out.append(contentsOf: line[copied...])
            } else {
                out.append(contentsOf: withParam(line))
            }
            out.append(contentsOf: text[lineEnd..<end])   // a CR, if any
            if end < text.count { out.append(10) }
            start = end + 1
        }
        return out
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncoded(_ s: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in s.utf8 {
            switch c {
            case 48...57, 65...90, 97...122, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(c)
            default:
                out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        return out
    }
}
