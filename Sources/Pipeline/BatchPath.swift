public import Alerts
public import Archive
public import Detect
public import Ingest
public import Store
import Support
import Vocabulary
import Config

/// What a source read: lines and, when the source follows files (the daemon), the checkpoints
/// that hold once those lines' effects are committed, and the files it let go.
public struct SourceBatch: Sendable {
    public var lines: [RawLine]
    public var checkpoints: [Checkpoint]
    public var finished: [String]

    public init(lines: [RawLine], checkpoints: [Checkpoint] = [], finished: [String] = []) {
        self.lines = lines
        self.checkpoints = checkpoints
        self.finished = finished
    }

    /// What the tailer read.
    public init(_ tail: TailBatch) {
        self.init(lines: tail.lines, checkpoints: tail.checkpoints, finished: tail.finished)
    }
}

/// Where the state of the rules over time lives for a run of the pipeline: the one thing that
/// differs between the daemon, `scan` and `rules test --file` once lines are read.
public enum WindowStrategy {
    /// No rules over time.
    case off
    /// In this process: `scan` and `rules test --file` keep it for the run; the daemon on its own
    /// store saves it with every batch (`persist`), so it survives restarts.
    case local(WindowEngine, persist: Bool)
    /// Shared with other daemons through a PostgreSQL store: the keys a batch touches are locked
    /// and loaded inside its transaction, the rules run there, and the state is written back in
    /// the same commit (``ChatStore/record(sharedKeys:now:build:)``).
    case shared(WindowEngine)

    public var engine: WindowEngine? {
        switch self {
        case .off: return nil
        case .local(let engine, _), .shared(let engine): return engine
        }
    }
}

/// One batch on its way through the pipeline: prepared (decoded, detected, and unless the
/// windows are shared, run through the rules over time), then committed.
public struct PreparedBatch: Sendable {
    /// Everything to commit in one transaction, checkpoints included.
    public var record = RecordBatch()
    /// Every alert the batch raised (new or already known), in message order.
    public var alerts: [Alert] = []
    public var lines = 0
    public var bytes = 0
    /// Each decoded message with what it raised, in order (with its detection when asked to
    /// explain, as `rules test` does).
    public internal(set) var examined: [ExaminedMessage] = []
}

/// One decoded message and what it raised.
public struct ExaminedMessage: Sendable {
    public var message: ArchiveMessage
    /// Content alerts (and integrity notes) on the message.
    public var alerts: [Alert]
    /// What the rules over time raised on it.
    public var windowAlerts: [Alert] = []
    /// Violations split over this message and the sender's previous ones (also in `alerts`).
    public var splitAlerts: [Alert] = []
    /// The full detection (hits, suppressed hits, unused allowed phrases), kept only to explain.
    public var detection: Detection?
    /// For a recall of a message not in this batch: what the store knows of it (looked up before
    /// the rules over time run, which may be inside a store transaction).
    var storedRecall: RecalledMessage?

    /// The rules of this message's content alerts, as the rules over time count them (notes
    /// about the engine or the archive are not hits: ``Alert/isNote``).
    var contentRules: [String] { alerts.filter { !$0.isNote }.map(\.rule) }

    /// What a later recall of this message withdrew: its text and the rules of the alerts it
    /// raised (content and over time, notes left out).
    var asRecalled: RecalledMessage {
        RecalledMessage(
            text: message.scannableText, alertRules: (alerts + windowAlerts).filter { !$0.isNote }.map(\.rule))
    }

    /// The distinct violations of this message (rule and what matched, as the reviewer would
    /// tell them apart), for repeated hits.
    var violations: [String] {
        alerts.filter { !$0.isNote }.map { $0.rule + " " + ($0.term.isEmpty ? $0.matched : $0.term) }
    }
}

extension Pipeline {
    /// The one batch path: what a source read in, what the store committed out. The daemon (in
    /// two steps, to retry a failed commit), `scan` and `rules test --file` all run it.
    @discardableResult
    public func process(
        _ source: SourceBatch, windows: WindowStrategy, scratch: DetectorScratch, explain: Bool = false
    ) throws(StoreError) -> PreparedBatch {
        var batch = prepare(source, windows: windows, scratch: scratch, explain: explain)
        try commit(&batch, windows: windows)
        return batch
    }

