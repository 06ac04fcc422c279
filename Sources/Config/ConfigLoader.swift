import Detect
import Support
import PCRE2
import Vocabulary
import Alerts
import Archive

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Config {
    /// Reads a configuration file. Unknown keys are errors (a typo must not silently fall back
    /// to a default), and so are values of the wrong type.
    public static func load(file: String) throws(ConfigError) -> Config {
        guard var bytes = FileIO.readAll(file) else {
            throw ConfigError(
                file: file, line: 0, column: 0, key: nil,
                message: FileIO.describe(errno: errno, reading: "the configuration file"))
        }
        // Windows Notepad starts a UTF-8 file with a byte-order mark: it is not part of the text.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(
                file: file, line: 0, column: 0, key: nil, message: "not valid UTF-8 (save the file as UTF-8)")
        }
        return try parse(text, file: file)
    }

    /// Parses configuration text; relative paths are kept as written.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> Config {
        try refuseControlCharacters(text, file: file)
        let table: TOML.Table
        do {
            table = try TOML.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, column: error.column, key: nil, message: error.message)
        }
        var config = Config()
        config.sourceFile = file
        let reader = TableReader(table: table, section: nil, file: file)
        try reader.check(known: [
            "state_dir", "store", "alert_log", "rules", "archive", "daemon", "windows", "metrics", "notify", "company",
            "review", "web", "groups", "retention", "sampling", "media",
        ])
        if let v = try reader.string("state_dir") { config.stateDirectory = v }
        if let v = try reader.string("store") { config.storePath = v }
        if let v = try reader.string("alert_log") { config.alertLogPath = v }

        if let rules = try reader.table("rules") { try readRules(rules, into: &config) }
        if let archive = try reader.table("archive") { try readArchive(archive, into: &config) }
        if let daemon = try reader.table("daemon") { try readDaemon(daemon, into: &config) }
        if let notify = try reader.table("notify") { try readNotify(notify, into: &config) }
        if let metrics = try reader.table("metrics") { try readMetrics(metrics, into: &config) }
        if let windows = try reader.table("windows") { try readWindows(windows, into: &config) }
        if let company = try reader.table("company") { try readCompany(company, into: &config) }
        if let review = try reader.table("review") { try readReview(review, into: &config) }
        if let web = try reader.table("web") { try readWeb(web, into: &config) }
        if let groups = try reader.table("groups") { try readGroups(groups, into: &config) }
        if let media = try reader.table("media") {
            try media.check(known: [
                "dir", "paths", "max_bytes", "max_pixels", "ocr", "ocr_languages", "tessdata", "ocr_seconds",
                "ocr_min_confidence", "ocr_max_pixels", "decode_seconds",
            ])
            config.media.directory = try media.string("dir")
            if let paths = try media.strings("paths") {
                for path in paths where path.contains("..") || path.hasPrefix("/") {
                    throw media.error("paths", "'\(path)' must stay inside dir (no leading / and no ..)")
                }
                config.media.templates = paths
            }
            if let v = try media.int("max_bytes", in: 1_024...1 << 30) { config.media.maxBytes = v }
            if let v = try media.int("max_pixels", in: 10_000...400_000_000) { config.media.maxPixels = v }
            if let v = try media.bool("ocr") { config.media.ocr = v }
            if let v = try media.string("ocr_languages") {
                guard !v.isEmpty, v.split(separator: "+").allSatisfy({ $0.allSatisfy { $0.isLetter || $0 == "_" } })
                else {
                    throw media.error(
                        "ocr_languages", "'\(v)' is not a list of Tesseract languages such as chi_sim+eng")
                }
                config.media.ocrLanguages = v
            }
            config.media.tessdata = try media.string("tessdata") ?? config.media.tessdata
            if let v = try media.int("ocr_seconds", in: 1...600) { config.media.ocrMilliseconds = v * 1000 }
            if let v = try media.int("ocr_min_confidence", in: 0...100) { config.media.ocrMinConfidence = v }
            if let v = try media.int("ocr_max_pixels", in: 100_000...100_000_000) { config.media.ocrMaxPixels = v }
            if let v = try media.int("decode_seconds", in: 2...3_600) { config.media.decodeSeconds = v }
            if config.media.decodeSeconds * 1000 <= config.media.ocrMilliseconds {
                throw media.error(
                    "decode_seconds",
                    "\(config.media.decodeSeconds) must be above ocr_seconds (\(config.media.ocrMilliseconds / 1000)): text reading stops at ocr_seconds and keeps what it read; decode_seconds kills the decoder"
                )
            }
        }
        if let sampling = try reader.table("sampling") {
            // Percentages (the configuration reader takes integers, not decimals).
            try sampling.check(known: ["quiet_percent", "dismissed_percent"])
            if let v = try sampling.int("quiet_percent", in: 0...100) {
                config.review.quietSampleRate = Double(v) / 100
            }
            if let v = try sampling.int("dismissed_percent", in: 0...100) {
                config.review.dismissedSampleRate = Double(v) / 100
            }
        }
        if let retention = try reader.table("retention") {
            try retention.check(known: ["messages_days", "alerts_days"])
            config.review.messageRetentionDays = try retention.int("messages_days", in: 1...36_500)
            config.review.alertRetentionDays = try retention.int("alerts_days", in: 1...36_500)
        }
        return config
    }

    /// `[review]`: time zone, display names, four-eyes.
    private static func readReview(_ review: TableReader, into config: inout Config) throws(ConfigError) {
        try review.check(known: ["timezone", "names", "four_eyes"])
        if let v = try review.string("timezone") {
            guard TimeFormat.isKnownZone(v) else {
                throw review.error("timezone", "'\(v)' is not a time zone (an IANA name such as Asia/Shanghai)")
            }
            config.review.timezone = v
        }
        if let v = try review.string("names") { config.review.namesFile = v }
        if let v = try review.bool("four_eyes") { config.review.fourEyes = v }
    }

    /// `[web]`: where the console listens, its sessions and cookies.
    private static func readWeb(_ web: TableReader, into config: inout Config) throws(ConfigError) {
        try web.check(known: ["listen", "session_minutes", "secure_cookies"])
        if let v = try web.string("listen") {
            guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]),
                (1...65535).contains(port)
            else { throw web.error("listen", "must be HOST:PORT, such as 127.0.0.1:8480, got '\(v)'") }
            config.review.listen = v
        }
        if let v = try web.int("session_minutes", in: 5...10_080) { config.review.sessionMinutes = v }
        if let v = try web.string("secure_cookies") {
            guard let s = ReviewSettings.SecureCookies(rawValue: v) else {
                throw web.error("secure_cookies", "must be \"auto\", \"always\" or \"never\"")
            }
            config.review.secureCookies = s
        }
    }

    /// `[groups.NAME]`: staff groups and the reviewers who cover them.
    private static func readGroups(_ groups: TableReader, into config: inout Config) throws(ConfigError) {
        for name in groups.table.order {
            guard let group = try groups.table(name) else { continue }
            try group.check(known: ["staff", "reviewers"])
            config.review.groups.append(
                StaffGroup(
                    name: name, staff: try group.strings("staff") ?? [], reviewers: try group.strings("reviewers") ?? []
                ))
        }
    }

    /// TOML allows no control characters but tab (and line endings): refused first, with their
    /// place, so the rest of the parser never meets them.
    private static func refuseControlCharacters(_ text: String, file: String) throws(ConfigError) {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x0A {
                line += 1
                column = 1
                continue
            }
            if (v < 0x20 && v != 0x09 && v != 0x0D) || v == 0x7F {
                let hex = String(v, radix: 16, uppercase: true)
                throw ConfigError(
                    file: file, line: line, column: column, key: nil,
                    message:
                        "control character U+\(String(repeating: "0", count: 4 - hex.count) + hex) is not allowed in TOML"
                )
            }
            column += 1
        }
    }

    /// `[rules]`.
    private static func readRules(_ rules: TableReader, into config: inout Config) throws(ConfigError) {
        try rules.check(known: ["wordlists", "detectors", "match_limit", "depth_limit", "heap_limit_kib", "jit"])
        if let v = try rules.strings("wordlists") {
            config.wordlists = v
            // `wordlists = []` on purpose: contact detectors and rules over time only, no words.
            config.wordlistsChosenEmpty = v.isEmpty
        }
        if let v = try rules.strings("detectors") {
            for id in v where !ContactDetectors.allIDs.contains(id) {
                throw rules.error(
                    "detectors", "unknown detector '\(id)' (known: \(ContactDetectors.allIDs.joined(separator: ", ")))")
            }
            config.detectors = v
        }
        if let v = try rules.int("match_limit", in: 1_000...1_000_000_000) { config.limits.matchLimit = UInt32(v) }
        if let v = try rules.int("depth_limit", in: 100...1_000_000_000) { config.limits.depthLimit = UInt32(v) }
        if let v = try rules.int("heap_limit_kib", in: 64...4_000_000) { config.limits.heapLimitKiB = UInt32(v) }
        if let v = try rules.bool("jit") { config.jit = v }
    }

    /// `[archive]`.
    private static func readArchive(_ archive: TableReader, into config: inout Config) throws(ConfigError) {
        try archive.check(known: ["format", "max_line_bytes", "max_json_depth", "batch_size", "mapping"])
        if let v = try archive.string("format") {
            guard let format = ArchiveFormat(rawValue: v) else {
                throw archive.error("format", "must be \"wecom\" or \"mapped\"")
            }
            config.archiveFormat = format
        }
        if let v = try archive.int("max_line_bytes", in: 1024...(256 << 20)) { config.maxLineBytes = v }
        if let v = try archive.int("max_json_depth", in: 4...1000) { config.maxJSONDepth = v }
        if let v = try archive.int("batch_size", in: 1...100_000) { config.batchSize = v }
        if let mapping = try archive.table("mapping") {
            try mapping.check(known: [
                "msgid", "from", "text", "msgtime", "tolist", "roomid", "action", "msgtype", "recalled_msgid",
                "time_unit",
            ])
            if let v = try mapping.string("msgid") { config.mapping.msgid = v }
            if let v = try mapping.string("from") { config.mapping.from = v }
            if let v = try mapping.string("text") { config.mapping.text = v }
            if let v = try mapping.string("msgtime") { config.mapping.msgtime = v }
            if let v = try mapping.string("tolist") { config.mapping.tolist = v }
            if let v = try mapping.string("roomid") { config.mapping.roomid = v }
            if let v = try mapping.string("action") { config.mapping.action = v }
            if let v = try mapping.string("msgtype") { config.mapping.msgtype = v }
            if let v = try mapping.string("recalled_msgid") { config.mapping.recalledMsgid = v }
            if let v = try mapping.string("time_unit") {
                guard v == "ms" || v == "s" else { throw mapping.error("time_unit", "must be \"ms\" or \"s\"") }
                config.mapping.timeInSeconds = v == "s"
            }
        }
    }

    /// `[daemon]`.
    private static func readDaemon(_ daemon: TableReader, into config: inout Config) throws(ConfigError) {
        try daemon.check(known: ["watch", "mode", "poll_interval_ms", "name"])
        if let v = try daemon.string("name") {
            guard Config.isValidDaemonName(v) else { throw daemon.error("name", Config.daemonNameRule) }
            config.daemonName = v
        }
        if let v = try daemon.strings("watch") { config.watch = v }
        if let v = try daemon.string("mode") {
            guard let mode = WatchMode(rawValue: v) else {
                throw daemon.error("mode", "must be \"inotify\" or \"poll\"")
            }
            config.watchMode = mode
        }
        if let v = try daemon.int("poll_interval_ms", in: 10...3_600_000) { config.pollIntervalMilliseconds = v }
    }

    /// `[notify]`.
    private static func readNotify(_ notify: TableReader, into config: inout Config) throws(ConfigError) {
        for name in notify.table.order {
            guard let channel = try notify.table(name) else { continue }
            try channel.check(known: [
                "kind", "url", "url_file", "url_env", "min_severity", "categories", "immediate_severity",
                "digest_seconds",
                "per_minute",
            ])
            var n = NotificationChannel(name: name)
            if let v = try channel.string("kind") {
                guard let kind = NotificationChannel.Kind(rawValue: v) else {
                    throw channel.error("kind", "must be \"wecom-markdown\", \"wecom-text\" or \"json\"")
                }
                n.kind = kind
            }
            let url = try channel.string("url"), urlFile = try channel.string("url_file"),
                env = try channel.string("url_env")
            switch (url, urlFile, env) {
            case let (u?, nil, nil): n.url = .literal(u)
            case let (nil, f?, nil): n.url = .file(f)
            case let (nil, nil, e?): n.url = .environment(e)
            default:
                throw ConfigError(
                    file: notify.file, line: notify.table.lines[name] ?? 0, column: 1, key: "notify.\(name)",
                    message:
                        "give exactly one of url, url_file (a file holding the URL) or url_env (an environment variable)"
                )
            }
            if let v = try channel.string("min_severity") {
                guard let s = Severity(rawValue: v) else {
                    throw channel.error("min_severity", "must be low, medium, high or critical")
                }
                n.minimumSeverity = s
            }
            if let v = try channel.string("immediate_severity") {
                guard let s = Severity(rawValue: v) else {
                    throw channel.error("immediate_severity", "must be low, medium, high or critical")
                }
                n.immediateSeverity = s
            }
            if let v = try channel.strings("categories") { n.categories = Set(v) }
            if let v = try channel.int("digest_seconds", in: 1...86_400) { n.digestSeconds = v }
            if let v = try channel.int("per_minute", in: 1...600) { n.perMinute = v }
            config.notifications.append(n)
        }
    }

    /// `[metrics]`.
    /// `[company]`: the company's own channels, never flagged.
    private static func readCompany(_ company: TableReader, into config: inout Config) throws(ConfigError) {
        try company.check(known: ["phones", "domains", "emails", "accounts", "handles"])
        var c = CompanyChannels()
        func digits(_ key: String) throws(ConfigError) -> Set<String> {
            var out = Set<String>()
            for value in try company.strings(key) ?? [] {
                let d = String(value.filter { $0.isASCII && $0.isNumber })
                guard d.count >= 5 else { throw company.error(key, "'\(value)' is not a number (at least 5 digits)") }
                out.insert(d)
            }
            return out
        }
        c.phones = try digits("phones")
        c.accounts = try digits("accounts")
        c.domains = (try company.strings("domains") ?? []).map { $0.lowercased().trimmingPrefix("www.").description }
        c.emails = Set((try company.strings("emails") ?? []).map { $0.lowercased() })
        c.handles = Set((try company.strings("handles") ?? []).map { $0.lowercased() })
        config.company = c
    }

    private static func readMetrics(_ metrics: TableReader, into config: inout Config) throws(ConfigError) {
        try metrics.check(known: ["listen"])
        if let v = try metrics.string("listen") {
            // Loopback only: the metrics name staff ids and categories.
            guard
                v.hasPrefix("unix:/") || v.hasPrefix("127.0.0.1:") || v.hasPrefix("localhost:") || v.hasPrefix("[::1]:")
            else {
                throw metrics.error(
                    "listen", "must be a loopback address (127.0.0.1:PORT, [::1]:PORT) or unix:/path, got '\(v)'")
            }
            config.metricsListen = v
        }
    }

    /// `[windows]`.
    private static func readWindows(_ windows: TableReader, into config: inout Config) throws(ConfigError) {
        try windows.check(known: [
            "flood_count", "flood_window_s", "blast_conversations", "blast_window_s", "hits_count", "hits_window_s",
            "recall_window_s", "new_member_window_s", "allowed_lateness_s", "max_keys", "member_memory_days",
            "split_window_s", "disabled",
        ])
        var w = config.windows
        if let v = try windows.int("flood_count", in: 2...100_000) { w.floodCount = v }
        if let v = try windows.int("flood_window_s", in: 1...86_400) { w.floodWindowMs = Int64(v) * 1000 }
        if let v = try windows.int("blast_conversations", in: 2...100_000) { w.blastConversations = v }
        if let v = try windows.int("blast_window_s", in: 1...604_800) { w.blastWindowMs = Int64(v) * 1000 }
        if let v = try windows.int("hits_count", in: 2...100_000) { w.hitsCount = v }
        if let v = try windows.int("hits_window_s", in: 1...604_800) { w.hitsWindowMs = Int64(v) * 1000 }
        if let v = try windows.int("recall_window_s", in: 1...86_400) { w.recallWindowMs = Int64(v) * 1000 }
        if let v = try windows.int("new_member_window_s", in: 1...604_800) { w.newMemberWindowMs = Int64(v) * 1000 }
        if let v = try windows.int("allowed_lateness_s", in: 0...86_400) { w.allowedLatenessMs = Int64(v) * 1000 }
        if let v = try windows.int("max_keys", in: 1_000...100_000_000) { w.maxKeys = v }
        if let v = try windows.int("member_memory_days", in: 1...3650) { w.memberMemoryMs = Int64(v) * 86_400_000 }
        if let v = try windows.int("split_window_s", in: 0...3_600) { w.splitWindowMs = Int64(v) * 1000 }
        if let v = try windows.strings("disabled") {
            for id in v where !WindowSettings.ruleIDs.contains(id) {
                throw windows.error(
                    "disabled", "unknown rule '\(id)' (known: \(WindowSettings.ruleIDs.joined(separator: ", ")))")
            }
            w.disabled = Set(v)
        }
        config.windows = w
    }

}

