import VTXConfig
import VTXEngine
import VTXHTTP
import VTXLoop
import VTXServer
import VTXSystem

/// The running gateway: one loop, one HTTP server and its route table, one engine,
/// the signal handlers.
public final class Gateway {
    public let loop: EventLoop
    public internal(set) var config: GatewayConfig
    public let engine: Engine
    public private(set) var server: HTTPServer!
    let access: AccessGate
    let replies: Replies
    let events: EventHub
    var signals: [SignalWatcher] = []
    /// Fires once, on the loop's first turn, to hand startup's code pages back.
    var startupRelease: LoopTimer?
    var exitCode: Int32 = 0
    /// The bound port (useful when `listen` asks for port 0, as tests do).
    public private(set) var port = 0

    public init(config: GatewayConfig, loop: EventLoop = EventLoop()) {
        // Globals are initialised lazily on first use: read the start time now, or
        // uptime and process_start_time_seconds would count from the first request
        // that happens to read them.
        _ = BuildInfo.startedAtMs
        _ = BuildInfo.startedAtWall
        self.loop = loop
        self.config = config
        self.engine = Engine(loop: loop, config: config)
        self.replies = Replies(engine: engine)
        self.access = AccessGate(loop: loop, auth: config.server.auth.map(Auth.init), replies: replies)
        self.events = EventHub(loop: loop)
        let documents = StreamDocuments(engine: engine)
        let metrics = HTTPMetrics()
        let api = APIEndpoint(engine: engine, replies: replies, documents: documents, events: events,
                              system: SystemInfo(loop: loop, engine: engine, access: access),
                              reloadConfig: { [unowned self] r in self.serveReload(r) })
        let table = Routes.table(replies: replies, hls: HLSEndpoint(engine: engine, access: access, replies: replies),
                                 api: api, metrics: MetricsEndpoint(engine: engine, http: metrics),
                                 snapshots: SnapshotEndpoint(engine: engine, replies: replies))
        let router = Router(groups: table, access: access, replies: replies)
        var limits = ServerLimits()
        limits.maxConnections = config.server.maxConnections
        let server = HTTPServer(loop: loop, limits: limits, serverName: BuildInfo.serverHeader, handler: router.handle)
        server.onResponse = { [metrics] route, status in metrics.count(route: route, status: status) }
        metrics.openConnections = { [unowned server] in server.openConnections }
        self.server = server
        engine.onStateChange = { [events] stream, _, _, _ in events.streamChanged(documents.streamJSON(stream)) }
        events.statsProvider = { [documents] in documents.statsJSON() }
    }

    /// Binds, boots the engine and serves until SIGINT/SIGTERM. Returns the exit code.
    public func run() -> Int32 {
        do { try start() } catch {
            Log.error("gateway", "\(error)")
            return 1
        }
        // On the loop's first turn every startup path (config, boot, the loop's own
        // setup) has run: its code pages can go back to the kernel then, so only
        // what serving touches faults back in.
        // The one-shot timer is left stopped, not closed, until shutdown: closing it
        // here would run the close path's code just after its pages went back.
        startupRelease = LoopTimer(loop) { StartupMemory.releaseStartupCode() }
        startupRelease?.start(afterMs: 0)
        loop.run()
        return exitCode
    }

    /// Everything `run` does before the loop runs (tests drive the loop themselves).
    public func start() throws {
        for sig in [SIGINT, SIGTERM] {
            signals.append(SignalWatcher(loop, signal: sig) { [unowned self] s in
                Log.info("gateway", "signal \(s): shutting down")
                self.shutdown()
            })
        }
        signals.append(SignalWatcher(loop, signal: SIGHUP) { [unowned self] _ in
            Log.info("gateway", "SIGHUP: reloading \(self.config.path)")
            _ = self.reload()
        })
        let listen = config.server.listen
        port = try server.listen(host: listen.host, port: listen.port)
        try engine.boot()
        if access.auth == nil && !Gateway.isLoopback(listen.host) {
            Log.warn("gateway", "listening on \(listen) with no auth: anyone on the network can control streams (set server.auth)")
        }
        if let given = config.server.hlsRootGiven {
            Log.info("gateway", "hls_root \"\(given)\" is relative: using \(config.server.hlsRoot)")
        }
        Log.info("gateway", "vtx-link \(BuildInfo.version) listening on \(listen.isIPv6 ? "[\(listen.host)]" : listen.host):\(port), \(config.streams.count) stream(s), hls_root \(config.server.hlsRoot)")
    }

    static func isLoopback(_ host: String) -> Bool { host.hasPrefix("127.") || host == "::1" }

    /// Stops accepting, stops every FFmpeg, closes every handle; the loop then ends.
    public func shutdown(done: (() -> Void)? = nil) {
        events.closeAll()
        access.closeDelayTimers()
        startupRelease?.close()
        startupRelease = nil
        var pending = 2
        let finish = { [unowned self] in
            pending -= 1
            guard pending == 0 else { return }
            self.signals.forEach { $0.close() }
            self.signals = []
            self.events.close()
            Log.info("gateway", "stopped")
            done?()
        }
        server.shutdown(graceMs: 1000, done: finish)
        engine.shutdown(done: finish)
    }
}
