// The one place that chooses the C library. Every other module gets libc from here.
#if canImport(Glibc)
@_exported import Glibc
@_exported import CSystem
#elseif canImport(Musl)
@_exported import Musl
@_exported import CSystem
#else
#error("VTX Link runs on Linux (glibc or musl); see README, Portability")
#endif

/// The text of the current `errno`, for log lines.
public func errnoDescription(_ code: Int32 = errno) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

/// `close(2)`, callable from types that have a `close()` method of their own.
@inline(__always)
public func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// `read(2)` / `write(2)`, callable from types with methods of those names.
@inline(__always)
public func readDescriptor(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buf, count) }
@inline(__always)
public func writeDescriptor(_ fd: Int32, _ buf: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buf, count) }
