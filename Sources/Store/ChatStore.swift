import Archive
public import Alerts
public import Ingest
import Foundation
import Support
import Vocabulary
import Detect
import Normalize

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The store: the archive index (with full-text search), alerts and their review trail,
/// checkpoints, the quarantine, the state of the rules over time and the notification queue.
///
/// Embedded, it is one SQLite file (``SQLiteBackend``); shared by several daemons, it is a
/// PostgreSQL database (``PostgresBackend``), named by a `postgres://` URL where a path would be.
/// The queries are the same for both (see `SQL.swift`). Everything a daemon owns alone —
/// checkpoints, the state of its conversation-scoped windows, which alerts it still has to
/// write to its alert log — is keyed by the daemon's name (`""` for the only daemon of a SQLite
/// store). Chat text only ever reaches SQL as bound parameters.
public final class ChatStore: Sendable {
    /// The SQLite file, or the PostgreSQL URL without its password.
    public let path: String
    let backend: any SQLBackend
    /// The daemon whose checkpoints, window state and alert-log confirmations this store object
    /// reads and writes.
    public let daemon: String
    /// The name this store object files quarantined lines under (a shared store keeps each
    /// daemon's apart; every `scan` files under one name).
    let quarantineOwner: String

    /// Opens (creating and migrating when needed) the store at `location`: a SQLite file path
    /// (created with mode 0640), or a `postgres://` URL.
    /// `quarantineOwner`: the name quarantined lines are filed under (nil: `daemon`).
    public convenience init(
        path location: String, daemon: String = "", quarantineOwner: String? = nil
    ) throws(StoreError) {
        let backend: any SQLBackend =
            PostgresLocation.matches(location)
            ? try PostgresBackend(url: location) : try SQLiteBackend.shared(path: location)
        try self.init(backend: backend, daemon: daemon, quarantineOwner: quarantineOwner)
    }

    /// A store in memory that goes with the object: the same schema and queries, for what runs
    /// the pipeline without keeping anything (`chatwarden rules test --file`).
    public static func inMemory() throws(StoreError) -> ChatStore {
        try ChatStore(backend: SQLiteBackend.inMemory(), daemon: "")
    }

    private init(backend: any SQLBackend, daemon: String, quarantineOwner: String? = nil) throws(StoreError) {
        self.backend = backend
        path = backend.location
        self.daemon = daemon
        self.quarantineOwner = quarantineOwner ?? daemon
        // A store made before the evidence chain: chain its alerts and review actions once.
        legacyIDs = try backend.write { db in
            try EvidenceChain.backfillIfPending(db, now: Self.nowMilliseconds())
            return try db.one("SELECT value FROM store_state WHERE key = 'legacy_alert_ids'")?.string("value")
                == "present"
        }
        try Self.backfillSearchIfPending(backend)
    }

    private let legacyIDs: Bool

    /// Whether this store holds alerts made under the earlier id scheme (read once at open).
    var hasLegacyAlertIDs: Bool { legacyIDs }

    /// The SQLite file as this store opened it (nil on PostgreSQL): when the path names another
    /// file, or none, the store was deleted or replaced under its user.
    public var fileIdentity: FileIdentity? { (backend as? SQLiteBackend)?.identity }

    /// Whether several daemons may share this store (PostgreSQL).
    public var isShared: Bool { backend.dialect == .postgres }

    /// Problems with how the store is set up that do not stop it working, each a sentence for
    /// the operator (the daemon logs them at start-up). On PostgreSQL: a database whose LC_CTYPE
    /// does not classify Chinese characters as letters (`C`), which leaves `pg_trgm` without
    /// trigrams for Chinese text, so every search scans the whole archive.
    public func setupWarnings() -> [String] {
        guard isShared else { return [] }
        let trigrams = try? read { db in try db.count("SELECT coalesce(array_length(show_trgm('微信聊天'), 1), 0)") }
        guard trigrams == 0 else { return [] }
        return [
            "the database's character classification (LC_CTYPE) ignores Chinese characters, so the pg_trgm index cannot serve "
                + "searches and every search reads the whole archive: create the database with LC_CTYPE 'C.UTF-8' "
                + "(or zh_CN.UTF-8), e.g. CREATE DATABASE chatwarden TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        ]
    }

    /// Closes the connection now (PostgreSQL; SQLite closes with the object).
    public func close() { backend.close() }

    /// Takes a named lock held while this store object lives (PostgreSQL advisory locks); false
    /// when another process holds it. Always true on SQLite.
    public func tryLock(_ name: String) throws(StoreError) -> Bool { try backend.tryLock(name) }

    func write<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T { try backend.write(body) }
    func read<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T { try backend.read(body) }

    /// `?, ?, …` for an IN list of `n` values.
    static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }

