import Rules
public import Config
import Alerts
import Archive
import Detect
import Ingest
public import Logging
public import Pipeline
import Store
import Support
import Synchronization
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The service: follows the archive and runs every line through the one pipeline.
///
/// One thread runs one loop: discover files → read a batch → prepare (decode, normalise,
/// detect, rules over time) → commit (messages, alerts, index rows, window state and checkpoints
/// in one transaction) → wait for inotify, a timer or a signal. One loop rather than a group of
/// concurrent services, on purpose: nothing is read ahead of what is committed, a batch whose
/// commit fails is retried as it is, and signals are handled between batches, never mid-commit.
/// What runs beside it has its own thread and touches the loop only through a lock-protected
/// value: the notifier (delivering the queue the commits fill) and the metrics server (serving
/// the figures the loop publishes).
///
/// SIGHUP reloads rules and configuration (a broken new configuration keeps the old one running
/// and says why), SIGTERM and SIGINT drain the current batch and stop. systemd hears READY,
/// STATUS, WATCHDOG, RELOADING and STOPPING.
public final class Daemon {
    public let configPath: String?
    var config: Config
    var pipeline: Pipeline
    let logger: Logger
    /// The systemd notification socket.
    let systemd: SystemdNotifier
    let signals: SignalPipe
    let follower: Follower
    /// The state of the rules over time, and where it lives (this daemon's store, or shared).
    var windows: WindowStrategy
    /// The store file as opened: if it is deleted or replaced under us, we notice and start over.
    var storeIdentity: FileIdentity?
    var stopping = false
    /// 0, or 1 when the daemon stopped because another took its name (shared store).
    var exitStatus: Int32 = 0
    private let scratch = DetectorScratch()
    private var lastWatchdog = 0.0
    private var lastStatus = 0.0
    /// Webhook delivery, on its own thread (nil without `[notify.*]` channels).
    private var notifications: Notifier?
    /// The image path's worker, when `[media] dir` is set.
    private var mediaWorker: MediaWorker?
    private var metricsServer: MetricsServer?
    /// What the loop publishes for the metrics server's thread.
    private let published = Published()

    /// The figures handed from the loop to the metrics server's thread.
    final class Published: Sendable {
        let metrics = Mutex(DaemonMetrics())
    }
    private var metrics = DaemonMetrics()
    /// The pipeline's store, for the notifier's thread.
    let currentStore = StoreBox()
    /// Batches committed with shared windows (old shared state is expired every 500).
    private var sharedBatches = 0
    /// When retention was last looked at (monotonic seconds): a purge runs once a day.
    private var lastRetentionCheck = -Double.infinity

    // Counters for STATUS lines and the stop summary.
    public private(set) var messagesRead = 0
    public private(set) var alertsRaised = 0
    public private(set) var quarantined = 0

    /// Prepares everything that must work before the service says it is ready: the
    /// configuration, compiled rules, the store, checkpoints, watches.
    public init(
        config: Config, configPath: String?, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()
    ) throws(PipelineError) {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.systemd = notifier
        guard !config.watch.isEmpty else {
            throw PipelineError(
                message: "nothing to watch: set [daemon] watch = [\"/path/*.jsonl\"] in the configuration")
        }
        try Self.checkChannels(config)
        do {
            signals = try SignalPipe()
        } catch {
            throw PipelineError(message: error.description)
        }
        pipeline = try Self.openPipeline(config: config, logger: logger, systemd: notifier, signals: signals)
        let checkpoints: [Checkpoint]
        do {
            checkpoints = try pipeline.store.checkpoints()
        } catch {
            throw PipelineError(message: "cannot load checkpoints: \(error)")
        }
        follower = Follower(tailer: Self.tailer(config, pipeline, checkpoints), inotify: config.watchMode == .inotify)
        storeIdentity = pipeline.store.fileIdentity
        do {
            windows = try Self.windowStrategy(pipeline)
        } catch {
            throw PipelineError(message: "cannot load the window-rule state: \(error)")
        }
        try takeName()
        currentStore.value.withLock { $0 = pipeline.store }
        if !config.notifications.isEmpty {
            notifications = Notifier(
                channels: config.notifications, store: Self.notifierStore(current: currentStore, config: config),
                logger: logger, wording: Self.wording(config, pipeline.rules, logger: logger))
        }
        if let listen = config.metricsListen {
            do {
                metricsServer = try MetricsServer(address: listen)
            } catch {
                throw PipelineError(message: "cannot serve metrics: \(error)")
            }
        }
    }

    /// Robot messages in Chinese with the wordlists' titles and guidance and the display names
    /// of `[review] names` (a names file that cannot be read is logged; ids are shown instead).
    static func wording(_ config: Config, _ rules: RuleSet, logger: Logger) -> NotificationWording {
        var names: [String: String] = [:]
        if let file = config.review.namesFile {
            do {
                names = try NameDirectory.load(file).names
            } catch {
                logger.error("names file not read; robot messages show ids", metadata: ["error": "\(error)"])
            }
        }
        var titles: [String: String] = [:]
        var guidance: [String: String] = [:]
        for category in rules.categories {
            titles[category.id] = category.title
            if !category.action.isEmpty { guidance[category.id] = category.action }
        }
        return NotificationWording(language: .zh, titles: titles, guidance: guidance, names: names)
    }

