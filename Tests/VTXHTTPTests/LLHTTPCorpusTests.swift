import Foundation
import XCTest
@testable import VTXHTTP

/// llhttp's strict request suite (nodejs/llhttp `test/request/*.md`, extracted
/// by `tools/llhttp-corpus` into Fixtures/llhttp-requests.json) against our
/// parser. Every case is parsed whole, byte by byte and in irregular chunks
/// (`ParserVerifier`, which also requires the three to agree), then compared
/// with llhttp's verdict:
/// - llhttp rejects → we refuse too (an error, or a close with bytes left
///   unread), having answered no more requests than llhttp completed;
/// - llhttp accepts → we answer the same number of requests and refuse
///   nothing, unless the case is pinned below as a deliberate refusal, and then
///   we must refuse it with exactly the pinned status;
/// - llhttp hands the connection to another protocol (Upgrade, CONNECT, the
///   HTTP/2 preface: `upgrade`) → only the requests before that are compared,
///   since what follows is not HTTP/1 to llhttp (for `PRI * HTTP/1.1`, none).
/// Two harness rules, both counted in the printed summary: a case without any
/// Host field gets one after its first request line (HTTP/1.1 requires it; the
/// original must differ only by our missing-Host 400), and a rejected case we
/// are still waiting on mid-head gets CRLF CRLF appended (llhttp rejects at
/// the first bad byte, we when the line ends).
final class LLHTTPCorpusTests: XCTestCase {
    struct Case: Decodable {
        var id: String
        var source: String
        var bytes: String
        var llhttp: String
        var upgrade: Bool
        var messages: Int
        var reason: String
    }

    struct Corpus: Decodable {
        var llhttp: String
        var cases: [Case]
    }

    /// Why we refuse what llhttp accepts.
    enum Refusal: String, CaseIterable {
        case chunked = "chunked bodies are not read (Transfer-Encoding → 501)"
        case method = "a method we do not serve (405 if well known, else 501)"
        case connect = "CONNECT: not a proxy (405)"
        case http09 = "HTTP/0.9 (no version) is not spoken (400)"
        case otherProtocol = "RTSP/ICE request lines are not HTTP (400)"
        case fragment = "a fragment (#) is not part of a request-target, RFC 9112 §3.2 (400)"
    }

    static let notAllowed = HTTPParseError(status: 405, reason: "method not allowed")
    static let notImplemented = HTTPParseError(status: 501, reason: "method not implemented")
    static let chunked = HTTPParseError(status: 501, reason: "Transfer-Encoding not supported")
    static let fragment = HTTPParseError.badRequest("fragment in request target")