    /// Runs `sql` (with one `IN (%@)` list) for `values` in chunks of 500.
    static func inChunks(_ db: any SQLExecutor, _ sql: String, prefix: [SQLValue] = [], _ values: [SQLValue]) throws {
        var start = 0
        while start < values.count {
            let chunk = Array(values[start..<min(start + 500, values.count)])
            try db.execute(sql.replacingOccurrences(of: "%@", with: marks(chunk.count)), prefix + chunk)
            start += chunk.count
        }
    }

    static func json(_ strings: [String]) -> SQLValue { .text(JSONValue.array(strings.map(JSONValue.string)).jsonText) }

    // MARK: - Recording

    static let messageInsert = SQLInsert(
        table: "messages",
        columns: [
            "msgid", "msgtime", "action", "msgtype", "sender", "sender_kind", "tolist", "roomid", "conversation",
            "text",
            "payload", "file", "line", "offset", "recalls", "repair",
        ],
        conflict: "DO NOTHING")
    /// PostgreSQL keeps each message's search form in the row (`pg_trgm` indexes the column).
    static let messageInsertWithSearchText = SQLInsert(
        table: "messages", columns: messageInsert.columns + ["search_text"], conflict: "DO NOTHING")
    /// SQLite's contentless search index: the bigrams of the search form, by message rowid.
    static let searchInsert = SQLInsert(table: "messages_search", columns: ["rowid", "body"], conflict: "")
    static let versionInsert = SQLInsert(
        table: "message_versions", columns: ["msgid", "text", "msgtime", "file", "line", "offset", "seen_at"],
        conflict: "DO NOTHING")
    static let alertInsert = SQLInsert(
        table: "alerts",
        columns: [
            "id", "rule", "category", "severity", "severity_rank", "msgid", "msgtime", "roomid", "conversation",
            "sender",
            "tolist", "matched", "term", "span_start", "span_end", "text", "file", "line", "offset", "details",
            "related",
            "created_at", "updated_at", "sender_kind", "origin", "staff", "rule_version",
        ],
        conflict: "DO NOTHING", returning: "id")
    static let notificationInsert = SQLInsert(
        table: "notifications", columns: ["channel", "alert_id", "immediate", "enqueued_at", "next_at"],
        conflict: "DO NOTHING")
    static let quarantineInsert = SQLInsert(
        table: "quarantine", columns: ["daemon", "file", "line", "offset", "reason", "excerpt", "at"],
        conflict: "DO NOTHING")
    static let checkpointUpsert = SQLInsert(
        table: "checkpoints",
        columns: ["daemon", "source", "path", "device", "inode", "fingerprint", "offset", "line", "updated_at"],
        conflict: """
            (daemon, source) DO UPDATE SET path = excluded.path, device = excluded.device, inode = excluded.inode,
                fingerprint = excluded.fingerprint, "offset" = excluded."offset", line = excluded.line, updated_at = excluded.updated_at
            """)
    static let windowUpsert = SQLInsert(
        table: "window_state", columns: ["daemon", "key", "data", "last_touched"],
        conflict: "(daemon, key) DO UPDATE SET data = excluded.data, last_touched = excluded.last_touched")

    /// Commits one batch in a single transaction: messages (idempotent by msgid), alerts
    /// (idempotent by id), quarantined lines, checkpoints, window state, the notification queue.
    /// Returns the alerts that were new (inserted by this call, not already there).
    @discardableResult
    public func record(_ batch: RecordBatch, now: Int64 = ChatStore.nowMilliseconds()) throws(StoreError) -> [Alert] {
        guard !batch.isEmpty else { return [] }
        return try write { db in try insert(batch, db, now: now) }
    }

