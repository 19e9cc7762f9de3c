import VTXEngine
import VTXServer
import VTXSystem

/// What the HTTP server reports: responses by route pattern and status (bounded
/// labels, never raw paths) and its open connections.
final class HTTPMetrics {
    struct Key { var route: String; var status: Int }
    /// Responses by route pattern and status: a bounded set (route patterns are
    /// labels, not paths), so a short array; a key found is moved one place towards
    /// the front, which keeps the busy keys (playlist and segment 200s) first and
    /// the count of a response a compare or two, not a hash.
    var requests: [(key: Key, count: Int)] = []
    var openConnections: () -> Int = { 0 }

    func count(route: String, status: Int) {
        guard let i = requests.firstIndex(where: { $0.key.status == status && $0.key.route == route }) else {
            requests.append((Key(route: route, status: status), 1))
            return
        }
        requests[i].count += 1
        if i > 0 && requests[i].count > requests[i - 1].count { requests.swapAt(i, i - 1) }
    }
}

/// `/metrics` in the Prometheus text format 0.0.4.
struct MetricsEndpoint {
    let engine: Engine
    let http: HTTPMetrics

    func serve(_ q: RouteRequest) {
        let text = metricsText()
        q.responder.send(Response(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: .bytes(Array(text.utf8))))
    }

    func metricsText() -> String {
        var p = PrometheusWriter()
        let now = MonotonicClock.nowMs()
        p.family("vtx_build_info", "gauge", "Build information.")
        p.sample("vtx_build_info", [("version", BuildInfo.version)], 1)
        p.family("vtx_streams_configured", "gauge", "Streams in the configuration.")
        p.sample("vtx_streams_configured", engine.streams.count)

        p.family("vtx_stream_up", "gauge", "1 when the stream's FFmpeg is running and its playlist is ready.")
        for s in engine.streams { p.sample("vtx_stream_up", [("stream", s.name)], s.phase == .running ? 1 : 0) }
        p.family("vtx_stream_state", "gauge", "Current state of each stream (1 for the current state).")
        for s in engine.streams {
            for phase in StreamPhase.allCases {
                p.sample("vtx_stream_state", [("stream", s.name), ("state", phase.rawValue)], s.phase == phase ? 1 : 0)
            }
        }
        p.family("vtx_stream_starts_total", "counter", "FFmpeg processes started.")
        for s in engine.streams { p.sample("vtx_stream_starts_total", [("stream", s.name)], s.machine.counters.starts) }
        p.family("vtx_stream_restarts_total", "counter", "FFmpeg processes restarted after a failure.")
        for s in engine.streams { p.sample("vtx_stream_restarts_total", [("stream", s.name)], s.machine.counters.restarts) }
        p.family("vtx_stream_failures_total", "counter", "Stream failures by reason.")
        for s in engine.streams {
            for reason in [StreamReason.crashed, .stalled, .storageLimit, .startTimeout, .spawnFailed] {
                p.sample("vtx_stream_failures_total", [("stream", s.name), ("reason", reason.rawValue)], s.machine.counters[reason])
            }
        }
        p.family("vtx_stream_viewers", "gauge", "Distinct client addresses in the last 10 seconds.")
        for s in engine.streams { p.sample("vtx_stream_viewers", [("stream", s.name)], s.viewers) }
        p.family("vtx_stream_uptime_seconds", "gauge", "Seconds since the stream's FFmpeg started (0 when not running).")
        for s in engine.streams {
            p.sample("vtx_stream_uptime_seconds", [("stream", s.name)], s.machine.spawnedAtMs.map { StreamDocuments.seconds(now - $0) } ?? 0)
        }
        p.family("vtx_stream_ffmpeg_resident_memory_bytes", "gauge", "Resident memory of the stream's FFmpeg (0 when not running).")
        for s in engine.streams { p.sample("vtx_stream_ffmpeg_resident_memory_bytes", [("stream", s.name)], (s.ffmpegRSSKB ?? 0) * 1024) }
        p.family("vtx_stream_storage_bytes", "gauge", "Bytes of the stream's files on the RAM disk (at the last playlist rewrite).")
        for s in engine.streams { p.sample("vtx_stream_storage_bytes", [("stream", s.name)], s.phase == .idle ? 0 : s.storage.bytes) }
        p.family("vtx_stream_storage_removed_files_total", "counter", "Files the gateway removed because the playlist no longer listed them.")
        for s in engine.streams { p.sample("vtx_stream_storage_removed_files_total", [("stream", s.name)], s.storage.removed) }
        p.family("vtx_stream_served_bytes_total", "counter", "HLS bytes sent for the stream.")
        for s in engine.streams { p.sample("vtx_stream_served_bytes_total", [("stream", s.name)], s.bytesServed) }

        inputFamilies(&p)

        p.family("vtx_http_requests_total", "counter", "HTTP responses by route pattern and status code.")
        for (key, n) in http.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            p.sample("vtx_http_requests_total", [("route", key.route), ("code", String(key.status))], n)
        }
        p.family("vtx_http_connections_open", "gauge", "Open HTTP connections.")
        p.sample("vtx_http_connections_open", http.openConnections())
        p.family("vtx_spawn_rejections_total", "counter", "FFmpeg starts refused by a guard, by reason.")
        for reason in StreamRejection.allCases {
            p.sample("vtx_spawn_rejections_total", [("reason", reason.rawValue)], engine.rejections[reason.rawValue] ?? 0)
        }
        p.family("vtx_system_memory_available_bytes", "gauge", "Available memory: MemAvailable or the cgroup headroom, whichever is smaller.")
        p.sample("vtx_system_memory_available_bytes", (MemoryGuard.systemAvailableKB() ?? 0) * 1024)

