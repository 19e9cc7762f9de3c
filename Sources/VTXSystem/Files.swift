/// Small synchronous file operations. The loop may block only on procfs, sysfs and
/// small tmpfs files (the RAM disk), which is all these are used for. Reading is in
/// `FileReader.swift`.
public enum Files {
    /// Writes a small file in one go (pidfiles). Returns false on any error.
    @discardableResult
    public static func write(_ path: String, _ text: String, mode: mode_t = 0o644) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { writeDescriptor(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// `open(2)` of `directory/name/file`, the path joined on the stack: a segment
    /// request would otherwise build it as a String, four appends, per request.
    /// -1 with `errno` set, ENAMETOOLONG past PATH_MAX.
    public static func openJoined(_ directory: String, _ name: String, _ file: String, flags: Int32) -> Int32 {
        var (directory, name, file) = (directory, name, file)
        return directory.withUTF8 { d in name.withUTF8 { n in file.withUTF8 { f in
            let length = d.count + n.count + f.count + 2
            guard length < Int(PATH_MAX) else {
                errno = ENAMETOOLONG
                return -1
            }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { path in
                var at = 0
                func put(_ part: UnsafeBufferPointer<UInt8>) {
                    if let base = part.baseAddress {
                        UnsafeMutableRawPointer(path.baseAddress! + at).copyMemory(from: base, byteCount: part.count)
                    }
                    at += part.count
                }
                put(d); path[at] = 0x2F; at += 1
                put(n); path[at] = 0x2F; at += 1
                put(f); path[at] = 0
                return open(path.baseAddress!, flags)
            }
        } } }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p`. Returns 0 or the errno of the failing step.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) -> Int32 {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST { return errno }
        }
        return isDirectory(path) ? 0 : ENOTDIR
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A regular file of a directory listing and its size.
    public struct Entry: Equatable {
        public var name: String
        public var bytes: Int
        public init(name: String, bytes: Int) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// The regular files of a directory (lstat: symlinks and directories are left out).
    /// Meant for small tmpfs directories: one readdir and a stat per file.
    public static func regularFiles(_ path: String) -> [Entry] {
        var out: [Entry] = []
        var st = stat()
        for name in list(path) where lstat(path + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            out.append(Entry(name: name, bytes: Int(st.st_size)))
        }
        return out
    }

    /// Removes a directory tree without following symlinks (a symlink planted in a
    /// stream directory is unlinked, never entered). Used only under `hls_root`.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Removes everything inside a directory, keeping the directory.
    public static func emptyDirectory(_ path: String) {
        for name in list(path) { removeTree(path + "/" + name) }
    }
}
