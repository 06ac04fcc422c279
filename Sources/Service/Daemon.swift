public import Logging
public import Pipeline
import Alerts
import Detect
import Ingest
import Store
import Rules
import Archive
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The write end of the self-pipe that signal handlers use (a handler may only call
/// async-signal-safe functions: `write` is one).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

private func forwardSignal(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWrite, &byte, 1)
}

/// The service: follows the archive and runs every line through the one pipeline.
///
/// One thread runs one loop: discover files → read a batch → decode, normalise, detect → commit
/// (messages, alerts, index rows and checkpoints in one transaction) → wait for inotify, a timer
/// or a signal. A single loop is the simplest thing that gives exactly-once effects: nothing is
/// read ahead of what is committed, and a batch whose commit fails is retried as it is.
///
/// Signals arrive through a self-pipe: SIGHUP reloads rules and configuration (a broken new
/// configuration keeps the old one running and says why), SIGTERM and SIGINT drain the current
/// batch and stop. systemd hears READY, STATUS, WATCHDOG, RELOADING and STOPPING.
public final class Daemon {
    public let configPath: String?
    var config: Config
    var pipeline: Pipeline
    let logger: Logger
    let notifier: SystemdNotifier
    var tailer: Tailer
    /// The store file as opened: if it is deleted or replaced under us, we notice and start over.
    private var storeIdentity: FileIdentity?
    private var inotifyFD: Int32 = -1
    private var watched: [String: Int32] = [:]
    private var signalRead: Int32 = -1
    private var stopping = false
    private var lastWatchdog = 0.0
    private var lastStatus = 0.0
    private let scratch = DetectorScratch()
    private var metrics = DaemonMetrics()
    private var notifier_: Notifier?
    private var metricsServer: MetricsServer?
    private var windows: WindowEngine
    /// The pipeline's store, for the notifier's thread.
    private let currentStore = StoreBox()

    /// A store reference handed between threads.
    final class StoreBox: Sendable {
        let value = Mutex<ChatStore?>(nil)
    }

    // Counters for STATUS lines and the stop summary.
    public private(set) var messagesRead = 0
    public private(set) var alertsRaised = 0
    public private(set) var quarantined = 0

