import ArgumentParser
import Logging
import Pipeline
import Service
import Store
import Config
import Console
import Rules
import Alerts
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turning command-line options into a configuration, a logger, a pipeline or a store, with
/// the errors a person can act on (exit 2 for bad configuration).
enum Setup {
    nonisolated(unsafe) private static var loggingReady = false

    /// The logger; `defaultLevel` when --log-level is not given (the daemon logs `info`, the
    /// other commands `warning`, as `--help` says).
    static func logger(
        _ options: CommonOptions, format: LineLogHandler.Format = .text, defaultLevel: Logger.Level = .warning
    ) -> Logger {
        let level = options.logLevel ?? defaultLevel
        if !loggingReady {
            loggingReady = true
            LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level, format: format) }
        }
        return Logger(label: "chatwarden")
    }

    static func config(_ options: CommonOptions) throws -> Config {
        var config: Config
        if let file = options.config {
            do {
                config = try Config.load(file: file)
            } catch {
                Terminal.error("chatwarden: bad configuration: \(error)")
                throw ExitCode(2)
            }
        } else {
            config = Config()
        }
        if let dir = options.stateDir {
            config.stateDirectory = dir
        }
        if let store = options.store {
            config.storeOverride = store
        }
        // One time zone for every table, CSV, report and robot message of this process.
        if let zone = config.review.timezone { TimeFormat.use(zone: zone) }
        return config
    }

    /// The language of what this process prints: zh-CN when `LANG` (or `LC_ALL`,
    /// `LC_MESSAGES`) says `zh_CN.*`.
    static let language = Language.fromEnvironment()

    /// What the review commands need: the configuration, the store, and the labels.
    static func review(_ options: CommonOptions) throws -> (Config, ChatStore, Labels) {
        let config = try config(options)
        return (config, try store(options), try labels(config))
    }

    /// Display names and the wordlists' titles and guidance, for people to read.
    static func labels(_ config: Config, language: Language = Setup.language) throws -> Labels {
        var names = NameDirectory()
        if let file = config.review.namesFile {
            do {
                names = try NameDirectory.load(file)
            } catch {
                Terminal.error("chatwarden: bad names file: \(error)")
                throw ExitCode(2)
            }
        }
        let rules = WordlistLoader(limits: config.limits).load(paths: config.wordlists)
        var titles: [String: String] = [:]
        var guidance: [String: String] = [:]
        for category in rules.categories {
            titles[category.id] = category.title
            if !category.action.isEmpty { guidance[category.id] = category.action }
        }
        return Labels(language: language, names: names, categoryTitles: titles, guidance: guidance)
    }

    static func pipeline(_ config: Config, logger: Logger, reason: String = "start") throws -> Pipeline {
        do {
            return try Pipeline(config: config, logger: logger, reason: reason)
        } catch {
            Terminal.error("chatwarden: \(error)")
            throw ExitCode(2)
        }
    }

    /// A pipeline on a store in memory (`rules test --file`, `rules diff`); bad rules are exit 2.
    static func inMemoryPipeline(_ config: Config, logger: Logger) throws -> Pipeline {
        do {
            return try Pipeline.inMemory(config: config, logger: logger)
        } catch {
            Terminal.error("chatwarden: \(error)")
            throw ExitCode(2)
        }
    }

    /// Opens the store for the review commands.
    static func store(_ options: CommonOptions) throws -> ChatStore {
        let config = try config(options)
        let path = config.resolvedStorePath
        if !config.usesSharedStore {
            // Say whether the store is missing or kept from this user ("permission denied: DIR"),
            // never "no store yet" for a store that is there but unreadable.
            let exists = access(path, F_OK) == 0
            let code = errno
            if !exists && code == ENOENT {
                Terminal.error(
                    "chatwarden: no store at \(path) yet: run `chatwarden scan` or the daemon first, or pass --state-dir"
                )
                throw ExitCode(1)
            }
            if !exists || access(path, R_OK | W_OK) != 0 {
                let why = exists ? errno : code
                Terminal.error(
                    "chatwarden: \(path): \(StoreError.describeAccess(path: path, errno: why, doing: "open the store"))"
                )
                throw ExitCode(1)
            }
        }
        do {
            return try ChatStore(path: path, daemon: config.resolvedDaemonName)
        } catch {
            Terminal.error("chatwarden: \(error)")
            throw ExitCode(1)
        }
    }
}
