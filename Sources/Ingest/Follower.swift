import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Follows the archive for the daemon: the tailer (which files, where each was read to) and the
/// way of noticing that they changed — inotify on every directory involved, or polling.
///
/// A directory that cannot be watched (missing, permission denied) is polled and retried on
/// every call; that is said once, then at most once a minute while it lasts (as an event, for
/// the daemon to log). Not thread-safe: the daemon's loop owns it.
public final class Follower {
    public private(set) var tailer: Tailer
    private var inotifyFD: Int32 = -1
    private var watched: [String: Int32] = [:]
    /// Directories that could not be watched: the reason, and when it was last said.
    private var watchFailures: [String: (reason: String, at: Double)] = [:]
    private var events: [TailEvent] = []

    /// `inotify`: watch directories (falls back to polling, with an event, when inotify is not
    /// available); otherwise poll.
    public init(tailer: Tailer, inotify: Bool) {
        self.tailer = tailer
        if inotify {
            inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            if inotifyFD < 0 {
                events.append(
                    TailEvent(
                        kind: .error, path: "",
                        detail: "inotify is not available (\(String(cString: strerror(errno)))); polling instead"))
            }
        }
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
    }

    /// Whether changes arrive through inotify (else the daemon polls).
    public var usesInotify: Bool { inotifyFD >= 0 }

    /// The inotify descriptor to wait on, when there is one.
    public var descriptor: Int32? { inotifyFD >= 0 ? inotifyFD : nil }

    /// Follows another set of patterns (a reload).
    public func follow(patterns: [String]) {
        tailer.patterns = patterns
        watchDirectories()
    }

    /// Starts over with another tailer (the store was replaced: its checkpoints are new).
    public func replaceTailer(_ new: Tailer) {
        tailer = new
        discover()
    }

    /// Finds new, rotated and truncated files, and watches their directories.
    public func discover() {
        tailer.discover(now: MonotonicClock.seconds())
        watchDirectories()
    }

    /// Up to `maxLines` complete lines, merged by event time (see ``Tailer/read(maxLines:now:)``).
    public func read(maxLines: Int) -> TailBatch {
        tailer.read(maxLines: maxLines, now: MonotonicClock.seconds())
    }

    /// What happened to files and directories since the last call, for the log.
    public func takeEvents() -> [TailEvent] {
        defer { events.removeAll() }
        return events + tailer.takeEvents()
    }

    /// Reads and discards pending inotify events (they only say "look again").
    public func drain() {
        guard inotifyFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while buffer.withUnsafeMutableBytes({ Glibc.read(inotifyFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    public var fileCount: Int { tailer.fileCount }
    public var backlogBytes: Int64 { tailer.backlogBytes }
    public var newestModification: Double { tailer.newestModification }

    /// Watches every directory the patterns and followed files live in.
    private func watchDirectories() {
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        for dir in tailer.directories where watched[dir] == nil {
            let wd = inotify_add_watch(inotifyFD, dir, mask)
            if wd < 0 {
                let code = errno
                let reason =
                    code == ENOENT
                    ? "it does not exist" : code == EACCES ? "permission denied" : String(cString: strerror(code))
                // Said once, then at most once a minute while it lasts (it is retried every poll).
                let now = MonotonicClock.seconds()
                if let last = watchFailures[dir], last.reason == reason, now - last.at < 60 { continue }
                watchFailures[dir] = (reason, now)
                events.append(TailEvent(kind: .unwatchable, path: dir, detail: reason))
                continue
            }
            if watchFailures.removeValue(forKey: dir) != nil {
                events.append(TailEvent(kind: .watching, path: dir, detail: ""))
            }
            watched[dir] = wd
        }
    }
}
