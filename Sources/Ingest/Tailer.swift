import Archive

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What one call to ``Tailer/read(maxLines:)`` produced: lines to process and, for every file they
/// came from, the checkpoint that holds once their effects are committed.
public struct TailBatch: Sendable {
    public var lines: [RawLine] = []
    /// One per file that advanced (the position after the last line in `lines`).
    public var checkpoints: [Checkpoint] = []
    /// Files read to their end and let go (rotated away or deleted): drop their checkpoints.
    public var finished: [String] = []
    public var isEmpty: Bool { lines.isEmpty && checkpoints.isEmpty && finished.isEmpty }
}

/// Something the tailer wants a person to know (logged by the daemon).
public struct TailEvent: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case opened, resumed, rotated, truncated, finished, error }
    public var kind: Kind
    public var path: String
    public var detail: String
    public var description: String { "\(kind.rawValue) \(path)\(detail.isEmpty ? "" : ": " + detail)" }
}

/// Follows every file matching a set of glob patterns, as log shippers do, and better:
///
/// - files are known by device + inode + a fingerprint of their first bytes, so a renamed file is
///   the same file, and a reused inode is a new one;
/// - a rotated file (renamed away, or deleted) is kept open and read to its end before it is let
///   go, once it has stopped growing for `rotatedGrace` seconds;
/// - a file that shrinks below what was read (copytruncate) is read again from 0;
/// - a half-written last line waits for its newline;
/// - checkpoints from the store tell where to resume, including for files rotated while the
///   daemon was stopped (found again by inode in the watched directories).
///
/// Not thread-safe: one daemon loop owns it.
public final class Tailer {
    public var patterns: [String]
    public let maxLineBytes: Int
    /// Seconds a rotated or deleted file must be quiet before its last line is taken as complete.
    public var rotatedGrace: Double

    final class Followed {
        var path: String
        let identity: FileIdentity
        var reader: LineReader
        /// What the last checkpoint handed out says (offset and line), and its fingerprint.
        var checkpointOffset: Int64
        var checkpointLine: Int
        var fingerprint: String
        /// Set when the path no longer names this file.
        var rotatedSince: Double?
        var lastGrowth: Double
        var lastSize: Int64

        init(path: String, identity: FileIdentity, reader: LineReader, offset: Int64, line: Int, fingerprint: String, now: Double) {
            self.path = path
            self.identity = identity
            self.reader = reader
            self.checkpointOffset = offset
            self.checkpointLine = line
            self.fingerprint = fingerprint
            self.lastGrowth = now
            self.lastSize = offset
        }
    }

    private var followed: [FileIdentity: Followed] = [:]
    /// Checkpoints loaded at start whose file has not been found yet.
    private var pending: [String: Checkpoint] = [:]
    public private(set) var events: [TailEvent] = []

    public init(patterns: [String], checkpoints: [Checkpoint], maxLineBytes: Int = 1 << 20, rotatedGrace: Double = 2.0) {
        self.patterns = patterns
        self.maxLineBytes = maxLineBytes
        self.rotatedGrace = rotatedGrace
        for checkpoint in checkpoints { pending[checkpoint.source] = checkpoint }
    }

    /// The directories to watch with inotify.
    public var directories: [String] {
        var dirs = Set(patterns.map(Glob.directory(of:)))
        for f in followed.values { dirs.insert(Glob.directory(of: f.path)) }
        return dirs.sorted()
    }

    /// The number of files being followed.
    public var fileCount: Int { followed.count }

    /// Events since the last call (for logging).
    public func takeEvents() -> [TailEvent] {
        defer { events.removeAll() }
        return events
    }

    private func note(_ kind: TailEvent.Kind, _ path: String, _ detail: String = "") {
        events.append(TailEvent(kind: kind, path: path, detail: detail))
    }

    // MARK: - Discovery

    /// Finds new, rotated and truncated files. Cheap enough to run on every event and poll.
    public func discover(now: Double = Tailer.now()) {
        var seen = Set<FileIdentity>()
        for pattern in patterns {
            for path in Glob.expand(pattern) {
                guard let (identity, _) = FileIdentity.of(path: path) else { continue }
                seen.insert(identity)
                if let f = followed[identity] {
                    if f.path != path {
                        // Renamed within the patterns (chat.jsonl → chat.jsonl.1): the same file.
                        f.path = path
                    }
                    f.rotatedSince = nil
                    continue
                }
                open(path: path, identity: identity, now: now)
            }
        }
        // Followed files no longer under their path: rotated away or deleted. Keep reading.
        for f in followed.values where !seen.contains(f.identity) && f.rotatedSince == nil {
            f.rotatedSince = now
            note(.rotated, f.path, "no longer matched by the patterns; reading it to its end")
        }
        // Checkpoints whose file was rotated while the daemon was stopped: look for the inode in
        // the watched directories under any name.
        if !pending.isEmpty { findRotatedWhileStopped(now: now) }
    }

