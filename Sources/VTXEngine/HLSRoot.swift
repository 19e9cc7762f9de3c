import VTXSystem

/// The RAM disk holding every stream's playlist and segments: `<hls_root>/<stream>/`.
/// Everything the gateway deletes is inside it; nothing outside is ever touched.
public struct HLSRoot {
    public let path: String
    var pidDirectory: String { path + "/.pids" }

    public init(path: String) {
        // The config already refuses "/" and "..": trailing slashes are all that is left.
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    public func directory(of stream: String) -> String { path + "/" + stream }
    func pidFile(of stream: String) -> String { pidDirectory + "/" + stream }

    public enum PrepareError: Error, CustomStringConvertible {
        case cannotCreate(String, Int32)
        case mountFailed(String, Int32)
        public var description: String {
            switch self {
            case .cannotCreate(let p, let e): return "cannot create \(p): \(errnoDescription(e))"
            case .mountFailed(let p, let e): return "cannot mount a tmpfs on \(p): \(errnoDescription(e))" + (e == EPERM ? " (ramdisk.mount needs root or CAP_SYS_ADMIN)" : "")
            }
        }
    }

    /// Creates the root, mounts a tmpfs on it when asked and it is not one already, and
    /// warns when segments would land on flash.
    public func prepare(mountSizeMB: Int?) throws(PrepareError) {
        let rc = Files.makeDirectories(path)
        if rc != 0 { throw .cannotCreate(path, rc) }
        if let size = mountSizeMB, FileSystemInfo.of(path)?.isRAM != true {
            if mount("tmpfs", path, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "size=\(size)m,mode=0755") != 0 {
                throw .mountFailed(path, errno)
            }
            Log.info("engine", "mounted a \(size) MB tmpfs on \(path)")
        }
        if let fs = FileSystemInfo.of(path), !fs.isRAM {
            Log.warn("engine", "hls_root \(path) is on \(fs.typeName), not a RAM disk: segments will wear flash storage (use /dev/shm or ramdisk.mount)")
        }
        _ = Files.makeDirectories(pidDirectory)
    }

    /// A survivor of a previous run (the gateway was SIGKILLed): pidfiles under
    /// `hls_root`, each checked against /proc/PID/cmdline before its group is killed.
    public func killSurvivors(ffmpegBinary: String) -> [Int32] {
        var killed: [Int32] = []
        for name in Files.list(pidDirectory) {
            defer { unlink(pidFile(of: name)) }
            guard let text = Files.readString(pidFile(of: name), limit: 64),
                  let pid = Int32(text.split(separator: "\n").first ?? ""), pid > 1 else { continue }
            // Only if it is still our FFmpeg writing into this stream's directory:
            // a recycled pid belongs to someone else.
            guard let argv = ProcFS.commandLine(pid: pid),
                  argv.contains(where: { $0.contains(directory(of: name) + "/") }) else { continue }
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            killed.append(pid)
            Log.warn("engine", "killed FFmpeg pid \(pid) left over from a previous run (stream \(name))")
        }
        return killed
    }

    public func writePid(_ pid: Int32, of stream: String) {
        Files.write(pidFile(of: stream), "\(pid)\n")
    }

    public func removePid(of stream: String) { unlink(pidFile(of: stream)) }

    /// Removes directories of streams that are not configured (stale from an earlier
    /// config). Only names a stream could have; files and dot-entries are left alone.
    public func removeStale(keeping names: Set<String>) {
        for entry in Files.list(path) where !names.contains(entry) && HLSRoot.isStreamName(entry) && Files.isDirectory(path + "/" + entry) {
            Files.removeTree(path + "/" + entry)
            Log.info("engine", "removed stale directory \(path)/\(entry)")
        }
    }

    /// Empties (creating if needed) a stream's directory before a start.
    public func resetDirectory(of stream: String) -> Int32 {
        let dir = directory(of: stream)
        Files.removeTree(dir)
        return mkdir(dir, 0o755) == 0 ? 0 : errno
    }

    public func removeDirectory(of stream: String) { Files.removeTree(directory(of: stream)) }

    static func isStreamName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
        }
    }
}
