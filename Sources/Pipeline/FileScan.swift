public import Alerts
import Archive
import Detect
public import Ingest
public import Store
import Config
import Support
import Dispatch
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Progress of a scan, for the progress line on a terminal.
public struct ScanProgress: Sendable {
    public var file: String
    public var filesDone: Int
    public var filesTotal: Int
    public var lines: Int
    public var messages: Int
    public var bytes: Int
    /// The bytes of every file to scan (for the time left).
    public var totalBytes: Int
    public var alerts: Int
    public var seconds: Double

    /// Seconds left at the rate so far, once there is a rate to go by.
    public var secondsLeft: Double? {
        guard bytes > 0, seconds > 1, totalBytes >= bytes else { return nil }
        return Double(totalBytes - bytes) * seconds / Double(bytes)
    }
}

/// What a scan did. The alerts themselves are handed to the caller batch by batch (a rescan of
/// a year can raise millions; none are kept here).
public struct ScanSummary: Sendable {
    public var files = 0
    public var lines = 0
    public var bytes = 0
    public var messages = 0
    /// Messages the archive index did not hold yet (the rest were recognised and not rewritten).
    public var newMessages = 0
    public var quarantined = 0
    /// Every alert found (including alerts already in the store).
    public var alerts = 0
    /// How many of them the store did not have yet.
    public var newAlerts = 0
    /// Files that could not be read, with the reason.
    public var failures: [String] = []
    /// The first line quarantined (to say why, when nothing decoded).
    public var firstQuarantined: QuarantineRecord?
    public var seconds = 0.0
}

