import Alerts
public import Vocabulary
import Foundation

/// Alerts for review: listing, finding by id prefix, review actions and the trail.
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
            try db.query(
                "SELECT * FROM alerts WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                [.text(prefix), .text(prefix + "g")]
            )
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
            try db.execute(
                "UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?",
                [.text(action.status.rawValue), .integer(now), .text(alertID)])
            let values: [SQLValue] = [
                .text(alertID), .text(action.rawValue), .text(action.status.rawValue), .text(reviewer), .text(note),
                .integer(now),
            ]
            let rowid = try db.one(
                "INSERT INTO review_actions (alert_id, action, status, reviewer, note, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid",
                values)
            try EvidenceChain.append(
                [(.review, rowid?.string("rowid") ?? "", EvidenceChain.contentHash(values.map(db.dialect.stored)))], db,
                now: now)
            var stored = Self.storedAlert(from: row)
            stored.status = action.status
            stored.updatedAt = now
            return stored
        }
    }

    static func reviewRecord(from row: SQLRow) -> ReviewRecord {
        ReviewRecord(
            alertID: row.string("alert_id"), action: ReviewAction(rawValue: row.string("action")) ?? .reopen,
            status: AlertStatus(rawValue: row.string("status")) ?? .new,
            reviewer: row.string("reviewer"), note: row.string("note"), at: row.int64("at"))
    }

    /// The review trail of one alert, oldest first.
    public func reviewTrail(alertID: String) throws(StoreError) -> [ReviewRecord] {
        try read { db in
            try db.query("SELECT * FROM review_actions WHERE alert_id = ? ORDER BY rowid", [.text(alertID)]).map(
                Self.reviewRecord(from:))
        }
    }

    /// The review trails of many alerts (for export), keyed by alert id.
    public func reviewTrails(alertIDs: [String]) throws(StoreError) -> [String: [ReviewRecord]] {
        var result: [String: [ReviewRecord]] = [:]
        for chunk in stride(from: 0, to: alertIDs.count, by: 500).map({
            Array(alertIDs[$0..<min($0 + 500, alertIDs.count)])
        }) {
            let rows: [ReviewRecord] = try read { db in
                try db.query(
                    "SELECT * FROM review_actions WHERE alert_id IN (\(Self.marks(chunk.count))) ORDER BY rowid",
                    chunk.map(SQLValue.text)
                ).map(Self.reviewRecord(from:))
            }
            for record in rows { result[record.alertID, default: []].append(record) }
        }
        return result
    }
}
