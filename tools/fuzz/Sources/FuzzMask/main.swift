// libFuzzer target for `CredentialMask` (VTXConfig), which hides passwords and
// tokens in text shown to people (logs, API, FFmpeg stderr tails).
//
// Input: a text, then optional literal secrets, separated by 0xFF bytes (never
// valid UTF-8, so never part of a decoded string). Checks:
//   - text without "@" and "=" comes back unchanged from `mask(_:)`;
//   - `scheme://user:password@host` placed in arbitrary text (after a space)
//     always has its password masked (user/password from the 2nd/3rd parts);
//   - `mask(_:secrets:)` leaves no occurrence of a secret of 3+ characters
//     (secrets containing "*" are skipped: the placeholder itself is "***");
//   - every credential found by `credentials(in:)` is non-empty and (in its
//     raw form) a substring of the text.
import FuzzSupport
import VTXConfig

var currentInput: [UInt8] = []

func bad(_ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fuzzFail("\(what)\n  input: \(escaped(currentInput, limit: 600))", file: file, line: line)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    currentInput = Array(UnsafeBufferPointer(start: start, count: count))
    let parts = currentInput.split(separator: 0xFF, omittingEmptySubsequences: false)
    let text = String(decoding: parts[0], as: UTF8.self)
    let secrets = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
    let textBytes = Array(text.utf8)

    let masked = CredentialMask.mask(text)
    if !textBytes.contains(UInt8(ascii: "@")) && !textBytes.contains(UInt8(ascii: "=")) && masked != text {
        bad("text without @ or = was changed: \(escaped(masked))")
    }

    // A well-formed URL with userinfo, embedded anywhere (after a space) in
    // arbitrary text, always has its password masked. User and password come
    // from the 2nd and 3rd input parts, minus the bytes that end an authority.
    if parts.count >= 3 {
        func clean(_ part: ArraySlice<UInt8>, allowColon: Bool) -> String {
            let s = String(decoding: part, as: UTF8.self)
            return String(String.UnicodeScalarView(s.unicodeScalars.filter { c in
                !(c.value <= 0x20 || c.value == 0x7F || "\"'<>`/?#@".unicodeScalars.contains(c) || (!allowColon && c == ":"))
            }))
        }
        let user = clean(parts[1], allowColon: false)
        let password = clean(parts[2], allowColon: true)
        if !password.isEmpty {
            let url = "rtsp://\(user):\(password)@cam.local:554/stream?x=1"
            let composed = text + " " + url + " " + text
            let out = CredentialMask.mask(composed)
            let expected = "rtsp://\(user):\(CredentialMask.placeholder)@cam.local:554/stream?x=1"
            if !containsBytes(Array(out.utf8), Array(expected.utf8)) {
                bad("URL password not masked:\n  text: \(escaped(composed))\n  masked: \(escaped(out))")
            }
        }
    }

    // credentials(in:) lists each raw value (a slice of the text), each
    // followed by its percent-decoded form when that differs.
    let found = CredentialMask.credentials(in: text)
    for (i, value) in found.enumerated() {
        if value.isEmpty { bad("empty credential found") }
        if containsBytes(textBytes, Array(value.utf8)) { continue }
        let decodedForm = i > 0 && found[i - 1].utf8.contains(UInt8(ascii: "%"))
        if !decodedForm { bad("credential \(escaped(value)) is neither in the text nor a decoded form") }
    }

    if !secrets.isEmpty {
        let out = Array(CredentialMask.mask(text, secrets: secrets).utf8)
        for s in secrets where s.count >= 3 && !s.utf8.contains(UInt8(ascii: "*")) {
            if containsBytes(out, Array(s.utf8)) {
                bad("mask(_:secrets:) left secret \(escaped(s)) in \(escaped(out))")
            }
        }
    }
    return 0
}
