import VTXSystem

/// `server.hls_root`: stream directories are created and deleted under it, so it
/// must name a real sub-tree.
extension ConfigDecoder {
    /// Not "/", no ".." component; "." components and trailing slashes removed. A
    /// relative path (the original's sample has `"./temp/hls"`) is resolved against
    /// the working directory, as the original does.
    static func checkHLSRoot(_ given: String, workingDirectory: () -> String? = currentDirectory) -> Result<String, Message> {
        var text = given
        if !text.hasPrefix("/") {
            guard let cwd = workingDirectory(), cwd.hasPrefix("/") else {
                return .failure(Message(message: "is relative (\(quoteForMessage(given))) and the working directory is unknown"))
            }
            text = cwd + "/" + text
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        text = "/" + components.joined(separator: "/")
        if components.isEmpty {
            return .failure(Message(message: "must not be \"/\" (stream directories are created and deleted under it)"))
        }
        if components.contains("..") {
            return .failure(Message(message: "must not contain a \"..\" component, got \(quoteForMessage(given))"))
        }
        return .success(text)
    }

    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(cString: buffer)
    }
}
