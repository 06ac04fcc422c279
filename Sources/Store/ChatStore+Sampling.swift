import Alerts
import Foundation
import Support
import Vocabulary

/// A drawn sample (issue 20): conversations that raised nothing, stratified per staff member per
/// week, and dismissed alerts for a second reviewer; with the seed and the parameters that
/// reproduce it.
public struct Sample: Sendable, Equatable {
    public var id: Int64
    public var seed: UInt64
    public var since: Int64
    public var until: Int64
    public var quietRate: Double
    public var dismissedRate: Double
    public var by: String
    public var at: Int64
}

public struct SampleItem: Sendable, Equatable {
    public enum Kind: String, Sendable { case conversation, dismissed }
    public var id: Int64
    public var sample: Int64
    public var kind: Kind
    /// A conversation key, or an alert id.
    public var ref: String
    public var staff: String
    /// The local week (`2026-W48`) the stratum is.
    public var week: String
    public var status: String  // open, reviewed, finding
    public var reviewer: String
    public var note: String
}

extension ChatStore {
    /// The ISO week of a local time, `2026-W48`.
    static func week(_ ms: Int64) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone.current
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return String(format: "%04d-W%02d", c.yearForWeekOfYear ?? 0, c.weekOfYear ?? 0)
    }

    /// Draws a sample over [since, until): from each (staff member, week) stratum, `quietRate` of
    /// its conversations that raised no alert (at least one when there are any), and
    /// `dismissedRate` of the dismissed alerts (at least one when there are any). Candidates are
    /// sorted before drawing, so the same seed over the same archive draws the same sample.
    public func drawSample(
        since: Int64, until: Int64, quietRate: Double, dismissedRate: Double, seed: UInt64, by: String,
        now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> (Sample, [SampleItem]) {
        try write { db in
            // Staff conversations in the period, with the week of their first message there.
            let rows = try db.query(
                """
                SELECT m.sender AS staff, m.conversation, min(m.msgtime) AS first FROM messages m
                WHERE m.msgtime >= ? AND m.msgtime < ? AND m.sender_kind = 'staff'
                  AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.conversation = m.conversation AND a.msgtime >= ? AND a.msgtime < ?)
                GROUP BY m.sender, m.conversation
                """, [.integer(since), .integer(until), .integer(since), .integer(until)])
            var strata: [String: [(staff: String, ref: String, week: String)]] = [:]
            for row in rows {
                let week = Self.week(row.int64("first"))
                strata[row.string("staff") + "\u{1}" + week, default: []].append(
                    (row.string("staff"), row.string("conversation"), week))
            }
            let dismissed = try db.query(
                "SELECT id, staff, msgtime FROM alerts WHERE status = 'dismissed' AND msgtime >= ? AND msgtime < ?",
                [.integer(since), .integer(until)])
            var dismissedStrata: [String: [(staff: String, ref: String, week: String)]] = [:]
            for row in dismissed {
                let week = Self.week(row.int64("msgtime"))
                dismissedStrata[row.string("staff") + "\u{1}" + week, default: []].append(
                    (row.string("staff"), row.string("id"), week))
            }
            var generator = SeededGenerator(seed: seed)
            func draw(
                _ strata: [String: [(staff: String, ref: String, week: String)]], _ rate: Double
            )
                -> [(staff: String, ref: String, week: String)]
            {
                var chosen: [(staff: String, ref: String, week: String)] = []
                guard rate > 0 else { return chosen }
                for key in strata.keys.sorted() {
                    var candidates = strata[key]!.sorted { $0.ref < $1.ref }
                    let count = min(candidates.count, max(1, Int((Double(candidates.count) * rate).rounded())))
                    candidates.shuffle(using: &generator)
                    chosen += candidates.prefix(count)
                }
                return chosen
            }
            let quiet = draw(strata, quietRate)
            let second = draw(dismissedStrata, dismissedRate)
            let row = try db.one(
                "INSERT INTO samples (seed, since, until, quiet_rate, dismissed_rate, by, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                [
                    .text(String(seed)), .integer(since), .integer(until), .text(String(quietRate)),
                    .text(String(dismissedRate)), .text(by), .integer(now),
                ])
            let id = row?.int64("rowid") ?? 0
            var items: [SampleItem] = []
            for (kind, list) in [(SampleItem.Kind.conversation, quiet), (.dismissed, second)] {
                for pick in list {
                    let item = try db.one(
                        "INSERT INTO sample_items (sample, kind, ref, staff, week) VALUES (?, ?, ?, ?, ?) RETURNING rowid",
                        [.integer(id), .text(kind.rawValue), .text(pick.ref), .text(pick.staff), .text(pick.week)])
                    items.append(
                        SampleItem(
                            id: item?.int64("rowid") ?? 0, sample: id, kind: kind, ref: pick.ref, staff: pick.staff,
                            week: pick.week, status: "open", reviewer: "", note: ""))
                }
            }
            try Self.appendAccess(
                db, account: by, action: "sample", ref: "sample #\(id)",
                detail:
                    "seed \(seed); quiet rate \(quietRate), dismissed rate \(dismissedRate); \(quiet.count) conversation(s), \(second.count) dismissed alert(s)",
                now: now)
            return (
                Sample(
                    id: id, seed: seed, since: since, until: until, quietRate: quietRate, dismissedRate: dismissedRate,
                    by: by, at: now),
                items
            )
        }
    }

    public func samples() throws(StoreError) -> [Sample] {
        try read { db in
            try db.query("SELECT * FROM samples ORDER BY rowid DESC").map {
                Sample(
                    id: $0.int64("rowid"), seed: UInt64($0.string("seed")) ?? 0, since: $0.int64("since"),
                    until: $0.int64("until"), quietRate: Double($0.string("quiet_rate")) ?? 0,
                    dismissedRate: Double($0.string("dismissed_rate")) ?? 0, by: $0.string("by"), at: $0.int64("at"))
            }
        }
    }

    /// A sample's items (nil: every open item of every sample).
    public func sampleItems(sample: Int64? = nil) throws(StoreError) -> [SampleItem] {
        try read { db in
            let rows =
                if let sample {
                    try db.query("SELECT * FROM sample_items WHERE sample = ? ORDER BY rowid", [.integer(sample)])
                } else {
                    try db.query("SELECT * FROM sample_items WHERE status = 'open' ORDER BY rowid")
                }
            return rows.map {
                SampleItem(
                    id: $0.int64("rowid"), sample: $0.int64("sample"),
                    kind: SampleItem.Kind(rawValue: $0.string("kind")) ?? .conversation, ref: $0.string("ref"),
                    staff: $0.string("staff"), week: $0.string("week"), status: $0.string("status"),
                    reviewer: $0.string("reviewer"), note: $0.string("note"))
            }
        }
    }

    /// Records a reviewer's look at a sampled item: nothing found (`reviewed`) or a `finding`.
    public func reviewSampleItem(
        id: Int64, finding: Bool, note: String, by: String, now: Int64 = ChatStore.nowMilliseconds()
    )
        throws(StoreError)
    {
        try write { db in
            guard try db.one("SELECT rowid FROM sample_items WHERE rowid = ?", [.integer(id)]) != nil else {
                throw StoreError(path: self.path, message: "no sample item #\(id)")
            }
            try db.execute(
                "UPDATE sample_items SET status = ?, reviewer = ?, note = ?, reviewed_at = ? WHERE rowid = ?",
                [.text(finding ? "finding" : "reviewed"), .text(by), .text(note), .integer(now), .integer(id)])
            try Self.appendAccess(
                db, account: by, action: finding ? "sample-finding" : "sample-reviewed", ref: "sample item #\(id)",
                detail: note, now: now)
        }
    }
}