    /// A tailer over the configured patterns from `checkpoints`, ranking files by event time.
    static func tailer(_ config: Config, _ pipeline: Pipeline, _ checkpoints: [Checkpoint]) -> Tailer {
        let tailer = Tailer(patterns: config.watch, checkpoints: checkpoints, maxLineBytes: config.maxLineBytes)
        tailer.eventTime = pipeline.lineTime
        return tailer
    }

    /// The rules over time with this daemon's saved state: its own, or (a shared store) with the
    /// families that span archive shards shared with the other daemons.
    static func windowStrategy(_ pipeline: Pipeline) throws(StoreError) -> WindowStrategy {
        let engine = try pipeline.makeWindowEngine(restore: true)
        guard pipeline.store.isShared else { return .local(engine, persist: true) }
        engine.sharedFamilies = WindowKeyFamily.sharedAcrossShards
        return .shared(engine)
    }

    // MARK: - The loop

    /// Runs until SIGTERM or SIGINT. Returns the exit status.
    public func run() -> Int32 {
        follower.discover()
        logEvents()
        systemd.ready(status: statusLine())
        notifications?.start()
        if config.media.directory != nil {
            mediaWorker = MediaWorker(config: config, logger: logger)
            mediaWorker?.start()
        }
        metricsServer?.start { [published] in published.metrics.withLock { $0.render() } }
        logger.notice(
            "chatwarden is running",
            metadata: [
                "watch": "\(config.watch.joined(separator: " "))", "files": "\(follower.fileCount)",
                "store": "\(pipeline.store.path)", "mode": "\(follower.usesInotify ? "inotify" : "poll")",
            ])
        while !stopping {
            checkStore()
            processAvailable()
            if stopping { break }
            purgeIfDue()
            wait()
            follower.discover()
            logEvents()
        }
        systemd.stopping()
        pipeline.confirmAlertLog()
        notifications?.stop()
        mediaWorker?.stop()
        metricsServer?.stop()
        logger.notice(
            "chatwarden stopped",
            metadata: [
                "messages": "\(messagesRead)", "alerts": "\(alertsRaised)", "quarantined": "\(quarantined)",
            ])
        return exitStatus
    }