    private func open(path: String, identity: FileIdentity, now: Double) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            note(.error, path, "cannot open: \(String(cString: strerror(errno)))")
            return
        }
        // Opened the same file we stat()ed? (It may have been rotated in between.)
        guard let (actual, _) = FileIdentity.of(fd: fd), actual == identity else {
            close(fd)
            return
        }
        var offset: Int64 = 0
        var line = 0
        var fingerprint = "0:"
        if let checkpoint = pending.removeValue(forKey: identity.key) {
            if Fingerprint.matches(fd: fd, fingerprint: checkpoint.fingerprint) {
                offset = checkpoint.offset
                line = checkpoint.line
                fingerprint = checkpoint.fingerprint
                note(.resumed, path, "from byte \(offset)")
            } else {
                // Same inode, different content: a new file reusing the inode.
                note(.opened, path, "inode reused by a new file; reading from the start")
            }
        } else {
            note(.opened, path)
        }
        do {
            let reader = try LineReader(fd: fd, path: path, offset: offset, line: line, maxLineBytes: maxLineBytes)
            followed[identity] = Followed(
                path: path, identity: identity, reader: reader, offset: offset, line: line, fingerprint: fingerprint, now: now)
        } catch {
            close(fd)
            note(.error, path, error.message)
        }
    }

    private func findRotatedWhileStopped(now: Double) {
        var candidates: [String] = []
        for dir in directories {
            guard let handle = opendir(dir) else { continue }
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                candidates.append(dir == "/" ? "/" + name : dir + "/" + name)
            }
            closedir(handle)
        }
        for path in candidates.sorted() {
            guard let (identity, _) = FileIdentity.of(path: path), followed[identity] == nil,
                pending[identity.key] != nil
            else { continue }
            open(path: path, identity: identity, now: now)
            followed[identity]?.rotatedSince = now
            note(.rotated, path, "rotated while the daemon was stopped; reading it to its end")
        }
    }

    // MARK: - Reading

    /// Reads up to `maxLines` complete lines across the followed files.
    public func read(maxLines: Int, now: Double = Tailer.now()) -> TailBatch {
        var batch = TailBatch()
        for identity in followed.keys.sorted(by: { ($0.device, $0.inode) < ($1.device, $1.inode) }) {
            guard let f = followed[identity] else { continue }
            if batch.lines.count >= maxLines { break }
            // Truncated below what was read (copytruncate): start again from 0.
            if let (_, size) = FileIdentity.of(fd: f.reader.descriptor) {
                // Shrunk, or rewritten from the start since we looked (its first bytes changed).
                let rewritten = size != f.lastSize && Fingerprint.length(of: f.fingerprint) > 0
                    && !Fingerprint.matches(fd: f.reader.descriptor, fingerprint: f.fingerprint)
                if size < f.reader.committedOffset || size < f.checkpointOffset || rewritten {
                    do {
                        let fd = dup(f.reader.descriptor)
                        f.reader = try LineReader(fd: fd, path: f.path, offset: 0, line: 0, maxLineBytes: maxLineBytes)
                        f.fingerprint = "0:"
                        note(.truncated, f.path, "shrank to \(size) bytes; reading again from the start")
                        batch.checkpoints.append(checkpoint(f, offset: 0, line: 0))
                    } catch {
                        note(.error, f.path, error.message)
                        continue
                    }
                }
                if size != f.lastSize {
                    f.lastSize = size
                    f.lastGrowth = now
                }
            }
            let quietRotated = f.rotatedSince != nil && now - f.lastGrowth >= rotatedGrace
            var advanced = false
            do {
                while batch.lines.count < maxLines,
                    let line = try f.reader.nextLine(atEndOfInput: quietRotated)
                {
                    batch.lines.append(line)
                    advanced = true
                }
            } catch {
                note(.error, f.path, error.message)
                continue
            }
            if advanced || f.reader.committedOffset != f.checkpointOffset {
                batch.checkpoints.append(checkpoint(f, offset: f.reader.committedOffset, line: f.reader.linesRead))
            }
            if quietRotated && batch.lines.count < maxLines {
                // Read to its end: let it go.
                batch.finished.append(identity.key)
                batch.checkpoints.removeAll { $0.source == identity.key }
                followed[identity] = nil
                note(.finished, f.path, "inode \(identity.inode) read to its end (\(f.reader.committedOffset) bytes); let go")
            }
        }
        return batch
    }

    /// The checkpoint for `f` at `offset`, with a fingerprint of up to its first 1 KiB.
    private func checkpoint(_ f: Followed, offset: Int64, line: Int) -> Checkpoint {
        let want = Int(min(offset, Int64(Fingerprint.maxBytes)))
        if Fingerprint.length(of: f.fingerprint) != want,
            let fingerprint = Fingerprint.compute(fd: f.reader.descriptor, length: want)
        {
            f.fingerprint = fingerprint
        }
        f.checkpointOffset = offset
        f.checkpointLine = line
        return Checkpoint(
            source: f.identity.key, path: f.path, device: f.identity.device, inode: f.identity.inode,
            fingerprint: f.fingerprint, offset: offset, line: line)
    }

    /// Bytes not yet read in followed files (the backlog), for status lines.
    public var backlogBytes: Int64 {
        followed.values.reduce(0) { total, f in
            guard let (_, size) = FileIdentity.of(fd: f.reader.descriptor) else { return total }
            return total + max(0, size - f.reader.committedOffset)
        }
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
