import VTXConfig
import VTXSystem

/// What a reload changed, for the log, the API and the dashboard.
public struct ReloadSummary: Equatable {
    public var added: [String] = []
    public var removed: [String] = []
    /// Running streams whose FFmpeg arguments changed: restarted.
    public var restarted: [String] = []
    /// Streams whose settings changed without a restart (not running, or policy only).
    public var updated: [String] = []
    /// Server settings that changed in the file but need a gateway restart to apply.
    public var needsRestart: [String] = []
}

extension Engine {
    /// Applies a new, already validated config as a diff: an unchanged stream keeps
    /// running untouched (same FFmpeg, no viewer notices); a changed one is restarted
    /// only if it was running; a removed one is stopped and its directory removed; an
    /// added one appears (and starts if `auto_start`). A failed stream gets a fresh
    /// start budget.
    ///
    /// `listen`, `hls_root`, `ramdisk` and `max_connections` need a new socket, a new
    /// RAM disk or new limits of the HTTP server: they keep their old values and are
    /// reported in `needsRestart` (we chose a clear report over a rebind).
    public func reload(_ new: GatewayConfig) -> ReloadSummary {
        var summary = ReloadSummary()
        var applied = new
        let old = config.server
        if new.server.listen != old.listen { summary.needsRestart.append("server.listen"); applied.server.listen = old.listen }
        if new.server.hlsRoot != old.hlsRoot { summary.needsRestart.append("server.hls_root"); applied.server.hlsRoot = old.hlsRoot }
        if new.server.ramdisk != old.ramdisk { summary.needsRestart.append("server.ramdisk"); applied.server.ramdisk = old.ramdisk }
        if new.server.maxConnections != old.maxConnections { summary.needsRestart.append("server.max_connections"); applied.server.maxConnections = old.maxConnections }
        let binaryChanged = new.server.ffmpegBinary != old.ffmpegBinary
        config = applied
        memoryGuard.minAvailableKB = applied.server.minAvailableMB * 1024
        secrets = VTXConfig.secrets(of: applied)

        let wanted = Set(applied.streams.map(\.name))
        for s in streams where !wanted.contains(s.name) {
            summary.removed.append(s.name)
            retire(s)
        }
        var next: [StreamRuntime] = []
        for c in applied.streams {
            if let s = byName[c.name] {
                if s.config == c && !binaryChanged {
                    if s.phase == .failed { s.reconfigure(c, restartIfRunning: false) }
                } else if s.reconfigure(c, restartIfRunning: true) {
                    summary.restarted.append(c.name)
                } else {
                    summary.updated.append(c.name)
                }
                next.append(s)
            } else {
                let s = StreamRuntime(config: c, engine: self)
                next.append(s)
                summary.added.append(c.name)
            }
        }
        streams = next
        byName = Dictionary(uniqueKeysWithValues: next.map { ($0.name, $0) })
        for name in summary.added { byName[name]?.boot() }
        return summary
    }

    /// Stops a stream that left the config; it is forgotten once its FFmpeg exited.
    func retire(_ s: StreamRuntime) {
        if s.process != nil {
            retiring.append(s)
            _ = s.stop()
        } else {
            s.answerWaiters(.unavailable(.removed))
            s.close()
            root.removeDirectory(of: s.name)
        }
    }
}

extension StreamRuntime {
    /// New settings for this stream. Returns true when its running FFmpeg was
    /// restarted because the command line changed.
    @discardableResult
    func reconfigure(_ new: StreamConfig, restartIfRunning: Bool) -> Bool {
        let binary = engine.config.server.ffmpegBinary
        let argvChanged = new.ffmpegArguments(binary: binary, outputDir: directory) != lastArguments
        config = new
        let now = MonotonicClock.nowMs()
        perform(machine.reconfigure(policy: StreamRuntime.policy(new), now: now))
        if restartIfRunning && argvChanged && pid != nil {
            perform(machine.operatorRestart(now: now).actions)
            return true
        }
        if new.autoStart { boot() }
        return false
    }
}
