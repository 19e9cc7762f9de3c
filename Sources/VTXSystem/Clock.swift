/// Monotonic milliseconds: the only clock timers, backoff and timeouts use,
/// so a wall-clock step (NTP on a router that booted in 1970) never fires them early.
public enum MonotonicClock {
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Wall-clock seconds since the epoch, for Date headers, history and logs.
public enum WallClock {
    public static func nowSeconds() -> Int { Int(time(nil)) }

    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
