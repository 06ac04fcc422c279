public import Alerts
public import Rules
public import Vocabulary
import Archive
import Foundation

/// An alert as stored, with its review state.
public struct StoredAlert: Sendable, Equatable {
    public var alert: Alert
    public var status: AlertStatus
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// One entry of the append-only review trail.
public struct ReviewRecord: Sendable, Equatable {
    public var alertID: String
    public var action: String
    public var status: AlertStatus
    public var reviewer: String
    public var note: String
    public var at: Int64
}

/// A message of the archive index.
public struct StoredMessage: Sendable, Equatable {
    public var msgid: String
    public var msgtime: Int64
    public var action: String
    public var msgtype: String
    public var sender: String
    public var senderKind: String
    public var tolist: [String]
    public var roomid: String
    public var conversation: String
    public var text: String
    public var file: String
    public var line: Int
    public var offset: Int64
    /// For a recall record: the message it withdrew.
    public var recalls: String?
    /// How the record was repaired to be read (see `ArchiveMessage.repair`).
    public var repair: String? = nil
}

/// Filters shared by the listing commands. `nil` means "any".
public struct AlertFilter: Sendable {
    public var since: Int64?
    public var until: Int64?
    public var room: String?
    public var sender: String?
    public var category: String?
    /// The lowest severity to include.
    public var minimumSeverity: Severity?
    public var status: AlertStatus?
    public var rule: String?
    public var limit: Int
    public var offset: Int

    public init(
        since: Int64? = nil, until: Int64? = nil, room: String? = nil, sender: String? = nil, category: String? = nil,
        minimumSeverity: Severity? = nil, status: AlertStatus? = nil, rule: String? = nil, limit: Int = 100, offset: Int = 0
    ) {
        self.since = since
        self.until = until
        self.room = room
        self.sender = sender
        self.category = category
        self.minimumSeverity = minimumSeverity
        self.status = status
        self.rule = rule
        self.limit = limit
        self.offset = offset
    }

    /// The WHERE clause and its bound arguments (chat text never enters SQL otherwise).
    /// `prefix` qualifies the columns (`"a."` when the alerts table is joined).
    func sql(timeColumn: String = "msgtime", senderColumn: String = "sender", prefix: String = "") -> (String, [SQLValue]) {
        var clauses: [String] = []
        var arguments: [SQLValue] = []
        let p = prefix
        if let since { clauses.append("\(p)\(timeColumn) >= ?"); arguments.append(.integer(since)) }
        if let until { clauses.append("\(p)\(timeColumn) < ?"); arguments.append(.integer(until)) }
        if let room { clauses.append("(\(p)roomid = ? OR \(p)conversation = ?)"); arguments += [.text(room), .text(room)] }
        if let sender { clauses.append("\(p)\(senderColumn) = ?"); arguments.append(.text(sender)) }
        if let category { clauses.append("\(p)category = ?"); arguments.append(.text(category)) }
        if let minimumSeverity { clauses.append("\(p)severity_rank >= ?"); arguments.append(SQLValue(minimumSeverity.rank)) }
        if let status { clauses.append("\(p)status = ?"); arguments.append(.text(status.rawValue)) }
        if let rule { clauses.append("\(p)rule = ?"); arguments.append(.text(rule)) }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }
}

/// A search hit.
public struct SearchHit: Sendable, Equatable {
    public var message: StoredMessage
    /// Byte ranges of the query in the message text (for highlighting).
    public var ranges: [Range<Int>]
}

/// Counts for `stats`.
public struct StatsReport: Sendable, Equatable {
    public var messages: Int
    public var alerts: Int
    public var quarantined: Int
    public var byCategory: [(String, Int)]
    public var bySeverity: [(String, Int)]
    public var byStatus: [(String, Int)]
    public var byStaff: [(String, Int)]
    public var byConversation: [(String, Int)]
    public var byDay: [(String, Int)]

    public static func == (lhs: StatsReport, rhs: StatsReport) -> Bool {
        func same(_ a: [(String, Int)], _ b: [(String, Int)]) -> Bool { a.map { "\($0.0)=\($0.1)" } == b.map { "\($0.0)=\($0.1)" } }
        return lhs.messages == rhs.messages && lhs.alerts == rhs.alerts && lhs.quarantined == rhs.quarantined
            && same(lhs.byCategory, rhs.byCategory) && same(lhs.bySeverity, rhs.bySeverity)
            && same(lhs.byStatus, rhs.byStatus) && same(lhs.byStaff, rhs.byStaff)
            && same(lhs.byConversation, rhs.byConversation) && same(lhs.byDay, rhs.byDay)
    }
}

extension ChatStore {
    // MARK: - Alerts

