#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// How the tailer knows a file: device and inode (which survive renames), plus a fingerprint of
/// the file's first bytes (which tells a reused inode from the file that had it before).
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The key checkpoints are stored under.
    public var key: String { "\(device):\(inode)" }
    public var description: String { key }

    /// The identity of the file open as `fd`, with its size.
    public static func of(fd: Int32) -> (FileIdentity, Int64)? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size))
    }

    /// The identity of the file at `path`, its size and modification time (ns).
    public static func withModificationTime(path: String) -> (FileIdentity, Int64, Int64)? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size), mtime)
    }

    /// The identity of the file at `path` (following symlinks), with its size.
    public static func of(path: String) -> (FileIdentity, Int64)? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size))
    }
}