    /// Decode, normalise, detect — and the rules over time when their state is local. Nothing is
    /// written; the store is only read (what a recalled message said, which message ids the
    /// index already holds).
    public func prepare(
        _ source: SourceBatch, windows: WindowStrategy, scratch: DetectorScratch, explain: Bool = false
    ) -> PreparedBatch {
        var batch = detect(source, scratch: scratch, explain: explain)
        lookUpRecalls(&batch, windows: windows)
        applyLocalWindows(&batch, windows)
        checkIndex(&batch)
        collectAlerts(&batch)
        return batch
    }

    /// The first step of ``prepare``: decode, normalise and detect, touching nothing but the
    /// batch (so `scan` runs it on one core while the other commits the batch before).
    public func detect(_ source: SourceBatch, scratch: DetectorScratch, explain: Bool = false) -> PreparedBatch {
        var batch = PreparedBatch()
        batch.record.checkpoints = source.checkpoints
        batch.record.removedCheckpoints = source.finished
        let now = ChatStore.nowMilliseconds()
        batch.examined.reserveCapacity(source.lines.count)
        for line in source.lines {
            batch.lines += 1
            batch.bytes += line.bytes.count + 1
            switch decodeRepairing(line, now: now) {
            case .failure(let error):
                batch.record.quarantine.append(
                    QuarantineRecord(
                        file: line.position.file, line: line.position.line, offset: line.position.offset,
                        reason: error.description,
                        excerpt: QuarantineRecord.excerpt(of: line.bytes, limit: line.isOversized ? 512 : 4096)))
            case .success(let message):
                let detection = detector.detect(message, scratch: scratch)
                let alerts = detection.findings.isEmpty ? [] : Alert.fromFindings(detection.findings, message: message)
                batch.examined.append(
                    ExaminedMessage(message: message, alerts: alerts, detection: explain ? detection : nil))
            }
        }
        return batch
    }

    /// For each recall of a message not in this batch: what the withdrawn message said and the
    /// alerts it raised — from `recent` (batches read but perhaps not committed yet: `scan`
    /// detects ahead of its commits) or else the store. Looked up before the rules over time
    /// run, which may be inside a store transaction.
    public func lookUpRecalls(
        _ batch: inout PreparedBatch, windows: WindowStrategy, recent: RecentMessages? = nil
    ) {
        guard windows.engine != nil else { return }
        var inBatch = Set<String>()
        for index in batch.examined.indices {
            let message = batch.examined[index].message
            if let pre = WindowEngine.recalledID(message), !inBatch.contains(pre) {
                batch.examined[index].storedRecall =
                    recent?.recalled(pre)
                    ?? (try? store.recalledMessage(msgid: pre)).flatMap { stored in
                        stored.map { RecalledMessage(text: $0.text, alertRules: $0.alertRules) }
                    }
            }
            inBatch.insert(message.msgid)
        }
    }

    /// The rules over time when their state is local (in this process); shared state is run
    /// inside the commit (``commit(_:windows:)``).
    public func applyLocalWindows(_ batch: inout PreparedBatch, _ windows: WindowStrategy) {
        switch windows {
        case .local(let engine, let persist): applyWindows(&batch, engine, persist: persist)
        case .off: applyWindows(&batch, nil, persist: false)
        case .shared: break
        }
    }

    /// The batch against the archive index (one batched lookup, so in batch order, after the
    /// batch before has committed): messages it already holds are not written again (a rescan
    /// costs detection, not indexing); a record reusing an indexed id with another text is kept
    /// beside it, with an alert.
    public func checkIndex(_ batch: inout PreparedBatch) {
        // A record seen again is nothing new, but another record reusing an id with a different
        // text must not pass in silence. If the lookup fails every message is offered again; the
        // insert ignores ids it holds.
        let indexed = (try? store.indexedTexts(msgids: batch.examined.map(\.message.msgid))) ?? [:]
        var firstInBatch: [String: String] = [:]
        batch.record.messages.reserveCapacity(batch.examined.count)
        for index in batch.examined.indices {
            let message = batch.examined[index].message
            let text = message.scannableText
            if let earlier = indexed[message.msgid] ?? firstInBatch[message.msgid] {
                if earlier != text {
                    batch.record.messageVersions.append(message)
                    batch.examined[index].alerts.append(Alert.conflictingRecord(message, indexedText: earlier))
                }
            } else {
                batch.record.messages.append(message)
                firstInBatch[message.msgid] = text
            }
        }
    }

