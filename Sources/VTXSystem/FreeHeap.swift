import CSystem

/// The heap after a burst.
public enum FreeHeap {
    /// Hands the heap's free pages back to the kernel (`malloc_trim`, which also
    /// releases free pages in the middle of the heap). glibc keeps what a burst of
    /// connections freed, and on a 32 MB device that is memory FFmpeg may need.
    public static func giveBack() { _ = malloc_trim(0) }
}
