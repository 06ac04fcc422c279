import Alerts
import Vocabulary
import Foundation

/// Counts for `stats` and the report, and review turnaround.
extension ChatStore {
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
            return
                "to_char(to_timestamp(\(column) / 1000.0) AT TIME ZONE '\(zone.isEmpty ? "UTC" : zone)', 'YYYY-MM-DD')"
        }
    }

    /// Counts by category, severity, status, staff member, conversation and day (local time),
    /// for alerts in `filter`'s range.
    public func stats(_ filter: AlertFilter, top: Int = 10) throws(StoreError) -> StatsReport {
        let day = dayExpression("msgtime")
        return try read { db in
            let (whereClause, arguments) = filter.sql()
            func groups(
                _ expression: String, extraWhere: String = "", limit: Int? = nil, order: String = "n DESC, k"
            ) throws -> [(String, Int)] {
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
                "SELECT count(*) FROM messages"
                    + (messageWhere.isEmpty ? "" : " WHERE " + messageWhere.joined(separator: " AND ")), messageArgs)
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
            ).map {
                ReviewTiming(
                    alertID: $0.string("id"), createdAt: $0.int64("created"),
                    firstReviewAt: $0.optionalInt64("reviewed"))
            }
        }
    }
}
