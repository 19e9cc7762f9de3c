import VTXSystem

/// Decides whether the device can afford one more FFmpeg.
///
/// Available memory is the smaller of /proc/meminfo's MemAvailable and the headroom
/// of our cgroup when it has a limit. A start needs `min_available_mb` plus the
/// stream's expected cost: the largest private memory its FFmpeg reached in earlier
/// runs (`expectedCostKB`; shared-library pages are not counted).
public struct MemoryGuard {
    public var minAvailableKB: Int
    /// Injected for tests; reads procfs/sysfs by default.
    public var readAvailableKB: () -> Int?

    public init(minAvailableMB: Int, readAvailableKB: @escaping () -> Int? = MemoryGuard.systemAvailableKB) {
        self.minAvailableKB = minAvailableMB * 1024
        self.readAvailableKB = readAvailableKB
    }

    public static func systemAvailableKB() -> Int? {
        let system = ProcFS.memInfo()?.availableKB
        let cgroup = ProcFS.cgroupMemory()?.availableKB
        switch (system, cgroup) {
        case let (s?, c?): return min(s, c)
        case let (s?, nil): return s
        case let (nil, c?): return c
        default: return nil
        }
    }

    public enum Verdict: Equatable {
        case allowed
        case refused(reason: String, retryAfterSec: Int)
    }

    /// What one more run of a stream's FFmpeg will take from available memory, from a
    /// sample of its /proc/PID/status: its private memory (anonymous + shmem), at its
    /// peak. File-backed pages (the binary and its shared libraries: most of a dynamically
    /// linked FFmpeg's RSS) are page cache, which MemAvailable already counts as
    /// available and which a new FFmpeg shares: charging them again would refuse
    /// restarts a device can afford (Debian's FFmpeg: VmHWM 52 MB, of which 40 MB file).
    /// Peak private ≈ VmHWM − RssFile (VmHWM is the peak of all three); never less than
    /// the current private memory. Without RssFile (kernels before 4.5): VmHWM.
    public static func expectedCostKB(peakRSSKB hwm: Int, fileKB: Int?, anonKB: Int?, shmemKB: Int?) -> Int {
        guard let file = fileKB else { return hwm }
        let current = (anonKB ?? 0) + (shmemKB ?? 0)
        return max(0, hwm - file, current)
    }

    /// The cost to plan for when starting a stream: its own measured cost, or, before
    /// its FFmpeg has ever been measured, the largest cost measured for any other
    /// stream (they run the same binary): a camera that never ran is expected to cost
    /// what its neighbours do, not nothing.
    public static func plannedCostKB(own: Int, others: [Int]) -> Int {
        own > 0 ? own : (others.max() ?? 0)
    }

    public func check(expectedCostKB: Int) -> Verdict {
        guard let available = readAvailableKB() else { return .allowed }  // no procfs: cannot judge
        let needed = minAvailableKB + expectedCostKB
        if available >= needed { return .allowed }
        return .refused(reason: "memory guard: \(Self.megabytes(available)) MB available, \(Self.megabytes(needed)) MB needed (min_available_mb \(Self.megabytes(minAvailableKB)) + expected \(Self.megabytes(expectedCostKB)) MB)", retryAfterSec: 10)
    }

    /// kB as MB for people: whole numbers as they are, else one decimal, so a
    /// refusal never reads "4 MB available, 4 MB needed".
    static func megabytes(_ kb: Int) -> String {
        if kb % 1024 == 0 { return String(kb / 1024) }
        let tenths = (kb * 10 + 512) / 1024
        return "\(tenths / 10).\(tenths % 10)"
    }
}
