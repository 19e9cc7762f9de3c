// Value types shared by `StreamMachine` and its driver. Swift stdlib only.

/// Tunables of one stream's lifecycle. All durations are milliseconds.
///
/// No defaults of its own: every value comes from the stream's `StreamConfig`
/// (`StreamRuntime.policy`), whose `default…` constants are the product's defaults.
/// A second set here drifted from them once (start 15 s against 20 s).
public struct StreamPolicy: Equatable, Sendable {
    /// Stop a running stream after this long without any access (playlist or
    /// segment request). 0 = never reclaimed.
    public var idleTimeoutMs: Int64
    /// Start at gateway boot (`StreamMachine.boot`); also keeps a stream
    /// "wanted" for backoff retries even when no viewers are around.
    public var autoStart: Bool
    /// A start that produced no usable playlist within this time is killed
    /// and counted as failure `start_timeout`. 0 = no start timeout.
    public var startTimeoutMs: Int64
    /// A running stream whose playlist did not change for this long is killed
    /// and counted as failure `stalled`. 0 = no stall detection.
    public var stallTimeoutMs: Int64
    /// Segments the playlist must list before the stream counts as running
    /// (values < 1 are treated as 1).
    public var startMinSegments: Int
    /// Grace between SIGTERM (`.terminate`) and SIGKILL (`.kill`).
    public var killTimeoutMs: Int64
    /// Consecutive failures after which the stream goes `failed`. 0 = unlimited.
    public var maxAttempts: Int
    /// First backoff delay; doubles per consecutive failure.
    public var initialBackoffMs: Int64
    /// Cap of the backoff delay (before jitter).
    public var maxBackoffMs: Int64
    /// A run that lasted at least this long (from spawn to its end) resets the
    /// consecutive-failure counter before its own failure is counted.
    /// 0 = never reset.
    public var resetAfterMs: Int64

    public init(
        idleTimeoutMs: Int64,
        autoStart: Bool,
        startTimeoutMs: Int64,
        stallTimeoutMs: Int64,
        startMinSegments: Int,
        killTimeoutMs: Int64,
        maxAttempts: Int,
        initialBackoffMs: Int64,
        maxBackoffMs: Int64,
        resetAfterMs: Int64
    ) {
        self.idleTimeoutMs = idleTimeoutMs
        self.autoStart = autoStart
        self.startTimeoutMs = startTimeoutMs
        self.stallTimeoutMs = stallTimeoutMs
        self.startMinSegments = startMinSegments
        self.killTimeoutMs = killTimeoutMs
        self.maxAttempts = maxAttempts
        self.initialBackoffMs = initialBackoffMs
        self.maxBackoffMs = maxBackoffMs
        self.resetAfterMs = resetAfterMs
    }
}

/// What the stream IS, as shown by the API.
public enum StreamPhase: String, Equatable, Hashable, Sendable, CaseIterable {
    case idle, starting, running, backoff, stopping, failed
}

/// Why something happened: reason of a state change, of a history entry, of a
/// failure or of aborted waiters. Raw values are the wire/API strings.
public enum StreamReason: String, Equatable, Hashable, Sendable, CaseIterable {
    // what started a start
    case demand                                   // a viewer asked for the playlist
    case boot                                     // autoStart at gateway start
    case startedByOperator = "started_by_operator"
    case restartedByOperator = "restarted_by_operator"
    case retry                                    // backoff delay elapsed
    // process lifecycle
    case started                                  // process spawned (history)
    case ready                                    // playlist has enough segments
    case exited                                   // process ended after a stop / without a cause
    // failures (count towards backoff)
    case crashed
    case stalled
    case storageLimit = "storage_limit"             // the stream's files outgrew its RAM-disk cap
    case startTimeout = "start_timeout"
    case spawnFailed = "spawn_failed"
    // deliberate stops
    case stoppedIdle = "stopped_idle"
    case stoppedByOperator = "stopped_by_operator"
    case noViewers = "no_viewers"                 // backoff ended, nobody wants the stream any more
    case shutdown                                 // the gateway is stopping (SIGTERM/SIGINT)
    // refused by the driver's guards
    case rejectedMemory = "rejected_memory"
    case rejectedMaxStreams = "rejected_max_streams"
    case rejectedShuttingDown = "rejected_shutting_down"
    // configuration
    case outputChosen = "output_chosen"           // restarted once with the output chosen from the source's codecs
    case reloaded                                 // a config reload gave a failed stream a fresh start budget

    /// Failures move the stream to backoff/failed and count as an attempt.
    public var isFailure: Bool {
        switch self {
        case .crashed, .stalled, .storageLimit, .startTimeout, .spawnFailed: return true
        default: return false
        }
    }
}

