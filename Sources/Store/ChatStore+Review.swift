import Alerts
public import Vocabulary
import Foundation

/// Alerts for review: listing, finding by id prefix, review actions and the trail.
extension ChatStore {
    // MARK: - Alerts

    static func storedAlert(from row: SQLRow) -> StoredAlert {
        StoredAlert(
            alert: alert(from: row), status: AlertStatus(rawValue: row.string("status")) ?? .new,
            createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"),
            staff: row.optionalString("staff") ?? "", assignee: row.optionalString("assignee") ?? "",
            ruleVersion: row.optionalString("rule_version") ?? "")
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
    /// `reviewer` is the account the action is for; `actor` the account that recorded it when
    /// that is someone else (an admin acting for a reviewer). Throws ``ReviewRefusal`` reasons
    /// as a ``StoreError`` when the action does not apply (see ``review(alertIDs:…)``).
    @discardableResult
    public func review(
        alertID: String, action: ReviewAction, reviewer: String, note: String, actor: String = "",
        fourEyes: Bool = true, now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> StoredAlert {
        let outcome = try review(
            alertIDs: [alertID], action: action, reviewer: reviewer, note: note, actor: actor, fourEyes: fourEyes,
            now: now)
        if let refusal = outcome.refused.first { throw StoreError(path: path, message: refusal.reason.message(.en)) }
        return outcome.done[0]
    }

    /// What a review of several alerts did: the alerts changed, and those it did not apply to with why.
    public struct ReviewOutcome: Sendable {
        public var done: [StoredAlert] = []
        /// The status each alert of `done` had before.
        public var previous: [AlertStatus] = []
        public var refused: [(alertID: String, reason: ReviewRefusal)] = []
        public init() {}
    }

    /// Records one review action on many alerts in one transaction (bulk actions of the queue and
    /// the CLI). Alerts the action does not apply to are left alone and listed with the reason:
    /// a dismissal needs a note; confirm and reject need a pending dismissal, confirmed by someone
    /// other than who dismissed it; assign needs the assignee's name as its note.
    public func review(
        alertIDs: [String], action: ReviewAction, reviewer: String, note: String, actor: String = "",
        fourEyes: Bool = true, now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> ReviewOutcome {
        if action == .dismiss && note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var outcome = ReviewOutcome()
            outcome.refused = alertIDs.map { ($0, .needsNote) }
            return outcome
        }
        if action == .assign && note.isEmpty {
            var outcome = ReviewOutcome()
            outcome.refused = alertIDs.map { ($0, .needsAssignee) }
            return outcome
        }
        return try write { db in
            var outcome = ReviewOutcome()
            var chained: [(kind: EvidenceChain.Kind, ref: String, content: String)] = []
            for alertID in alertIDs {
                guard let row = try db.one("SELECT * FROM alerts WHERE id = ?", [.text(alertID)]) else {
                    outcome.refused.append((alertID, .noAlert(alertID)))
                    continue
                }
                var stored = Self.storedAlert(from: row)
                let before = stored.status
                if action == .confirm || action == .reject {
                    guard stored.status == .pendingDismissal else {
                        outcome.refused.append((alertID, .notPending(alertID, stored.status)))
                        continue
                    }
                    let dismissedBy = try db.one(
                        "SELECT reviewer FROM review_actions WHERE alert_id = ? AND action = 'dismiss' ORDER BY rowid DESC LIMIT 1",
                        [.text(alertID)])?.string("reviewer")
                    if action == .confirm && dismissedBy == reviewer {
                        outcome.refused.append((alertID, .sameReviewer(reviewer, alertID)))
                        continue
                    }
                }
                let status = action.status(from: stored.status, severity: stored.alert.severity, fourEyes: fourEyes)
                let assignee: String? =
                    switch action {
                    case .claim: reviewer
                    case .assign: note
                    default: nil
                    }
                if let assignee {
                    try db.execute(
                        "UPDATE alerts SET assignee = ?, updated_at = ? WHERE id = ?",
                        [.text(assignee), .integer(now), .text(alertID)])
                    stored.assignee = assignee
                } else {
                    try db.execute(
                        "UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?",
                        [.text(status.rawValue), .integer(now), .text(alertID)])
                }
                var values: [SQLValue] = [
                    .text(alertID), .text(action.rawValue), .text(status.rawValue), .text(reviewer), .text(note),
                    .integer(now),
                ]
                let rowid = try db.one(
                    "INSERT INTO review_actions (alert_id, action, status, reviewer, note, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                    values + [.text(actor)])
                if !actor.isEmpty { values.append(.text(actor)) }
                chained.append(
                    (.review, rowid?.string("rowid") ?? "", EvidenceChain.contentHash(values.map(db.dialect.stored))))
                stored.status = status
                stored.updatedAt = now
                outcome.done.append(stored)
                outcome.previous.append(before)
            }
            try EvidenceChain.append(chained, db, now: now)
            return outcome
        }
    }

    static func reviewRecord(from row: SQLRow) -> ReviewRecord {
        ReviewRecord(
            alertID: row.string("alert_id"), action: ReviewAction(rawValue: row.string("action")) ?? .reopen,
            status: AlertStatus(rawValue: row.string("status")) ?? .new,
            reviewer: row.string("reviewer"), note: row.string("note"), at: row.int64("at"),
            actor: row.optionalString("actor") ?? "")
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
