import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The append-only alert log: one JSON object per line, for shipping to a SIEM.
///
/// Files are created `0640` (never world-readable: they hold chat text). Each batch is written
/// with one `write` and then `fsync`ed before the store marks its alerts as logged, so after a
/// crash the store knows which alerts may be missing from the log (``idsInTail(maxBytes:)`` tells
/// which of those actually made it) and nothing is written twice.
public final class AlertLog: Sendable {
    public let path: String
    /// Serialises appends from several tasks.
    private let lock = Mutex(())

    public init(path: String) {
        self.path = path
    }

    /// Appends lines (each without its newline). Throws with the path and the system's reason.
    public func append(_ lines: [String]) throws(AlertLogError) {
        guard !lines.isEmpty else { return }
        var data = [UInt8]()
        for line in lines {
            data.append(contentsOf: line.utf8)
            data.append(0x0A)
        }
        try lock.withLock { (_) throws(AlertLogError) in
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw AlertLogError(path: path, errno: errno, what: "cannot open the alert log") }
            defer { close(fd) }
            var written = 0
            while written < data.count {
                let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + written, data.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    // Do not leave half a line behind: cut the file back to where this batch began.
                    var info = stat()
                    if fstat(fd, &info) == 0 { _ = ftruncate(fd, info.st_size - off_t(written)) }
                    throw AlertLogError(path: path, errno: code, what: "cannot write the alert log")
                }
                written += n
            }
            guard fsync(fd) == 0 else {
                throw AlertLogError(path: path, errno: errno, what: "cannot sync the alert log")
            }
        }
    }

    /// The alert ids found in the last `maxBytes` of the log (to settle, after a crash, which
    /// unconfirmed alerts were written).
    public func idsInTail(maxBytes: Int = 4 << 20) -> Set<String> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return [] }
        let size = Int(info.st_size)
        let start = maxBytes >= size ? 0 : size - maxBytes
        var buffer = [UInt8](repeating: 0, count: size - start)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard n > 0 else { return [] }
        var ids = Set<String>()
        let marker = Array("{\"id\":\"".utf8)
        var i = 0
        while i + marker.count + 32 <= n {
            if buffer[i] == marker[0], Array(buffer[i..<i + marker.count]) == marker {
                let idStart = i + marker.count
                if let end = buffer[idStart..<min(n, idStart + 80)].firstIndex(of: UInt8(ascii: "\"")) {
                    ids.insert(String(decoding: buffer[idStart..<end], as: UTF8.self))
                }
                i = idStart
            } else {
                i += 1
            }
        }
        return ids
    }
}

/// A failure writing the alert log, naming the file.
public struct AlertLogError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public let what: String
    public var description: String { "\(path): \(what): \(String(cString: strerror(errno)))" }
}