    /// Every alert of the batch in message order — each message's content alerts, then what the
    /// rules over time raised on it — as the store records them.
    public func collectAlerts(_ batch: inout PreparedBatch) {
        batch.alerts.removeAll(keepingCapacity: true)
        for item in batch.examined { batch.alerts += item.alerts + item.windowAlerts }
        batch.record.alerts = batch.alerts
        batch.record.ruleVersion = ruleVersion
        batch.record.mediaJobs = mediaJobs(batch)
    }

    /// Commits a prepared batch in one store transaction (running the rules over time inside it
    /// when their state is shared), then ships the new alerts to the alert log. Returns them.
    ///
    /// On failure nothing is committed and the batch can be committed again; with shared windows
    /// the engine has run, so the caller rebuilds it from the store first
    /// (``makeWindowEngine(restore:)``).
    @discardableResult
    public func commit(_ batch: inout PreparedBatch, windows: WindowStrategy) throws(StoreError) -> [Alert] {
        guard case .shared(let engine) = windows else {
            return try record(batch.record) { (record) throws(StoreError) in try store.record(record) }
        }
        let keys = batch.examined.flatMap { engine.sharedKeys(for: $0.message, contentRules: $0.contentRules) }
        let base = batch
        var result = batch
        let new = try record(base.record) { (record) throws(StoreError) in
            try store.record(sharedKeys: keys) { states in
                engine.loadShared(states)
                var prepared = base
                prepared.record = record
                applyWindows(&prepared, engine, persist: true)
                collectAlerts(&prepared)
                result = prepared
                return prepared.record
            }
        }
        batch = result
        return new
    }

    /// Runs the rules over time on examined messages, in order (violations split over messages
    /// first, then the windows); ``collectAlerts(_:)`` then puts every alert in order.
    func applyWindows(_ batch: inout PreparedBatch, _ windows: WindowEngine?, persist: Bool) {
        let scratch = windows == nil ? nil : DetectorScratch()
        for index in batch.examined.indices {
            if let windows, let scratch, windows.settings.splitWindowMs > 0 {
                // A violation split over this sender's last messages: before the rules over time,
                // which count it like any content hit.
                let message = batch.examined[index].message
                let fragments = windows.recentFragments(before: message)
                if !fragments.isEmpty {
                    let split = splitAlerts(message, fragments: fragments, scratch: scratch)
                    batch.examined[index].splitAlerts = split
                    batch.examined[index].alerts += split
                }
                windows.rememberFragment(message)
            }
            let item = batch.examined[index]
            var windowAlerts: [Alert] = []
            if let windows {
                let recalled =
                    WindowEngine.recalledID(item.message).flatMap { recalledInBatch($0, batch, before: index) }
                    ?? item.storedRecall
                for finding in windows.process(
                    item.message, contentRules: item.contentRules, recalled: recalled, violations: item.violations)
                {
                    windowAlerts.append(Alert.fromWindow(finding, message: item.message))
                }
            }
            batch.examined[index].windowAlerts = windowAlerts
        }
        if let windows, persist {
            let changes = windows.takeChanges()
            batch.record.windowUpserts = changes.upserts
            batch.record.windowDeletes = changes.deletes
            batch.record.sharedWindowUpserts = changes.shared
        }
    }

