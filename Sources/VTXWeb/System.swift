import VTXEngine
import VTXLoop
import VTXSystem

/// `/api/v1/system`: the device, the RAM disk, FFmpeg.
final class SystemInfo {
    let loop: EventLoop
    let engine: Engine
    /// Whether `server.auth` is on (it may change on reload).
    let access: AccessGate
    var ffmpegVersion: String?
    var versionWaiters: [() -> Void] = []

    init(loop: EventLoop, engine: Engine, access: AccessGate) {
        self.loop = loop
        self.engine = engine
        self.access = access
    }

    /// `ffmpeg -version`, asked once, on the first `/api/v1/system` (never at boot: on a
    /// small device a full FFmpeg costs megabytes even to print its version).
    func withFFmpegVersion(_ then: @escaping () -> Void) {
        if ffmpegVersion != nil { return then() }
        versionWaiters.append(then)
        guard versionWaiters.count == 1 else { return }
        var output: [UInt8] = []
        let finish = { [unowned self] (text: String) in
            self.ffmpegVersion = text
            let waiters = self.versionWaiters
            self.versionWaiters = []
            waiters.forEach { $0() }
        }
        let result = ChildProcess.spawn(loop, arguments: [engine.config.server.ffmpegBinary, "-hide_banner", "-version"], onStdout: { chunk in
            if output.count < 4096 { output.append(contentsOf: chunk) }
        }, onExit: { _, _ in
            let first = String(decoding: output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "unknown"
            finish(first)
        })
        if case .failure(let error) = result { finish("unavailable: \(error)") }
    }

    /// The `/api/v1/system` document.
    func json() -> JSONWriter {
        var w = JSONWriter()
        let mem = ProcFS.memInfo()
        let cgroup = ProcFS.cgroupMemory()
        let server = engine.config.server
        let fs = FileSystemInfo.of(server.hlsRoot)
        w.beginObject()
        w.field("version", BuildInfo.version)
        w.field("uptime_sec", StreamDocuments.seconds(MonotonicClock.nowMs() - BuildInfo.startedAtMs))
        w.key("memory"); w.beginObject()
        w.field("total_kb", mem?.totalKB)
        w.field("available_kb", mem?.availableKB)
        w.field("cgroup_limit_kb", cgroup?.limitKB)
        w.field("cgroup_available_kb", cgroup?.availableKB)
        w.field("effective_available_kb", MemoryGuard.systemAvailableKB())
        w.field("min_available_mb", server.minAvailableMB)
        w.endObject()
        w.field("gateway_rss_kb", ProcFS.statusKB(pid: 0, field: "VmRSS"))
        w.key("load_average"); w.beginArray(); for l in ProcFS.loadAverage() { w.value(l) }; w.endArray()
        w.key("hls_root"); w.beginObject()
        w.field("path", server.hlsRoot)
        w.field("fs_type", fs?.typeName)
        w.field("is_ram", fs?.isRAM ?? false)
        w.field("total_kb", fs?.totalKB)
        w.field("used_kb", fs?.usedKB)
        w.endObject()
        w.key("ffmpeg"); w.beginObject()
        w.field("binary", server.ffmpegBinary)
        w.field("version", ffmpegVersion)
        w.endObject()
        w.field("streams_configured", engine.streams.count)
        w.field("streams_running", engine.runningCount)
        w.field("auth", access.auth != nil)
        w.endObject()
        return w
    }
}
