import Archive
public import Support

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
    public enum Kind: String, Sendable {
        case opened, resumed, rotated, truncated, finished, error
        /// A directory that cannot be watched (the path), and why (the detail): it is polled.
        case unwatchable
        /// A directory that could not be watched now is.
        case watching
    }
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
        /// The event time of the file's first line: the file's rank in the merge (``MergeKey``).
        var order: Int64 = Int64.max
        var lastGrowth: Double
        var lastSize: Int64
        /// The next complete line, read but not yet handed out (the merge compares heads), with
        /// the reader's position before it: what a checkpoint records while it is held.
        var head: RawLine?
        var headStart: (offset: Int64, line: Int) = (0, 0)
        /// The event time of the last line that had one (a line without: this, so it stays put).
        var lastTime: Int64 = Int64.min
        /// Nothing complete is left to read now.
        var exhausted = false
        /// `lastTime` includes the head (times are read only while several files compete).
        var headTimed = false

        init(
            path: String, identity: FileIdentity, reader: LineReader, offset: Int64, line: Int, fingerprint: String,
            now: Double
        ) {
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
    /// Every checkpoint known (loaded at start, or handed out since), by source: files being
    /// followed, and dormant ones (read to their end and closed, still matched by the patterns).
    private var registry: [String: Checkpoint] = [:]
    /// Sources to drop from the store with the next batch (their files are gone).
    private var forgotten: [String] = []
    private var lastSweep = -Double.infinity
    /// Dormant files whose fingerprint was checked, with the size and mtime it was checked at.
    private var verifiedDormant: [FileIdentity: (Int64, Int64)] = [:]
    public private(set) var events: [TailEvent] = []
    /// Files that could not be opened, with the error and when it was last reported (reported
    /// again only when it changes, or once a minute).
    private var openFailures: [String: (message: String, at: Double)] = [:]
    /// Gives a line's event time (the daemon decodes it); files are read in order of their
    /// first line's time.
    public var eventTime: (@Sendable (RawLine) -> Int64?)?
    /// Seconds a fully read file may stay quiet before its descriptor is closed (it stays known
    /// by its checkpoint and is reopened when it grows).
    public var idleClose: Double

    public init(
        patterns: [String], checkpoints: [Checkpoint], maxLineBytes: Int = 1 << 20, rotatedGrace: Double = 2.0,
        idleClose: Double = 60
    ) {
        self.patterns = patterns
        self.maxLineBytes = maxLineBytes
        self.rotatedGrace = rotatedGrace
        self.idleClose = idleClose
        for checkpoint in checkpoints { registry[checkpoint.source] = checkpoint }
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
    public func discover(now: Double = MonotonicClock.seconds()) {
        var seen = Set<FileIdentity>()
        for pattern in patterns {
            for path in Glob.expand(pattern) {
                guard let (identity, size, mtime) = FileIdentity.withModificationTime(path: path) else { continue }
                seen.insert(identity)
                if let f = followed[identity] {
                    // Renamed within the patterns (chat.jsonl → chat.jsonl.1): the same file.
                    if f.path != path { f.path = path }
                    f.rotatedSince = nil
                    continue
                }
                // A dormant file (read to its end, closed): nothing to do unless it changed. Its
                // fingerprint is checked once per change of mtime, so a reused inode is not
                // mistaken for it.
                if let known = registry[identity.key], known.offset == size {
                    if let checked = verifiedDormant[identity], checked == (size, mtime) { continue }
                    if isSameFile(path: path, checkpoint: known) {
                        verifiedDormant[identity] = (size, mtime)
                        continue
                    }
                }
                verifiedDormant[identity] = nil
                open(path: path, identity: identity, now: now)
            }
        }
        // Followed files no longer under their path: rotated away or deleted. Keep reading.
        for f in followed.values where !seen.contains(f.identity) && f.rotatedSince == nil {
            f.rotatedSince = now
            note(.rotated, f.path, "no longer matched by the patterns; reading it to its end")
        }
        // Now and then (and at start): find files rotated away while the daemon was stopped, by
        // inode, and forget checkpoints of files that are gone.
        if now - lastSweep >= 30 {
            lastSweep = now
            sweep(matched: seen, now: now)
        }
    }

    /// Whether the file at `path` still begins with the bytes `checkpoint` was taken from.
    private func isSameFile(path: String, checkpoint: Checkpoint) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Fingerprint.matches(fd: fd, fingerprint: checkpoint.fingerprint)
    }

    private func open(path: String, identity: FileIdentity, now: Double) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let message = "cannot open: \(String(cString: strerror(errno)))"
            if let last = openFailures[path], last.message == message, now - last.at < 60 { return }
            openFailures[path] = (message, now)
            note(.error, path, message + "; will retry")
            return
        }
        openFailures[path] = nil
        // Opened the same file we stat()ed? (It may have been rotated in between.)
        guard let (actual, _) = FileIdentity.of(fd: fd), actual == identity else {
            close(fd)
            return
        }
        var offset: Int64 = 0
        var line = 0
        var fingerprint = "0:"
        if let checkpoint = registry[identity.key] {
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
            let f = Followed(
                path: path, identity: identity, reader: reader, offset: offset, line: line, fingerprint: fingerprint,
                now: now)
            f.order = firstEventTime(path)
            f.lastTime = f.order
            followed[identity] = f
        } catch {
            close(fd)
            note(.error, path, error.message)
        }
    }

    /// Looks through the watched directories for known files that the patterns no longer match
    /// (rotated while the daemon was stopped): those with unread bytes are read to their end.
    /// Checkpoints of files found nowhere (deleted) are forgotten.
    private func sweep(matched: Set<FileIdentity>, now: Double) {
        let unmatched = registry.values.filter { c in
            let identity = FileIdentity(device: c.device, inode: c.inode)
            return followed[identity] == nil && !matched.contains(identity)
        }
        guard !unmatched.isEmpty else { return }
        var found: [FileIdentity: (String, Int64)] = [:]
        for dir in directories {
            guard let handle = opendir(dir) else { continue }
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                let path = dir == "/" ? "/" + name : dir + "/" + name
                if let (identity, size) = FileIdentity.of(path: path) { found[identity] = (path, size) }
            }
            closedir(handle)
        }
        for checkpoint in unmatched {
            let identity = FileIdentity(device: checkpoint.device, inode: checkpoint.inode)
            guard let (path, size) = found[identity], size != checkpoint.offset else {
                // Gone, or rotated away with nothing left to read: nothing will read it again.
                registry[checkpoint.source] = nil
                forgotten.append(checkpoint.source)
                continue
            }
            open(path: path, identity: identity, now: now)
            if let f = followed[identity] {
                f.rotatedSince = now
                note(.rotated, path, "rotated while the daemon was stopped; reading it to its end")
            }
        }
    }

    // MARK: - Reading

    /// Reads up to `maxLines` complete lines across the followed files, merged by event time
    /// (``MergeKey``): a backlog in several files (after a restart, or a daemon that starts
    /// behind) comes out in the order a rescan of the same files reads it.
    public func read(maxLines: Int, now: Double = MonotonicClock.seconds()) -> TailBatch {
        var batch = TailBatch()
        batch.finished = forgotten
        forgotten.removeAll()
        for f in followed.values { checkRewritten(f, into: &batch, now: now) }
        // The merge: every file's next complete line; the oldest goes next, then that file's
        // following line takes its place. Times are read only when there is a choice to make.
        let merging = followed.count > 1
        var heap = MinHeap<Followed>()
        for f in followed.values where loadHead(f, now: now, timed: merging) { heap.push(key(f), f) }
        while batch.lines.count < maxLines, let (_, f) = heap.pop() {
            batch.lines.append(f.head!)
            f.head = nil
            if loadHead(f, now: now, timed: merging) { heap.push(key(f), f) }
        }
        for f in followed.values.sorted(by: { key($0) < key($1) }) { settle(f, into: &batch, now: now) }
        for c in batch.checkpoints { registry[c.source] = c }
        return batch
    }

    private func key(_ f: Followed) -> MergeKey {
        MergeKey(time: f.lastTime, fileOrder: f.order, tiebreak: f.identity.inode)
    }

    /// A file that shrank below what was read (copytruncate), or whose first bytes changed, is
    /// read again from 0.
    private func checkRewritten(_ f: Followed, into batch: inout TailBatch, now: Double) {
        guard let (_, size) = FileIdentity.of(fd: f.reader.descriptor) else { return }
        let rewritten =
            size != f.lastSize && Fingerprint.length(of: f.fingerprint) > 0
            && !Fingerprint.matches(fd: f.reader.descriptor, fingerprint: f.fingerprint)
        if size < f.reader.committedOffset || size < f.checkpointOffset || rewritten {
            do {
                let fd = dup(f.reader.descriptor)
                f.reader = try LineReader(fd: fd, path: f.path, offset: 0, line: 0, maxLineBytes: maxLineBytes)
                f.fingerprint = "0:"
                f.head = nil
                f.exhausted = false
                note(.truncated, f.path, "shrank to \(size) bytes; reading again from the start")
                batch.checkpoints.append(checkpoint(f, offset: 0, line: 0))
            } catch {
                note(.error, f.path, error.message)
                return
            }
        }
        if size != f.lastSize {
            f.lastSize = size
            f.lastGrowth = now
        }
    }

    /// A rotated file quiet for the grace period: its last line is complete even without a newline.
    private func isQuietRotated(_ f: Followed, now: Double) -> Bool {
        f.rotatedSince != nil && now - f.lastGrowth >= rotatedGrace
    }

    /// Makes sure `f` holds its next complete line; false when it has none now.
    private func loadHead(_ f: Followed, now: Double, timed: Bool) -> Bool {
        if f.head == nil {
            let start = (f.reader.committedOffset, f.reader.linesRead)
            do {
                guard let line = try f.reader.nextLine(atEndOfInput: isQuietRotated(f, now: now)) else {
                    f.exhausted = true
                    return false
                }
                f.head = line
                f.headStart = start
                f.headTimed = false
                f.exhausted = false
            } catch {
                note(.error, f.path, error.message)
                f.exhausted = true
                return false
            }
        }
        if timed && !f.headTimed, let line = f.head {
            f.headTimed = true
            if !line.isOversized, let time = eventTime?(line) { f.lastTime = time }
        }
        return true
    }

    /// After the merge: `f`'s checkpoint (the position before a line it still holds), and a
    /// rotated file read to its end let go, a quiet fully read one closed.
    private func settle(_ f: Followed, into batch: inout TailBatch, now: Double) {
        let identity = f.identity
        let position = f.head != nil ? f.headStart : (f.reader.committedOffset, f.reader.linesRead)
        if position.0 != f.checkpointOffset || position.1 != f.checkpointLine {
            batch.checkpoints.append(checkpoint(f, offset: position.0, line: position.1))
        }
        if isQuietRotated(f, now: now) && f.head == nil && f.exhausted {
            // Read to its end: let it go.
            batch.finished.append(identity.key)
            batch.checkpoints.removeAll { $0.source == identity.key }
            registry[identity.key] = nil
            followed[identity] = nil
            note(
                .finished, f.path, "inode \(identity.inode) read to its end (\(f.reader.committedOffset) bytes); let go"
            )
        } else if f.rotatedSince == nil && now - f.lastGrowth >= idleClose && f.head == nil
            && f.reader.pendingBytes == 0
            && f.reader.committedOffset == f.lastSize
        {
            // Quiet and fully read: close it; its checkpoint keeps it known.
            followed[identity] = nil
        }
    }

    /// The event time of a file's first line (Int64.max when unknown).
    private func firstEventTime(_ path: String) -> Int64 {
        guard let eventTime else { return Int64.max }
        return ArchivePaths.firstEventTime(path, complete: false, maxLineBytes: maxLineBytes, eventTime: eventTime)
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

    /// The newest modification time (seconds since the epoch) among followed files.
    public var newestModification: Double {
        followed.values.reduce(0) { newest, f in
            var info = stat()
            guard fstat(f.reader.descriptor, &info) == 0 else { return newest }
            return max(newest, Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        }
    }

    /// Bytes not yet read in followed files (the backlog), for status lines.
    public var backlogBytes: Int64 {
        followed.values.reduce(0) { total, f in
            guard let (_, size) = FileIdentity.of(fd: f.reader.descriptor) else { return total }
            return total + max(0, size - f.reader.committedOffset)
        }
    }

}
