import Alerts
import ArgumentParser
import Console
import Archive
import Store
import Rules
import Support
import Vocabulary

/// `chatwarden search TEXT`.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search everything that was said (full-text, Chinese substrings included).",
        discussion: """
            Search reads the text as detection reads it: widths, case, traditional characters, \
            digit variants and Chinese numerals folded; zero-width characters, punctuation, \
            spaces and emoji left out — in the messages and in TEXT alike. So `search 私下转账` \
            finds it written with a zero-width space between 私 and 下, `search 稳赚` finds 穩賺, and \
            `search 13800138000` finds 138 0013 8000. TEXT of any length is found as a \
            substring (one character too). With --fts, TEXT is a query expression: phrases \
            joined by AND, OR, NOT and parentheses: `"加微信" OR "私聊"`, `返现 NOT 活动`. \
            Newest messages first. In a table the match is highlighted in the original \
            characters; JSON rows carry the byte ranges of every match.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var time: TimeRangeOptions

    @Option(help: ArgumentHelp("Only this group chat or conversation.", valueName: "id"))
    var room: String?
    @Option(help: ArgumentHelp("Only messages from this sender.", valueName: "id"))
    var sender: String?
    @Option(help: "At most this many messages.")
    var limit: Int = 50
    @Flag(help: "TEXT is a query expression: phrases joined by AND, OR, NOT and parentheses (SQLite store).")
    var fts = false
    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Argument(help: "What to look for.")
    var text: String

    func validate() throws {
        if text.isEmpty { throw ValidationError("give something to search for") }
        if !fts && SearchText.queryForm(text) == nil {
            throw ValidationError(
                "nothing to search for in \(text): search reads letters and digits (punctuation, spaces and emoji are left out, as detection leaves them out)"
            )
        }
    }

    func run() async throws {
        let store = try Setup.store(common)
        let filter = AlertFilter(
            since: time.sinceMilliseconds, until: time.untilMilliseconds, room: room, sender: sender, limit: limit)
        let hits: [SearchHit]
        do {
            hits = try store.search(text, ftsExpression: fts, filter: filter)
        } catch {
            Terminal.error("chatwarden: search failed: \(error.message)")
            throw ExitCode(fts ? 2 : 1)
        }
        var listing = MessageRows.listing(hits.map(\.message), highlights: hits.map(\.ranges))
        if format == .table {
            // Highlight inside the (escaped, cut) text column.
            for (i, hit) in hits.enumerated() where !hit.ranges.isEmpty {
                listing.rendered[i, default: [:]][4] = Highlight.window(
                    hit.message.text, ranges: hit.ranges, columns: 70)
            }
        }
        listing.print(format)
        if format == .table {
            Terminal.error("\(hits.count) message(s)\(hits.count == limit ? " (limit reached; use --limit)" : "")")
        }
    }
}

/// `chatwarden context MSGID`.
struct Context: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the conversation around a message.",
        discussion: "The message is marked ▶. Recalled messages are marked with the recall that withdrew them.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Messages before.")
    var before: Int = 10
    @Option(help: "Messages after.")
    var after: Int = 10
    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table
    @Argument(help: "The message id.")
    var msgid: String

    func validate() throws {
        if before < 0 || after < 0 { throw ValidationError("--before and --after must not be negative") }
    }

    func run() async throws {
        let store = try Setup.store(common)
        guard let messages = try store.context(msgid: msgid, before: before, after: after) else {
            Terminal.error("chatwarden: no message \(Terminal.escape(msgid)) in the archive index")
            throw ExitCode(1)
        }
        let recalls = try store.recalls(of: messages.map(\.msgid))
        // Who read which conversation is kept, as the console keeps it.
        try store.logAccess(
            account: Identity.osUser(), action: "view-conversation",
            ref: messages.first { $0.msgid == msgid }?.conversation ?? msgid, detail: msgid + " (cli)")
        var listing = MessageRows.listing(messages, marked: msgid)
        for (i, m) in messages.enumerated() {
            if let recall = recalls[m.msgid] {
                listing.rows[i][4] += "  (recalled by \(recall))"
                listing.objects[i] = MessageRows.json(m, recalledBy: recall)
            }
        }
        // Another record reused this id with a different text: never a silent mismatch between
        // an alert and the message it cites.
        let versions = try store.otherVersions(msgid: msgid)
        if let marked = messages.firstIndex(where: { $0.msgid == msgid }), !versions.isEmpty {
            listing.rows[marked][4] += "  (\(versions.count) other record(s) with this id: see below)"
            listing.objects[marked] = MessageRows.json(
                messages[marked], recalledBy: recalls[msgid], otherVersions: versions)
        }
        listing.print(format)
        if format == .table {
            for version in versions {
                print(
                    "  ⚠ another record with message id \(Terminal.escape(msgid)) (\(Terminal.escape(version.file)):\(version.line)) says: \(Terminal.escape(version.text))"
                )
            }
        }
    }
}

/// `chatwarden stats`.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Counts of alerts by category, severity, status, staff member, conversation and day.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var time: TimeRangeOptions
    @Option(help: "How many staff members and conversations to list.")
    var top: Int = 10
    @Option(help: "Output format: table, json (one object per line: dimension, key, count) or csv.")
    var format: OutputFormat = .table

    func run() async throws {
        let store = try Setup.store(common)
        let report = try store.stats(
            AlertFilter(since: time.sinceMilliseconds, until: time.untilMilliseconds), top: top)
        var listing = Listing(columns: [
            Column(title: "DIMENSION"), Column(title: "KEY", maxWidth: 40), Column(title: "COUNT"),
        ])
        func add(_ dimension: String, _ rows: [(String, Int)]) {
            for (key, count) in rows {
                listing.append(
                    [dimension, key, String(count)],
                    json: .object([
                        ("dimension", .string(dimension)), ("key", .string(key)), ("count", .integer(Int64(count))),
                    ]))
            }
        }
        add("total", [("messages", report.messages), ("alerts", report.alerts), ("quarantined", report.quarantined)])
        add("category", report.byCategory)
        add("severity", report.bySeverity)
        add("status", report.byStatus)
        add("staff", report.byStaff)
        add("conversation", report.byConversation)
        add("day", report.byDay)
        listing.print(format)
    }
}

/// `chatwarden export`: alerts with their review trail, for a compliance report.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export alerts with their review trail (CSV by default, for Excel) for a compliance report.",
        discussion: """
            Writes every matching alert (no limit unless --limit). CSV starts with a UTF-8 byte-order \
            mark so Excel reads Chinese correctly; times are local ([review] timezone) with their \
            offset; names stand beside ids; control characters in chat text are escaped and cells a \
            spreadsheet would run as formulas (=, +, -, @) are prefixed with '. Column titles follow \
            LANG (Chinese for zh_CN.*). With --out the file is written 0640.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var filters: FilterOptions
    @Option(help: "Output format: csv, json or table.")
    var format: OutputFormat = .csv
    @Option(help: ArgumentHelp("Write to this file (mode 0640) instead of standard output.", valueName: "file"))
    var out: String?

    func run() async throws {
        let (config, store, labels) = try Setup.review(common)
        let filter = try filters.checkedFilter(store, config: config, names: labels.names, defaultLimit: Int.max)
        let stored = try store.alerts(filter)
        let trails = try store.reviewTrails(alertIDs: stored.map(\.alert.id))
        var text: String
        switch format {
        case .csv:
            text = AlertExport.csv(stored, trails: trails, labels: labels)
        case .json, .table:
            var listing = AlertRows.listing(stored, labels: labels)
            listing.objects = listing.objects.enumerated().map { index, object in
                guard case .object(var members) = object else { return object }
                members.append(("review", .array((trails[stored[index].alert.id] ?? []).map(ReviewRows.json))))
                return .object(members)
            }
            text = ""
            listing.print(format, to: &text)
        }
        if let out {
            guard FileIO.writeAtomically(Array(text.utf8), to: out, mode: 0o640) else {
                Terminal.error("chatwarden: \(Terminal.escape(out)): cannot write: \(FileIO.lastError)")
                throw ExitCode(1)
            }
            Terminal.error(
                labels.language.pick("已写入 \(out)：\(stored.count) 条告警", "wrote \(out): \(stored.count) alerts"))
        } else {
            print(text, terminator: "")
        }
    }
}

/// `chatwarden quarantine`: lines that did not decode.
struct Quarantine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List archive lines that could not be decoded, with file, line, byte offset and reason.")

    @OptionGroup var common: CommonOptions
    @Option(help: "At most this many rows (newest first).")
    var limit: Int = 100
    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    func run() async throws {
        let store = try Setup.store(common)
        var listing = Listing(columns: [
            Column(title: "FILE", maxWidth: 40), Column(title: "LINE"), Column(title: "OFFSET"),
            Column(title: "REASON", maxWidth: 60),
            Column(title: "EXCERPT", maxWidth: 40),
        ])
        for q in try store.quarantined(limit: limit) {
            listing.append(
                [q.file, String(q.line), String(q.offset), q.reason, q.excerpt],
                json: .object([
                    ("file", .string(q.file)), ("line", .integer(Int64(q.line))), ("offset", .integer(q.offset)),
                    ("reason", .string(q.reason)), ("excerpt", .string(q.excerpt)),
                ]))
        }
        listing.print(format)
    }
}
