/// HTTP dates (RFC 9110 §5.6.7) by pure integer arithmetic: no libc, no
/// time zones, no locale. Days ↔ civil date use Howard Hinnant's
/// `civil_from_days` / `days_from_civil` (proleptic Gregorian, exact for
/// any year).
public enum HTTPDate {
    static let dayNames: StaticString = "SunMonTueWedThuFriSat"
    static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
    static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// IMF-fixdate range: year 0000 ... 9999 (four digits).
    static let minEpoch = daysFromCivil(year: 0, month: 1, day: 1) * 86400
    static let maxEpoch = daysFromCivil(year: 9999, month: 12, day: 31) * 86400 + 86399

    /// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Times outside
    /// years 0...9999 are clamped (the format has exactly four year digits).
    public static func format(epochSeconds: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(29)
        append(epochSeconds: epochSeconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the IMF-fixdate for `epochSeconds` (29 bytes) to `out`.
    public static func append(epochSeconds: Int, to out: inout [UInt8]) {
        let t = min(max(epochSeconds, minEpoch), maxEpoch)
        // Floor division so times before 1970 land on the right day.
        var days = t / 86400
        var secs = t % 86400
        if secs < 0 { secs += 86400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        var wd = (days + 4) % 7 // 1970-01-01 was a Thursday (Sun = 0)
        if wd < 0 { wd += 7 }

        let dn = dayNames.utf8Start, mn = monthNames.utf8Start
        out.append(dn[wd * 3]); out.append(dn[wd * 3 + 1]); out.append(dn[wd * 3 + 2])
        out.append(asciiComma); out.append(asciiSP)
        append2(d, &out); out.append(asciiSP)
        out.append(mn[(m - 1) * 3]); out.append(mn[(m - 1) * 3 + 1]); out.append(mn[(m - 1) * 3 + 2])
        out.append(asciiSP)
        append2(y / 100, &out); append2(y % 100, &out); out.append(asciiSP)
        append2(secs / 3600, &out); out.append(asciiColon)
        append2(secs / 60 % 60, &out); out.append(asciiColon)
        append2(secs % 60, &out)
        out.append(contentsOf: " GMT".utf8)
    }

    @inline(__always)
    static func append2(_ v: Int, _ out: inout [UInt8]) {
        out.append(ascii0 &+ UInt8(v / 10))
        out.append(ascii0 &+ UInt8(v % 10))
    }

    /// Parses an HTTP date to epoch seconds. Accepts IMF-fixdate and, as
    /// RFC 9110 asks of recipients, the obsolete RFC 850
    /// ("Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years 70-99 → 19xx,
    /// 00-69 → 20xx) and asctime ("Sun Nov  6 08:49:37 1994") forms.
    /// The weekday name must be valid but is not cross-checked. nil if invalid.
    public static func parse(_ s: String) -> Int? {
        withUTF8Bytes(s[...]) { p in
            if p.count == 29 { return parseIMF(p) }
            if p.count == 24 { return parseAsctime(p) }
            return parseRFC850(p)
        }
    }

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    static func parseIMF(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        guard shortDay(p, 0) != nil, p[3] == asciiComma, p[4] == asciiSP,
              let d = digits(p, 5, 2), p[7] == asciiSP,
              let m = month(p, 8), p[11] == asciiSP,
              let y = digits(p, 12, 4), p[16] == asciiSP,
              let t = timeOfDay(p, 17), p[25] == asciiSP,
              p[26] == 0x47, p[27] == 0x4D, p[28] == 0x54 // GMT
        else { return nil }
        return combine(y, m, d, t)
    }

    // "Sun Nov  6 08:49:37 1994"
    static func parseAsctime(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        guard shortDay(p, 0) != nil, p[3] == asciiSP,
              let m = month(p, 4), p[7] == asciiSP
        else { return nil }
        let d: Int
        if p[8] == asciiSP, let one = digits(p, 9, 1) { d = one } else if let two = digits(p, 8, 2) { d = two } else { return nil }
        guard p[10] == asciiSP, let t = timeOfDay(p, 11), p[19] == asciiSP, let y = digits(p, 20, 4) else { return nil }
        return combine(y, m, d, t)
    }

    // "Sunday, 06-Nov-94 08:49:37 GMT"
    static func parseRFC850(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        var comma = 0
        while comma < p.count && p[comma] != asciiComma { comma += 1 }
        guard comma < p.count, p.count == comma + 24 else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: p[0..<comma]), as: UTF8.self)
        guard longDayNames.contains(name) else { return nil }
        let o = comma + 2
        guard p[comma + 1] == asciiSP,
              let d = digits(p, o, 2), p[o + 2] == 0x2D,
              let m = month(p, o + 3), p[o + 6] == 0x2D,
              let yy = digits(p, o + 7, 2), p[o + 9] == asciiSP,
              let t = timeOfDay(p, o + 10), p[o + 18] == asciiSP,
              p[o + 19] == 0x47, p[o + 20] == 0x4D, p[o + 21] == 0x54
        else { return nil }
        return combine(yy >= 70 ? 1900 + yy : 2000 + yy, m, d, t)
    }

    static func combine(_ y: Int, _ m: Int, _ d: Int, _ t: Int) -> Int? {
        guard d >= 1, d <= daysInMonth(y, m) else { return nil }
        return daysFromCivil(year: y, month: m, day: d) * 86400 + t
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// "HH:MM:SS" at `o` → seconds of day (a leap second 60 is accepted).
    static func timeOfDay(_ p: UnsafeBufferPointer<UInt8>, _ o: Int) -> Int? {
        guard let h = digits(p, o, 2), p[o + 2] == asciiColon,
              let mi = digits(p, o + 3, 2), p[o + 5] == asciiColon,
              let s = digits(p, o + 6, 2),
              h < 24, mi < 60, s <= 60
        else { return nil }
        return h * 3600 + mi * 60 + s
    }

    static func digits(_ p: UnsafeBufferPointer<UInt8>, _ o: Int, _ n: Int) -> Int? {
        guard o + n <= p.count else { return nil }
        var v = 0
        for i in o..<(o + n) {
            guard isDigit(p[i]) else { return nil }
            v = v * 10 + Int(p[i] &- ascii0)
        }
        return v
    }

    /// Month number 1...12 for the three letters at `o` (case-sensitive, as the grammar says).
    static func month(_ p: UnsafeBufferPointer<UInt8>, _ o: Int) -> Int? {
        guard o + 3 <= p.count else { return nil }
        let mn = monthNames.utf8Start
        for m in 0..<12 where p[o] == mn[m * 3] && p[o + 1] == mn[m * 3 + 1] && p[o + 2] == mn[m * 3 + 2] {
            return m + 1
        }
        return nil
    }

    static func shortDay(_ p: UnsafeBufferPointer<UInt8>, _ o: Int) -> Int? {
        guard o + 3 <= p.count else { return nil }
        let dn = dayNames.utf8Start
        for d in 0..<7 where p[o] == dn[d * 3] && p[o + 1] == dn[d * 3 + 1] && p[o + 2] == dn[d * 3 + 2] {
            return d
        }
        return nil
    }

    /// Days since 1970-01-01 → (year, month 1...12, day 1...31).
    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// (year, month, day) → days since 1970-01-01.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