    /// The daemon name under which window state shared by all daemons is kept (no daemon can be
    /// called that: names are letters, digits and `-_.`).
    public static let sharedWindowOwner = "*"

    /// Records a batch whose rules over time read and write state shared with other daemons.
    ///
    /// In one transaction: the shared window rows of `sharedKeys` are created if missing and
    /// locked (in key order, so two daemons cannot deadlock on them), `build` is given their
    /// current state (empty text: no state yet) and returns the batch to record, which is then
    /// written like ``record(_:now:)``. Two daemons touching the same keys (the same text blasted
    /// to conversations archived on two hosts) therefore take turns, each seeing what the other
    /// committed: the shared window counts both shards. Keys nobody else touches cost one row
    /// lock. If anything fails nothing is written, and `build` must be run again from committed
    /// state.
    @discardableResult
    public func record(
        sharedKeys: [String], now: Int64 = ChatStore.nowMilliseconds(),
        build: ([(String, String)]) throws -> RecordBatch
    ) throws(StoreError) -> [Alert] {
        let keys = Array(Set(sharedKeys)).sorted()
        let owner: SQLValue = .text(Self.sharedWindowOwner)
        return try write { db in
            var states: [(String, String)] = []
            var start = 0
            while start < keys.count {
                let chunk = keys[start..<min(start + 500, keys.count)].map(SQLValue.text)
                try db.insert(Self.windowCreate, rows: chunk.map { [owner, $0, .text(""), .integer(0)] })
                states += try db.query(
                    "SELECT key, data FROM window_state WHERE daemon = ? AND key IN (\(Self.marks(chunk.count))) ORDER BY key"
                        + (isShared ? " FOR UPDATE" : ""),
                    [owner] + chunk
                ).map { ($0.string("key"), $0.string("data")) }
                start += chunk.count
            }
            let batch = try build(states)
            return try insert(batch, db, now: now)
        }
    }

    static let windowCreate = SQLInsert(
        table: "window_state", columns: ["daemon", "key", "data", "last_touched"], conflict: "DO NOTHING")

    /// Drops shared window state untouched since `before` (event time, ms): keys of windows that
    /// have closed for every daemon.
    public func expireSharedWindows(before: Int64) throws(StoreError) {
        guard isShared else { return }
        _ = try write { db in
            try db.execute(
                "DELETE FROM window_state WHERE daemon = ? AND last_touched < ?",
                [.text(Self.sharedWindowOwner), .integer(before)])
        }
    }

    /// Writes every part of a batch, in one transaction (the caller's); returns the new alerts.
    private func insert(_ batch: RecordBatch, _ db: any SQLExecutor, now: Int64) throws -> [Alert] {
        try insertMessages(batch, db, now: now)
        let inserted = try insertAlerts(batch.alerts, db, now: now, ruleVersion: batch.ruleVersion)
        try enqueueNotifications(inserted, routes: batch.notificationRoutes, db, now: now)
        let daemon: SQLValue = .text(quarantineOwner)
        try db.insert(
            Self.quarantineInsert,
            rows: batch.quarantine.map { q in
                [
                    daemon, .text(q.file), SQLValue(q.line), .integer(q.offset), .text(q.reason), .text(q.excerpt),
                    .integer(now),
                ]
            })
        try insertMediaJobs(batch, db, now: now)
        try saveCheckpoints(batch, db, now: now)
        try saveWindowState(batch, db)
        try Self.inChunks(db, "UPDATE alerts SET logged = 1 WHERE id IN (%@)", batch.loggedAlerts.map(SQLValue.text))
        return inserted
    }

