import VTXLoop
import VTXServer
import VTXSystem

/// `/api/v1/events`: Server-Sent Events to the dashboard and scripts.
/// A `stream` event on every state change; a `stats` event each second and a
/// heartbeat comment every 15 s — but only while someone listens: with no client,
/// no timer runs and the gateway sleeps.
final class EventHub {
    let loop: EventLoop
    var clients: [ObjectIdentifier: Responder] = [:]
    /// Per client: the backlog limit plus the size of the snapshot it was sent on
    /// connecting (with many streams and long histories the snapshot alone can exceed
    /// the limit: such a client must not be dropped before it could read anything).
    var limits: [ObjectIdentifier: Int] = [:]
    var ticker: LoopTimer?
    var ticks = 0
    var statsProvider: (() -> [UInt8])?
    /// Most a slow client may have queued before it is dropped.
    static let clientBacklogLimit = 256 * 1024

    init(loop: EventLoop) { self.loop = loop }

    var clientCount: Int { clients.count }

    func subscribe(_ r: Responder, initial: [[UInt8]]) {
        r.startStream(headers: [
            ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"), ("X-Content-Type-Options", "nosniff"),
        ])
        let id = ObjectIdentifier(r)
        clients[id] = r
        r.onClose = { [weak self] in self?.unsubscribe(id) }
        var hello = Array("retry: 2000\n\n".utf8)
        for json in initial { hello += EventHub.frame("stream", json) }
        if let stats = statsProvider?() { hello += EventHub.frame("stats", stats) }
        let limit = EventHub.clientBacklogLimit + hello.count
        limits[id] = limit
        guard r.write(hello, limit: limit) else { return }
        if ticker == nil {
            ticker = LoopTimer(loop) { [unowned self] in self.tick() }
            ticks = 0
            ticker?.start(afterMs: 1000, repeatMs: 1000)
        }
    }

    func unsubscribe(_ id: ObjectIdentifier) {
        clients[id] = nil
        limits[id] = nil
        if clients.isEmpty {
            ticker?.close()
            ticker = nil
        }
    }

    static func frame(_ event: String, _ json: [UInt8]) -> [UInt8] {
        Array("event: \(event)\ndata: ".utf8) + json + Array("\n\n".utf8)
    }

    func broadcast(_ bytes: [UInt8]) {
        for (id, r) in Array(clients) { r.write(bytes, limit: limits[id] ?? EventHub.clientBacklogLimit) }
    }

    func streamChanged(_ json: [UInt8]) {
        guard !clients.isEmpty else { return }
        broadcast(EventHub.frame("stream", json))
    }

    /// Any other event (`reload`).
    func broadcastEvent(_ name: String, _ json: [UInt8]) {
        guard !clients.isEmpty else { return }
        broadcast(EventHub.frame(name, json))
    }

    func tick() {
        ticks += 1
        if let stats = statsProvider?() { broadcast(EventHub.frame("stats", stats)) }
        if ticks % 15 == 0 { broadcast(Array(": heartbeat\n\n".utf8)) }
    }

    /// Ends every stream (shutdown).
    func closeAll() {
        for r in Array(clients.values) { r.finish() }
    }

    func close() {
        ticker?.close()
        ticker = nil
    }
}