    /// The deliberate refusals, by case id, with the exact error we answer
    /// (the first one in byte order: a PUT with a chunked body is a 405).
    static let pinned: [String: (error: HTTPParseError, why: Refusal)] = [
        "connection: `keep-alive` / Setting flag": (notAllowed, .method),
        "connection: `keep-alive` / Restarting when keep-alive is explicitly": (notAllowed, .method),
        "connection: `close` / Setting flag on `close`": (notAllowed, .method),
        "connection: `close` / Setting flag on `close` followed by tab": (notAllowed, .method),
        "connection: Parsing multiple tokens / Sample": (notAllowed, .method),
        "connection: `upgrade` / Setting a flag and pausing": (notAllowed, .method),
        "connection: `upgrade` / Emitting part of body and pausing": (notAllowed, .method),
        "content-length: `Content-Length` with zeroes": (notAllowed, .method),
        "content-length: `Content-Length` with follow-up headers": (notAllowed, .method),
        "content-length: Content-Length reset when no body is received": (notAllowed, .method),
        "method: REPORT request": (notImplemented, .method),
        "method: M-SEARCH request": (notImplemented, .method),
        "method: PATCH request": (notAllowed, .method),
        "method: PURGE request": (notImplemented, .method),
        "method: SEARCH request": (notImplemented, .method),
        "method: LINK request": (notImplemented, .method),
        "method: LINK request (2)": (notImplemented, .method), // UNLINK
        "method: SOURCE request": (notImplemented, .method),
        "method: QUERY request": (notImplemented, .method),
        "pausing: on_chunk_header": (notAllowed, .method),
        "pausing: on_chunk_extension_name": (notAllowed, .method),
        "pausing: on_chunk_extension_value": (notAllowed, .method),
        "pausing: on_chunk_complete": (notAllowed, .method),
        "pipelining: Should parse multiple events": (notAllowed, .method), // POST answered, then PUT
        "transfer-encoding: `chunked` / Parsing and setting flag": (notAllowed, .method),
        "transfer-encoding: `chunked` / Parse chunks with lowercase size": (notAllowed, .method),
        "transfer-encoding: `chunked` / Parse chunks with uppercase size": (notAllowed, .method),
        "method: CONNECT request": (notAllowed, .connect),
        "method: CONNECT request with CAPS": (notAllowed, .connect),
        "method: CONNECT with body": (notAllowed, .connect),
        "uri: Underscore in hostname": (notAllowed, .connect),
        "sample: No HTTP version": (.badRequest("missing HTTP version"), .http09),
        "method: SOURCE request with ICE": (.badRequest("malformed HTTP version"), .otherProtocol),
        "method: OPTIONS request with RTSP": (.badRequest("malformed HTTP version"), .otherProtocol),
        "method: ANNOUNCE request with RTSP": (.badRequest("malformed HTTP version"), .otherProtocol),
        "transfer-encoding: `chunked` / POST with `Transfer-Encoding: chunked`": (chunked, .chunked),
        "transfer-encoding: `chunked` / Two chunks and triple zero prefixed end chunk": (chunked, .chunked),
        "transfer-encoding: `chunked` / Trailing headers": (chunked, .chunked),
        "transfer-encoding: `chunked` / Chunk extensions": (chunked, .chunked),
        "transfer-encoding: `chunked` / Chunk extensions quoting": (chunked, .chunked),
        "transfer-encoding: POST with `chunked` as last transfer-encoding": (fragment, .fragment),
        "transfer-encoding: POST with `chunked` as last transfer-encoding (multiple headers)": (fragment, .fragment),
        "uri: Fragment in URI": (fragment, .fragment),
    ]

    /// What the connection does with one input: requests answered, then how it ends.
    struct Ours: Equatable, CustomStringConvertible {
        enum End: Equatable {
            /// Waiting for more (or done): nothing refused.
            case open
            /// A request without keep-alive was answered and the connection
            /// closes with bytes after it unread.
            case closedWithBytesLeft
            case error(HTTPParseError)
        }
        var served: Int
        var end: End

        var refused: Bool { end != .open }
        var description: String {
            switch end {
            case .open: return "\(served) answered"
            case .closedWithBytesLeft: return "\(served) answered, then close with bytes unread"
            case .error(let e): return "\(served) answered, then \(e)"
            }
        }
    }

