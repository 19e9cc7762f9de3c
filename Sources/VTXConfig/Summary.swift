extension GatewayConfig {
    /// A one-screen human summary for `vtx-link --check`. Never prints a secret:
    /// sources are masked (userinfo passwords, secret query values and every
    /// literal secret of the config), auth shows only what is set.
    public func summary() -> String {
        let secretList = VTXConfig.secrets(of: self)
        func m(_ s: String) -> String { CredentialMask.mask(s, secrets: secretList) }
        func pad(_ s: String, _ width: Int) -> String {
            let n = s.count
            return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
        }
        let s = server
        var lines: [String] = []
        lines.append("config \(path): OK")
        lines.append("  " + pad("listen", 18) + s.listen.description)
        var root = s.hlsRoot
        if let ramdisk = s.ramdisk, ramdisk.mount {
            root += " (tmpfs mounted by vtx-link, \(ramdisk.sizeMB) MB)"
        }
        lines.append("  " + pad("hls_root", 18) + m(root))
        lines.append("  " + pad("ffmpeg", 18) + m(s.ffmpegBinary))
        lines.append("  " + pad("log_level", 18) + s.logLevel.rawValue)
        lines.append("  " + pad("limits", 18)
            + "max_streams \(s.maxStreams == 0 ? "unlimited" : String(s.maxStreams)), "
            + "max_connections \(s.maxConnections), min_available_mb \(s.minAvailableMB)")
        if let a = s.auth {
            var parts: [String] = []
            if a.username != nil { parts.append("basic (user \(m(a.username ?? "")))") }
            if a.token != nil { parts.append("bearer token") }
            parts.append("/metrics " + (a.protectMetrics ? "protected" : "open"))
            parts.append("HLS " + (a.protectHLS ? "protected" : "open"))
            lines.append("  " + pad("auth", 18) + "on: " + parts.joined(separator: ", "))
        } else {
            lines.append("  " + pad("auth", 18) + "off")
        }
        lines.append("  " + pad("hls_allow_origin", 18) + m(s.hlsAllowOrigin))
        lines.append("  " + pad("streams", 18) + "\(streams.count)")
        let width = min(max(streams.map { $0.name.count }.max() ?? 0, 4), 64)
        for st in streams {
            let mode = st.autoStart ? "auto_start" : (st.idleTimeout == 0 ? "on demand, never idle-stopped" : "on demand, idle_timeout \(st.idleTimeout)s")
            lines.append("    " + pad(st.name, width + 1) + m(st.source))
            lines.append("    " + String(repeating: " ", count: width + 1) + mode + ", playlist \(m(st.playlistName))")
            lines.append("    " + String(repeating: " ", count: width + 1) + (st.outputArgsGiven
                ? "output_args as written"
                : "output: chosen from the source's codecs at first start (H.264+AAC/MP3 copied; G.711/Opus → AAC; H.265 → fMP4 hvc1)"))
        }
        return lines.joined(separator: "\n")
    }
}
