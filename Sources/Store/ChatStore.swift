public import Archive
public import Alerts
public import Ingest
public import Rules
import GRDB

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A line that could not be decoded, kept with where it is and why.
public struct QuarantineRecord: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var offset: Int64
    public var reason: String
    /// The start of the line, control characters and invalid bytes escaped (at most 4 KiB).
    public var excerpt: String

    public init(file: String, line: Int, offset: Int64, reason: String, excerpt: String) {
        self.file = file
        self.line = line
        self.offset = offset
        self.reason = reason
        self.excerpt = excerpt
    }

    /// Escapes raw line bytes for keeping: valid UTF-8 is kept, control characters and invalid
    /// bytes become `\xNN`.
    public static func excerpt(of bytes: [UInt8], limit: Int = 4096) -> String {
        var out = ""
        var iterator = bytes.prefix(limit).makeIterator()
        var decoder = UTF8()
        var consumed = 0
        let slice = Array(bytes.prefix(limit))
        while true {
            let before = consumed
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                consumed += UTF8.width(s)
                if s.value < 0x20 || s.value == 0x7F {
                    out += "\\x" + String(format2: UInt8(s.value))
                } else {
                    out.unicodeScalars.append(s)
                }
            case .emptyInput:
                if bytes.count > limit { out += "…" }
                return out
            case .error:
                // Resynchronise one byte at a time.
                if before < slice.count { out += "\\x" + String(format2: slice[before]) }
                consumed = before + 1
                iterator = slice[consumed...].makeIterator()
                decoder = UTF8()
            }
        }
    }
}

extension String {
    init(format2 byte: UInt8) {
        let hex = String(byte, radix: 16, uppercase: true)
        self = hex.count == 1 ? "0" + hex : hex
    }
}

/// What one pipeline batch changes in the store, committed in one transaction.
public struct RecordBatch: Sendable {
    public var messages: [ArchiveMessage] = []
    public var alerts: [Alert] = []
    public var quarantine: [QuarantineRecord] = []
    public var checkpoints: [Checkpoint] = []
    /// Checkpoints of sources that are gone (a rotated file read to its end and let go).
    public var removedCheckpoints: [String] = []
    /// Alerts of earlier batches now written to the alert log: marked in this transaction, so
    /// confirming the log costs no transaction of its own.
    public var loggedAlerts: [String] = []
    /// Where new alerts are to be notified (enqueued for the alerts this batch inserts).
    public var notificationRoutes: [NotificationRoute] = []
    /// Window-rule state that changed (key, encoded state) and keys dropped.
    public var windowUpserts: [(String, String)] = []
    public var windowDeletes: [String] = []

    public init() {}

    public var isEmpty: Bool {
        messages.isEmpty && alerts.isEmpty && quarantine.isEmpty && checkpoints.isEmpty && removedCheckpoints.isEmpty
            && loggedAlerts.isEmpty && windowUpserts.isEmpty && windowDeletes.isEmpty
    }
}

/// Which alerts go to a notification channel, and which of them cannot wait for a digest.
public struct NotificationRoute: Sendable, Equatable {
    public var channel: String
    public var minimumSeverity: Severity
    /// Categories to send (empty: all).
    public var categories: Set<String>
    /// At or above this severity an alert is sent on its own at once; below, in a digest.
    public var immediateSeverity: Severity

    public init(channel: String, minimumSeverity: Severity, categories: Set<String>, immediateSeverity: Severity) {
        self.channel = channel
        self.minimumSeverity = minimumSeverity
        self.categories = categories
        self.immediateSeverity = immediateSeverity
    }

    public func accepts(_ alert: Alert) -> Bool {
        alert.severity >= minimumSeverity && (categories.isEmpty || categories.contains(alert.category))
    }

    public func isImmediate(_ alert: Alert) -> Bool { alert.severity >= immediateSeverity }
}

