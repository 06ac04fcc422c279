import Alerts
import Crypto
import Foundation
import Support

/// A legal hold: what a purge must never touch.
public struct LegalHold: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case staff, customer, conversation, `case` }
    public var id: Int64
    public var kind: Kind
    /// A staff or customer id, a conversation key (or room id), or a case name.
    public var subject: String
    public var reason: String
    public var setBy: String
    public var setAt: Int64
    public var liftedBy: String
    public var liftedAt: Int64?
    public var liftReason: String
    public var isActive: Bool { liftedAt == nil }
}

/// What a purge removed (or, in a dry run, would remove).
public struct PurgeResult: Sendable, Equatable {
    public var id: Int64? = nil
    public var messages = 0
    public var alerts = 0
    public var reviews = 0
    /// Rows old enough to go that a hold kept.
    public var heldMessages = 0
    public var heldAlerts = 0
}

/// Retention and legal hold (issue 20).
extension ChatStore {
    /// Conditions under which a message or an alert row (`p`: the table's alias) is held: by
    /// an active hold on a staff member or customer in it, on its conversation, or on a case
    /// holding an alert of its conversation.
    static func heldCondition(_ p: String, staffColumn: String) -> String {
        """
        EXISTS (SELECT 1 FROM legal_holds h WHERE h.lifted_at IS NULL AND (
            (h.kind = 'staff' AND (\(p).sender = h.subject OR \(staffColumn) = h.subject OR \(p).tolist LIKE '%"' || h.subject || '"%'))
            OR (h.kind = 'customer' AND (\(p).sender = h.subject OR \(p).tolist LIKE '%"' || h.subject || '"%'))
            OR (h.kind = 'conversation' AND (\(p).conversation = h.subject OR \(p).roomid = h.subject))
            OR (h.kind = 'case' AND EXISTS (SELECT 1 FROM case_alerts c WHERE c.case_name = h.subject AND c.conversation = \(p).conversation))
        ))
        """
    }

    static func hold(from row: SQLRow) -> LegalHold {
        LegalHold(
            id: row.int64("rowid"), kind: LegalHold.Kind(rawValue: row.string("kind")) ?? .case,
            subject: row.string("subject"), reason: row.string("reason"), setBy: row.string("set_by"),
            setAt: row.int64("set_at"), liftedBy: row.string("lifted_by"),
            liftedAt: row.optionalString("lifted_at").flatMap { Int64($0) }, liftReason: row.string("lift_reason"))
    }

    /// Sets a hold; for a case, `alertIDs` are its alerts (their conversations are held whole).
    @discardableResult
    public func setHold(
        kind: LegalHold.Kind, subject: String, reason: String, by: String, alertIDs: [String] = [],
        now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> Int64 {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError(path: path, message: "a hold needs a reason")
        }
        return try write { db in
            let row = try db.one(
                "INSERT INTO legal_holds (kind, subject, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?) RETURNING rowid",
                [.text(kind.rawValue), .text(subject), .text(reason), .text(by), .integer(now)])
            let id = row?.int64("rowid") ?? 0
            for alertID in alertIDs {
                guard let alert = try db.one("SELECT conversation FROM alerts WHERE id = ?", [.text(alertID)]) else {
                    throw StoreError(path: self.path, message: "no alert \(alertID)")
                }
                try db.execute(
                    "INSERT INTO case_alerts (case_name, alert_id, conversation, added_by, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [.text(subject), .text(alertID), .text(alert.string("conversation")), .text(by), .integer(now)])
            }
            try Self.appendAccess(
                db, account: by, action: "hold-set", ref: "\(kind.rawValue):\(subject)",
                detail:
                    "hold #\(id): \(reason)\(alertIDs.isEmpty ? "" : "; alerts " + alertIDs.joined(separator: ","))",
                now: now)
            return id
        }
    }

    public func liftHold(
        id: Int64, reason: String, by: String, now: Int64 = ChatStore.nowMilliseconds()
    )
        throws(StoreError)
    {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError(path: path, message: "lifting a hold needs a reason")
        }
        try write { db in
            guard let row = try db.one("SELECT * FROM legal_holds WHERE rowid = ?", [.integer(id)]),
                row.optionalString("lifted_at") == nil
            else { throw StoreError(path: self.path, message: "no active hold #\(id)") }
            try db.execute(
                "UPDATE legal_holds SET lifted_by = ?, lifted_at = ?, lift_reason = ? WHERE rowid = ?",
                [.text(by), .integer(now), .text(reason), .integer(id)])
            try Self.appendAccess(
                db, account: by, action: "hold-lift", ref: "\(row.string("kind")):\(row.string("subject"))",
                detail: "hold #\(id): \(reason)", now: now)
        }
    }

