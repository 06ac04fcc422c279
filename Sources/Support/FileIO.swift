#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Whole-file reads for small files (configuration, wordlists, fixtures).
public enum FileIO {
    /// The file's bytes, or `nil` with `errno` set.
    public static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Why reading `what` failed, in words an operator can act on: "no such file",
    /// "permission denied", or the system's reason.
    public static func describe(errno code: Int32, reading what: String) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied (cannot read \(what) as this user)"
        case EISDIR: return "is a directory, not a file"
        default: return "cannot read \(what): \(String(cString: strerror(code)))"
        }
    }

    /// The reason for the last failed call, as text.
    public static var lastError: String { String(cString: strerror(errno)) }

    /// Writes `bytes` to `path` atomically (a temporary file renamed over it) with `mode`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o640) -> Bool {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { return false }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                unlink(temporary)
                return false
            }
            written += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else { unlink(temporary); return false }
        guard rename(temporary, path) == 0 else { unlink(temporary); return false }
        return true
    }
}
