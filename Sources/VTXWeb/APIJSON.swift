import VTXEngine
import VTXSystem

/// JSON documents of the API and the event stream (credentials masked).
struct StreamDocuments {
    let engine: Engine

    static func seconds(_ ms: Int64) -> Double { Double(ms) / 1000 }

    /// One stream as the API, the events and the dashboard show it.
    func writeStream(_ s: StreamRuntime, into w: inout JSONWriter, history: Bool) {
        let now = MonotonicClock.nowMs()
        let m = s.machine
        w.beginObject()
        w.field("name", s.name)
        w.field("source", engine.mask(s.config.source))
        w.field("state", m.phase.rawValue)
        w.field("want", m.want.isUp ? "up" : "down")
        w.field("reason", m.phaseReason?.rawValue)
        w.field("pid", m.pid.map(Int.init))
        w.field("uptime_sec", m.spawnedAtMs.map { StreamDocuments.seconds(now - $0) })
        w.field("since_last_request_sec", m.lastAccessMs.map { StreamDocuments.seconds(now - $0) })
        w.field("idle_timeout", s.config.idleTimeout)
        w.field("auto_start", s.config.autoStart)
        w.field("next_retry_in_sec", m.retryAt.map { StreamDocuments.seconds(max(0, $0 - now)) })
        w.field("attempt", m.attempt)
        w.field("restarts", m.counters.restarts)
        w.field("starts", m.counters.starts)
        w.field("failures", m.counters.failures)
        w.field("failure", m.failureReason == nil ? nil : s.failureText)
        w.field("viewers", s.viewers)
        w.field("bytes_served", s.bytesServed)
        w.field("ffmpeg_rss_kb", s.ffmpegRSSKB)
        w.field("ffmpeg_peak_rss_kb", s.peakRSSKB)
        w.field("storage_bytes", s.storage.bytes)
        w.field("storage_peak_kb", s.storage.peakKB)
        w.field("storage_cap_bytes", s.storage.capBytes)
        w.field("files_removed", s.storage.removed)
        w.key("output")
        w.beginObject()
        if s.config.outputArgsGiven {
            w.field("mode", "explicit")
            w.field("reason", "output_args as written in the config")
        } else {
            w.field("mode", "auto")
            w.field("reason", s.output.plan?.reason ?? "chosen from the source's codecs when FFmpeg first reports them")
        }
        w.field("source_video", s.output.profile?.video)
        w.field("source_audio", s.output.profile?.audio)
        w.key("args")
        w.beginArray()
        for a in s.config.outputArgsGiven ? s.config.outputArgs : (s.output.plan?.args ?? s.config.outputArgs) { w.value(engine.mask(a)) }
        w.endArray()
        w.endObject()
        w.key("notes")
        w.beginArray()
        for n in s.notes { w.value(n) }
        w.endArray()
        w.field("hls_url", "/hls/\(s.name)/\(s.config.playlistName)")
        w.field("snapshot_url", "/api/v1/streams/\(s.name)/snapshot.jpg")
        writeInput(s, into: &w)
        if history {
            w.key("history")
            w.beginArray()
            for e in m.history.entries.reversed() {
                w.beginObject()
                w.field("time", e.wallTime)
                w.field("reason", e.reason.rawValue)
                w.field("pid", e.pid.map(Int.init))
                w.field("exit_code", e.exitCode.map(Int.init))
                w.field("signal", e.signal.map(Int.init))
                w.field("run_time_sec", e.runTimeMs.map { StreamDocuments.seconds($0) })
                w.field("attempt", e.attempt)
                w.field("detail", e.detail.map(engine.mask))
                w.key("stderr")
                w.beginArray()
                for line in e.stderrTail { w.value(engine.mask(line)) }
                w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }

    /// What FFmpeg's `-progress` and the segments tell of the relayed input.
    func writeInput(_ s: StreamRuntime, into w: inout JSONWriter) {
        let i = s.input
        w.key("input")
        w.beginObject()
        w.field("fps", i.fps)
        w.field("frames", i.frames)
        w.field("dropped_frames", i.droppedFrames)
        w.field("duplicated_frames", i.duplicatedFrames)
        w.field("speed", i.speed)
        w.field("since_last_frame_sec", i.lastFrameAtMs.map { StreamDocuments.seconds(MonotonicClock.nowMs() - $0) })
        w.field("segment_bytes", s.storage.segmentBytes)
        w.field("bitrate_kbps", s.pid == nil ? nil : Double(s.storage.listedBitrate) / 1000)
        w.endObject()
    }

    func streamJSON(_ s: StreamRuntime) -> [UInt8] {
        var w = JSONWriter()
        writeStream(s, into: &w, history: true)
        return w.bytes
    }

    func statsJSON() -> [UInt8] {
        var w = JSONWriter()
        let mem = ProcFS.memInfo()
        w.beginObject()
        w.field("time", WallClock.nowSeconds())
        w.field("uptime_sec", StreamDocuments.seconds(MonotonicClock.nowMs() - BuildInfo.startedAtMs))
        w.field("memory_total_kb", mem?.totalKB)
        w.field("memory_available_kb", MemoryGuard.systemAvailableKB())
        w.field("gateway_rss_kb", ProcFS.statusKB(pid: 0, field: "VmRSS"))
        w.field("streams_running", engine.runningCount)
        w.key("streams")
        w.beginArray()
        for s in engine.streams {
            w.beginObject()
            w.field("name", s.name)
            w.field("state", s.phase.rawValue)
            w.field("ffmpeg_rss_kb", s.ffmpegRSSKB)
            w.field("viewers", s.viewers)
            w.field("bytes_served", s.bytesServed)
            w.field("since_last_request_sec", s.machine.lastAccessMs.map { StreamDocuments.seconds(MonotonicClock.nowMs() - $0) })
            w.field("next_retry_in_sec", s.machine.retryAt.map { StreamDocuments.seconds(max(0, $0 - MonotonicClock.nowMs())) })
            w.field("uptime_sec", s.machine.spawnedAtMs.map { StreamDocuments.seconds(MonotonicClock.nowMs() - $0) })
            writeInput(s, into: &w)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
