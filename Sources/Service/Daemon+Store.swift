import Config
import Ingest
import Logging
import Pipeline
import Store
import Synchronization
import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The daemon and its store: opening it (waiting out a store that cannot be opened), owning its
/// name in a shared store, noticing a store file replaced under it, giving the notifier its store.
extension Daemon {
    /// A store reference handed between threads.
    final class StoreBox: Sendable {
        let value = Mutex<ChatStore?>(nil)
    }

    /// The pipeline with its store. A store that cannot be opened (corrupted, disk full) is
    /// waited out, not a crash loop: say why every few seconds and try again until it works or
    /// we are told to stop.
    static func openPipeline(
        config: Config, logger: Logger, systemd: SystemdNotifier, signals: SignalPipe
    ) throws(PipelineError) -> Pipeline {
        while true {
            do {
                return try Pipeline(config: config, logger: logger)
            } catch  where error.isStoreFault {
                logger.error("cannot open the store; retrying in 5 s", metadata: ["error": "\(error.message)"])
                systemd.status("cannot open the store, retrying: \(error.message)")
                if signals.wait(seconds: 5).contains(where: SignalPipe.isStop) {
                    throw PipelineError(message: "stopped while waiting for the store")
                }
            }
        }
    }

    /// The advisory lock that makes this daemon's name its own in a shared store.
    var nameLock: String { "chatwarden-daemon:" + config.resolvedDaemonName }

    /// In a shared store, a daemon's name owns its checkpoints and window state: a second daemon
    /// with the same name would read the same checkpoints and race the first. A daemon killed a
    /// moment ago may still hold the lock until the server notices its connection is gone: wait
    /// a little before calling the name taken.
    func takeName() throws(PipelineError) {
        guard pipeline.store.isShared else { return }
        let name = config.resolvedDaemonName
        do {
            var locked = try pipeline.store.tryLock(nameLock)
            let deadline = MonotonicClock.seconds() + 10
            while !locked && MonotonicClock.seconds() < deadline {
                usleep(250_000)
                locked = try pipeline.store.tryLock(nameLock)
            }
            guard locked else {
                throw PipelineError(
                    message: """
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

    /// Whether the store is still the one we opened (false: the batch in hand is to be dropped).
    ///
    /// A deleted or replaced store file (an operator removed a corrupted file, a restore from
    /// backup) means: open a new store and read the archive again from the start; alert ids are
    /// deterministic, the alert log is checked so no line is written twice, and nothing already
    /// read is lost. A shared store has no file to lose and reconnects by itself, but the name
    /// lock goes with a lost connection: it is taken again here (free while the connection
    /// lasts); if another daemon took the name meanwhile, stop rather than race it over the same
    /// checkpoints. A server that cannot be reached says nothing either way: carry on.
    @discardableResult
    func checkStore() -> Bool {
        if pipeline.store.isShared {
            guard (try? pipeline.store.tryLock(nameLock)) == false else { return true }
            logger.critical(
                "another daemon took this daemon's name while the connection to the store was lost; stopping",
                metadata: [
                    "daemon": "\(config.resolvedDaemonName)", "store": "\(pipeline.store.path)",
                ])
            exitStatus = 1
            stopping = true
            return false
        }
        let current = FileIdentity.of(path: pipeline.store.path)?.0
        guard current != storeIdentity || current == nil else { return true }
        logger.error(
            "the store file was deleted or replaced; opening a new one and reading the archive again from the start",
            metadata: [
                "store": "\(pipeline.store.path)"
            ])
        systemd.status("store file lost; rebuilding from the archive")
        do {
            let fresh = try Pipeline(config: config, logger: logger)
            fresh.rememberLoggedAlerts()
            let tailer = Self.tailer(config, fresh, try fresh.store.checkpoints())
            windows = try Self.windowStrategy(fresh)
            pipeline = fresh
            storeIdentity = fresh.store.fileIdentity
            currentStore.value.withLock { $0 = fresh.store }
            follower.replaceTailer(tailer)
            return false
        } catch {
            logger.error("cannot open a new store; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

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
    /// connection of its own (its channel locks belong to its session), opened when first
    /// needed; the backend reconnects by itself after a broken connection.
    static func notifierStore(current: StoreBox, config: Config) -> @Sendable () throws -> ChatStore {
        if !config.usesSharedStore {
            return {
                guard let store = current.value.withLock({ $0 }) else {
                    throw StoreError(path: config.resolvedStorePath, message: "not open")
                }
                return store
            }
        }
        let own = StoreBox()
        let path = config.resolvedStorePath
        return {
            try own.value.withLock { (store) throws(StoreError) -> ChatStore in
                if let store { return store }
                let opened = try ChatStore(path: path)
                store = opened
                return opened
            }
        }
    }
}