    static func storedAlert(from row: SQLRow) -> StoredAlert {
        StoredAlert(
            alert: alert(from: row), status: AlertStatus(rawValue: row.string("status")) ?? .new,
            createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"))
    }

    /// Alerts matching `filter`, newest event first (ties broken by insertion order: stable).
    public func alerts(_ filter: AlertFilter) throws(StoreError) -> [StoredAlert] {
        try read { db in
            let (whereClause, arguments) = filter.sql()
            return try db.query(
                "SELECT * FROM alerts \(whereClause) ORDER BY msgtime DESC, rowid DESC LIMIT ? OFFSET ?",
                arguments + [SQLValue(filter.limit), SQLValue(filter.offset)]
            ).map(Self.storedAlert(from:))
        }
    }

    /// The number of alerts matching `filter` (ignoring its limit).
    public func alertCount(_ filter: AlertFilter) throws(StoreError) -> Int {
        try read { db in
            let (whereClause, arguments) = filter.sql()
            return try db.count("SELECT count(*) FROM alerts \(whereClause)", arguments)
        }
    }

    /// The alert whose id is `id` or starts with it (at least 6 hex digits, like git).
    /// Throws when the prefix is ambiguous; returns nil when nothing matches.
    public func alert(idPrefix: String) throws(StoreError) -> StoredAlert? {
        let prefix = idPrefix.lowercased()
        guard prefix.count >= 6, prefix.allSatisfy({ $0.isHexDigit }) else {
            throw StoreError(path: path, message: "'\(idPrefix)' is not an alert id (give at least 6 hex digits)")
        }
        let rows: [StoredAlert] = try read { db in
            // Range scan on the unique index: ids are lower-case hex.
            try db.query("SELECT * FROM alerts WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", [.text(prefix), .text(prefix + "g")])
                .map(Self.storedAlert(from:))
        }
        if rows.count > 1 {
            throw StoreError(path: path, message: "'\(idPrefix)' matches more than one alert; give more digits")
        }
        return rows.first
    }

    /// Records a review action: the status changes and the audit trail grows, in one transaction.
    @discardableResult
    public func review(
        alertID: String, action: ReviewAction, reviewer: String, note: String, now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> StoredAlert {
        try write { db in
            guard let row = try db.one("SELECT * FROM alerts WHERE id = ?", [.text(alertID)]) else {
                throw StoreError(path: self.path, message: "no alert \(alertID)")
            }
            try db.execute("UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?", [.text(action.status.rawValue), .integer(now), .text(alertID)])
            let values: [SQLValue] = [.text(alertID), .text(action.rawValue), .text(action.status.rawValue), .text(reviewer), .text(note), .integer(now)]
            let rowid = try db.one(
                "INSERT INTO review_actions (alert_id, action, status, reviewer, note, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid", values)
            try EvidenceChain.append(
                [(.review, rowid?.string("rowid") ?? "", EvidenceChain.contentHash(values.map(db.dialect.stored)))], db, now: now)
            var stored = Self.storedAlert(from: row)
            stored.status = action.status
            stored.updatedAt = now
            return stored
        }
    }

    static func reviewRecord(from row: SQLRow) -> ReviewRecord {
        ReviewRecord(
            alertID: row.string("alert_id"), action: row.string("action"), status: AlertStatus(rawValue: row.string("status")) ?? .new,
            reviewer: row.string("reviewer"), note: row.string("note"), at: row.int64("at"))
    }

    /// The review trail of one alert, oldest first.
    public func reviewTrail(alertID: String) throws(StoreError) -> [ReviewRecord] {
        try read { db in
            try db.query("SELECT * FROM review_actions WHERE alert_id = ? ORDER BY rowid", [.text(alertID)]).map(Self.reviewRecord(from:))
        }
    }

    /// The review trails of many alerts (for export), keyed by alert id.
    public func reviewTrails(alertIDs: [String]) throws(StoreError) -> [String: [ReviewRecord]] {
        var result: [String: [ReviewRecord]] = [:]
        for chunk in stride(from: 0, to: alertIDs.count, by: 500).map({ Array(alertIDs[$0..<min($0 + 500, alertIDs.count)]) }) {
            let rows: [ReviewRecord] = try read { db in
                try db.query(
                    "SELECT * FROM review_actions WHERE alert_id IN (\(Self.marks(chunk.count))) ORDER BY rowid", chunk.map(SQLValue.text)
                ).map(Self.reviewRecord(from:))
            }
            for record in rows { result[record.alertID, default: []].append(record) }
        }
        return result
    }

    // MARK: - Archive index

    static func storedMessage(from row: SQLRow) -> StoredMessage {
        StoredMessage(
            msgid: row.string("msgid"), msgtime: row.int64("msgtime"), action: row.string("action"), msgtype: row.string("msgtype"),
            sender: row.string("sender"), senderKind: row.string("sender_kind"), tolist: stringArray(row.optionalString("tolist")),
            roomid: row.string("roomid"), conversation: row.string("conversation"), text: row.string("text"), file: row.string("file"),
            line: row.int("line"), offset: row.int64("offset"), recalls: row.optionalString("recalls"), repair: row.optionalString("repair"))
    }

    /// One message by id.
    public func message(msgid: String) throws(StoreError) -> StoredMessage? {
        try read { db in try db.one("SELECT * FROM messages WHERE msgid = ?", [.text(msgid)]).map(Self.storedMessage(from:)) }
    }

    /// Other records that came with `msgid` but a different text (the index holds the first), in
    /// the order they were seen: text, where it is in the archive.
    public func otherVersions(msgid: String) throws(StoreError) -> [(text: String, file: String, line: Int)] {
        try read { db in
            try db.query("SELECT text, file, line FROM message_versions WHERE msgid = ? ORDER BY seen_at, file, \"offset\"", [.text(msgid)])
                .map { ($0.string("text"), $0.string("file"), $0.int("line")) }
        }
    }

    /// The conversation around a message: up to `before` earlier and `after` later messages of the
    /// same conversation, in time order, the message itself included.
    public func context(msgid: String, before: Int, after: Int) throws(StoreError) -> [StoredMessage]? {
        try read { db in
            guard let row = try db.one("SELECT * FROM messages WHERE msgid = ?", [.text(msgid)]) else { return nil }
            let center = Self.storedMessage(from: row)
            let position: [SQLValue] = [.text(center.conversation), .integer(center.msgtime), row["rowid"]]
            let earlier = try db.query(
                """
                SELECT * FROM messages WHERE conversation = ? AND (msgtime, rowid) < (?, ?)
                ORDER BY msgtime DESC, rowid DESC LIMIT ?
                """,
                position + [SQLValue(before)]
            ).map(Self.storedMessage(from:)).reversed()
            let later = try db.query(
                """
                SELECT * FROM messages WHERE conversation = ? AND (msgtime, rowid) > (?, ?)
                ORDER BY msgtime, rowid LIMIT ?
                """,
                position + [SQLValue(after)]
            ).map(Self.storedMessage(from:))
            return Array(earlier) + [center] + later
        }
    }

    /// The recall records that withdrew any of `msgids`: msgid → the recall's msgid.
    public func recalls(of msgids: [String]) throws(StoreError) -> [String: String] {
        guard !msgids.isEmpty else { return [:] }
        return try read { db in
            var result: [String: String] = [:]
            for row in try db.query("SELECT msgid, recalls FROM messages WHERE recalls IN (\(Self.marks(msgids.count)))", msgids.map(SQLValue.text)) {
                result[row.string("recalls")] = row.string("msgid")
            }
            return result
        }
    }

    /// Full-text search of the archive.
    ///
    /// `text` is found as a substring (any language: both stores index trigrams — SQLite's FTS5
    /// trigram tokenizer, PostgreSQL's pg_trgm). Queries of three or more characters use the
    /// index; shorter ones (two Chinese characters are a common query) fall back to a scan.
    /// With `ftsExpression` (SQLite only), `text` is passed to FTS5 as a query expression
    /// (`"加微信" OR "私聊"`, `返现 NOT 活动`).
    public func search(
        _ text: String, ftsExpression: Bool = false, filter: AlertFilter
    ) throws(StoreError) -> [SearchHit] {
        let needle = text
        let dialect = backend.dialect
        if ftsExpression && dialect == .postgres {
            throw StoreError(path: path, message: "search expressions (--fts) need the SQLite store; PostgreSQL searches plain text")
        }
        let useIndex = ftsExpression || needle.unicodeScalars.count >= 3
        let rows: [StoredMessage] = try read { db in
            let (whereClause, arguments) = filter.sql(senderColumn: "sender")
            let filterSQL = whereClause.isEmpty ? "" : " AND " + whereClause.dropFirst("WHERE ".count)
            var args: [SQLValue] = []
            let sql: String
            switch dialect {
            case .sqlite where useIndex:
                sql = """
                    SELECT messages.* FROM messages_fts JOIN messages ON messages.rowid = messages_fts.rowid
                    WHERE messages_fts MATCH ?\(filterSQL)
                    ORDER BY messages.msgtime DESC, messages.rowid DESC LIMIT ? OFFSET ?
                    """
                args.append(.text(ftsExpression ? needle : Self.ftsPhrase(needle)))
            case .sqlite:
                sql = """
                    SELECT * FROM messages WHERE instr(text, ?) > 0\(filterSQL)
                    ORDER BY msgtime DESC, rowid DESC LIMIT ? OFFSET ?
                    """
                args.append(.text(needle))
            case .postgres:
                // ILIKE '%…%' is served by the pg_trgm GIN index from three characters on.
                sql = """
                    SELECT * FROM messages WHERE text ILIKE ? ESCAPE '\\'\(filterSQL)
                    ORDER BY msgtime DESC, rowid DESC LIMIT ? OFFSET ?
                    """
                args.append(.text("%" + Self.likeEscaped(needle) + "%"))
            }
            args += arguments
            args += [SQLValue(filter.limit), SQLValue(filter.offset)]
            return try db.query(sql, args).map(Self.storedMessage(from:))
        }
        return rows.map { SearchHit(message: $0, ranges: ftsExpression ? [] : Self.occurrences(of: needle, in: $0.text)) }
    }

    /// A substring query as an FTS5 phrase (double quotes doubled inside).
    static func ftsPhrase(_ text: String) -> String {
        var out = "\""
        for c in text { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }

    /// A substring for LIKE: the wildcards and the escape character escaped.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Byte ranges of `needle` in `text`, case-insensitively for ASCII (as the trigram index is).
    static func occurrences(of needle: String, in text: String) -> [Range<Int>] {
        let hay = Array(text.utf8).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        let pin = Array(needle.utf8).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        guard !pin.isEmpty, pin.count <= hay.count else { return [] }
        var result: [Range<Int>] = []
        var i = 0
        while i <= hay.count - pin.count {
            if hay[i] == pin[0] && Array(hay[i..<i + pin.count]) == pin {
                result.append(i..<i + pin.count)
                i += pin.count
            } else {
                i += 1
            }
        }
        return result
    }

    // MARK: - Stats

    /// The local calendar day of an event time, as `YYYY-MM-DD`, in SQL.
    func dayExpression(_ column: String) -> String {
        switch backend.dialect {
        case .sqlite:
            return "date(\(column) / 1000, 'unixepoch', 'localtime')"
        case .postgres:
            // The reader's time zone, as SQLite's 'localtime' is (a zone name only holds
            // letters, digits and / _ + -, so it can sit in the SQL as a literal).
            let zone = TimeZone.current.identifier.filter { $0.isLetter || $0.isNumber || "/_+-".contains($0) }
            return "to_char(to_timestamp(\(column) / 1000.0) AT TIME ZONE '\(zone.isEmpty ? "UTC" : zone)', 'YYYY-MM-DD')"
        }
    }

    /// Counts by category, severity, status, staff member, conversation and day (local time),
    /// for alerts in `filter`'s range.
    public func stats(_ filter: AlertFilter, top: Int = 10) throws(StoreError) -> StatsReport {
        let day = dayExpression("msgtime")
        return try read { db in
            let (whereClause, arguments) = filter.sql()
            func groups(_ expression: String, extraWhere: String = "", limit: Int? = nil, order: String = "n DESC, k") throws -> [(String, Int)] {
                var clause = whereClause
                if !extraWhere.isEmpty { clause += (clause.isEmpty ? "WHERE " : " AND ") + extraWhere }
                var sql = "SELECT \(expression) AS k, count(*) AS n FROM alerts \(clause) GROUP BY k ORDER BY \(order)"
                var args = arguments
                if let limit { sql += " LIMIT ?"; args.append(SQLValue(limit)) }
                return try db.query(sql, args).map { ($0.string("k"), $0.int("n")) }
            }
            var messageWhere: [String] = []
            var messageArgs: [SQLValue] = []
            if let since = filter.since { messageWhere.append("msgtime >= ?"); messageArgs.append(.integer(since)) }
            if let until = filter.until { messageWhere.append("msgtime < ?"); messageArgs.append(.integer(until)) }
            let messages = try db.count(
                "SELECT count(*) FROM messages" + (messageWhere.isEmpty ? "" : " WHERE " + messageWhere.joined(separator: " AND ")), messageArgs)
            return StatsReport(
                messages: messages,
                alerts: try db.count("SELECT count(*) FROM alerts \(whereClause)", arguments),
                quarantined: try db.count("SELECT count(*) FROM quarantine"),
                byCategory: try groups("category"),
                bySeverity: try groups("severity", order: "max(severity_rank) DESC"),
                byStatus: try groups("status"),
                byStaff: try groups("sender", extraWhere: "sender_kind = 'staff'", limit: top),
                byConversation: try groups("conversation", limit: top),
                byDay: try groups(day, order: "k"))
        }
    }
}

/// One alert's review timing, for the report.
public struct ReviewTiming: Sendable, Equatable {
    public var alertID: String
    public var createdAt: Int64
    /// When the first review action was recorded (nil: not reviewed yet).
    public var firstReviewAt: Int64?
}

extension ChatStore {
    /// When each alert in `filter`'s range was created and first reviewed.
    public func reviewTimings(_ filter: AlertFilter) throws(StoreError) -> [ReviewTiming] {
        try read { db in
            let (whereClause, arguments) = filter.sql(prefix: "a.")
            return try db.query(
                """
                SELECT a.id AS id, a.created_at AS created, min(r.at) AS reviewed
                FROM alerts a LEFT JOIN review_actions r ON r.alert_id = a.id
                \(whereClause)
                GROUP BY a.rowid, a.id, a.created_at ORDER BY a.rowid
                """,
                arguments
            ).map { ReviewTiming(alertID: $0.string("id"), createdAt: $0.int64("created"), firstReviewAt: $0.optionalInt64("reviewed")) }
        }
    }
}

/// A notification waiting to be sent.
public struct PendingNotification: Sendable {
    public var channel: String
    public var alert: Alert
    public var immediate: Bool
    public var attempts: Int
    public var enqueuedAt: Int64

    public init(channel: String, alert: Alert, immediate: Bool, attempts: Int, enqueuedAt: Int64) {
        self.channel = channel
        self.alert = alert
        self.immediate = immediate
        self.attempts = attempts
        self.enqueuedAt = enqueuedAt
    }
}

extension ChatStore {
    /// Pending notifications due by `now`, oldest first, at most `limit` per call.
    public func dueNotifications(now: Int64, limit: Int = 1000) throws(StoreError) -> [PendingNotification] {
        try read { db in
            try db.query(
                """
                SELECT n.channel AS n_channel, n.immediate AS n_immediate, n.attempts AS n_attempts, n.enqueued_at AS n_enqueued, a.*
                FROM notifications n JOIN alerts a ON a.id = n.alert_id
                WHERE n.state = 'pending' AND n.next_at <= ? ORDER BY n.enqueued_at, a.rowid LIMIT ?
                """,
                [.integer(now), SQLValue(limit)]
            ).map { row in
                PendingNotification(
                    channel: row.string("n_channel"), alert: Self.alert(from: row), immediate: row.int("n_immediate") != 0,
                    attempts: row.int("n_attempts"), enqueuedAt: row.int64("n_enqueued"))
            }
        }
    }

    /// Marks notifications sent.
    public func markNotified(channel: String, alertIDs: [String], now: Int64 = ChatStore.nowMilliseconds()) throws(StoreError) {
        try write { db in
            try Self.inChunks(
                db, "UPDATE notifications SET state = 'sent', sent_at = ? WHERE channel = ? AND alert_id IN (%@)",
                prefix: [.integer(now), .text(channel)], alertIDs.map(SQLValue.text))
        }
    }

    /// Records a failed attempt: tried again at `retryAt`.
    public func notificationFailed(channel: String, alertIDs: [String], error: String, retryAt: Int64) throws(StoreError) {
        try write { db in
            try Self.inChunks(
                db, "UPDATE notifications SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE channel = ? AND alert_id IN (%@)",
                prefix: [.integer(retryAt), .text(error), .text(channel)], alertIDs.map(SQLValue.text))
        }
    }

    /// Notification counts by channel and state (for metrics and tests).
    public func notificationCounts() throws(StoreError) -> [String: [String: Int]] {
        try read { db in
            var result: [String: [String: Int]] = [:]
            for row in try db.query("SELECT channel, state, count(*) AS n FROM notifications GROUP BY channel, state") {
                result[row.string("channel"), default: [:]][row.string("state")] = row.int("n")
            }
            return result
        }
    }
}
