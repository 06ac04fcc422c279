public import Archive
public import Alerts
public import Detect
public import Rules
public import Store
public import Ingest
public import Logging
import Normalize
import Synchronization

/// Why the pipeline could not start: bad rules, a bad configuration, an unusable store.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Rule problems, each with file:line:column, when rules are the cause.
    public let diagnostics: [RuleDiagnostic]
    /// The store could not be opened (a fault that may pass: disk full, a corrupted file the
    /// operator removes), as opposed to bad rules or configuration, which need a person.
    public let isStoreFault: Bool

    public init(message: String, diagnostics: [RuleDiagnostic] = [], isStoreFault: Bool = false) {
        self.message = message
        self.diagnostics = diagnostics
        self.isStoreFault = isStoreFault
    }

    public var description: String {
        ([message] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}

/// What one batch of lines became.
public struct PreparedBatch: Sendable {
    /// Everything to commit in one transaction.
    public var record = RecordBatch()
    /// Every alert the batch raised (new or already known), in message order.
    public var alerts: [Alert] = []
    public var lines = 0
    public var bytes = 0
    /// The decoded messages with their content alerts, waiting for the rules over time.
    var examined: [Examined] = []
}

/// One decoded message after content detection.
struct Examined: Sendable {
    var message: ArchiveMessage
    var alerts: [Alert]
    /// For a recall of a message not in this batch: what the store knows of it (looked up before
    /// the rules over time run, which may be inside a store transaction).
    var storedRecall: RecalledMessage?

    var contentRules: [String] { alerts.filter(\.isContentHit).map(\.rule) }
}

/// The one pipeline: decode → normalise → detect → record. The daemon and `scan` both run
/// exactly this; only where the lines come from differs.
public final class Pipeline: Sendable {
    public let config: Config
    public let rules: RuleSet
    public let detector: ContentDetector
    public let decoder: any MessageDecoder
    public let store: ChatStore
    public let alertLog: AlertLog?
    let logger: Logger
    /// Alert-log bookkeeping between commits: ids written to the log but not yet marked in the
    /// store (marked by the next commit), and whether an append failed (then the next commit
    /// first retries everything unlogged).
    private let logState = Mutex(LogState())

    struct LogState {
        var writtenUnmarked: [String] = []
        var appendFailed = false
        /// Ids already in the alert log, when the store was lost and the archive is read again:
        /// their alerts come back as new to the store but must not be logged twice.
        var alreadyLogged: Set<String>? = nil
    }

    /// After the store was lost (deleted, replaced): remember every alert id in the alert log, so
    /// reading the archive again from the start does not log any of them twice.
    public func rememberLoggedAlerts() {
        guard let alertLog else { return }
        let ids = alertLog.idsInTail(maxBytes: Int.max)
        logState.withLock { $0.alreadyLogged = ids }
    }

    /// Compiles the rules and opens the store. Fails on rule errors (warnings are logged).
    public init(config: Config, logger: Logger) throws(PipelineError) {
        self.config = config
        self.logger = logger
        let (rules, detector) = try Pipeline.compileRules(config: config, logger: logger)
        self.rules = rules
        self.detector = detector
        self.decoder = config.decoder
        do {
            try StateDirectory.ensure(config.stateDirectory)
            self.store = try ChatStore(path: config.resolvedStorePath, daemon: config.resolvedDaemonName)
        } catch let error as StoreError {
            throw PipelineError(message: "cannot open the store: \(error)", isStoreFault: true)
        } catch {
            throw PipelineError(message: "cannot open the store: \(error)", isStoreFault: true)
        }
        self.alertLog = config.resolvedAlertLogPath.map(AlertLog.init(path:))
        do {
            try recoverAlertLog()
        } catch {
            logger.error("alert log recovery failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    /// A pipeline with the rules and settings of `config`, sharing this one's store and alert log
    /// (used on reload: a broken configuration throws, and the caller keeps the old pipeline).
    public func reloaded(config newConfig: Config) throws(PipelineError) -> Pipeline {
        let (rules, detector) = try Pipeline.compileRules(config: newConfig, logger: logger)
        if newConfig.resolvedStorePath != config.resolvedStorePath || newConfig.resolvedAlertLogPath != config.resolvedAlertLogPath
            || newConfig.resolvedDaemonName != config.resolvedDaemonName
        {
            logger.warning("the store and alert log paths change only on restart; keeping \(store.path)")
        }
        return Pipeline(
            config: newConfig, rules: rules, detector: detector, store: store, alertLog: alertLog, logger: logger)
    }

    init(config: Config, rules: RuleSet, detector: ContentDetector, store: ChatStore, alertLog: AlertLog?, logger: Logger) {
        self.config = config
        self.rules = rules
        self.detector = detector
        self.decoder = config.decoder
        self.store = store
        self.alertLog = alertLog
        self.logger = logger
        // Alerts the old pipeline wrote but did not mark yet: a flush sorts them out.
        logState.withLock { $0.appendFailed = true }
    }

    /// Loads wordlists and builds detectors as `config` says; used at start-up and on reload.
    public static func compileRules(config: Config, logger: Logger) throws(PipelineError) -> (RuleSet, ContentDetector) {
        let loader = WordlistLoader(normalizer: .standard, limits: config.limits, jit: config.jitMode)
        let rules = loader.load(paths: config.wordlists)
        for warning in rules.warnings {
            logger.warning("\(warning.description)")
        }
        if !rules.errors.isEmpty {
            throw PipelineError(message: "the rules have errors", diagnostics: rules.errors)
        }
        let detectors: [ContactDetector]
        do {
            detectors = try ContactDetectors.make(ids: config.detectors, limits: config.limits, jit: config.jitMode)
        } catch {
            throw PipelineError(message: "cannot build the contact detectors: \(error)")
        }
        return (rules, ContentDetector(rules: rules, detectors: detectors))
    }

    // MARK: - Decode, normalise, detect

    /// Decodes and examines `lines`, producing what to commit. Nothing is written until
    /// ``commit(_:)``; the store is only read (to find what a recalled message said).
    ///
    /// `windows` is the state of the rules over time, owned by the caller (the daemon keeps one
    /// for its life and persists it with each batch; `scan` keeps one per run).
    public func prepare(_ lines: [RawLine], scratch: DetectorScratch, windows: WindowEngine? = nil, persistWindows: Bool = false) -> PreparedBatch {
        var batch = examine(lines, scratch: scratch, forWindows: windows != nil)
        applyWindows(&batch, windows, persist: persistWindows)
        return batch
    }

    /// Decode, normalise and content detection: the part of ``prepare`` that needs no state
    /// (for ``commitSharingWindows(_:windows:)``, which runs the rest).
    public func examine(_ lines: [RawLine], scratch: DetectorScratch, forWindows: Bool = true) -> PreparedBatch {
        var batch = PreparedBatch()
        let now = ChatStore.nowMilliseconds()
        var decoded: [ArchiveMessage] = []
        decoded.reserveCapacity(lines.count)
        for line in lines {
            batch.lines += 1
            batch.bytes += line.bytes.count + 1
            switch decodeRepairing(line, now: now) {
            case .failure(let error):
                batch.record.quarantine.append(QuarantineRecord(
                    file: line.position.file, line: line.position.line, offset: line.position.offset,
                    reason: error.description, excerpt: QuarantineRecord.excerpt(of: line.bytes, limit: line.isOversized ? 512 : 4096)))
            case .success(let message):
                decoded.append(message)
            }
        }
        // What the index already holds under these ids: a record seen again is nothing new, but
        // another record reusing an id with a different text must not pass in silence.
        let indexed = (try? store.indexedTexts(msgids: decoded.map(\.msgid))) ?? [:]
        var firstInBatch: [String: String] = [:]
        for message in decoded {
            batch.record.messages.append(message)
            let detection = detector.detect(message, scratch: scratch)
            var alerts = detection.findings.isEmpty ? [] : Alert.fromFindings(detection.findings, message: message)
            let text = message.scannableText
            if let earlier = indexed[message.msgid] ?? firstInBatch[message.msgid], earlier != text {
                batch.record.messageVersions.append(message)
                alerts.append(Alert.conflictingRecord(message, indexedText: earlier))
            }
            var storedRecall: RecalledMessage? = nil
            if forWindows, let pre = WindowEngine.recalledID(message), firstInBatch[pre] == nil,
                let stored = try? store.recalledMessage(msgid: pre)
            {
                storedRecall = RecalledMessage(text: stored.text, alertRules: stored.alertRules)
            }
            if firstInBatch[message.msgid] == nil { firstInBatch[message.msgid] = text }
            batch.examined.append(Examined(message: message, alerts: alerts, storedRecall: storedRecall))
        }
        return batch
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
                return .failure(DecodeError(reason: "line longer than \(config.maxLineBytes) bytes and not a JSON object; skipped to the next line"))
            }
            bytes = closed
            repairs.append("the record is longer than \(config.maxLineBytes) bytes: only its first \(config.maxLineBytes) bytes were read")
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
                return .failure(DecodeError(reason: "line longer than \(config.maxLineBytes) bytes, and its beginning does not decode: \(error.description)"))
            }
            return result
        }
        if let reason = Self.implausibleTime(message.msgtime, now: now) {
            return .failure(DecodeError(reason: reason, field: message.action == .switchEnterprise ? "time" : "msgtime"))
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

    /// Runs the rules over time on examined messages, in order, and collects every alert.
    func applyWindows(_ batch: inout PreparedBatch, _ windows: WindowEngine?, persist: Bool) {
        for (index, item) in batch.examined.enumerated() {
            var alerts = item.alerts
            if let windows {
                let recalled = WindowEngine.recalledID(item.message).flatMap { recalledInBatch($0, batch, before: index) } ?? item.storedRecall
                for finding in windows.process(item.message, contentRules: item.contentRules, recalled: recalled) {
                    alerts.append(Alert.fromWindow(finding, message: item.message))
                }
            }
            if !alerts.isEmpty {
                batch.record.alerts.append(contentsOf: alerts)
                batch.alerts.append(contentsOf: alerts)
            }
        }
        if let windows, persist {
            let changes = windows.takeChanges()
            batch.record.windowUpserts = changes.upserts
            batch.record.windowDeletes = changes.deletes
            batch.record.sharedWindowUpserts = changes.shared
        }
    }

    /// What a recalled message said and which alerts it raised, if it is earlier in this batch.
    func recalledInBatch(_ msgid: String, _ batch: PreparedBatch, before index: Int) -> RecalledMessage? {
        guard let message = batch.examined[..<index].last(where: { $0.message.msgid == msgid })?.message else { return nil }
        return RecalledMessage(
            text: message.scannableText,
            alertRules: batch.alerts.filter { $0.msgid == msgid && $0.isContentHit }.map(\.rule))
    }

    /// A window engine with this pipeline's settings (and, for the daemon, its saved state).
    ///
    /// A daemon on a shared store (`restore` and PostgreSQL) shares the state of blast and
    /// repeated-hit windows with the other daemons: see ``commitSharingWindows(_:windows:)``.
    public func makeWindowEngine(restore: Bool) throws(StoreError) -> WindowEngine {
        let engine = WindowEngine(settings: config.windows)
        if restore {
            engine.restore(try store.windowState())
            if store.isShared { engine.sharedPrefixes = ["b|", "h|"] }
        }
        return engine
    }

    // MARK: - Record

    /// Commits a batch in one store transaction, then ships the alerts that were new to the
    /// alert log. Returns the new alerts.
    @discardableResult
    public func commit(_ batch: RecordBatch) throws(StoreError) -> [Alert] {
        try commit(batch) { (record) throws(StoreError) in try store.record(record) }
    }

    /// Runs the rules over time and commits, for a daemon whose windows are shared with other
    /// daemons (``WindowEngine/sharedPrefixes``): the shared keys this batch touches are locked
    /// in the store, their committed state loaded into `windows`, the rules run, and everything
    /// committed in that one transaction. `batch` comes back with every alert it raised.
    ///
    /// On failure nothing is committed but `windows` has run: the caller must rebuild it from
    /// the store (``makeWindowEngine(restore:)``) before trying again.
    @discardableResult
    public func commitSharingWindows(_ batch: inout PreparedBatch, windows: WindowEngine) throws(StoreError) -> [Alert] {
        let keys = batch.examined.flatMap { windows.sharedKeys(for: $0.message, contentRules: $0.contentRules) }
        let base = batch
        var result = batch
        let new = try commit(base.record) { (record) throws(StoreError) in
            try store.record(sharedKeys: keys) { states in
                windows.loadShared(states)
                var prepared = base
                prepared.record = record
                applyWindows(&prepared, windows, persist: true)
                result = prepared
                return prepared.record
            }
        }
        batch = result
        return new
    }

    private func commit(_ batch: RecordBatch, write: (RecordBatch) throws(StoreError) -> [Alert]) throws(StoreError) -> [Alert] {
        var batch = batch
        let (marks, retry) = logState.withLock { state in
            defer { state.writtenUnmarked.removeAll() }
            return (state.writtenUnmarked, state.appendFailed)
        }
        batch.loggedAlerts = marks
        batch.notificationRoutes = config.notifications.map(\.route)
        let new: [Alert]
        do {
            new = try write(batch)
        } catch {
            // Not marked: they stay to be marked by the next successful commit.
            logState.withLock { $0.writtenUnmarked.insert(contentsOf: marks, at: 0) }
            throw error
        }
        guard let alertLog else { return new }
        do {
            if retry {
                try flushAlertLog()
                logState.withLock { $0.appendFailed = false }
            } else if !new.isEmpty {
                let known = logState.withLock { $0.alreadyLogged }
                let fresh = known.map { known in new.filter { !known.contains($0.id) } } ?? new
                try alertLog.append(fresh.map(\.jsonLine))
                logState.withLock { $0.writtenUnmarked.append(contentsOf: new.map(\.id)) }
            }
        } catch {
            // The alerts are safe in the store (unlogged); the next commit or a restart retries.
            logState.withLock { $0.appendFailed = true }
            logger.error("cannot write the alert log; will retry", metadata: ["error": "\(error)"])
        }
        return new
    }

    /// Marks the alerts written to the alert log since the last commit as logged (a commit does
    /// that for the batch before it; at the end of a scan, or when the daemon stops, nothing
    /// follows). If it fails, the next start finds them in the log's tail.
    public func confirmAlertLog() {
        let marks = logState.withLock { state in
            defer { state.writtenUnmarked.removeAll() }
            return state.writtenUnmarked
        }
        do {
            try store.markLogged(marks)
        } catch {
            logState.withLock { $0.writtenUnmarked.insert(contentsOf: marks, at: 0) }
            logger.warning("cannot confirm the alert log in the store; the next start will", metadata: ["error": "\(error)"])
        }
    }

    /// Appends every committed-but-unlogged alert that is not already in the log, and marks them
    /// all logged (after a failed append, a reload, or at start-up after a crash).
    public func flushAlertLog() throws {
        try recoverAlertLog()
    }

    /// After a crash: alerts committed but not marked logged may or may not be in the log. Those
    /// found in the log's tail are marked; the rest are appended.
    public func recoverAlertLog() throws {
        guard let alertLog else { return }
        let pending = try store.unloggedAlerts()
        guard !pending.isEmpty else { return }
        let present = alertLog.idsInTail()
        let already = pending.filter { present.contains($0.id) }
        try store.markLogged(already.map(\.id))
        let missing = pending.filter { !present.contains($0.id) }
        try alertLog.append(missing.map(\.jsonLine))
        try store.markLogged(missing.map(\.id))
        if !missing.isEmpty || !already.isEmpty {
            logger.info("alert log recovered", metadata: ["appended": "\(missing.count)", "already_present": "\(already.count)"])
        }
    }
}

/// Creates the state directory (mode 0750) when missing.
enum StateDirectory {
    static func ensure(_ path: String) throws(PipelineError) {
        var components: [Substring] = []
        var current = path.hasPrefix("/") ? "" : "."
        components = path.split(separator: "/")
        for component in components {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST {
                throw PipelineError(message: "cannot create the state directory \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