    /// The archive index (idempotent by msgid) with each new message's search form, and other
    /// versions of reused ids.
    private func insertMessages(_ batch: RecordBatch, _ db: any SQLExecutor, now: Int64) throws {
        let buffers = NormalizationBuffers()
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(batch.messages.count)
        for m in batch.messages {
            var payload: String? = nil
            var recalls: String? = nil
            if case .other(let raw) = m.content { payload = raw }
            if case .revoke(let pre) = m.content {
                payload = "{\"pre_msgid\":" + JSONValue.string(pre).jsonText + "}"
                recalls = pre
            }
            var row: [SQLValue] = [
                .text(m.msgid), .integer(m.msgtime), .text(m.action.text), .text(m.msgtype), .text(m.from),
                .text(m.senderKind.rawValue), Self.json(m.tolist), .text(m.roomid), .text(m.conversationKey),
                .text(m.scannableText), SQLValue(payload), .text(m.source.file), SQLValue(m.source.line),
                .integer(m.source.offset), SQLValue(recalls), SQLValue(m.repair),
            ]
            if db.dialect == .postgres { row.append(.text(SearchText.form(m.scannableText, buffers: buffers))) }
            rows.append(row)
        }
        switch db.dialect {
        case .postgres:
            try db.insert(Self.messageInsertWithSearchText, rows: rows)
        case .sqlite:
            // The search index is keyed by the rowid each new message got.
            var search: [[SQLValue]] = []
            for (m, rowid) in zip(batch.messages, try db.insertEach(Self.messageInsert, rows: rows)) {
                guard let rowid else { continue }
                let bigrams = SearchText.bigrams(m.scannableText, buffers: buffers)
                if !bigrams.isEmpty { search.append([.integer(rowid), .text(bigrams)]) }
            }
            try db.insert(Self.searchInsert, rows: search)
        }
        try db.insert(
            Self.versionInsert,
            rows: batch.messageVersions.map { m in
                [
                    .text(m.msgid), .text(m.scannableText), .integer(m.msgtime), .text(m.source.file),
                    SQLValue(m.source.line),
                    .integer(m.source.offset), .integer(now),
                ]
            })
    }

    /// Alerts (idempotent by id), each new one chained; returns the new ones.
    private func insertAlerts(
        _ batch: [Alert], _ db: any SQLExecutor, now: Int64, ruleVersion: String
    ) throws
        -> [Alert]
    {
        // A store made before the id scheme changed: an alert it holds under its old id is the
        // same alert (see AlertIDs), not a new one.
        var alerts = batch
        if !alerts.isEmpty, hasLegacyAlertIDs {
            let legacy = alerts.map(\.legacyID).filter { !$0.isEmpty }.map(SQLValue.text)
            let known = Set(try Self.rows(db, "SELECT id FROM alerts WHERE id IN (%@)", legacy).map { $0.string("id") })
            if !known.isEmpty { alerts.removeAll { known.contains($0.legacyID) } }
        }
        guard !alerts.isEmpty else { return [] }
        let daemon: SQLValue = .text(self.daemon)
        let rows = alerts.map { a -> [SQLValue] in
            [
                .text(a.id), .text(a.rule), .text(a.category), .text(a.severity.rawValue), SQLValue(a.severity.rank),
                .text(a.msgid), .integer(a.msgtime), .text(a.roomid), .text(a.conversation), .text(a.from),
                Self.json(a.tolist), .text(a.matched), .text(a.term), SQLValue(a.spanStart), SQLValue(a.spanEnd),
                .text(a.text), .text(a.file), SQLValue(a.line), .integer(a.offset), .text(a.details),
                Self.json(a.relatedMsgids), .integer(now), .integer(now), .text(ParticipantKind(id: a.from).rawValue),
                daemon, .text(Self.staffMember(of: a)), .text(ruleVersion),
            ]
        }
        let ids = try db.insert(Self.alertInsert, rows: rows)
        var fresh = Set(ids.compactMap(\.string))
        var inserted: [Alert] = []
        var entries: [(kind: EvidenceChain.Kind, ref: String, content: String)] = []
        for (alert, row) in zip(alerts, rows) where fresh.remove(alert.id) != nil {
            inserted.append(alert)
            entries.append((.alert, alert.id, Self.chainHash(alertRow: row, dialect: db.dialect)))
        }
        try EvidenceChain.append(entries, db, now: now)
        return inserted
    }

    /// The notification queue: each new alert for each channel whose route takes it.
    private func enqueueNotifications(
        _ inserted: [Alert], routes: [NotificationRoute], _ db: any SQLExecutor, now: Int64
    ) throws {
        guard !inserted.isEmpty && !routes.isEmpty else { return }
        var rows: [[SQLValue]] = []
        for alert in inserted {
            for route in routes where route.accepts(alert) {
                rows.append([
                    .text(route.channel), .text(alert.id), SQLValue(route.isImmediate(alert)), .integer(now),
                    .integer(now),
                ])
            }
        }
        try db.insert(Self.notificationInsert, rows: rows)
    }

