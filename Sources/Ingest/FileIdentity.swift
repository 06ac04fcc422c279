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

/// A fingerprint of a file's first bytes: `"<length>:<fnv1a-64 hex>"`.
///
/// The tailer fingerprints the first `min(1024, committed offset)` bytes: a file smaller than
/// 1 KiB is fingerprinted over what has been read, and the fingerprint grows with it up to 1 KiB.
public enum Fingerprint {
    public static let maxBytes = 1024

    /// Fingerprints the first `length` bytes of the open file, or nil if it has fewer.
    public static func compute(fd: Int32, length: Int) -> String? {
        let length = min(length, maxBytes)
        var buffer = [UInt8](repeating: 0, count: max(length, 1))
        var got = 0
        while got < length {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, length - got, off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in buffer[0..<length] {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return "\(length):\(String(hash, radix: 16))"
    }

    /// The length a fingerprint covers.
    public static func length(of fingerprint: String) -> Int {
        Int(fingerprint.prefix { $0 != ":" }) ?? 0
    }

    /// Whether the file open as `fd` still begins with the bytes `fingerprint` was taken from.
    public static func matches(fd: Int32, fingerprint: String) -> Bool {
        compute(fd: fd, length: length(of: fingerprint)) == fingerprint
    }
}

/// Glob expansion (glob(3)).
public enum Glob {
    public static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths
    }

    /// The directory part of a pattern, when it has no wildcard (the directory to watch).
    public static func directory(of pattern: String) -> String {
        guard let slash = pattern.lastIndex(of: "/") else { return "." }
        let dir = String(pattern[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}

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

    public init(source: String, path: String, device: UInt64, inode: UInt64, fingerprint: String, offset: Int64, line: Int) {
        self.source = source
        self.path = path
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.offset = offset
        self.line = line
    }
}

