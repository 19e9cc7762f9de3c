// libFuzzer target for the small header-value parsers of VTXHTTP:
// `ByteRange.parse` (Range) and `HTTPDate.parse` (If-Modified-Since).
//
// ByteRange: for several resource sizes, `.partial(first, last)` must satisfy
// 0 <= first <= last < size, and `.unsatisfiable` never comes with a range
// that fits. HTTPDate: a parsed time must format back to a date that parses
// to the same time, and formatting always yields 29 bytes.
import FuzzSupport
import VTXHTTP

var currentInput: [UInt8] = []

func bad(_ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fuzzFail("\(what)\n  input: \(escaped(currentInput, limit: 600))", file: file, line: line)
}

let lastFormattable = HTTPDate.parse("Fri, 31 Dec 9999 23:59:59 GMT")!

let sizes = [0, 1, 2, 100, 65_536, Int.max - 1, Int.max]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    currentInput = Array(UnsafeBufferPointer(start: start, count: count))
    let text = String(decoding: currentInput, as: UTF8.self)

    for size in sizes {
        switch ByteRange.parse(text, size: size) {
        case .full:
            break
        case .partial(let first, let last):
            if !(0 <= first && first <= last && last < size) {
                bad("ByteRange.parse(size: \(size)) = partial(\(first), \(last)) is outside the resource")
            }
        case .unsatisfiable:
            // Only when the range starts at/after the end, or asks for zero bytes.
            if size > 0 && !text.contains("-") { bad("unsatisfiable without a range (size \(size))") }
        }
    }
    if ByteRange.parse(nil, size: 10) != .full { bad("nil Range header must be .full") }

    if let t = HTTPDate.parse(text) {
        let formatted = HTTPDate.format(epochSeconds: t)
        if formatted.utf8.count != 29 { bad("format(\(t)) = \(escaped(formatted)) is not 29 bytes") }
        guard let back = HTTPDate.parse(formatted) else { bad("format(\(t)) = \(escaped(formatted)) does not parse") }
        // A leap second (:60) is the next second and round-trips too; only the
        // very last one, 9999-12-31 23:59:60, is past the formattable range
        // and comes back clamped to 23:59:59.
        if back != min(t, lastFormattable) { bad("parse(format(\(t))) = \(back) (formatted \(escaped(formatted)))") }
    }
    return 0
}