    /// Retention (`[retention]`): once a day, messages and alerts older than allowed are purged,
    /// except what a legal hold keeps (the store records each purge in the evidence chain).
    /// Looked at every ten minutes; "once a day" is read from the store's last purge, so a
    /// restart does not purge again and several daemons on one store take turns.
    func purgeIfDue() {
        let review = config.review
        guard review.messageRetentionDays != nil || review.alertRetentionDays != nil else { return }
        let now = MonotonicClock.seconds()
        guard now - lastRetentionCheck >= 600 else { return }
        lastRetentionCheck = now
        let wall = ChatStore.nowMilliseconds()
        do {
            if let last = try pipeline.store.lastPurgeCheck(), wall - last < 86_400_000 { return }
            let result = try pipeline.store.purge(
                messagesBefore: review.messageRetentionDays.map { wall - Int64($0) * 86_400_000 },
                alertsBefore: review.alertRetentionDays.map { wall - Int64($0) * 86_400_000 },
                by: "daemon:" + config.resolvedDaemonName)
            try pipeline.store.notePurgeCheck(at: wall)
            logger.notice(
                "retention purge",
                metadata: [
                    "messages": "\(result.messages)", "alerts": "\(result.alerts)", "reviews": "\(result.reviews)",
                    "held_messages": "\(result.heldMessages)", "held_alerts": "\(result.heldAlerts)",
                ])
        } catch {
            logger.warning("retention purge failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    /// Reads and commits batches until nothing complete is left to read.
    func processAvailable() {
        while !stopping {
            let read = follower.read(maxLines: config.batchSize)
            logEvents()
            if read.isEmpty { break }
            let started = MonotonicClock.seconds()
            var batch = pipeline.prepare(SourceBatch(read), windows: windows, scratch: scratch)
            let committing = MonotonicClock.seconds()
            guard commit(&batch) else { break }
            // With shared windows the rules over time run inside the commit: their time counts there.
            metrics.detectSeconds += committing - started
            metrics.commitSeconds += MonotonicClock.seconds() - committing
            count(batch)
            if case .shared(let engine) = windows {
                sharedBatches += 1
                if sharedBatches % 500 == 0 {
                    do { try pipeline.store.expireSharedWindows(before: engine.expiryHorizon) } catch {
                        logger.warning(
                            "cannot expire old shared window state; will retry", metadata: ["error": "\(error)"])
                    }
                }
            }
            heartbeat()
            handleSignals()
        }
        heartbeat()
    }

    /// Commits the batch, retrying it until it succeeds (disk full, store locked away, ...) with
    /// backoff from 0.2 s to 10 s, saying why each time: the lines are held in memory and the
    /// checkpoints do not move, so nothing is lost. With shared windows the engine ran inside the
    /// failed transaction, so it is rebuilt from what the store committed first. Gives up (false)
    /// when the store was replaced (everything is read again anyway) or a stop is requested.
    private func commit(_ batch: inout PreparedBatch) -> Bool {
        var delay = 0.2
        while true {
            do {
                try pipeline.commit(&batch, windows: windows)
                return true
            } catch {
                if !checkStore() { return false }
                metrics.commitFailures += 1
                logger.error(
                    "cannot commit to the store; retrying", metadata: ["error": "\(error)", "retry_in_s": "\(delay)"])
                systemd.status("store error, retrying: \(error)")
                // Keep the watchdog fed: the loop is alive, the store is not.
                systemd.watchdog()
                for signal in signals.wait(seconds: delay) { handle(signal) }
                if stopping {
                    logger.error("stopping with an uncommitted batch; it will be read again at start-up")
                    return false
                }
                if case .shared(let engine) = windows, let rebuilt = try? pipeline.makeWindowEngine(restore: true) {
                    rebuilt.settings = engine.settings
                    rebuilt.sharedFamilies = engine.sharedFamilies
                    windows = .shared(rebuilt)
                }
                delay = min(delay * 2, 10)
            }
        }
    }

    /// Counts a committed batch for STATUS lines and metrics, and publishes the metrics.
    private func count(_ batch: PreparedBatch) {
        metrics.batches += 1
        messagesRead += batch.examined.count
        alertsRaised += batch.alerts.count
        quarantined += batch.record.quarantine.count
        metrics.messages = messagesRead
        metrics.quarantined = quarantined
        for alert in batch.alerts {
            metrics.alerts[
                DaemonMetrics.AlertCount(category: alert.category, severity: alert.severity.rawValue), default: 0] += 1
        }
        if let newest = batch.examined.map(\.message.msgtime).max() {
            metrics.newestProcessedMs = max(metrics.newestProcessedMs, newest)
        }
        publishMetrics()
    }

    /// Hands the current figures to the metrics server's thread.
    private func publishMetrics() {
        guard metricsServer != nil else { return }
        var current = metrics
        if let counters = notifications?.counters {
            current.notificationsDelivered = counters.delivered
            current.notificationFailures = counters.failures
        }
        if let media = mediaWorker?.counters.withLock({ $0 }) {
            current.mediaExamined = media.examined
            current.mediaBacklog = media.backlog
            current.mediaMissing = media.missing
            current.mediaSkipped = media.skipped
        }
        current.filesFollowed = follower.fileCount
        current.backlogBytes = follower.backlogBytes
        current.newestArchiveChange = follower.newestModification
        published.metrics.withLock { $0 = current }
    }

    /// Waits for inotify, a signal, or the poll interval (shortened to keep the watchdog fed).
    private func wait() {
        var timeout = Double(config.pollIntervalMilliseconds) / 1000
        if let interval = systemd.watchdogInterval { timeout = min(timeout, interval) }
        var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        if let inotify = follower.descriptor { fds.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)) }
        if poll(&fds, nfds_t(fds.count), Int32(timeout * 1000)) > 0 && fds.count > 1 && fds[1].revents != 0 {
            follower.drain()
        }
        publishMetrics()
        handleSignals()
    }

    private func handleSignals() {
        for signal in signals.take() { handle(signal) }
    }

    private func handle(_ signal: Int32) {
        if signal == SIGHUP {
            reload()
        } else if SignalPipe.isStop(signal) {
            if !stopping { logger.notice("stop requested; draining") }
            stopping = true
        }
    }

    private func heartbeat() {
        let now = MonotonicClock.seconds()
        if let interval = systemd.watchdogInterval, now - lastWatchdog >= interval / 2 {
            systemd.watchdog()
            lastWatchdog = now
        }
        if now - lastStatus >= 2 {
            systemd.status(statusLine())
            lastStatus = now
        }
    }

    func statusLine() -> String {
        "following \(follower.fileCount) file(s); \(messagesRead) messages, \(alertsRaised) alerts, "
            + "\(quarantined) quarantined since start; backlog \(follower.backlogBytes) bytes"
    }

    func logEvents() {
        for event in follower.takeEvents() {
            switch event.kind {
            case .error:
                logger.error(
                    "archive file problem",
                    metadata: ["file": "\(event.path)", "event": "\(event.kind.rawValue)", "detail": "\(event.detail)"])
            case .unwatchable:
                logger.warning(
                    "cannot watch the archive directory; polling it until it can be watched",
                    metadata: [
                        "directory": "\(event.path)", "reason": "\(event.detail)",
                    ])
            case .watching:
                logger.notice("watching the archive directory", metadata: ["directory": "\(event.path)"])
            default:
                logger.info(
                    "archive file",
                    metadata: ["file": "\(event.path)", "event": "\(event.kind.rawValue)", "detail": "\(event.detail)"])
            }
        }
    }
}
