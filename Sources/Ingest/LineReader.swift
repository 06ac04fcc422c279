#if canImport(Glibc)
@preconcurrency import Glibc
#endif
public import Archive

/// One line read from an archive file, without its line ending.
public struct RawLine: Sendable {
    /// The line's bytes (a prefix of at most the reader's line cap when ``isOversized``).
    public var bytes: [UInt8]
    /// Where the line is.
    public var position: SourcePosition
    /// The line was longer than the reader's cap; `bytes` holds its beginning only and the rest
    /// was skipped. Such a line is quarantined, never decoded.
    public var isOversized: Bool

    public init(bytes: [UInt8], position: SourcePosition, isOversized: Bool = false) {
        self.bytes = bytes
        self.position = position
        self.isOversized = isOversized
    }
}

/// An error opening or reading an archive file, naming the file.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    /// The `errno` value, when a system call failed.
    public let errno: Int32?

    public init(path: String, message: String, errno: Int32? = nil) {
        self.path = path
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(path): \(message)" }

    static func system(_ path: String, _ what: String, _ code: Int32 = Glibc.errno) -> IngestError {
        IngestError(path: path, message: "\(what): \(String(cString: strerror(code)))", errno: code)
    }
}

/// Reads an archive file line by line from a byte offset, in large chunks.
///
/// - A UTF-8 byte-order mark at the very start of the file is skipped.
/// - `\r\n` line endings lose their `\r`; blank lines are skipped.
/// - A line longer than `maxLineBytes` is returned once, truncated and flagged, and the reader
///   resynchronises at the next newline: one hostile line costs bounded memory.
/// - A last line without its newline is returned only when the caller says the file is complete
///   (`atEndOfInput: true`); a tailer leaves it for later, since an archiver may be mid-write.
///
/// ``committedOffset`` is the byte offset just after the last line handed out: the value to
/// store in a checkpoint once that line's effects are committed.
public final class LineReader {
    public let path: String
    public let maxLineBytes: Int
    private let fd: Int32
    private var buffer: [UInt8]
    private var bufferStart = 0
    private var bufferEnd = 0
    /// File offset of `buffer[bufferStart]`.
    private var bufferFileOffset: Int64
    private var lineNumber: Int
    /// Set while skipping the remainder of an oversized line.
    private var discarding = false
    public private(set) var committedOffset: Int64

    /// Opens `path` for reading from `offset` (the start of a line, as a checkpoint records it).
    /// `line` is the number of lines before `offset`, for positions in messages.
    public init(
        path: String, offset: Int64 = 0, line: Int = 0, maxLineBytes: Int = 1 << 20, chunkSize: Int = 1 << 16
    ) throws(IngestError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError.system(path, "cannot open") }
        self.fd = fd
        self.path = path
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: max(chunkSize, 4096))
        self.bufferFileOffset = offset
        self.committedOffset = offset
        self.lineNumber = line
        if offset > 0 {
            guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                let code = errno
                close(fd)
                throw IngestError.system(path, "cannot seek to byte \(offset)", code)
            }
        }
    }

    /// Opens an already open descriptor (the tailer keeps one per followed file). The reader
    /// takes ownership and closes it.
    public init(fd: Int32, path: String, offset: Int64, line: Int, maxLineBytes: Int = 1 << 20) throws(IngestError) {
        self.fd = fd
        self.path = path
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: 1 << 16)
        self.bufferFileOffset = offset
        self.committedOffset = offset
        self.lineNumber = line
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw IngestError.system(path, "cannot seek to byte \(offset)")
        }
    }

    deinit { close(fd) }

    /// The number of lines handed out so far, counting from the file's start when the reader
    /// was opened with the right `line`.
    public var linesRead: Int { lineNumber }

    /// The file descriptor, for `fstat` by the tailer.
    public var descriptor: Int32 { fd }

    /// The next line, or `nil` when no complete line is available now.
    public func nextLine(atEndOfInput: Bool) throws(IngestError) -> RawLine? {
        while true {
            // Look for a newline in what is buffered.
            let available = bufferEnd - bufferStart
            var newline = -1
            if available > 0 {
                newline = buffer.withUnsafeBufferPointer { p -> Int in
                    guard let hit = memchr(p.baseAddress! + bufferStart, 0x0A, available) else { return -1 }
                    return p.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                }
            }
            if newline >= 0 {
                let lineStart = bufferStart
                bufferStart = newline + 1
                let lineOffset = bufferFileOffset
                bufferFileOffset += Int64(newline + 1 - lineStart)
                committedOffset = bufferFileOffset
                if discarding {
                    discarding = false
                    continue
                }
                if let line = makeLine(from: lineStart, to: newline, offset: lineOffset) { return line }
                continue
            }
            // No newline buffered. An over-long partial line is cut here and the rest skipped.
            if available >= maxLineBytes && !discarding {
                let line = makeLine(
                    from: bufferStart, to: bufferStart + maxLineBytes, offset: bufferFileOffset, oversized: true)
                bufferFileOffset += Int64(available)
                bufferStart = bufferEnd
                discarding = true
                if let line { return line }
                continue
            }
            if discarding && available > 0 {
                bufferFileOffset += Int64(available)
                bufferStart = bufferEnd
            }
            // Read more.
            if bufferStart > 0 {
                if bufferStart < bufferEnd {
                    buffer.withUnsafeMutableBufferPointer { p in
                        _ = memmove(p.baseAddress!, p.baseAddress! + bufferStart, bufferEnd - bufferStart)
                    }
                }
                bufferEnd -= bufferStart
                bufferStart = 0
            }
            if bufferEnd == buffer.count {
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, maxLineBytes + 1)))
            }
            let n = buffer.withUnsafeMutableBufferPointer { p in
                read(fd, p.baseAddress! + bufferEnd, p.count - bufferEnd)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError.system(path, "cannot read")
            }
            if n == 0 {
                // End of what is written so far.
                guard atEndOfInput, bufferEnd > bufferStart else { return nil }
                let lineStart = bufferStart
                let lineEnd = bufferEnd
                let lineOffset = bufferFileOffset
                bufferFileOffset += Int64(lineEnd - lineStart)
                bufferStart = bufferEnd
                committedOffset = bufferFileOffset
                if discarding {
                    discarding = false
                    return nil
                }
                return makeLine(from: lineStart, to: lineEnd, offset: lineOffset)
            }
            bufferEnd += n
        }
    }

    /// Bytes buffered past ``committedOffset`` that do not yet form a complete line.
    public var pendingBytes: Int { bufferEnd - bufferStart }

    private func makeLine(from start: Int, to end: Int, offset: Int64, oversized: Bool = false) -> RawLine? {
        lineNumber += 1
        var lo = start
        var hi = end
        var lineOffset = offset
        // A byte-order mark is allowed only at the start of the file.
        if offset == 0, hi - lo >= 3, buffer[lo] == 0xEF, buffer[lo + 1] == 0xBB, buffer[lo + 2] == 0xBF {
            lo += 3
            lineOffset += 3
        }
        if !oversized, hi > lo, buffer[hi - 1] == 0x0D { hi -= 1 }
        // Blank lines carry nothing to decode or quarantine.
        var blank = true
        for i in lo..<hi where buffer[i] != 0x20 && buffer[i] != 0x09 && buffer[i] != 0x0D {
            blank = false
            break
        }
        if blank { return nil }
        let position = SourcePosition(file: path, line: lineNumber, offset: lineOffset, length: hi - lo)
        return RawLine(bytes: Array(buffer[lo..<hi]), position: position, isOversized: oversized)
    }
}
