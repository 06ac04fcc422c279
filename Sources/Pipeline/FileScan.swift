public import Alerts
import Archive
import Detect
public import Ingest
public import Store
import Config
import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Progress of a scan, for the progress line on a terminal.
public struct ScanProgress: Sendable {
    public var file: String
    public var filesDone: Int
    public var filesTotal: Int
    public var lines: Int
    public var bytes: Int
    public var alerts: Int
    public var seconds: Double
}

/// What a scan did.
public struct ScanSummary: Sendable {
    public var files = 0
    public var lines = 0
    public var bytes = 0
    public var messages = 0
    public var quarantined = 0
    /// Every alert found, in archive order (including alerts already in the store).
    public var alerts: [Alert] = []
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
    public func scan(
        paths: [String], progress: ((ScanProgress) -> Void)? = nil
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
        let scratch = DetectorScratch()
        // A rescan keeps its own window state: it replays the archive's time, not the daemon's.
        let windows = WindowStrategy.local(WindowEngine(settings: config.windows), persist: false)
        let reader = MergedFileReader(files: files, maxLineBytes: config.maxLineBytes, eventTime: lineTime)
        var lastProgress = 0.0
        var pending: [RawLine] = []
        pending.reserveCapacity(config.batchSize)
        func flush() throws {
            guard !pending.isEmpty else { return }
            var batch = prepare(SourceBatch(lines: pending), windows: windows, scratch: scratch)
            let new = try commit(&batch, windows: windows)
            summary.lines += batch.lines
            summary.bytes += batch.bytes
            summary.messages += batch.record.messages.count
            summary.quarantined += batch.record.quarantine.count
            if summary.firstQuarantined == nil { summary.firstQuarantined = batch.record.quarantine.first }
            summary.alerts.append(contentsOf: batch.alerts)
            summary.newAlerts += new.count
            let file = pending.last!.position.file
            pending.removeAll(keepingCapacity: true)
            if let progress {
                let now = MonotonicClock.seconds()
                if now - lastProgress >= 0.5 {
                    lastProgress = now
                    progress(
                        ScanProgress(
                            file: file, filesDone: max(reader.filesStarted - 1, 0), filesTotal: files.count,
                            lines: summary.lines,
                            bytes: summary.bytes, alerts: summary.alerts.count, seconds: now - started))
                }
            }
        }
        while let line = reader.next() {
            pending.append(line)
            if pending.count >= config.batchSize { try flush() }
        }
        try flush()
        confirmAlertLog()
        summary.files = reader.filesStarted
        summary.failures += reader.failures
        summary.seconds = MonotonicClock.seconds() - started
        return summary
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