    /// Where each followed file has been read to (one row per source, the last wins:
    /// PostgreSQL refuses to upsert a row twice in one statement), and files let go.
    private func saveCheckpoints(_ batch: RecordBatch, _ db: any SQLExecutor, now: Int64) throws {
        let daemon: SQLValue = .text(self.daemon)
        var latest: [String: Checkpoint] = [:]
        for c in batch.checkpoints { latest[c.source] = c }
        try db.insert(
            Self.checkpointUpsert,
            rows: latest.values.sorted { $0.source < $1.source }.map { c in
                [
                    daemon, .text(c.source), .text(c.path), .integer(Int64(bitPattern: c.device)),
                    .integer(Int64(bitPattern: c.inode)),
                    .text(c.fingerprint), .integer(c.offset), SQLValue(c.line), .integer(now),
                ]
            })
        try Self.inChunks(
            db, "DELETE FROM checkpoints WHERE daemon = ? AND source IN (%@)", prefix: [daemon],
            batch.removedCheckpoints.map(SQLValue.text))
    }

    /// This daemon's window state and the shared one (one row per key, the last wins).
    private func saveWindowState(_ batch: RecordBatch, _ db: any SQLExecutor) throws {
        let daemon: SQLValue = .text(self.daemon)
        func lastPerKey(_ rows: [WindowStateRow]) -> [WindowStateRow] {
            var byKey: [String: WindowStateRow] = [:]
            for row in rows { byKey[row.key] = row }
            return byKey.values.sorted { $0.key < $1.key }
        }
        try db.insert(
            Self.windowUpsert,
            rows: lastPerKey(batch.windowUpserts).map {
                [daemon, .text($0.key), .text($0.data), .integer($0.lastTouched)]
            })
        try Self.inChunks(
            db, "DELETE FROM window_state WHERE daemon = ? AND key IN (%@)", prefix: [daemon],
            batch.windowDeletes.map(SQLValue.text))
        try db.insert(
            Self.windowUpsert,
            rows: lastPerKey(batch.sharedWindowUpserts).map {
                [.text(Self.sharedWindowOwner), .text($0.key), .text($0.data), .integer($0.lastTouched)]
            })
    }

    /// The chained content hash of an alert row as bound for insertion (as the database will hold it).
    static func chainHash(alertRow: [SQLValue], dialect: SQLDialect) -> String {
        let byColumn = Dictionary(uniqueKeysWithValues: zip(alertInsert.columns, alertRow))
        let columns =
            byColumn["rule_version"].map { $0 == .text("") } ?? true
            ? EvidenceChain.alertColumns : EvidenceChain.alertColumns + ["rule_version"]
        return EvidenceChain.contentHash(columns.map { dialect.stored(byColumn[$0] ?? .null) })
    }

    /// The indexed text of each of `msgids` that the index holds (to tell a record seen again
    /// from another record reusing a message id).
    public func indexedTexts(msgids: [String]) throws(StoreError) -> [String: String] {
        guard !msgids.isEmpty else { return [:] }
        return try read { db in
            var texts: [String: String] = [:]
            var start = 0
            while start < msgids.count {
                let chunk = msgids[start..<min(start + 500, msgids.count)].map(SQLValue.text)
                for row in try db.query(
                    "SELECT msgid, text FROM messages WHERE msgid IN (\(Self.marks(chunk.count)))", chunk)
                {
                    texts[row.string("msgid")] = row.string("text")
                }
                start += chunk.count
            }
            return texts
        }
    }

    /// Marks alerts as written to the alert log.
    public func markLogged(_ ids: [String]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { db in try Self.inChunks(db, "UPDATE alerts SET logged = 1 WHERE id IN (%@)", ids.map(SQLValue.text))
        }
    }

