/// Returns the clean code and read-only pages of our own executable to the kernel
/// once startup is over.
///
/// Startup (config parsing with libyaml, first use of the Swift runtime) touches
/// megabytes of code that an idle gateway never runs again. Those pages are clean
/// and file-backed; `MADV_PAGEOUT` (Linux ≥ 5.4) unmaps them, and the few the loop
/// needs fault back in on demand. Dirty (written) pages are left alone: the kernel
/// skips them. Nothing is lost, only resident size a 32 MB device can use.
public enum StartupMemory {
    @discardableResult
    public static func releaseStartupCode() -> Bool {
        guard let maps = Files.readString("/proc/self/maps", limit: 1 << 20) else { return false }
        guard let exePath = Files.linkTarget("/proc/self/exe") else { return false }
        var ranges: [(base: UnsafeMutableRawPointer?, length: Int)] = []
        for line in maps.split(separator: "\n") where line.hasSuffix(exePath) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
            ranges.append((UnsafeMutableRawPointer(bitPattern: start), Int(end - start)))
        }
        return handBack(ranges, fd: open("/proc/self/exe", O_RDONLY | O_CLOEXEC))
    }

    /// The release proper, kept apart so that tools/link-order can place it (and
    /// what it calls) with the idle code: every page the code after the first
    /// madvise touches faults back in, as a whole 64 KiB window.
    @inline(never)
    static func handBack(_ ranges: [(base: UnsafeMutableRawPointer?, length: Int)], fd: Int32) -> Bool {
        var released = false
        for (base, length) in ranges {
            // Random access: a later fault of a data page reads that page, not a
            // read-ahead window (the kernel reads ahead around code faults anyway).
            madvise(base, length, MADV_RANDOM)
            let MADV_PAGEOUT: Int32 = 21
            if madvise(base, length, MADV_PAGEOUT) == 0 { released = true }
        }
        // Unmapped, the pages still sit in the page cache; evicting them keeps data
        // faults to their page. Code faults still map a whole 64 KiB window (the
        // kernel reads the executable back around them): what keeps idle RSS down is
        // the link order (tools/link-order), not this.
        if fd >= 0 {
            posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
            closeDescriptor(fd)
        }
        return released
    }
}
