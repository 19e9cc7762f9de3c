/// `"text"` with quotes/backslashes/control characters escaped, credentials
/// masked and long values shortened: how every config message shows a value, so
/// a message is one line and never prints a secret.
func quoteForMessage(_ text: String) -> String {
    let masked = CredentialMask.mask(text)
    var out = "\""
    var count = 0
    for scalar in masked.unicodeScalars {
        if count >= 80 { out += "…"; break }
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}
