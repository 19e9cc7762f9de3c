/// Why a file (or a helper's pipe) could not be read.
public enum FileReadError: Error, Equatable {
    /// `open(2)` failed with this errno.
    case cannotOpen(Int32)
    /// `read(2)` failed with this errno.
    case cannotRead(Int32)
    /// The file holds more than the limit the caller allowed.
    case tooLarge
}

/// The one reader of file contents: config files, procfs and sysfs, playlists on
/// the RAM disk, the output of a helper process. Blocking `read(2)` into a stack
/// buffer; the loop may call it only for procfs, sysfs and small tmpfs files.
extension Files {
    /// The whole of `path`, or `.tooLarge` when it holds more than `limit` bytes.
    public static func contents(of path: String, limit: Int) -> Result<[UInt8], FileReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.cannotOpen(errno)) }
        defer { closeDescriptor(fd) }
        // One byte past the limit tells "exactly the limit" from "more".
        return readToEnd(fd, limit: limit + 1).flatMap { bytes in
            bytes.count > limit ? .failure(.tooLarge) : .success(bytes)
        }
    }

    /// The first `limit` bytes of a small file (procfs, sysfs, a playlist on tmpfs);
    /// nil when it cannot be read. What lies past the limit is not read.
    public static func read(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { closeDescriptor(fd) }
        return try? readToEnd(fd, limit: limit).get()
    }

    public static func readString(_ path: String, limit: Int = 1 << 20) -> String? {
        read(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads `fd` until end of file or `limit` bytes, whichever comes first. The
    /// descriptor stays the caller's.
    public static func readToEnd(_ fd: Int32, limit: Int) -> Result<[UInt8], FileReadError> {
        var out: [UInt8] = []
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
            while out.count < limit {
                let n = readDescriptor(fd, chunk.baseAddress, min(chunk.count, limit - out.count))
                if n < 0 {
                    if errno == EINTR { continue }
                    return .failure(.cannotRead(errno))
                }
                if n == 0 { break }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
            }
            return .success(out)
        }
    }

    /// Where a symbolic link points (`/proc/self/exe`), or nil.
    public static func linkTarget(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
