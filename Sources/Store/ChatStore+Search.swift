import Normalize

/// Search of the archive on the search form of each message (``SearchText``), and the one-time
/// indexing of messages stored before it existed.
extension ChatStore {
    /// Finds messages whose search form contains `text`'s (newest first), each with the byte
    /// ranges of its original text that matched.
    ///
    /// Any length is served by the index on SQLite (the bigram index: one character is a prefix
    /// query, two a token, more a phrase); on PostgreSQL `pg_trgm` serves three characters or
    /// more and shorter queries read the column. With `ftsExpression` (SQLite only), `text` is a
    /// query expression (`"加微信" OR "私聊"`, `返现 NOT 活动`): its phrases are searched for as
    /// above, joined by its operators.
    public func search(
        _ text: String, ftsExpression: Bool = false, filter: AlertFilter
    ) throws(StoreError) -> [SearchHit] {
        let dialect = backend.dialect
        if ftsExpression && dialect == .postgres {
            throw StoreError(
                path: path, message: "search expressions (--fts) need the SQLite store; PostgreSQL searches plain text")
        }
        let match: String
        let forms: [[Unicode.Scalar]]
        if ftsExpression {
            do {
                (match, forms) = try SearchText.expression(text)
            } catch {
                throw StoreError(path: path, message: "cannot search for \(text): \(error.description)")
            }
        } else {
            guard let form = SearchText.queryForm(text) else {
                throw StoreError(
                    path: path,
                    message:
                        "nothing to search for in \"\(text)\": search reads letters and digits (punctuation, spaces and emoji are left out, as detection leaves them out)"
                )
            }
            forms = [form]
            match = dialect == .sqlite ? SearchText.matchExpression(form) : String(String.UnicodeScalarView(form))
        }
        let rows: [StoredMessage] = try read { db in
            let (whereClause, arguments) = filter.sql(senderColumn: "sender")
            let filterSQL = whereClause.isEmpty ? "" : " AND " + whereClause.dropFirst("WHERE ".count)
            let sql: String
            let needle: SQLValue
            switch dialect {
            case .sqlite:
                sql = """
                    SELECT messages.* FROM messages_search JOIN messages ON messages.rowid = messages_search.rowid
                    WHERE messages_search MATCH ?\(filterSQL)
                    ORDER BY messages.msgtime DESC, messages.rowid DESC LIMIT ? OFFSET ?
                    """
                needle = .text(match)
            case .postgres:
                // LIKE '%…%' is served by the pg_trgm GIN index from three characters on.
                sql = """
                    SELECT * FROM messages WHERE search_text LIKE ? ESCAPE '\\'\(filterSQL)
                    ORDER BY msgtime DESC, rowid DESC LIMIT ? OFFSET ?
                    """
                needle = .text("%" + Self.likeEscaped(match) + "%")
            }
            let args = [needle] + arguments + [SQLValue(filter.limit), SQLValue(filter.offset)]
            return try db.query(sql, args).map(Self.storedMessage(from:))
        }
        return rows.map { SearchHit(message: $0, ranges: SearchText.highlights(of: forms, in: $0.text)) }
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

    /// Gives the messages stored before the search form existed (a store made by an earlier
    /// release; see schema v9) their search form, 2,000 per transaction. `search_backfill` holds
    /// the last rowid done and the last rowid to do (messages after it were indexed on insert),
    /// so an interrupted backfill resumes, and two processes opening the store at once take
    /// turns rather than index a message twice.
    static func backfillSearchIfPending(_ backend: any SQLBackend) throws(StoreError) {
        let buffers = NormalizationBuffers()
        while true {
            let finished = try backend.write { db -> Bool in
                guard
                    let state = try db.one("SELECT value FROM store_state WHERE key = 'search_backfill'")?
                        .string("value"), state != "done"
                else { return true }
                let bounds = state.split(separator: " ").compactMap { Int64($0) }
                let (last, end) = bounds.count == 2 ? (bounds[0], bounds[1]) : (0, Int64.max)
                let rows = try db.query(
                    "SELECT rowid, text FROM messages WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT 2000",
                    [.integer(last), .integer(end)])
                guard let newest = rows.last?.int64("rowid") else {
                    try db.execute("UPDATE store_state SET value = 'done' WHERE key = 'search_backfill'")
                    return true
                }
                switch db.dialect {
                case .sqlite:
                    try db.insert(
                        searchInsert,
                        rows: rows.compactMap { row in
                            let bigrams = SearchText.bigrams(row.string("text"), buffers: buffers)
                            return bigrams.isEmpty ? nil : [row["rowid"], .text(bigrams)]
                        })
                case .postgres:
                    for row in rows {
                        try db.execute(
                            "UPDATE messages SET search_text = ? WHERE rowid = ?",
                            [.text(SearchText.form(row.string("text"), buffers: buffers)), row["rowid"]])
                    }
                }
                try db.execute(
                    "UPDATE store_state SET value = ? WHERE key = 'search_backfill'", [.text("\(newest) \(end)")])
                return false
            }
            if finished { return }
        }
    }
}