/// Why the driver refused a `.spawn` (reported via `spawnRejected`).
public enum StreamRejection: String, Equatable, Hashable, Sendable, CaseIterable {
    case memory = "rejected_memory"
    case maxStreams = "rejected_max_streams"
    case shuttingDown = "rejected_shutting_down"

    public var reason: StreamReason {
        switch self {
        case .memory: return .rejectedMemory
        case .maxStreams: return .rejectedMaxStreams
        case .shuttingDown: return .rejectedShuttingDown
        }
    }
}

/// Who wants the stream up.
public enum StreamWantSource: String, Equatable, Hashable, Sendable {
    case viewers                       // on demand: wanted while viewers are seen within idleTimeout
    case autoStart = "auto_start"      // boot pre-warm
    case byOperator = "operator"       // API start/restart
}

/// What the stream SHOULD be (kept apart from `StreamPhase`, what it IS).
public enum StreamWant: Equatable, Hashable, Sendable {
    case down
    case up(StreamWantSource)

    public var isUp: Bool {
        if case .up = self { return true }
        return false
    }
}

/// Side effects for the driver, in the order it must carry them out.
///
/// Ordering guarantees within one returned array:
/// - `.cleanDirectory` (after an exit) comes before any `.spawn`;
/// - `.stateChanged` comes before the waiter/process actions it causes;
/// - `.spawn` is always the LAST action, so the driver can run the spawn
///   (with its guard checks) and append whatever `spawned` / `spawnFailed` /
///   `spawnRejected` returns.
public enum StreamAction: Equatable, Hashable, Sendable {
    /// Emit a "state changed" notification (API/event stream/log).
    case stateChanged(from: StreamPhase, to: StreamPhase, reason: StreamReason)
    /// Check the guards (memory, max streams), then start FFmpeg and report
    /// `spawned`, `spawnFailed` or `spawnRejected` before any other event.
    case spawn
    /// SIGTERM to the process group of `pid`.
    case terminate(pid: Int32)
    /// SIGKILL to the process group of `pid`.
    case kill(pid: Int32)
    /// The playlist is usable: answer the requests waiting for it.
    case ready
    /// Answer the requests waiting for the playlist with an error (503).
    case abortWaiters(StreamReason)
    /// The process ended: remove its output directory (playlist, segments).
    case cleanDirectory
}

/// Result of an operator command, for the HTTP API.
public enum StreamCommandResult: String, Equatable, Hashable, Sendable {
    /// The command changed something (API: 202/200).
    case accepted
    /// start while starting/running/backoff (or already restarting): 409.
    case alreadyStarted = "already_started"
    /// stop while idle/failed (or already stopping for good): 409.
    case alreadyStopped = "already_stopped"
}

/// What an operator command returns: the API result and the driver's actions.
public struct StreamCommandOutcome: Equatable, Sendable {
    public var result: StreamCommandResult
    public var actions: [StreamAction]

    public init(result: StreamCommandResult, actions: [StreamAction]) {
        self.result = result
        self.actions = actions
    }
}

/// Lifetime counters of one stream.
public struct StreamCounters: Equatable, Sendable {
    /// Processes spawned.
    public var starts = 0
    /// Processes spawned by a backoff retry (i.e. after a failure).
    public var restarts = 0
    public var crashed = 0
    public var stalled = 0
    public var storageLimit = 0
    public var startTimeout = 0
    public var spawnFailed = 0
    public var rejectedMemory = 0
    public var rejectedMaxStreams = 0
    public var stoppedIdle = 0
    public var stoppedByOperator = 0

    public init() {}

    /// All failures (crashed + stalled + storage_limit + start_timeout + spawn_failed).
    public var failures: Int { crashed + stalled + storageLimit + startTimeout + spawnFailed }

    /// Counter by reason (0 for reasons that are not counted).
    public subscript(reason: StreamReason) -> Int {
        switch reason {
        case .started: return starts
        case .retry: return restarts
        case .crashed: return crashed
        case .stalled: return stalled
        case .storageLimit: return storageLimit
        case .startTimeout: return startTimeout
        case .spawnFailed: return spawnFailed
        case .rejectedMemory: return rejectedMemory
        case .rejectedMaxStreams: return rejectedMaxStreams
        case .stoppedIdle: return stoppedIdle
        case .stoppedByOperator: return stoppedByOperator
        default: return 0
        }
    }

    mutating func count(_ reason: StreamReason) {
        switch reason {
        case .crashed: crashed += 1
        case .stalled: stalled += 1
        case .storageLimit: storageLimit += 1
        case .startTimeout: startTimeout += 1
        case .spawnFailed: spawnFailed += 1
        case .rejectedMemory: rejectedMemory += 1
        case .rejectedMaxStreams: rejectedMaxStreams += 1
        case .stoppedIdle: stoppedIdle += 1
        case .stoppedByOperator: stoppedByOperator += 1
        default: break
        }
    }
}