    /// Prepares everything that must work before the service says it is ready: the
    /// configuration, compiled rules, the store, checkpoints, watches.
    public init(config: Config, configPath: String?, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) throws(PipelineError) {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.notifier = notifier
        guard !config.watch.isEmpty else {
            throw PipelineError(message: "nothing to watch: set [daemon] watch = [\"/path/*.jsonl\"] in the configuration")
        }
        try Self.checkChannels(config)
        try Self.setUpSignals(into: &signalRead)
        // A store that cannot be opened (corrupted, disk full) is waited out, not a crash loop:
        // say why every few seconds and try again until it works or we are told to stop.
        var opened: Pipeline? = nil
        while opened == nil {
            do {
                opened = try Pipeline(config: config, logger: logger)
            } catch where error.isStoreFault {
                logger.error("cannot open the store; retrying in 5 s", metadata: ["error": "\(error.message)"])
                notifier.status("cannot open the store, retrying: \(error.message)")
                var fds = [pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0)]
                if poll(&fds, 1, 5000) > 0 {
                    var byte: UInt8 = 0
                    if read(signalRead, &byte, 1) == 1, Int32(byte) == SIGTERM || Int32(byte) == SIGINT {
                        throw PipelineError(message: "stopped while waiting for the store")
                    }
                }
            }
        }
        pipeline = opened!
        // In a shared store, a daemon's name owns its checkpoints and window state: a second
        // daemon with the same name would read the same checkpoints and race the first.
        if pipeline.store.isShared {
            let name = config.resolvedDaemonName
            do {
                // A daemon killed a moment ago may still hold the lock until the server notices
                // its connection is gone: wait a little before calling the name taken.
                let lock = Self.nameLock(config)
                var locked = try pipeline.store.tryLock(lock)
                let deadline = Tailer.now() + 10
                while !locked && Tailer.now() < deadline {
                    usleep(250_000)
                    locked = try pipeline.store.tryLock(lock)
                }
                guard locked else {
                    throw PipelineError(message: """
                        another daemon named '\(name)' is running against \(pipeline.store.path): give each daemon its own \
                        name ([daemon] name in its configuration, or --name)
                        """)
                }
            } catch let error as PipelineError {
                throw error
            } catch {
                throw PipelineError(message: "cannot lock the daemon name in the store: \(error)", isStoreFault: true)
            }
            logger.notice("shared store", metadata: ["store": "\(pipeline.store.path)", "daemon": "\(name)"])
            for warning in pipeline.store.setupWarnings() {
                logger.warning("\(warning)", metadata: ["store": "\(pipeline.store.path)"])
            }
        }
        let checkpoints: [Checkpoint]
        do {
            checkpoints = try pipeline.store.checkpoints()
        } catch {
            throw PipelineError(message: "cannot load checkpoints: \(error)")
        }
        tailer = Tailer(patterns: config.watch, checkpoints: checkpoints, maxLineBytes: config.maxLineBytes)
        tailer.eventTime = pipeline.lineTime
        storeIdentity = pipeline.store.fileIdentity
        do {
            windows = try pipeline.makeWindowEngine(restore: true)
        } catch {
            throw PipelineError(message: "cannot load the window-rule state: \(error)")
        }
        if config.watchMode == "inotify" { setUpInotify() }
        currentStore.value.withLock { $0 = pipeline.store }
        if !config.notifications.isEmpty {
            notifier_ = Notifier(channels: config.notifications, store: Self.notifierStore(current: currentStore, config: config), logger: logger)
        }
        if let listen = config.metricsListen {
            do {
                metricsServer = try MetricsServer(address: listen)
            } catch {
                throw PipelineError(message: "cannot serve metrics: \(error)")
            }
        }
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
        if signalRead >= 0 { close(signalRead) }
    }

    private static func setUpSignals(into signalRead: inout Int32) throws(PipelineError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PipelineError(message: "cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        signalRead = fds[0]
        signalPipeWrite = fds[1]
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
    }

    private func setUpInotify() {
        inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if inotifyFD < 0 {
            logger.warning("inotify is not available; polling instead", metadata: ["error": "\(String(cString: strerror(errno)))"])
            return
        }
        updateWatches()
    }

    /// Watches every directory the patterns and followed files live in.
    private func updateWatches() {
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        for dir in tailer.directories where watched[dir] == nil {
            let wd = inotify_add_watch(inotifyFD, dir, mask)
            if wd < 0 {
                let code = errno
                let reason = code == ENOENT ? "it does not exist" : code == EACCES ? "permission denied" : String(cString: strerror(code))
                // Said once, then at most once a minute while it lasts (it is retried every poll).
                let now = Tailer.now()
                if let last = watchFailures[dir], last.reason == reason, now - last.at < 60 { continue }
                watchFailures[dir] = (reason, now)
                logger.warning("cannot watch the archive directory; polling it until it can be watched", metadata: [
                    "directory": "\(dir)", "reason": "\(reason)",
                ])
                continue
            }
            if watchFailures.removeValue(forKey: dir) != nil {
                logger.notice("watching the archive directory", metadata: ["directory": "\(dir)"])
            }
            watched[dir] = wd
        }
    }

    /// Directories that could not be watched: the reason, and when it was last said.
    private var watchFailures: [String: (reason: String, at: Double)] = [:]

    /// Every notification channel must be able to send: an operator who configured one must not
    /// believe alerts are sent while they are not.
    static func checkChannels(_ config: Config) throws(PipelineError) {
        for channel in config.notifications {
            if case .failure(let error) = channel.usableURL() {
                throw PipelineError(message: "notification channel '\(channel.name)' cannot send: \(error)")
            }
        }
    }

    /// The store the notifier reads its queue from: on SQLite the daemon's own (one owner of the
    /// database file per process; after a replaced store, the new one); on PostgreSQL a
    /// connection of its own, opened when needed and again after a failure.
    private static func notifierStore(current: StoreBox, config: Config) -> @Sendable () throws -> ChatStore {
        if !config.usesSharedStore {
            return {
                guard let store = current.value.withLock({ $0 }) else { throw StoreError(path: config.resolvedStorePath, message: "not open") }
                return store
            }
        }
        let own = StoreBox()
        let path = config.resolvedStorePath
        return {
            try own.value.withLock { (store) throws(StoreError) -> ChatStore in
                // The backend reconnects by itself after a broken connection.
                if let store { return store }
                let opened = try ChatStore(path: path)
                store = opened
                return opened
            }
        }
    }

    // MARK: - The loop

    /// The advisory lock that makes this daemon's name its own in a shared store.
    private static func nameLock(_ config: Config) -> String { "chatwarden-daemon:" + config.resolvedDaemonName }

    /// 0, or 1 when the daemon stopped because another took its name (shared store).
    private var exitStatus: Int32 = 0

    /// Runs until SIGTERM or SIGINT. Returns the exit status.
    public func run() -> Int32 {
        tailer.discover()
        logEvents()
        updateWatches()
        notifier.ready(status: statusLine())
        notifier_?.start()
        logger.notice("chatwarden is running", metadata: [
            "watch": "\(config.watch.joined(separator: " "))", "files": "\(tailer.fileCount)",
            "store": "\(pipeline.store.path)", "mode": "\(inotifyFD >= 0 ? "inotify" : "poll")",
        ])
        while !stopping {
            checkStore()
            processAvailable()
            if stopping { break }
            wait()
            tailer.discover()
            logEvents()
            updateWatches()
        }
        notifier.stopping()
        pipeline.confirmAlertLog()
        notifier_?.stop()
        logger.notice("chatwarden stopped", metadata: [
            "messages": "\(messagesRead)", "alerts": "\(alertsRaised)", "quarantined": "\(quarantined)",
        ])
        return exitStatus
    }

    /// Whether the store file is still the one we opened. A deleted or replaced store (an
    /// operator removed a corrupted file, a restore from backup) means: open a new store and read
    /// the archive again from the start; alert ids are deterministic, the alert log is checked so
    /// no line is written twice, and nothing already read is lost.
    @discardableResult
    func checkStore() -> Bool {
        if pipeline.store.isShared {
            // No file to lose, and the connection reopens by itself; but the name lock goes with
            // a lost connection. It is taken again here (free while the connection lasts); if
            // another daemon took the name meanwhile, stop rather than race it over the same
            // checkpoints. A server that cannot be reached says nothing either way: carry on.
            guard (try? pipeline.store.tryLock(Self.nameLock(config))) == false else { return true }
            logger.critical("another daemon took this daemon's name while the connection to the store was lost; stopping", metadata: [
                "daemon": "\(config.resolvedDaemonName)", "store": "\(pipeline.store.path)",
            ])
            exitStatus = 1
            stopping = true
            return false
        }
        let current = FileIdentity.of(path: pipeline.store.path)?.0
        guard current != storeIdentity || current == nil else { return true }
        logger.error("the store file was deleted or replaced; opening a new one and reading the archive again from the start", metadata: [
            "store": "\(pipeline.store.path)",
        ])
        notifier.status("store file lost; rebuilding from the archive")
        do {
            let fresh = try Pipeline(config: config, logger: logger)
            fresh.rememberLoggedAlerts()
            let newTailer = Tailer(patterns: config.watch, checkpoints: try fresh.store.checkpoints(), maxLineBytes: config.maxLineBytes)
            newTailer.eventTime = fresh.lineTime
            windows = try fresh.makeWindowEngine(restore: true)
            pipeline = fresh
            tailer = newTailer
            storeIdentity = fresh.store.fileIdentity
            currentStore.value.withLock { $0 = fresh.store }
            tailer.discover()
            updateWatches()
            return false
        } catch {
            logger.error("cannot open a new store; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Reads and commits batches until nothing complete is left to read.
    func processAvailable() {
        while !stopping {
            let batch = tailer.read(maxLines: config.batchSize)
            logEvents()
            if batch.isEmpty { break }
            let detectStart = Tailer.now()
            let prepared: PreparedBatch
            if windows.sharedPrefixes.isEmpty {
                var ready = pipeline.prepare(batch.lines, scratch: scratch, windows: windows, persistWindows: true)
                ready.record.checkpoints = batch.checkpoints
                ready.record.removedCheckpoints = batch.finished
                let commitStart = Tailer.now()
                commit(ready.record)
                metrics.detectSeconds += commitStart - detectStart
                metrics.commitSeconds += Tailer.now() - commitStart
                prepared = ready
            } else {
                // A shared store: the rules over time run inside the commit (see
                // Pipeline.commitSharingWindows), so their time counts as commit time.
                var examined = pipeline.examine(batch.lines, scratch: scratch)
                examined.record.checkpoints = batch.checkpoints
                examined.record.removedCheckpoints = batch.finished
                let commitStart = Tailer.now()
                commitSharingWindows(&examined)
                metrics.detectSeconds += commitStart - detectStart
                metrics.commitSeconds += Tailer.now() - commitStart
                prepared = examined
                sharedBatches += 1
                if sharedBatches % 500 == 0 {
                    do { try pipeline.store.expireSharedWindows(before: windows.expiryHorizon) } catch {
                        logger.warning("cannot expire old shared window state; will retry", metadata: ["error": "\(error)"])
                    }
                }
            }
            metrics.batches += 1
            messagesRead += prepared.record.messages.count
            alertsRaised += prepared.alerts.count
            quarantined += prepared.record.quarantine.count
            metrics.messages = messagesRead
            metrics.quarantined = quarantined
            for alert in prepared.alerts { metrics.alerts[alert.category + "\u{1F}" + alert.severity.rawValue, default: 0] += 1 }
            if let newest = prepared.record.messages.map(\.msgtime).max() { metrics.newestProcessedMs = max(metrics.newestProcessedMs, newest) }
            heartbeat()
            handleSignals()
        }
        heartbeat()
    }

    /// Batches committed with shared windows (old shared state is expired every 500).
    private var sharedBatches = 0

    /// ``commit(_:)`` for a shared store: the rules over time run in the transaction, so after a
    /// failure the window state is rebuilt from what the store committed before trying again.
    private func commitSharingWindows(_ batch: inout PreparedBatch) {
        var failed = false
        retryingCommit {
            if failed {
                let fresh = try pipeline.makeWindowEngine(restore: true)
                fresh.settings = windows.settings
                windows = fresh
            }
            failed = true
            try pipeline.commitSharingWindows(&batch, windows: windows)
        }
    }

    /// Commits, retrying the same batch until it succeeds (disk full, store locked away, ...):
    /// the lines are held in memory and the checkpoint does not move, so nothing is lost. If the
    /// store file is replaced meanwhile, the batch is dropped: everything is read again anyway.
    private func commit(_ record: RecordBatch) {
        retryingCommit { try pipeline.commit(record) }
    }

    /// Runs `attempt` until it succeeds, with backoff from 0.2 s to 10 s, saying why each time;
    /// gives up when the store was replaced (``checkStore()``) or a stop is requested.
    private func retryingCommit(_ attempt: () throws -> Void) {
        var delay = 0.2
        while true {
            do {
                try attempt()
                return
            } catch {
                if !checkStore() { return }
                metrics.commitFailures += 1
                logger.error("cannot commit to the store; retrying", metadata: ["error": "\(error)", "retry_in_s": "\(delay)"])
                notifier.status("store error, retrying: \(error)")
                // Keep the watchdog fed: the loop is alive, the store is not.
                notifier.watchdog()
                sleepInterruptibly(seconds: delay)
                handleSignals()
                if stopping {
                    logger.error("stopping with an uncommitted batch; it will be read again at start-up")
                    return
                }
                delay = min(delay * 2, 10)
            }
        }
    }

    /// Waits for inotify, a signal, or the poll interval (shortened to keep the watchdog fed).
    private func wait() {
        var timeout = Double(config.pollIntervalMilliseconds) / 1000
        if let interval = notifier.watchdogInterval { timeout = min(timeout, interval) }
        var fds = [pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0)]
        let inotifyIndex = inotifyFD >= 0 ? fds.count : -1
        if inotifyFD >= 0 { fds.append(pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)) }
        let metricsIndex = metricsServer != nil ? fds.count : -1
        if let metricsServer { fds.append(pollfd(fd: metricsServer.descriptor, events: Int16(POLLIN), revents: 0)) }
        let rc = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000))
        if rc > 0 && inotifyIndex >= 0 && fds[inotifyIndex].revents != 0 { drainInotify() }
        if rc > 0 && metricsIndex >= 0 && fds[metricsIndex].revents != 0 { serveMetrics() }
        handleSignals()
    }

    /// Answers Prometheus scrapes with the current figures.
    private func serveMetrics() {
        metricsServer?.serve {
            var current = metrics
            if let counters = notifier_?.counters {
                current.notificationsDelivered = counters.delivered
                current.notificationFailures = counters.failures
            }
            current.filesFollowed = tailer.fileCount
            current.backlogBytes = tailer.backlogBytes
            current.newestArchiveChange = tailer.newestModification
            return current.render()
        }
    }

    private func drainInotify() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while buffer.withUnsafeMutableBytes({ read(inotifyFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    private func sleepInterruptibly(seconds: Double) {
        var fds = [pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(seconds * 1000))
    }

    private func handleSignals() {
        var byte: UInt8 = 0
        while read(signalRead, &byte, 1) == 1 {
            switch Int32(byte) {
            case SIGHUP: reload()
            case SIGTERM, SIGINT:
                if !stopping { logger.notice("stop requested; draining") }
                stopping = true
            default: break
            }
        }
    }

    /// SIGHUP: reload the configuration file and the rules. A broken new configuration keeps the
    /// old one running.
    func reload() {
        notifier.reloading()
        var newConfig = config
        if let configPath {
            do {
                newConfig = try Config.load(file: configPath)
                newConfig.stateDirectory = config.stateDirectory
                newConfig.storePath = config.storePath
                newConfig.storeOverride = config.storeOverride
                // Like the store, the name holds until restart (it keys this daemon's checkpoints).
                newConfig.daemonName = config.daemonName
                // Command-line options still override the file.
                if config.watchFromCommandLine {
                    newConfig.watch = config.watch
                    newConfig.watchFromCommandLine = true
                }
            } catch {
                logger.error("reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
                notifier.ready(status: "reload failed, running the previous configuration: \(error)")
                return
            }
        }
        do {
            try Self.checkChannels(newConfig)
            pipeline = try pipeline.reloaded(config: newConfig)
        } catch {
            logger.error("reload failed: keeping the running configuration and rules", metadata: ["error": "\(error.description)"])
            notifier.ready(status: "reload failed, running the previous rules: \(error.message)")
            return
        }
        config = newConfig
        windows.settings = newConfig.windows
        tailer.patterns = newConfig.watch
        updateWatches()
        logger.notice("reloaded", metadata: [
            "categories": "\(pipeline.rules.categories.count)", "words": "\(pipeline.rules.words.count)",
            "patterns": "\(pipeline.rules.patterns.count)",
        ])
        notifier.ready(status: statusLine())
    }

    private func heartbeat() {
        let now = Tailer.now()
        if let interval = notifier.watchdogInterval, now - lastWatchdog >= interval / 2 {
            notifier.watchdog()
            lastWatchdog = now
        }
        if now - lastStatus >= 2 {
            notifier.status(statusLine())
            lastStatus = now
        }
    }

    func statusLine() -> String {
        "following \(tailer.fileCount) file(s); \(messagesRead) messages, \(alertsRaised) alerts, "
            + "\(quarantined) quarantined since start; backlog \(tailer.backlogBytes) bytes"
    }

    private func logEvents() {
        for event in tailer.takeEvents() {
            let metadata: Logger.Metadata = ["file": "\(event.path)", "event": "\(event.kind.rawValue)", "detail": "\(event.detail)"]
            if event.kind == .error {
                logger.error("archive file problem", metadata: metadata)
            } else {
                logger.info("archive file", metadata: metadata)
            }
        }
    }
}
