public import Archive
public import PCRE2
import Rules

public import Detect
import Support
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// chatwarden's settings: one TOML file, every setting with a default, so `chatwarden scan
/// samples/` works with no file at all. `config/chatwarden.toml` documents every key.
public struct Config: Sendable, Equatable {
    /// Where the store and (by default) the alert log live.
    public var stateDirectory: String
    /// The SQLite database (default `<state_dir>/chatwarden.db`).
    public var storePath: String?
    /// The alert log (default `<state_dir>/alerts.jsonl`; empty string: no alert log).
    public var alertLogPath: String?
    /// Wordlist files and directories.
    public var wordlists: [String]
    /// The configuration says `wordlists = []`: running without words is meant, not a mistake.
    public var wordlistsChosenEmpty = false
    /// Contact detectors to run (ids such as `contact.phone`); `nil`: all.
    public var detectors: [String]?
    public var limits: Limits
    public var jit: Bool
    public var archiveFormat: ArchiveFormat
    public var mapping: FieldMapping
    public var maxLineBytes: Int
    public var maxJSONDepth: Int
    /// Lines per store transaction.
    public var batchSize: Int
    /// Daemon: glob patterns of archive files to follow.
    public var watch: [String]
    /// Daemon: how changes to the archive are noticed.
    public var watchMode: WatchMode
    /// The store given on the command line (`--store`), before `$CHATWARDEN_STORE` and the file.
    public var storeOverride: String?
    /// `watch` came from the command line (--watch): a reload keeps it.
    public var watchFromCommandLine = false
    /// Daemon: its name in a shared (PostgreSQL) store; nil: the host name.
    public var daemonName: String?
    /// Whose quarantine a shared store files this run's undecodable lines under; nil: the
    /// daemon's name. Every `scan` runs under a name of its own (so no daemon takes its alerts)
    /// but files its quarantine under one name, so a rescan does not quarantine a line again.
    public var quarantineName: String? = nil
    public var pollIntervalMilliseconds: Int
    /// The rules over time.
    public var windows: WindowSettings
    /// The company's own channels (`[company]`): contact details that are never flagged.
    public var company = CompanyChannels()
    /// Notification channels (`[notify.NAME]` tables).
    public var notifications: [NotificationChannel]
    /// The review desk: time zone, names, four-eyes, the console, staff groups.
    public var review = ReviewSettings()
    /// Image files beside the archive (`[media]`).
    public var media = MediaSettings()
    /// Daemon: where to serve Prometheus metrics (`127.0.0.1:9464`, `unix:/path`); nil: off.
    public var metricsListen: String?
    /// The file the settings were read from (nil: defaults).
    public var sourceFile: String?

    public init() {
        stateDirectory = Config.defaultStateDirectory()
        storePath = nil
        alertLogPath = nil
        wordlists = Config.defaultWordlists()
        detectors = nil
        limits = .default
        jit = true
        archiveFormat = .wecom
        mapping = FieldMapping()
        maxLineBytes = 1 << 20
        maxJSONDepth = 64
        batchSize = 2000
        watch = []
        watchMode = .inotify
        daemonName = nil
        storeOverride = nil
        pollIntervalMilliseconds = 1000
        windows = WindowSettings()
        metricsListen = nil
        notifications = []
        sourceFile = nil
    }

    /// The database file, or a `postgres://` URL for a store shared by several daemons
    /// (`store` in the file, overridden by `$CHATWARDEN_STORE`).
    public var resolvedStorePath: String {
        if let storeOverride { return storeOverride }
        if let v = Config.environment("CHATWARDEN_STORE") { return v }
        return storePath ?? Config.join(stateDirectory, "chatwarden.db")
    }

    /// Whether the store is PostgreSQL (shared) rather than a SQLite file.
    public var usesSharedStore: Bool { StoreLocation.isPostgres(resolvedStorePath) }

    /// What a daemon name may be (it keys checkpoints and locks in a shared store).
    public static func isValidDaemonName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    public static let daemonNameRule = "must be 1–64 letters, digits, '-', '_' or '.'"

    /// This daemon's name in the store: what its checkpoints, window state and alert-log
    /// confirmations are kept under. A SQLite store has one daemon, named "". In a shared store
    /// it is `[daemon] name`, or the host name: two daemons on one host need names of their own.
    public var resolvedDaemonName: String {
        guard usesSharedStore else { return "" }
        if let daemonName { return daemonName }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "chatwarden" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The alert log, or nil when disabled.
    public var resolvedAlertLogPath: String? {
        if let alertLogPath { return alertLogPath.isEmpty ? nil : alertLogPath }
        if let logs = Config.environment("LOGS_DIRECTORY") { return Config.join(logs, "alerts.jsonl") }
        return Config.join(stateDirectory, "alerts.jsonl")
    }

    /// The message decoder the archive format asks for.
    public var decoder: any MessageDecoder {
        archiveFormat == .mapped
            ? MappedDecoder(mapping: mapping, maxDepth: maxJSONDepth) : WeComDecoder(maxDepth: maxJSONDepth)
    }

    public var jitMode: JITMode { jit ? .automatic : .disabled }

    // MARK: - Defaults

    /// `$CHATWARDEN_STATE_DIR`, systemd's `$STATE_DIRECTORY`, `$XDG_STATE_HOME/chatwarden`, or
    /// `~/.local/state/chatwarden`.
    static func defaultStateDirectory() -> String {
        if let dir = environment("CHATWARDEN_STATE_DIR") { return dir }
        if let dir = environment("STATE_DIRECTORY") { return dir }
        if let dir = environment("XDG_STATE_HOME") { return join(dir, "chatwarden") }
        if let home = environment("HOME") { return join(home, ".local/state/chatwarden") }
        return "/var/lib/chatwarden"
    }

    /// Where the shipped wordlists are, wherever the binary runs from: `$CHATWARDEN_WORDLISTS`,
    /// `./wordlists`, the installed `/etc/chatwarden/wordlists`, the share directory beside the
    /// installed binary (`<prefix>/share/chatwarden/wordlists`), or the repository a built binary
    /// sits in (`.build/…/chatwarden` → `wordlists/`). Nothing found: no words, which the pipeline
    /// refuses unless the configuration says `wordlists = []`.
    static func defaultWordlists() -> [String] {
        if let dirs = environment("CHATWARDEN_WORDLISTS") {
            return dirs.split(separator: ":").map(String.init)
        }
        return wordlistCandidates().first(where: isDirectory).map { [$0] } ?? []
    }

    /// The places ``defaultWordlists()`` looks, in order.
    public static func wordlistCandidates() -> [String] {
        var candidates = ["wordlists", "/etc/chatwarden/wordlists"]
        if let exe = executableDirectory() {
            candidates.append(join(exe, "../share/chatwarden/wordlists"))
            // A binary in the build tree: the repository is a few levels up.
            var dir = exe
            for _ in 0..<4 {
                dir = join(dir, "..")
                if access(join(dir, "Package.swift"), F_OK) == 0 { candidates.append(join(dir, "wordlists")) }
            }
        }
        candidates.append("/usr/local/share/chatwarden/wordlists")
        return candidates
    }

    /// The directory of the running executable (symlinks resolved).
    static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
