// Bounded history of one stream's notable events. Swift stdlib only.

/// One history entry. Created for: `started` (spawn), every process end
/// (reason = why it ended: `crashed`, `stalled`, `storage_limit`, `start_timeout`,
/// `stopped_idle`, `stopped_by_operator`, `restarted_by_operator`, `output_chosen`,
/// `shutdown`, `exited`), `spawn_failed`, `rejected_memory`, `rejected_max_streams`.
/// A process that ended as our SIGTERM asked (FFmpeg: exit 255) has no exit code or
/// signal here; one that needed SIGKILL has signal 9.
public struct StreamHistoryEntry: Equatable, Sendable {
    /// Monotonic clock, milliseconds.
    public var atMs: Int64
    /// Wall clock, Unix seconds (monotonic + `StreamMachine.wallClockOffsetMs`).
    public var wallTime: Int
    public var reason: StreamReason
    public var pid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    /// Run time from spawn to the process end (nil when no process ran).
    public var runTimeMs: Int64?
    /// Consecutive-failure counter after this entry's event.
    public var attempt: Int
    /// Spawn error message or rejection detail.
    public var detail: String?
    /// Last (≤ 5) stderr lines, already masked by the driver.
    public var stderrTail: [String]

    public init(
        atMs: Int64, wallTime: Int, reason: StreamReason, pid: Int32? = nil,
        exitCode: Int32? = nil, signal: Int32? = nil, runTimeMs: Int64? = nil,
        attempt: Int = 0, detail: String? = nil, stderrTail: [String] = []
    ) {
        self.atMs = atMs
        self.wallTime = wallTime
        self.reason = reason
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.runTimeMs = runTimeMs
        self.attempt = attempt
        self.detail = detail
        self.stderrTail = stderrTail
    }
}

/// Ring of the last `capacity` entries; the oldest is dropped when full.
public struct StreamHistory: Equatable, Sendable {
    public static let defaultCapacity = 20
    public static let stderrLines = 5

    public let capacity: Int
    private var storage: [StreamHistoryEntry] = []
    private var head = 0  // index of the oldest entry once storage is full
    /// Entries ever appended (including dropped ones).
    public private(set) var totalRecorded = 0

    public init(capacity: Int = StreamHistory.defaultCapacity) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(self.capacity)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Oldest first.
    public var entries: [StreamHistoryEntry] {
        if head == 0 { return storage }
        return Array(storage[head...] + storage[..<head])
    }

    public var last: StreamHistoryEntry? {
        if storage.isEmpty { return nil }
        return storage[(head + storage.count - 1) % storage.count]
    }

    public mutating func append(_ entry: StreamHistoryEntry) {
        totalRecorded += 1
        var entry = entry
        if entry.stderrTail.count > StreamHistory.stderrLines {
            entry.stderrTail = Array(entry.stderrTail.suffix(StreamHistory.stderrLines))
        }
        if storage.count < capacity {
            storage.append(entry)
        } else {
            storage[head] = entry
            head = (head + 1) % capacity
        }
    }
}