/// A store failure, naming the database file.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// The embedded store: one SQLite database in WAL mode, through GRDB.
///
/// Holds the archive index (with full-text search), alerts and their review trail, checkpoints
/// and the quarantine. Writers (the daemon, `scan`) and readers (the review CLI) share it safely:
/// WAL lets readers run while a writer commits, and writers wait for each other (busy timeout)
/// instead of failing with "database is locked". Chat text only ever reaches SQL as bound
/// parameters.
public final class ChatStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating when missing, mode 0640) and migrates the database at `path`.
    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            try Self.createPrivately(path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.label = "chatwarden"
            configuration.prepareDatabase { db in
                // WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at
                // checkpoint; a crash loses at most the last transactions, which the checkpoint
                // in the same transaction makes the tailer read again.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA foreign_keys = ON")
                // A large page cache and memory-mapped reads: the archive index is read-heavy
                // (FTS5 merges, index inserts) and re-reading pages through pread dominated.
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA mmap_size = 268435456")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, message: Self.describe(error))
        }
    }

    /// Creates the database file with mode 0640 before SQLite does (SQLite gives the WAL and
    /// shared-memory files the same mode as the database).
    static func createPrivately(_ path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw StoreError(path: path, message: "cannot create the database: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError {
            return "SQLite error \(db.resultCode.rawValue): \(db.message ?? "\(db)")"
        }
        return "\(error)"
    }

    func write<T>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch { throw StoreError(path: path, message: Self.describe(error)) }
    }

    func read<T>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw StoreError(path: path, message: Self.describe(error)) }
    }

    // MARK: - Recording

    /// Commits one batch in a single transaction: messages (idempotent by msgid), alerts
    /// (idempotent by id), quarantined lines, checkpoints. Returns the alerts that were new.
    @discardableResult
    public func record(_ batch: RecordBatch, now: Int64 = ChatStore.nowMilliseconds()) throws(StoreError) -> [Alert] {
        guard !batch.isEmpty else { return [] }
        return try write { db in
            var inserted: [Alert] = []
            if !batch.messages.isEmpty {
                let statement = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO messages
                        (msgid, msgtime, action, msgtype, sender, sender_kind, tolist, roomid, conversation, text, payload,
                         file, line, offset, recalls)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for m in batch.messages {
                    var payload: String? = nil
                    var recalls: String? = nil
                    if case .other(let raw) = m.content { payload = raw }
                    if case .revoke(let pre) = m.content {
                        payload = "{\"pre_msgid\":" + JSONValue.string(pre).jsonText + "}"
                        recalls = pre
                    }
                    try statement.execute(arguments: [
                        m.msgid, m.msgtime, m.action.text, m.msgtype, m.from, m.senderKind.rawValue,
                        JSONValue.array(m.tolist.map(JSONValue.string)).jsonText, m.roomid, m.conversationKey,
                        m.scannableText, payload, m.source.file, m.source.line, m.source.offset, recalls,
                    ])
                }
            }
            if !batch.alerts.isEmpty {
                let statement = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO alerts
                        (id, rule, category, severity, severity_rank, msgid, msgtime, roomid, conversation, sender, tolist,
                         matched, term, span_start, span_end, text, file, line, offset, details, related, created_at, updated_at,
                         sender_kind)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for a in batch.alerts {
                    try statement.execute(arguments: [
                        a.id, a.rule, a.category, a.severity.rawValue, a.severity.rank, a.msgid, a.msgtime, a.roomid,
                        a.conversation, a.from, JSONValue.array(a.tolist.map(JSONValue.string)).jsonText,
                        a.matched, a.term, a.spanStart, a.spanEnd, a.text, a.file, a.line, a.offset, a.details,
                        JSONValue.array(a.relatedMsgids.map(JSONValue.string)).jsonText, now, now,
                        ParticipantKind(id: a.from).rawValue,
                    ])
                    if db.changesCount > 0 { inserted.append(a) }
                }
            }
            if !inserted.isEmpty && !batch.notificationRoutes.isEmpty {
                let statement = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO notifications (channel, alert_id, immediate, enqueued_at, next_at) VALUES (?, ?, ?, ?, ?)
                    """)
                for alert in inserted {
                    for route in batch.notificationRoutes where route.accepts(alert) {
                        try statement.execute(arguments: [route.channel, alert.id, route.isImmediate(alert) ? 1 : 0, now, now])
                    }
                }
            }
            if !batch.quarantine.isEmpty {
                let statement = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO quarantine (file, line, offset, reason, excerpt, at) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                for q in batch.quarantine {
                    try statement.execute(arguments: [q.file, q.line, q.offset, q.reason, q.excerpt, now])
                }
            }
            for c in batch.checkpoints {
                try db.execute(
                    sql: """
                        INSERT INTO checkpoints (source, path, device, inode, fingerprint, offset, line, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(source) DO UPDATE SET path = excluded.path, device = excluded.device,
                            inode = excluded.inode, fingerprint = excluded.fingerprint, offset = excluded.offset,
                            line = excluded.line, updated_at = excluded.updated_at
                        """,
                    arguments: [c.source, c.path, Int64(bitPattern: c.device), Int64(bitPattern: c.inode), c.fingerprint, c.offset, c.line, now])
            }
            for source in batch.removedCheckpoints {
                try db.execute(sql: "DELETE FROM checkpoints WHERE source = ?", arguments: [source])
            }
            if !batch.windowUpserts.isEmpty {
                let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO window_state (key, data) VALUES (?, ?)")
                for (key, data) in batch.windowUpserts { try statement.execute(arguments: [key, data]) }
            }
            if !batch.windowDeletes.isEmpty {
                let statement = try db.cachedStatement(sql: "DELETE FROM window_state WHERE key = ?")
                for key in batch.windowDeletes { try statement.execute(arguments: [key]) }
            }
            if !batch.loggedAlerts.isEmpty {
                let statement = try db.cachedStatement(sql: "UPDATE alerts SET logged = 1 WHERE id = ?")
                for id in batch.loggedAlerts { try statement.execute(arguments: [id]) }
            }
            return inserted
        }
    }

    /// Marks alerts as written to the alert log.
    public func markLogged(_ ids: [String]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(sql: "UPDATE alerts SET logged = 1 WHERE id = ?")
            for id in ids { try statement.execute(arguments: [id]) }
        }
    }

    /// Alerts committed but not yet confirmed in the alert log, oldest first.
    public func unloggedAlerts() throws(StoreError) -> [Alert] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE logged = 0 ORDER BY rowid").map(Self.alert(from:))
        }
    }

    /// The saved window-rule state.
    public func windowState() throws(StoreError) -> [(String, String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT key, data FROM window_state").map { ($0["key"], $0["data"]) }
        }
    }

    /// A recalled message's text and the rules of the alerts it raised (nil: not in the index).
    public func recalledMessage(msgid: String) throws(StoreError) -> (text: String, alertRules: [String])? {
        try read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT text FROM messages WHERE msgid = ?", arguments: [msgid]) else {
                return nil
            }
            let rules = try String.fetchAll(db, sql: "SELECT rule FROM alerts WHERE msgid = ? ORDER BY rowid", arguments: [msgid])
            return (text, rules)
        }
    }

    // MARK: - Checkpoints

    public func checkpoints() throws(StoreError) -> [Checkpoint] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY source").map { row in
                Checkpoint(
                    source: row["source"], path: row["path"],
                    device: UInt64(bitPattern: row["device"] as Int64), inode: UInt64(bitPattern: row["inode"] as Int64),
                    fingerprint: row["fingerprint"], offset: row["offset"], line: row["line"])
            }
        }
    }

    // MARK: - Reading back

    static func alert(from row: Row) -> Alert {
        Alert(
            id: row["id"], rule: row["rule"], category: row["category"],
            severity: Severity(rawValue: row["severity"]) ?? .medium, msgid: row["msgid"], msgtime: row["msgtime"],
            roomid: row["roomid"], conversation: row["conversation"], from: row["sender"],
            tolist: Self.stringArray(row["tolist"]), matched: row["matched"], term: row["term"],
            spanStart: row["span_start"], spanEnd: row["span_end"], text: row["text"], file: row["file"],
            line: row["line"], offset: row["offset"], details: row["details"], relatedMsgids: Self.stringArray(row["related"]))
    }

    static func stringArray(_ json: String?) -> [String] {
        guard let json, let value = try? JSONParser.parse(json), let array = value.arrayValue else { return [] }
        return array.compactMap(\.stringValue)
    }

    /// Counts of rows, for `stats` and tests.
    public func counts() throws(StoreError) -> (messages: Int, alerts: Int, quarantine: Int) {
        try read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantine") ?? 0
            )
        }
    }

    /// Quarantined lines, newest first.
    public func quarantined(limit: Int = 100) throws(StoreError) -> [QuarantineRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM quarantine ORDER BY rowid DESC LIMIT ?", arguments: [limit]).map { row in
                QuarantineRecord(file: row["file"], line: row["line"], offset: row["offset"], reason: row["reason"], excerpt: row["excerpt"])
            }
        }
    }

    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
