import Alerts
import Crypto
import Foundation
public import Support

/// Evidence nobody edits unnoticed: one hash chain over every alert and every review action, in
/// the order they were committed.
///
/// Each entry names a row (`kind` + `ref`: an alert id, a review action's rowid) and carries the
/// SHA-256 of that row's content (the columns that never change once written, as the database
/// holds them), the previous entry's hash, and its own hash, SHA-256(previous ‖ content). The
/// entry is written in the transaction that writes the row, so the chain and the rows never
/// disagree unless someone edits the database behind the product's back: then
/// ``ChatStore/verify()`` finds the first broken link — a row whose content no longer hashes to
/// its entry, an entry whose row is gone, a row without an entry, a link that does not follow —
/// and says what differs. An alert's status is not chained (reviews change it); it is checked
/// against the trail that set it, which is.
///
/// What this does not stop: someone who rewrites rows *and* recomputes the whole chain from
/// there on. Against that, the alert log (append-only, shipped elsewhere) is compared with the
/// store, and `verify` prints the chain's head, for an auditor to keep.
enum EvidenceChain {
    enum Kind: String {
        case alert, review, access, purge
    }

    /// The purge columns that are chained (with `removed_hash`, the hash of every row it removed).
    static let purgeColumns = [
        "messages_before", "alerts_before", "messages", "alerts", "reviews", "removed_hash", "by", "at",
    ]

    /// The previous hash of the first entry.
    static let genesis = String(repeating: "0", count: 64)

    /// The alert columns that are chained: everything that never changes once the alert is
    /// written (status, `updated_at` and `logged` change with reviews and the alert log).
    static let alertColumns = [
        "id", "rule", "category", "severity", "severity_rank", "msgid", "msgtime", "roomid", "conversation", "sender",
        "tolist", "matched", "term", "span_start", "span_end", "text", "file", "line", "offset", "details", "related",
        "created_at", "sender_kind", "origin",
    ]
    /// The alert columns chained for a row as read: `rule_version`, added later, only when set.
    static func alertColumns(of row: SQLRow) -> [String] {
        (row.optionalString("rule_version") ?? "").isEmpty ? alertColumns : alertColumns + ["rule_version"]
    }
    /// The review-action columns that are chained (all of them; `actor`, added later, only when
    /// set, so that rows written before it hash as they did).
    static let reviewColumns = ["alert_id", "action", "status", "reviewer", "note", "at"]
    static func reviewColumns(of row: SQLRow) -> [String] {
        (row.optionalString("actor") ?? "").isEmpty ? reviewColumns : reviewColumns + ["actor"]
    }
    /// The access-log columns that are chained (all of them).
    static let accessColumns = ["account", "action", "ref", "detail", "at"]

    /// SHA-256 of values in a fixed order, each tagged and length-prefixed so that no two
    /// different rows encode alike.
    static func contentHash(_ values: [SQLValue]) -> String {
        var hasher = SHA256()
        for value in values {
            switch value {
            case .null:
                hasher.update(data: [0])
            case .integer(let v):
                hasher.update(data: [1])
                withUnsafeBytes(of: v.bigEndian) { hasher.update(bufferPointer: $0) }
            case .text(let s):
                let bytes = Array(s.utf8)
                hasher.update(data: [2])
                withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
                hasher.update(data: bytes)
            }
        }
        return hex(hasher.finalize())
    }

    /// The content hash of a row as read from the store.
    static func contentHash(of row: SQLRow, columns: [String]) -> String {
        contentHash(columns.map { row[$0] })
    }