    static func ours(_ input: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Ours {
        let run = ParserVerifier.verify(input, file: file, line: line)
        var served = 0
        for (i, o) in run.outcomes.enumerated() {
            switch o {
            case .error(let e):
                return Ours(served: served, end: .error(e))
            case .request(let r):
                served += 1
                if !r.keepAlive {
                    let more = i + 1 < run.outcomes.count || run.bufferedBytes > 0
                    return Ours(served: served, end: more ? .closedWithBytesLeft : .open)
                }
            }
        }
        return Ours(served: served, end: .open)
    }

    /// Many of llhttp's cases have no Host, which HTTP/1.1 requires (we answer
    /// 400). Rather than pin all of them, the harness adds one after the first
    /// request line, so the rest of the case is still compared.
    static func withHost(_ input: [UInt8]) -> [UInt8]? {
        let text = String(decoding: input, as: UTF8.self).lowercased()
        if text.hasPrefix("host:") || text.contains("\r\nhost:") { return nil }
        var i = 0
        while i + 1 < input.count && input[i] == 0x0D && input[i + 1] == 0x0A { i += 2 }
        while i + 1 < input.count {
            if input[i] == 0x0D && input[i + 1] == 0x0A {
                return Array(input[..<(i + 2)]) + Array("Host: llhttp.test\r\n".utf8) + Array(input[(i + 2)...])
            }
            i += 1
        }
        return nil
    }

    /// We are waiting in the middle of a head: the run ended with bytes
    /// buffered that are not a complete request.
    static func undecided(_ input: [UInt8], _ o: Ours) -> Bool {
        var parser = RequestParser()
        parser.feed(input)
        for _ in 0..<o.served { _ = parser.next() }
        return parser.next() == nil && parser.bufferedBytes > 0 && parser.bodyStart < 0
    }

    static func loadCorpus(file: String = #filePath) throws -> Corpus {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/llhttp-requests.json")
        return try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: url))
    }

    func testLLHTTPStrictRequestSuite() throws {
        let corpus = try Self.loadCorpus()
        XCTAssertFalse(corpus.cases.isEmpty)
        var accepted = 0, rejected = 0, upgrades = 0, hostAdded = 0, undecided = 0
        var refusals: [Refusal: Int] = [:]
        var ids = Set<String>()
        for c in corpus.cases {
            XCTAssertTrue(ids.insert(c.id).inserted, "duplicate id \(c.id)")
            let input = try XCTUnwrap(Data(base64Encoded: c.bytes).map { [UInt8]($0) }, c.id)
            let label = "\(c.id) (\(c.source))"
            let pin = Self.pinned[c.id]

            if c.llhttp == "rejected" {
                rejected += 1
                var o = Self.ours(input)
                if o.end == .open && o.served <= c.messages && Self.undecided(input, o) {
                    // llhttp stops at the first bad byte; we decide a line
                    // when it ends (`GET / HTTP/5.6` without CRLF waits).
                    // End the head and the refusal must come.
                    undecided += 1
                    o = Self.ours(input + Array("\r\n\r\n".utf8))
                }
                if !o.refused || o.served > c.messages {
                    XCTFail("\(label): llhttp rejects after \(c.messages) (\(c.reason)); we: \(o)")
                }
                if pin != nil { XCTFail("\(label): pinned, but llhttp rejects it too") }
                continue
            }
            XCTAssertEqual(c.llhttp, "accepted", label)
            accepted += 1
            if c.upgrade { upgrades += 1 }

            var o = Self.ours(input)
            if let hosted = Self.withHost(input) {
                hostAdded += 1
                let original = o
                o = Self.ours(hosted)
                // The added Host changes nothing but the missing-Host refusal.
                if original != o && original.end != .error(.badRequest("missing Host header")) {
                    XCTFail("\(label): adding Host changed \(original) into \(o)")
                }
            }
            let agrees = c.upgrade ? o.served >= c.messages : (!o.refused && o.served == c.messages)
            switch (agrees, pin) {
            case (true, nil):
                break
            case (true, let pin?):
                XCTFail("\(label): pinned (\(pin.why)) but now accepted like llhttp: remove the pin")
            case (false, nil):
                XCTFail("\(label): llhttp accepts (\(c.messages) requests); we: \(o)")
            case (false, let pin?):
                if o.end == .error(pin.error) && o.served <= c.messages {
                    refusals[pin.why, default: 0] += 1
                } else {
                    XCTFail("\(label): pinned as \(pin.error) (\(pin.why)); we: \(o)")
                }
            }
        }
        for id in Self.pinned.keys where !ids.contains(id) { XCTFail("pinned id not in the corpus: \(id)") }

        let pinnedCount = refusals.values.reduce(0, +)
        print("llhttp corpus: \(corpus.cases.count) cases, \(pinnedCount) pinned refusals "
              + "(llhttp: \(accepted) accepted incl. \(upgrades) upgrades, \(rejected) rejected; "
              + "Host added to \(hostAdded); \(undecided) rejections needed the head ended)")
        for r in Refusal.allCases { print("  pinned \(refusals[r] ?? 0): \(r.rawValue)") }
    }
}