    /// Alerts this daemon committed but has not yet confirmed in its alert log, oldest first.
    public func unloggedAlerts() throws(StoreError) -> [Alert] {
        try read { db in
            try db.query("SELECT * FROM alerts WHERE logged = 0 AND origin = ? ORDER BY rowid", [.text(daemon)]).map(
                Self.alert(from:))
        }
    }

    /// This daemon's saved window-rule state.
    public func windowState() throws(StoreError) -> [(String, String)] {
        try read { db in
            try db.query("SELECT key, data FROM window_state WHERE daemon = ?", [.text(daemon)]).map {
                ($0.string("key"), $0.string("data"))
            }
        }
    }

    /// A recalled message's text and the rules of the alerts it raised (nil: not in the index).
    public func recalledMessage(msgid: String) throws(StoreError) -> (text: String, alertRules: [String])? {
        try read { db in
            guard let row = try db.one("SELECT text FROM messages WHERE msgid = ?", [.text(msgid)]) else { return nil }
            // No notes about the engine or the archive (``Alert/isNote``), as the pipeline counts.
            let rules = try db.query(
                "SELECT rule FROM alerts WHERE msgid = ? AND category NOT IN (?, ?) ORDER BY rowid",
                [.text(msgid), .text(AlertCategory.engine), .text(AlertCategory.integrity)]
            ).map { $0.string("rule") }
            return (row.string("text"), rules)
        }
    }

    // MARK: - Checkpoints

    /// This daemon's checkpoints.
    public func checkpoints() throws(StoreError) -> [Checkpoint] {
        try read { db in
            try db.query("SELECT * FROM checkpoints WHERE daemon = ? ORDER BY source", [.text(daemon)]).map { row in
                Checkpoint(
                    source: row.string("source"), path: row.string("path"),
                    device: UInt64(bitPattern: row.int64("device")), inode: UInt64(bitPattern: row.int64("inode")),
                    fingerprint: row.string("fingerprint"), offset: row.int64("offset"), line: row.int("line"))
            }
        }
    }

    // MARK: - Reading back

    static func alert(from row: SQLRow) -> Alert {
        Alert(
            id: row.string("id"), rule: row.string("rule"), category: row.string("category"),
            severity: Severity(rawValue: row.string("severity")) ?? .medium, msgid: row.string("msgid"),
            msgtime: row.int64("msgtime"),
            roomid: row.string("roomid"), conversation: row.string("conversation"), from: row.string("sender"),
            tolist: Self.stringArray(row.optionalString("tolist")), matched: row.string("matched"),
            term: row.string("term"),
            spanStart: row.int("span_start"), spanEnd: row.int("span_end"), text: row.string("text"),
            file: row.string("file"),
            line: row.int("line"), offset: row.int64("offset"), details: row.string("details"),
            relatedMsgids: Self.stringArray(row.optionalString("related")))
    }

    /// The staff member an alert is about, which scopes who reviews it: its sender when staff,
    /// otherwise the first staff member it was sent to ("" when none is).
    static func staffMember(of alert: Alert) -> String {
        if ParticipantKind(id: alert.from) == .staff { return alert.from }
        return alert.tolist.first { ParticipantKind(id: $0) == .staff } ?? ""
    }

    static func stringArray(_ json: String?) -> [String] {
        guard let json, let value = try? JSONParser.parse(json), let array = value.arrayValue else { return [] }
        return array.compactMap(\.stringValue)
    }

    /// Counts of rows, for `stats` and tests.
    public func counts() throws(StoreError) -> (messages: Int, alerts: Int, quarantine: Int) {
        try read { db in
            (
                try db.count("SELECT count(*) FROM messages"), try db.count("SELECT count(*) FROM alerts"),
                try db.count("SELECT count(*) FROM quarantine")
            )
        }
    }

    /// Quarantined lines, newest first.
    public func quarantined(limit: Int = 100) throws(StoreError) -> [QuarantineRecord] {
        try read { db in
            try db.query("SELECT * FROM quarantine ORDER BY rowid DESC LIMIT ?", [SQLValue(limit)]).map { row in
                QuarantineRecord(
                    file: row.string("file"), line: row.int("line"), offset: row.int64("offset"),
                    reason: row.string("reason"),
                    excerpt: row.string("excerpt"))
            }
        }
    }

    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
