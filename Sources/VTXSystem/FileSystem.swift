/// What kind of filesystem a path is on: the RAM-disk check of `hls_root`.
public struct FileSystemInfo: Sendable {
    public var typeName: String
    public var isRAM: Bool
    public var totalKB: Int
    public var usedKB: Int

    public static func of(_ path: String) -> FileSystemInfo? {
        var s = statfs()
        guard statfs(path, &s) == 0 else { return nil }
        // f_type is 32 bits wide on 32-bit targets: sign-extending it would miss magics ≥ 0x8000_0000.
        let magic = UInt(UInt32(truncatingIfNeeded: s.f_type))
        let name: String
        switch magic {
        case 0x0102_1994: name = "tmpfs"
        case 0x8584_58f6: name = "ramfs"
        case 0xEF53: name = "ext4"
        case 0x9123_683E: name = "btrfs"
        case 0x5846_5342: name = "xfs"
        case 0x7371_7368: name = "squashfs"
        case 0x72b6: name = "jffs2"
        case 0x2405_1905: name = "ubifs"
        case 0x794c_7630: name = "overlayfs"
        case 0x6969: name = "nfs"
        default: name = "0x" + String(magic, radix: 16)
        }
        let block = Int(s.f_frsize > 0 ? s.f_frsize : s.f_bsize)
        let total = Int(s.f_blocks) * block / 1024
        let free = Int(s.f_bfree) * block / 1024
        return FileSystemInfo(typeName: name, isRAM: name == "tmpfs" || name == "ramfs", totalKB: total, usedKB: total - free)
    }
}
