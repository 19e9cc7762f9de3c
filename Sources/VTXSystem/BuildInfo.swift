/// What `--version`, the `Server` header, `/api/v1/system` and `vtx_build_info` report.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let serverHeader = "vtx-link/" + version
    /// Process start, for uptime and `process_start_time_seconds`.
    nonisolated(unsafe) public static var startedAtMs: Int64 = MonotonicClock.nowMs()
    nonisolated(unsafe) public static var startedAtWall: Int = WallClock.nowSeconds()
}
