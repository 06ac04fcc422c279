#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where a followed archive file has been read to: the file's identity and the byte offset just
/// after the last line whose effects are committed.
public struct Checkpoint: Sendable, Equatable {
    /// A stable key for the followed file (its identity).
    public var source: String
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    /// Hash of the file's first bytes, to tell a reused inode from the same file.
    public var fingerprint: String
    public var offset: Int64
    public var line: Int

    public init(
        source: String, path: String, device: UInt64, inode: UInt64, fingerprint: String, offset: Int64, line: Int
    ) {
        self.source = source
        self.path = path
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.offset = offset
        self.line = line
    }
}
