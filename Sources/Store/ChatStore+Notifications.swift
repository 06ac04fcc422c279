import Alerts
import Vocabulary
import Foundation

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
                    channel: row.string("n_channel"), alert: Self.alert(from: row),
                    immediate: row.int("n_immediate") != 0,
                    attempts: row.int("n_attempts"), enqueuedAt: row.int64("n_enqueued"))
            }
        }
    }

    /// Marks notifications sent.
    public func markNotified(
        channel: String, alertIDs: [String], now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) {
        try write { db in
            try Self.inChunks(
                db, "UPDATE notifications SET state = 'sent', sent_at = ? WHERE channel = ? AND alert_id IN (%@)",
                prefix: [.integer(now), .text(channel)], alertIDs.map(SQLValue.text))
        }
    }

    /// Records a failed attempt: tried again at `retryAt`.
    public func notificationFailed(
        channel: String, alertIDs: [String], error: String, retryAt: Int64
    ) throws(StoreError) {
        try write { db in
            try Self.inChunks(
                db,
                "UPDATE notifications SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE channel = ? AND alert_id IN (%@)",
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
