/// Readers of /proc and /sys: memory of the machine, of our cgroup and of processes.
public enum ProcFS {
    /// A `Key:   123 kB` field of /proc/meminfo or /proc/PID/status, in kB.
    public static func kilobytes(field: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let rest = line.dropFirst(field.count)
            guard rest.first == ":" else { continue }
            // meminfo pads with spaces, /proc/PID/status with a tab and spaces.
            return Int(rest.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    public struct MemInfo: Equatable, Sendable {
        public var totalKB: Int
        public var availableKB: Int
    }

    public static func memInfo() -> MemInfo? {
        guard let text = Files.readString("/proc/meminfo") else { return nil }
        guard let total = kilobytes(field: "MemTotal", in: text),
              let available = kilobytes(field: "MemAvailable", in: text) else { return nil }
        return MemInfo(totalKB: total, availableKB: available)
    }

    /// A field (VmRSS, VmHWM, …) of /proc/PID/status in kB; pid 0 means ourselves.
    public static func statusKB(pid: Int32, field: String) -> Int? {
        let path = pid == 0 ? "/proc/self/status" : "/proc/\(pid)/status"
        guard let text = Files.readString(path, limit: 8192) else { return nil }
        return kilobytes(field: field, in: text)
    }

    /// NUL-separated argv of a process, or nil if it is gone.
    public static func commandLine(pid: Int32) -> [String]? {
        guard let bytes = Files.read("/proc/\(pid)/cmdline", limit: 65536), !bytes.isEmpty else { return nil }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Memory headroom of the cgroup we run in, in kB, when it has a limit.
    /// cgroup v2: memory.max − memory.current; v1: memory.limit_in_bytes − memory.usage_in_bytes.
    /// Files a tmpfs holds count against the cgroup that wrote them, so segments are in it.
    public static func cgroupMemory() -> (limitKB: Int, availableKB: Int)? {
        guard let text = Files.readString("/proc/self/cgroup", limit: 8192) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                let dir = "/sys/fs/cgroup" + path
                if let limit = number(dir + "/memory.max"), let used = number(dir + "/memory.current") {
                    return (limit / 1024, max(0, limit - used) / 1024)
                }
            } else if parts[1].split(separator: ",").contains("memory") {
                let dir = "/sys/fs/cgroup/memory" + path
                // v1 reports "no limit" as a huge page-aligned number.
                if let limit = number(dir + "/memory.limit_in_bytes"), limit < (1 << 50),
                   let used = number(dir + "/memory.usage_in_bytes") {
                    return (limit / 1024, max(0, limit - used) / 1024)
                }
            }
        }
        return nil
    }

    static func number(_ path: String) -> Int? {
        guard let text = Files.readString(path, limit: 64) else { return nil }
        return Int(text.split(separator: "\n").first ?? "")   // "max" → nil: no limit
    }

    public static func loadAverage() -> [Double] {
        guard let text = Files.readString("/proc/loadavg", limit: 256) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// Clock ticks of CPU (user+system) of a process, from /proc/PID/stat.
    public static func cpuSeconds(pid: Int32 = 0) -> Double? {
        let path = pid == 0 ? "/proc/self/stat" : "/proc/\(pid)/stat"
        guard let text = Files.readString(path, limit: 4096), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// State letter of /proc/PID/stat (R, S, Z…), for the zombie drill.
    public static func processState(pid: Int32) -> Character? {
        guard let text = Files.readString("/proc/\(pid)/stat", limit: 4096), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ").first?.first
    }

    public static func openFileCount() -> Int { Files.list("/proc/self/fd").count }
}