/// Reads typed values from one TOML table, turning problems into errors that name the line.
struct TableReader {
    let table: TOML.Table
    let section: String?
    let file: String

    func qualified(_ key: String) -> String { section.map { "\($0).\(key)" } ?? key }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: table.lines[key] ?? 0, column: 1, key: qualified(key), message: message)
    }

    func check(known: Set<String>) throws(ConfigError) {
        for key in table.order where !known.contains(key) {
            throw error(key, "unknown setting (known here: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = table.entries[key] else { return nil }
        guard case .string(let s) = value else { throw error(key, "must be a string") }
        return s
    }

    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = table.entries[key] else { return nil }
        if case .string(let s) = value { return [s] }
        guard case .array(let array) = value else { throw error(key, "must be a list of strings") }
        var result: [String] = []
        for element in array {
            guard case .string(let s) = element else { throw error(key, "must be a list of strings") }
            result.append(s)
        }
        return result
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = table.entries[key] else { return nil }
        guard case .integer(let i) = value else { throw error(key, "must be an integer") }
        guard range.contains(i) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return i
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table.entries[key] else { return nil }
        guard case .bool(let b) = value else { throw error(key, "must be true or false") }
        return b
    }

    func table(_ key: String) throws(ConfigError) -> TableReader? {
        guard let value = table.entries[key] else { return nil }
        guard case .table(let t) = value else { throw error(key, "must be a table ([\(qualified(key))])") }
        return TableReader(table: t, section: qualified(key), file: file)
    }
}
