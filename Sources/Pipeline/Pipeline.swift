public import Archive
public import Alerts
public import Detect
public import Rules
public import Store
import Ingest
public import Logging
import Normalize
import Synchronization
import Support
public import Config

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

/// The one pipeline: decode → normalise → detect → record. The daemon and `scan` both run
/// exactly this; only where the lines come from differs.
public final class Pipeline: Sendable {
    public let config: Config
    public let rules: RuleSet
    /// The version of `rules` (recorded in the store when the pipeline was made; every alert
    /// it commits names it).
    public let ruleVersion: String
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
    /// `reason`: why these rules come into force (`start`, `scan`), kept in the rule history.
    public init(config: Config, logger: Logger, reason: String = "start") throws(PipelineError) {
        self.config = config
        self.logger = logger
        let (rules, detector) = try Pipeline.compileRules(config: config, logger: logger)
        self.rules = rules
        self.detector = detector
        self.decoder = config.decoder
        do {
            try StateDirectory.ensure(config.stateDirectory)
            self.store = try ChatStore(
                path: config.resolvedStorePath, daemon: config.resolvedDaemonName,
                quarantineOwner: config.quarantineName)
        } catch let error as StoreError {
            throw PipelineError(message: "cannot open the store: \(error)", isStoreFault: true)
        } catch {
            throw PipelineError(message: "cannot open the store: \(error)", isStoreFault: true)
        }
        self.ruleVersion = try Self.recordVersion(rules, store, reason: reason)
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
        if newConfig.resolvedStorePath != config.resolvedStorePath
            || newConfig.resolvedAlertLogPath != config.resolvedAlertLogPath
            || newConfig.resolvedDaemonName != config.resolvedDaemonName
        {
            logger.warning("the store and alert log paths change only on restart; keeping \(store.path)")
        }
        return Pipeline(
            config: newConfig, rules: rules, detector: detector, store: store, alertLog: alertLog, logger: logger,
            ruleVersion: try Self.recordVersion(rules, store, reason: "reload"))
    }

    /// Records the rule set's version in the store's rule history.
    static func recordVersion(_ rules: RuleSet, _ store: ChatStore, reason: String) throws(PipelineError) -> String {
        do {
            return try store.recordRuleVersion(
                canonicalText: rules.canonicalText, entries: rules.entriesByCategory, reason: reason)
        } catch {
            throw PipelineError(message: "cannot record the rule version: \(error)", isStoreFault: true)
        }
    }

    /// A pipeline on a store in memory, without an alert log: everything runs as in `scan`, and
    /// nothing is kept (`chatwarden rules test --file`).
    public static func inMemory(config: Config, logger: Logger) throws(PipelineError) -> Pipeline {
        let (rules, detector) = try compileRules(config: config, logger: logger)
        do {
            let store = try ChatStore.inMemory()
            return Pipeline(
                config: config, rules: rules, detector: detector, store: store, alertLog: nil, logger: logger,
                ruleVersion: try recordVersion(rules, store, reason: "test"))
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(message: "cannot open a store in memory: \(error)", isStoreFault: true)
        }
    }

    init(
        config: Config, rules: RuleSet, detector: ContentDetector, store: ChatStore, alertLog: AlertLog?,
        logger: Logger,
        ruleVersion: String
    ) {
        self.config = config
        self.rules = rules
        self.ruleVersion = ruleVersion
        self.detector = detector
        self.decoder = config.decoder
        self.store = store
        self.alertLog = alertLog
        self.logger = logger
        // Alerts the old pipeline wrote but did not mark yet: a flush sorts them out.
        logState.withLock { $0.appendFailed = true }
    }

    /// Why running with these rules would be degraded in silence (no words and no patterns,
    /// though the configuration did not ask for that), or nil.
    public static func noWordsProblem(_ rules: RuleSet, _ config: Config) -> String? {
        guard rules.words.isEmpty, rules.patterns.isEmpty, !config.wordlistsChosenEmpty else { return nil }
        let looked =
            config.wordlists.isEmpty
            ? "no wordlist directory was found (looked in \(Config.wordlistCandidates().joined(separator: ", ")))"
            : "\(config.wordlists.joined(separator: ", ")) holds no words"
        return """
            no words to detect: \(looked). Point [rules] wordlists at the shipped wordlists (or $CHATWARDEN_WORDLISTS), \
            or write wordlists = [] to run on contact detectors and rules over time only
            """
    }

    /// Loads wordlists and builds detectors as `config` says; used at start-up and on reload.
    public static func compileRules(config: Config, logger: Logger) throws(PipelineError) -> (RuleSet, ContentDetector)
    {
        let loader = WordlistLoader(normalizer: .standard, limits: config.limits, jit: config.jitMode)
        let rules = loader.load(paths: config.wordlists)
        for warning in rules.warnings {
            logger.warning("\(warning.description)")
        }
        if !rules.errors.isEmpty {
            throw PipelineError(message: "the rules have errors", diagnostics: rules.errors)
        }
        if let problem = noWordsProblem(rules, config) { throw PipelineError(message: problem) }
        if config.wordlistsChosenEmpty {
            // Asked for, but a reader of the log must still see that no words are matched.
            logger.warning(
                "wordlists = []: no wordlists loaded, as configured; only the contact detectors and the rules over time run"
            )
        }
        let detectors: [ContactDetector]
        do {
            detectors = try ContactDetectors.make(ids: config.detectors, limits: config.limits, jit: config.jitMode)
        } catch {
            throw PipelineError(message: "cannot build the contact detectors: \(error)")
        }
        return (rules, ContentDetector(rules: rules, detectors: detectors, company: config.company))
    }

    /// A window engine with this pipeline's settings and, for the daemon, its saved state: the
    /// engine of a ``WindowStrategy``.
    public func makeWindowEngine(restore: Bool) throws(StoreError) -> WindowEngine {
        let engine = WindowEngine(settings: config.windows)
        if restore { engine.restore(try store.windowState()) }
        return engine
    }

    // MARK: - Record

    /// Writes a batch in one store transaction, then ships the alerts that were new to the alert
    /// log (see ``commit(_:windows:)``, the one caller). Returns the new alerts.
    func record(_ batch: RecordBatch, write: (RecordBatch) throws(StoreError) -> [Alert]) throws(StoreError) -> [Alert]
    {
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
            logger.warning(
                "cannot confirm the alert log in the store; the next start will", metadata: ["error": "\(error)"])
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
            logger.info(
                "alert log recovered",
                metadata: ["appended": "\(missing.count)", "already_present": "\(already.count)"])
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
                throw PipelineError(
                    message: "cannot create the state directory \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