    public func holds(includeLifted: Bool = false) throws(StoreError) -> [LegalHold] {
        try read { db in
            try db.query(
                "SELECT * FROM legal_holds \(includeLifted ? "" : "WHERE lifted_at IS NULL") ORDER BY rowid"
            ).map(Self.hold(from:))
        }
    }

    /// The alert ids of a case.
    public func caseAlerts(_ name: String) throws(StoreError) -> [String] {
        try read { db in
            try db.query(
                "SELECT alert_id FROM case_alerts WHERE case_name = ? ORDER BY added_at, alert_id", [.text(name)]
            )
            .map { $0.string("alert_id") }
        }
    }

    /// Removes messages older than `messagesBefore` and alerts (with their review trail and
    /// notifications) older than `alertsBefore`, except what a hold keeps; records the purge in
    /// the evidence chain with the hash of what it removed. `dryRun`: counts only.
    public func purge(
        messagesBefore: Int64?, alertsBefore: Int64?, by: String, dryRun: Bool = false,
        now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> PurgeResult {
        try write { db in
            var result = PurgeResult()
            var removed: [(kind: String, ref: String)] = []
            let heldMessage = Self.heldCondition("m", staffColumn: "m.sender")
            let heldAlert = Self.heldCondition("a", staffColumn: "a.staff")
            if let before = messagesBefore {
                result.heldMessages = try db.count(
                    "SELECT count(*) FROM messages m WHERE m.msgtime < ? AND \(heldMessage)", [.integer(before)])
                let rows = try db.query(
                    "SELECT m.rowid, m.msgid FROM messages m WHERE m.msgtime < ? AND NOT \(heldMessage)",
                    [.integer(before)])
                result.messages = rows.count
                removed += rows.map { ("message", $0.string("msgid")) }
            }
            var alertIDs: [String] = []
            if let before = alertsBefore {
                result.heldAlerts = try db.count(
                    "SELECT count(*) FROM alerts a WHERE a.msgtime < ? AND \(heldAlert)", [.integer(before)])
                alertIDs = try db.query(
                    "SELECT a.id FROM alerts a WHERE a.msgtime < ? AND NOT \(heldAlert)", [.integer(before)]
                ).map { $0.string("id") }
                result.alerts = alertIDs.count
                removed += alertIDs.map { ("alert", $0) }
                for chunk in stride(from: 0, to: alertIDs.count, by: 500).map({
                    Array(alertIDs[$0..<min($0 + 500, alertIDs.count)])
                }) {
                    let reviews = try db.query(
                        "SELECT rowid FROM review_actions WHERE alert_id IN (\(Self.marks(chunk.count)))",
                        chunk.map(SQLValue.text))
                    removed += reviews.map { ("review", $0.string("rowid")) }
                    result.reviews += reviews.count
                }
            }
            guard !dryRun else { return result }
            guard result.messages + result.alerts > 0 else { return result }
            // What was removed, hashed in a fixed order: `verify` recomputes it from purged_rows.
            let removedHash = Self.removedHash(removed)
            let row = try db.one(
                """
                INSERT INTO purges (messages_before, alerts_before, messages, alerts, reviews, held_messages, held_alerts, removed_hash, by, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid
                """,
                [
                    messagesBefore.map(SQLValue.integer) ?? .null, alertsBefore.map(SQLValue.integer) ?? .null,
                    SQLValue(result.messages), SQLValue(result.alerts), SQLValue(result.reviews),
                    SQLValue(result.heldMessages), SQLValue(result.heldAlerts), .text(removedHash), .text(by),
                    .integer(now),
                ])
            let purgeID = row?.int64("rowid") ?? 0
            result.id = purgeID
            try db.insert(
                SQLInsert(table: "purged_rows", columns: ["kind", "ref", "purge"], conflict: "DO NOTHING"),
                rows: removed.map { [.text($0.kind), .text($0.ref), .integer(purgeID)] })
            try db.execute("INSERT INTO store_state (key, value) VALUES ('purging', 'yes')")
            for chunk in stride(from: 0, to: alertIDs.count, by: 500).map({
                Array(alertIDs[$0..<min($0 + 500, alertIDs.count)])
            }) {
                let marks = Self.marks(chunk.count)
                let values = chunk.map(SQLValue.text)
                try db.execute("DELETE FROM review_actions WHERE alert_id IN (\(marks))", values)
                try db.execute("DELETE FROM notifications WHERE alert_id IN (\(marks))", values)
                try db.execute("DELETE FROM alerts WHERE id IN (\(marks))", values)
            }
            if let before = messagesBefore {
                try db.execute(
                    "DELETE FROM message_versions WHERE msgid IN (SELECT m.msgid FROM messages m WHERE m.msgtime < ? AND NOT \(heldMessage))",
                    [.integer(before)])
                try db.execute(
                    "DELETE FROM messages WHERE rowid IN (SELECT m.rowid FROM messages m WHERE m.msgtime < ? AND NOT \(heldMessage))",
                    [.integer(before)])
            }
            try db.execute("DELETE FROM store_state WHERE key = 'purging'")
            let values: [SQLValue] = [
                messagesBefore.map(SQLValue.integer) ?? .null, alertsBefore.map(SQLValue.integer) ?? .null,
                SQLValue(result.messages), SQLValue(result.alerts), SQLValue(result.reviews), .text(removedHash),
                .text(by),
                .integer(now),
            ]
            try EvidenceChain.append(
                [(.purge, String(purgeID), EvidenceChain.contentHash(values.map(db.dialect.stored)))], db, now: now)
            try Self.appendAccess(
                db, account: by, action: "purge", ref: "purge #\(purgeID)",
                detail:
                    "\(result.messages) message(s), \(result.alerts) alert(s), \(result.reviews) review action(s); held \(result.heldMessages) message(s), \(result.heldAlerts) alert(s)",
                now: now)
            return result
        }
    }

    /// When retention was last applied (a daemon's daily check; store_state 'retention_checked').
    public func lastPurgeCheck() throws(StoreError) -> Int64? {
        try read { db in
            try db.one("SELECT value FROM store_state WHERE key = 'retention_checked'").flatMap {
                Int64($0.string("value"))
            }
        }
    }

    public func notePurgeCheck(at: Int64) throws(StoreError) {
        try write { db in
            try db.execute("DELETE FROM store_state WHERE key = 'retention_checked'")
            try db.execute("INSERT INTO store_state (key, value) VALUES ('retention_checked', ?)", [.text(String(at))])
        }
    }

    static func removedHash(_ removed: [(kind: String, ref: String)]) -> String {
        var hasher = SHA256()
        for item in removed.sorted(by: { ($0.kind, $0.ref) < ($1.kind, $1.ref) }) {
            hasher.update(data: Array((item.kind + "\u{1}" + item.ref + "\n").utf8))
        }
        return Hex.lowercase(hasher.finalize())
    }
}