    /// The alerts of violations that begin in the sender's earlier messages (`fragments`) and end
    /// in `message`: content detection on the end of those and the start of this one, keeping
    /// only what crosses into this message. Each names every part.
    func splitAlerts(_ message: ArchiveMessage, fragments: [WindowEngine.Fragment], scratch: DetectorScratch) -> [Alert]
    {
        let head = String(message.scannableText.prefix(WindowEngine.fragmentReach))
        var joined = ""
        var starts: [Int] = []
        for fragment in fragments {
            starts.append(joined.utf8.count)
            joined += fragment.tail
        }
        let boundary = joined.utf8.count
        joined += head
        let detection = detector.detect(
            text: joined, senderKind: message.senderKind, isGroup: message.isGroup,
            sharedContent: message.isSharedContent,
            scratch: scratch)
        var alerts: [Alert] = []
        for finding in detection.findings
        where !finding.limitReached && finding.range.lowerBound < boundary && finding.range.upperBound > boundary {
            // The parts it spans: the fragments it reaches into, and this message.
            let first = starts.lastIndex { $0 <= finding.range.lowerBound } ?? 0
            let parts = Array(fragments[first...]).map(\.msgid) + [message.msgid]
            alerts.append(
                Alert.acrossMessages(
                    finding, parts: parts, joined: joined, message: message, start: fragments[first].time))
        }
        return alerts
    }

    /// What a recalled message said and the alerts it raised, if it is earlier in this batch.
    func recalledInBatch(_ msgid: String, _ batch: PreparedBatch, before index: Int) -> RecalledMessage? {
        batch.examined[..<index].last(where: { $0.message.msgid == msgid })?.asRecalled
    }

    /// Decodes a line, repairing what keeps a record from being read rather than setting it
    /// aside unseen: a line cut at `max_line_bytes` is closed (``JSONPrefix``) and read as far as
    /// it goes; invalid UTF-8 is replaced by U+FFFD. The repair is noted on the message (and so on
    /// its alerts); the original bytes stay in the archive file. A time before WeCom existed or
    /// more than a day ahead of `now` is not plausible: such a record is quarantined with the
    /// reason, since it would sort first everywhere and push every window's clock forward.
    func decodeRepairing(_ line: RawLine, now: Int64) -> Result<ArchiveMessage, DecodeError> {
        var bytes = line.bytes
        var repairs: [String] = []
        if line.isOversized {
            guard let closed = JSONPrefix.closing(bytes) else {
                return .failure(
                    DecodeError(
                        reason:
                            "line longer than \(config.maxLineBytes) bytes and not a JSON object; skipped to the next line"
                    ))
            }
            bytes = closed
            repairs.append(
                "the record is longer than \(config.maxLineBytes) bytes: only its first \(config.maxLineBytes) bytes were read"
            )
        }
        var result = bytes.withUnsafeBufferPointer { decoder.decode($0, at: line.position) }
        if case .failure = result, let bad = Self.firstInvalidUTF8(bytes) {
            let repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
            let retried = repaired.withUnsafeBufferPointer { decoder.decode($0, at: line.position) }
            if case .success = retried {
                result = retried
                repairs.append("invalid UTF-8 (first at byte \(bad + 1) of the line) replaced by U+FFFD")
            }
        }
        guard case .success(var message) = result else {
            if line.isOversized, case .failure(let error) = result {
                return .failure(
                    DecodeError(
                        reason:
                            "line longer than \(config.maxLineBytes) bytes, and its beginning does not decode: \(error.description)"
                    ))
            }
            return result
        }
        if let reason = Self.implausibleTime(message.msgtime, now: now) {
            return .failure(
                DecodeError(reason: reason, field: message.action == .switchEnterprise ? "time" : "msgtime"))
        }
        if !repairs.isEmpty {
            message.repair = repairs.joined(separator: "; ") + "; the original bytes are in the archive file"
        }
        return .success(message)
    }

    /// The earliest plausible message time: 2012-01-01 (WeCom and its archive came later).
    static let earliestPlausibleTime: Int64 = 1_325_376_000_000

    /// Why `msgtime` cannot be a real message's time, or nil when it can.
    static func implausibleTime(_ msgtime: Int64, now: Int64) -> String? {
        if msgtime < earliestPlausibleTime {
            return "message time \(msgtime) is before 2012, before WeCom existed: not a real message time"
        }
        if msgtime > now + 86_400_000 {
            return "message time \(msgtime) is more than a day ahead of this machine's clock: not a real message time"
        }
        return nil
    }

    /// The offset of the first byte that is not valid UTF-8, or nil when all are.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

}