        p.family("vtx_snapshots_total", "counter", "Snapshot requests by result: made (an FFmpeg ran), cached, failed, refused, unsupported, busy.")
        for result in ["made", "cached", "failed", "refused", "unsupported", "busy"] {
            p.sample("vtx_snapshots_total", [("result", result)], engine.snapshots.counts[result] ?? 0)
        }

        p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        p.sample("process_resident_memory_bytes", (ProcFS.statusKB(pid: 0, field: "VmRSS") ?? 0) * 1024)
        p.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
        p.sample("process_cpu_seconds_total", ProcFS.cpuSeconds() ?? 0)
        p.family("process_open_fds", "gauge", "Number of open file descriptors.")
        p.sample("process_open_fds", ProcFS.openFileCount())
        p.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
        p.sample("process_start_time_seconds", BuildInfo.startedAtWall)
        return p.text
    }

    /// From FFmpeg's `-progress` (frames) and the segments it wrote (bytes): HLS has no
    /// output size in `-progress` and FFmpeg reports no input bytes, so bytes are the
    /// complete segments' — with `-c copy`, the copied streams plus container overhead.
    func inputFamilies(_ p: inout PrometheusWriter) {
        p.family("vtx_stream_frames_total", "counter", "Video frames FFmpeg relayed (with -c copy: read from the source), all runs.")
        for s in engine.streams { p.sample("vtx_stream_frames_total", [("stream", s.name)], s.input.frames) }
        p.family("vtx_stream_dropped_frames_total", "counter", "Video frames FFmpeg dropped (its drop_frames; 0 for a -c copy relay), all runs.")
        for s in engine.streams { p.sample("vtx_stream_dropped_frames_total", [("stream", s.name)], s.input.droppedFrames) }
        p.family("vtx_stream_input_fps", "gauge", "Video frames per second over FFmpeg's last progress period (0 when not running).")
        for s in engine.streams { p.sample("vtx_stream_input_fps", [("stream", s.name)], s.input.fps ?? 0) }
        p.family("vtx_stream_segment_bytes_total", "counter", "Bytes of the complete segments FFmpeg wrote (with -c copy: the source's copied streams plus container overhead), all runs.")
        for s in engine.streams { p.sample("vtx_stream_segment_bytes_total", [("stream", s.name)], s.storage.segmentBytes) }
        p.family("vtx_stream_segment_bytes_per_second", "gauge", "Bitrate of the segments the playlist lists, in bytes per second (0 when not running).")
        for s in engine.streams { p.sample("vtx_stream_segment_bytes_per_second", [("stream", s.name)], s.pid == nil ? 0 : s.storage.listedBitrate / 8) }
    }
}
