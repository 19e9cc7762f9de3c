import Foundation
import XCTest

extension GatewayProcess {
    /// A gateway on the SAME hls_root as `other`: what a restarted gateway finds after
    /// its predecessor was SIGKILLed (pidfiles of surviving FFmpeg, stale directories).
    ///
    /// This object's own `hlsRoot` (and so `ffmpegPIDs`) names a path it does not use:
    /// look at `other.hlsRoot` / `other.ffmpegPIDs`. Keep `other` alive until done (its
    /// deinit removes the shared root and kills what runs in it).
    convenience init(name: String = "t", sharingRootOf other: GatewayProcess, waitReady: Bool = true,
                     yaml: (_ port: Int, _ hlsRoot: String) -> String) throws {
        let root = other.hlsRoot
        try self.init(name: name, yaml: { port, _ in yaml(port, root) }, waitReady: waitReady)
    }
}