    static func link(previous: String, content: String) -> String {
        hex(SHA256.hash(data: Array((previous + content).utf8)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { Hex.lowercase(digest) }

    /// Appends entries for rows just written, in this transaction. On PostgreSQL a transaction
    /// lock makes daemons writing at once take turns at the chain's head.
    static func append(
        _ entries: [(kind: Kind, ref: String, content: String)], _ db: any SQLExecutor, now: Int64
    ) throws {
        guard !entries.isEmpty else { return }
        if db.dialect == .postgres {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext('chatwarden-evidence-chain'))")
        }
        let head = try db.one("SELECT seq, hash FROM evidence_chain ORDER BY seq DESC LIMIT 1")
        var seq = head?.int64("seq") ?? 0
        var previous = head?.string("hash") ?? genesis
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(entries.count)
        for entry in entries {
            seq += 1
            let hash = link(previous: previous, content: entry.content)
            rows.append([
                .integer(seq), .text(entry.kind.rawValue), .text(entry.ref), .text(entry.content), .text(previous),
                .text(hash), .integer(now),
            ])
            previous = hash
        }
        try db.insert(entryInsert, rows: rows)
    }

    static let entryInsert = SQLInsert(
        table: "evidence_chain", columns: ["seq", "kind", "ref", "content_hash", "prev_hash", "hash", "at"],
        conflict: "DO NOTHING")

    /// Chains rows written before the chain existed (a store made by an earlier release), once,
    /// in the order they were written: alerts, then review actions.
    static func backfillIfPending(_ db: any SQLExecutor, now: Int64) throws {
        guard try db.one("SELECT value FROM store_state WHERE key = 'chain_backfill'")?.string("value") == "pending"
        else { return }
        let alerts = try db.query(
            "SELECT * FROM alerts WHERE id NOT IN (SELECT ref FROM evidence_chain WHERE kind = 'alert') ORDER BY rowid")
        try append(
            alerts.map { (.alert, $0.string("id"), contentHash(of: $0, columns: alertColumns(of: $0))) }, db, now: now)
        let reviews = try db.query(
            "SELECT * FROM review_actions WHERE CAST(rowid AS TEXT) NOT IN (SELECT ref FROM evidence_chain WHERE kind = 'review') ORDER BY rowid"
        )
        try append(
            reviews.map { (.review, $0.string("rowid"), contentHash(of: $0, columns: reviewColumns(of: $0))) }, db,
            now: now)
        try db.execute("UPDATE store_state SET value = 'done' WHERE key = 'chain_backfill'")
    }
}

/// What ``ChatStore/verify(alertLog:)`` found.
public struct VerifyReport: Sendable {
    /// Entries checked, by kind.
    public var alerts = 0
    public var reviews = 0
    /// Access-log entries chained (views, searches, exports, account changes).
    public var accesses = 0
    /// Purges chained, and the alerts and review actions they removed (not problems).
    public var purges = 0
    public var purged = 0
    /// The chain's last entry (sequence number and hash), for an auditor to keep.
    public var headSequence: Int64 = 0
    public var headHash = EvidenceChain.genesis
    /// Alert-log lines checked.
    public var logLines = 0
    /// Every problem found, the first broken link first; each a sentence naming what differs.
    public var problems: [String] = []

    public var isIntact: Bool { problems.isEmpty }
}

extension ChatStore {
    /// Walks the evidence chain against the rows it covers, checks every alert's status against
    /// its review trail, and compares the alert log's lines (`alertLog`: the log's lines, when
    /// there is one) with the store. Reads only; the first broken link is reported first.
    public func verify(alertLog: [String]?) throws(StoreError) -> VerifyReport {
        try read { db in
            var report = VerifyReport()
            let logged = Self.loggedAlerts(alertLog ?? [])
            report.logLines = alertLog?.count ?? 0
            try Self.walkChain(db, logged: logged, into: &report)
            try Self.findUnchained(db, into: &report)
            try Self.checkStatuses(db, into: &report)
            if alertLog != nil { try compareAlertLog(db, logged: logged, into: &report) }
            return report
        }
    }

    /// The chain, in order: each link follows the one before, each entry's hash is its own, each
    /// row it names is there and hashes to what was chained.
    static func walkChain(_ db: any SQLExecutor, logged: [String: JSONValue], into report: inout VerifyReport) throws {
        var expected: Int64 = 1
        var previous = EvidenceChain.genesis
        var after: Int64 = 0
        while true {
            let page = try db.query(
                "SELECT * FROM evidence_chain WHERE seq > ? ORDER BY seq LIMIT 5000", [.integer(after)])
            guard let last = page.last else { break }
            after = last.int64("seq")
            let alertIDs = page.filter { $0.string("kind") == EvidenceChain.Kind.alert.rawValue }.map {
                SQLValue.text($0.string("ref"))
            }
            let reviewIDs = page.filter { $0.string("kind") == EvidenceChain.Kind.review.rawValue }.compactMap {
                Int64($0.string("ref"))
            }
            var alerts: [String: SQLRow] = [:]
            for row in try Self.rows(db, "SELECT * FROM alerts WHERE id IN (%@)", alertIDs) {
                alerts[row.string("id")] = row
            }
            // Rows a chained purge removed are gone on purpose (the purge entry vouches for them).
            var purged = Set<String>()
            for row in try Self.rows(
                db, "SELECT kind, ref FROM purged_rows WHERE ref IN (%@)",
                page.map { SQLValue.text($0.string("ref")) })
            {
                purged.insert(row.string("kind") + "\u{1}" + row.string("ref"))
            }
            var accesses: [String: SQLRow] = [:]
            let accessIDs = page.filter { $0.string("kind") == EvidenceChain.Kind.access.rawValue }.compactMap {
                Int64($0.string("ref"))
            }
            for row in try Self.rows(
                db, "SELECT * FROM access_log WHERE rowid IN (%@)", accessIDs.map(SQLValue.integer))
            {
                accesses[row.string("rowid")] = row
            }
            var reviews: [String: SQLRow] = [:]
            for row in try Self.rows(
                db, "SELECT * FROM review_actions WHERE rowid IN (%@)", reviewIDs.map(SQLValue.integer))
            {
                reviews[row.string("rowid")] = row
            }
            for entry in page {
                let seq = entry.int64("seq"), ref = entry.string("ref"), kind = entry.string("kind")
                let name =
                    kind == "alert"
                    ? "alert \(ref)" : kind == "access" ? "access-log entry \(ref)" : "review action \(ref)"
                if seq != expected {
                    report.problems.append(
                        "chain entries #\(expected)…#\(seq - 1) are missing: deleted (the chain jumps from #\(expected - 1) to #\(seq))"
                    )
                }
                if entry.string("prev_hash") != previous {
                    report.problems.append(
                        "chain entry #\(seq) (\(name)) does not follow entry #\(seq - 1): an entry before it was changed, removed or inserted"
                    )
                }
                if entry.string("hash")
                    != EvidenceChain.link(previous: entry.string("prev_hash"), content: entry.string("content_hash"))
                {
                    report.problems.append(
                        "chain entry #\(seq) (\(name)) was edited: its hash is not the hash of its content")
                }
                switch kind {
                case "alert":
                    report.alerts += 1
                    if let row = alerts[ref] {
                        if EvidenceChain.contentHash(of: row, columns: EvidenceChain.alertColumns(of: row))
                            != entry.string("content_hash")
                        {
                            let what = logged[ref].map { Self.differences(row, $0) } ?? ""
                            report.problems.append(
                                "\(name) (chain entry #\(seq)) was changed after it was written\(what.isEmpty ? "" : ": " + what)"
                            )
                        }
                    } else if purged.contains("alert\u{1}" + ref) {
                        report.purged += 1
                    } else {
                        report.problems.append("\(name) (chain entry #\(seq)) was deleted from the store")
                    }
                case "review":
                    report.reviews += 1
                    if let row = reviews[ref] {
                        if EvidenceChain.contentHash(of: row, columns: EvidenceChain.reviewColumns(of: row))
                            != entry.string("content_hash")
                        {
                            report.problems.append(
                                "\(name) (chain entry #\(seq), alert \(row.string("alert_id"))) was changed after it was written: now "
                                    + "\(row.string("action")) → \(row.string("status")) by \(row.string("reviewer")) at "
                                    + TimeFormat.iso8601UTC(milliseconds: row.int64("at")))
                        }
                    } else if purged.contains("review\u{1}" + ref) {
                        report.purged += 1
                    } else {
                        report.problems.append("\(name) (chain entry #\(seq)) was deleted from the review trail")
                    }
                case "purge":
                    report.purges += 1
                    if let row = try db.one("SELECT * FROM purges WHERE rowid = ?", [.integer(Int64(ref) ?? -1)]) {
                        if EvidenceChain.contentHash(of: row, columns: EvidenceChain.purgeColumns)
                            != entry.string("content_hash")
                        {
                            report.problems.append(
                                "purge #\(ref) (chain entry #\(seq)) was changed after it was written")
                        }
                        let removed = try db.query(
                            "SELECT kind, ref FROM purged_rows WHERE purge = ?", [.integer(Int64(ref) ?? -1)]
                        )
                        .map { (kind: $0.string("kind"), ref: $0.string("ref")) }
                        if ChatStore.removedHash(removed) != row.string("removed_hash") {
                            report.problems.append(
                                "purge #\(ref) (chain entry #\(seq)) does not list what it removed: rows were added to or taken from its record (a deletion passed off as a purge)"
                            )
                        }
                    } else {
                        report.problems.append(
                            "purge #\(ref) (chain entry #\(seq)) was deleted from the record of purges")
                    }
                case "access":
                    report.accesses += 1
                    if let row = accesses[ref] {
                        if EvidenceChain.contentHash(of: row, columns: EvidenceChain.accessColumns)
                            != entry.string("content_hash")
                        {
                            report.problems.append("\(name) (chain entry #\(seq)) was changed after it was written")
                        }
                    } else {
                        report.problems.append("\(name) (chain entry #\(seq)) was deleted from the access log")
                    }
                default:
                    report.problems.append("chain entry #\(seq) has an unknown kind '\(kind)'")
                }
                previous = entry.string("hash")
                expected = seq + 1
                report.headSequence = seq
                report.headHash = previous
            }
        }
    }

    /// Rows the chain does not know: written behind the product's back.
    static func findUnchained(_ db: any SQLExecutor, into report: inout VerifyReport) throws {
        for row in try db.query(
            "SELECT id FROM alerts WHERE id NOT IN (SELECT ref FROM evidence_chain WHERE kind = 'alert') ORDER BY rowid"
        ) {
            report.problems.append("alert \(row.string("id")) is not in the chain: inserted behind the product's back")
        }
        for row in try db.query(
            "SELECT rowid, alert_id FROM review_actions WHERE CAST(rowid AS TEXT) NOT IN (SELECT ref FROM evidence_chain WHERE kind = 'review') ORDER BY rowid"
        ) {
            report.problems.append(
                "review action \(row.string("rowid")) (alert \(row.string("alert_id"))) is not in the chain: inserted behind the product's back"
            )
        }
        for row in try db.query(
            "SELECT rowid FROM access_log WHERE CAST(rowid AS TEXT) NOT IN (SELECT ref FROM evidence_chain WHERE kind = 'access') ORDER BY rowid"
        ) {
            report.problems.append(
                "access-log entry \(row.string("rowid")) is not in the chain: inserted behind the product's back")
        }
    }

    /// Each alert's status is the one its (chained) review trail set.
    static func checkStatuses(_ db: any SQLExecutor, into report: inout VerifyReport) throws {
        for row in try db.query(
            """
            SELECT a.id, a.status,
                   (SELECT r.status FROM review_actions r WHERE r.alert_id = a.id ORDER BY r.rowid DESC LIMIT 1) AS trail
            FROM alerts a ORDER BY a.rowid
            """)
        {
            let trail = row.optionalString("trail") ?? "new"
            if row.string("status") != trail {
                report.problems.append(
                    "alert \(row.string("id")) has status '\(row.string("status"))' but its review trail says '\(trail)': the status was changed outside a review"
                )
            }
        }
    }

    /// The alert log against the store: every line an alert the store holds, alike; every alert
    /// this daemon marked as logged in the log.
    func compareAlertLog(_ db: any SQLExecutor, logged: [String: JSONValue], into report: inout VerifyReport) throws {
        var inLog = Set<String>()
        for (id, line) in logged {
            inLog.insert(id)
            guard let row = try db.one("SELECT * FROM alerts WHERE id = ?", [.text(id)]) else {
                // The alert log is append-only and kept elsewhere: retention removes alerts from
                // the store only, and the purge's record says which.
                if try db.one("SELECT ref FROM purged_rows WHERE kind = 'alert' AND ref = ?", [.text(id)]) == nil {
                    report.problems.append("alert \(id) is in the alert log but not in the store")
                }
                continue
            }
            let what = Self.differences(row, line)
            if !what.isEmpty {
                report.problems.append("alert \(id) differs between the alert log and the store: \(what)")
            }
        }
        for row in try db.query("SELECT id FROM alerts WHERE logged = 1 AND origin = ? ORDER BY rowid", [.text(daemon)])
        where !inLog.contains(row.string("id")) {
            report.problems.append("alert \(row.string("id")) is marked as logged but is not in the alert log")
        }
    }

    /// `sql` (with one `IN (%@)` list) for `values` in chunks of 500, all rows.
    static func rows(_ db: any SQLExecutor, _ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        var result: [SQLRow] = []
        var start = 0
        while start < values.count {
            let chunk = Array(values[start..<min(start + 500, values.count)])
            result += try db.query(sql.replacingOccurrences(of: "%@", with: marks(chunk.count)), chunk)
            start += chunk.count
        }
        return result
    }

    /// The alert log's lines by alert id (the last line of an id wins; lines that do not parse are skipped).
    static func loggedAlerts(_ lines: [String]) -> [String: JSONValue] {
        var byID: [String: JSONValue] = [:]
        for line in lines where !line.isEmpty {
            guard let value = try? JSONParser.parse(line), let id = value["id"]?.stringValue else { continue }
            byID[id] = value
        }
        return byID
    }

    /// The fields in which a stored alert differs from its alert-log line, as "field: log «a», store «b»".
    static func differences(_ row: SQLRow, _ line: JSONValue) -> String {
        let pairs: [(String, String)] = [
            ("rule", "rule"), ("category", "category"), ("severity", "severity"), ("msgid", "msgid"),
            ("msgtime", "msgtime"),
            ("from", "sender"), ("matched", "matched"), ("term", "term"), ("text", "text"), ("file", "file"),
            ("line", "line"),
            ("offset", "offset"), ("details", "details"),
        ]
        var out: [String] = []
        for (key, column) in pairs {
            let logValue = line[key].map { $0.stringValue ?? $0.int64Value.map(String.init) ?? "" } ?? ""
            let stored = row[column].string ?? ""
            if logValue != stored { out.append("\(key): log «\(logValue.prefix(80))», store «\(stored.prefix(80))»") }
        }
        return out.joined(separator: "; ")
    }
}

/// One link of the evidence chain, as an evidence bundle carries it.
public struct ChainEntry: Sendable, Equatable {
    public var seq: Int64
    public var kind: String
    public var ref: String
    public var contentHash: String
    public var previousHash: String
    public var hash: String
    public var at: Int64

    public var jsonObject: JSONValue {
        .object([
            ("seq", .integer(seq)), ("kind", .string(kind)), ("ref", .string(ref)),
            ("content_hash", .string(contentHash)), ("prev_hash", .string(previousHash)), ("hash", .string(hash)),
            ("at", .string(TimeFormat.iso8601UTC(milliseconds: at))),
        ])
    }
}

extension ChatStore {
    /// The chain entries of these rows (`kind`: alert, review, access; `refs`: alert ids or rowids).
    public func chainEntries(kind: String, refs: [String]) throws(StoreError) -> [ChainEntry] {
        guard !refs.isEmpty else { return [] }
        var entries: [ChainEntry] = []
        for chunk in stride(from: 0, to: refs.count, by: 500).map({ Array(refs[$0..<min($0 + 500, refs.count)]) }) {
            let rows: [SQLRow] = try read { db in
                try db.query(
                    "SELECT * FROM evidence_chain WHERE kind = ? AND ref IN (\(Self.marks(chunk.count))) ORDER BY seq",
                    [.text(kind)] + chunk.map(SQLValue.text))
            }
            entries += rows.map(Self.chainEntry(from:))
        }
        return entries.sorted { $0.seq < $1.seq }
    }

    /// The newest entry of the chain (nil for an empty store).
    public func chainHead() throws(StoreError) -> ChainEntry? {
        try read { db in
            try db.one("SELECT * FROM evidence_chain ORDER BY seq DESC LIMIT 1").map(Self.chainEntry(from:))
        }
    }

    static func chainEntry(from row: SQLRow) -> ChainEntry {
        ChainEntry(
            seq: row.int64("seq"), kind: row.string("kind"), ref: row.string("ref"),
            contentHash: row.string("content_hash"), previousHash: row.string("prev_hash"), hash: row.string("hash"),
            at: row.int64("at"))
    }

    /// The rowids of an alert's review actions (their chain refs).
    public func reviewRowids(alertID: String) throws(StoreError) -> [String] {
        try read { db in
            try db.query("SELECT rowid FROM review_actions WHERE alert_id = ? ORDER BY rowid", [.text(alertID)]).map {
                $0.string("rowid")
            }
        }
    }
}
