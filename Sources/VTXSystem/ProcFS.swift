/// Readers of /proc and /sys: memory of the machine, of our cgroup and of processes.
public enum ProcFS {
    /// A `Key:   123 kB` field of /proc/meminfo or /proc/PID/status, in kB: the
    /// number after the first line that starts with `field:`, nil if there is none
    /// or it is not a number. Read over the bytes: splitting the text into lines of
    /// Characters cost ~600,000 instructions a call, four calls a `/metrics` scrape.
    public static func kilobytes(field: String, in text: String) -> Int? {
        var (text, field) = (text, field)
        return text.withUTF8 { t -> Int? in
            field.withUTF8 { f -> Int? in
                guard let tb = t.baseAddress, let fb = f.baseAddress else { return nil }
                var line = 0
                while line < t.count {
                    if t.count - line > f.count, t[line + f.count] == UInt8(ascii: ":"), memcmp(tb + line, fb, f.count) == 0 {
                        return number(t, from: line + f.count + 1)
                    }
                    while line < t.count && t[line] != UInt8(ascii: "\n") { line += 1 }
                    line += 1
                }
                return nil
            }
        }
    }

    /// The decimal number after the spaces and tabs at `start`, ending at a blank or
    /// the line's end; nil if there is none or it has more than 18 digits.
    static func number(_ t: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        while i < t.count && (t[i] == UInt8(ascii: " ") || t[i] == UInt8(ascii: "\t")) { i += 1 }
        var value = 0
        var digits = 0
        while i < t.count, t[i] >= UInt8(ascii: "0"), t[i] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int(t[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        guard digits > 0, i == t.count || t[i] == UInt8(ascii: " ") || t[i] == UInt8(ascii: "\t") || t[i] == UInt8(ascii: "\n")
        else { return nil }
        return value
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
