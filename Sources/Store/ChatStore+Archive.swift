import Alerts
import Vocabulary
import Foundation

/// The conversation-archive index: messages, their conversation, other versions, recalls, search.
extension ChatStore {
    // MARK: - Archive index

    static func storedMessage(from row: SQLRow) -> StoredMessage {
        StoredMessage(
            msgid: row.string("msgid"), msgtime: row.int64("msgtime"), action: row.string("action"),
            msgtype: row.string("msgtype"),
            sender: row.string("sender"),
            senderKind: ParticipantKind(rawValue: row.string("sender_kind"))
                ?? ParticipantKind(id: row.string("sender")), tolist: stringArray(row.optionalString("tolist")),
            roomid: row.string("roomid"), conversation: row.string("conversation"), text: row.string("text"),
            file: row.string("file"),
            line: row.int("line"), offset: row.int64("offset"), recalls: row.optionalString("recalls"),
            repair: row.optionalString("repair"))
    }

    /// One message by id.
    public func message(msgid: String) throws(StoreError) -> StoredMessage? {
        try read { db in
            try db.one("SELECT * FROM messages WHERE msgid = ?", [.text(msgid)]).map(Self.storedMessage(from:))
        }
    }

    /// Other records that came with `msgid` but a different text (the index holds the first), in
    /// the order they were seen: text, where it is in the archive.
    public func otherVersions(msgid: String) throws(StoreError) -> [(text: String, file: String, line: Int)] {
        try read { db in
            try db.query(
                "SELECT text, file, line FROM message_versions WHERE msgid = ? ORDER BY seen_at, file, \"offset\"",
                [.text(msgid)]
            )
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
            for row in try db.query(
                "SELECT msgid, recalls FROM messages WHERE recalls IN (\(Self.marks(msgids.count)))",
                msgids.map(SQLValue.text))
            {
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
            throw StoreError(
                path: path, message: "search expressions (--fts) need the SQLite store; PostgreSQL searches plain text")
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
        return rows.map {
            SearchHit(message: $0, ranges: ftsExpression ? [] : Self.occurrences(of: needle, in: $0.text))
        }
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
}