extension Pipeline {
    /// Rescans archive files (or directories of them) from the start through the pipeline, all
    /// files merged by event time (``MergedFileReader``: what a daemon reading the same files as a
    /// backlog sees, so rules over time raise the same alerts). Unreadable files are reported in
    /// the summary and the scan goes on with the rest. Checkpoints are not touched: a rescan never
    /// moves the daemon's place in its files.
    ///
    /// Both cores, three stages on threads of their own: read, decode and detect
    /// (``detect(_:scratch:explain:)``); the rules over time (``lookUpRecalls(_:windows:recent:)``,
    /// ``applyLocalWindows(_:_:)``); each batch in order against the index, then committed
    /// (``checkIndex(_:)``, ``collectAlerts(_:)``, ``commit(_:windows:)``) — the steps of
    /// ``prepare(_:windows:scratch:explain:)`` and the daemon's, overlapped. `alerts` is given
    /// each batch's alerts, in archive order, as it commits.
    public func scan(
        paths: [String], progress: ((ScanProgress) -> Void)? = nil, alerts: (([Alert]) -> Void)? = nil
    ) throws -> ScanSummary {
        var summary = ScanSummary()
        let started = MonotonicClock.seconds()
        let files: [(path: String, firstTime: Int64)]
        do {
            files = try ArchivePaths.expand(paths, eventTime: lineTime)
        } catch {
            summary.failures.append(error.description)
            return summary
        }
        let totalBytes = files.reduce(0) { $0 + Int(FileIdentity.of(path: $1.path)?.1 ?? 0) }
        // Three stages, each on its own thread, two batches between each: read and detect; the
        // rules over time; the index and the commit (this thread).
        let detected = Handoff<DetectedBatch>(capacity: 2)
        let handoff = Handoff<DetectedBatch>(capacity: 2)
        let reading = DispatchGroup()
        let readerResult = Mutex<(files: Int, failures: [String])>((0, []))
        DispatchQueue.global().async(group: reading) { [self] in
            let scratch = DetectorScratch()
            let reader = MergedFileReader(files: files, maxLineBytes: config.maxLineBytes, eventTime: lineTime)
            var pending: [RawLine] = []
            pending.reserveCapacity(config.batchSize)
            func send() {
                guard !pending.isEmpty else { return }
                detected.put(
                    DetectedBatch(
                        batch: detect(SourceBatch(lines: pending), scratch: scratch),
                        file: pending.last!.position.file, filesStarted: reader.filesStarted))
                pending.removeAll(keepingCapacity: true)
            }
            while !detected.isStopped, let line = reader.next() {
                pending.append(line)
                if pending.count >= config.batchSize { send() }
            }
            if !detected.isStopped { send() }
            readerResult.withLock { $0 = (reader.filesStarted, reader.failures) }
            detected.finish()
        }
        // A rescan keeps its own window state: it replays the archive's time, not the daemon's.
        // The rules over time run ahead of the commits: what a recall withdrew may be in a batch
        // not committed yet, so the last batches are remembered.
        DispatchQueue.global().async(group: reading) { [self] in
            let engine = WindowEngine(settings: config.windows)
            engine.recordsChanges = false
            let windows = WindowStrategy.local(engine, persist: false)
            let recent = RecentMessages(batches: 8)
            while let item = detected.take() {
                if handoff.isStopped {
                    detected.stop()
                    continue
                }
                var next = item
                lookUpRecalls(&next.batch, windows: windows, recent: recent)
                applyLocalWindows(&next.batch, windows)
                recent.remember(next.batch)
                handoff.put(next)
            }
            handoff.finish()
        }
        var drained = false
        defer {
            // On a failed commit: let the other stages stop, and wait for them.
            if !drained {
                handoff.stop()
                while handoff.take() != nil {}
            }
            reading.wait()
        }
        var lastProgress = 0.0
        while let committing = handoff.take() {
            var batch = committing.batch
            checkIndex(&batch)
            collectAlerts(&batch)
            // The rules over time ran in their stage, on local state: nothing runs in the commit.
            let new = try commit(&batch, windows: .off)
            summary.lines += batch.lines
            summary.bytes += batch.bytes
            summary.messages += batch.examined.count
            summary.newMessages += batch.record.messages.count
            summary.quarantined += batch.record.quarantine.count
            if summary.firstQuarantined == nil { summary.firstQuarantined = batch.record.quarantine.first }
            summary.alerts += batch.alerts.count
            summary.newAlerts += new.count
            if !batch.alerts.isEmpty { alerts?(batch.alerts) }
            if let progress {
                let now = MonotonicClock.seconds()
                if now - lastProgress >= 0.5 {
                    lastProgress = now
                    progress(
                        ScanProgress(
                            file: committing.file, filesDone: max(committing.filesStarted - 1, 0),
                            filesTotal: files.count, lines: summary.lines, messages: summary.messages,
                            bytes: summary.bytes, totalBytes: totalBytes, alerts: summary.alerts,
                            seconds: now - started))
                }
            }
        }
        drained = true
        confirmAlertLog()
        reading.wait()
        let (filesRead, failures) = readerResult.withLock { $0 }
        summary.files = filesRead
        summary.failures += failures
        summary.seconds = MonotonicClock.seconds() - started
        return summary
    }

    /// A batch read and detected, on its way to be committed.
    struct DetectedBatch: Sendable {
        var batch: PreparedBatch
        /// The file of its last line, and how many files the reader had started (for progress).
        var file: String
        var filesStarted: Int
    }

    /// What the last few batches said and raised, by message id: for a recall read before the
    /// batch holding what it withdrew has committed.
    public final class RecentMessages {
        private var batches: [[String: RecalledMessage]] = []
        private let keep: Int

        public init(batches: Int) { keep = batches }

        func remember(_ batch: PreparedBatch) {
            var said: [String: RecalledMessage] = [:]
            said.reserveCapacity(batch.examined.count)
            for item in batch.examined { said[item.message.msgid] = item.asRecalled }
            batches.append(said)
            if batches.count > keep { batches.removeFirst() }
        }

        func recalled(_ msgid: String) -> RecalledMessage? {
            for batch in batches.reversed() { if let found = batch[msgid] { return found } }
            return nil
        }
    }
}

extension Pipeline {
    /// A line's event time, through this pipeline's decoder (for ordering files).
    public var lineTime: @Sendable (RawLine) -> Int64? {
        let decoder = self.decoder
        return { line in
            line.bytes.withUnsafeBufferPointer { bytes in
                if case .success(let m) = decoder.decode(bytes, at: line.position) { return m.msgtime }
                return nil
            }
        }
    }
}
