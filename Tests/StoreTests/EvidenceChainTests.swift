import Foundation
import Testing
import Vocabulary
@testable import Alerts
@testable import Archive
@testable import Store
@testable import Detect

/// The evidence chain on both stores: intact after ordinary use, broken and named after any edit
/// made behind the product's back (issue 15, part 4).
@Suite("Evidence chain", .serialized)
struct EvidenceChainTests {
    /// A store with 5 alerts (one with U+0000 in its text) and two review actions, verified intact.
    func populated(_ kind: StoreKind) throws -> TempStore {
        let temp = try TempStore(kind)
        var batch = RecordBatch()
        batch.messages = (0..<5).map { message("m\($0)", $0 == 2 ? "加微信\u{0}好" : "加微信 \($0)", time: 1000 + Int64($0)) }
        batch.alerts = batch.messages.map { alert(for: $0) }
        try temp.store.record(batch)
        try temp.store.review(alertID: batch.alerts[1].id, action: .acknowledge, reviewer: "alice", note: "ok")
        try temp.store.review(alertID: batch.alerts[3].id, action: .dismiss, reviewer: "bob", note: "not a violation")
        let report = try temp.store.verify(alertLog: nil)
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.alerts == 5 && report.reviews == 2 && report.headSequence == 7)
        return temp
    }

    @Test("ordinary use verifies intact; the same alerts again add nothing to the chain", arguments: StoreKind.allCases)
    func intact(_ kind: StoreKind) throws {
        let temp = try populated(kind)
        var batch = RecordBatch()
        batch.messages = (0..<5).map { message("m\($0)", "加微信 \($0)", time: 1000 + Int64($0)) }
        batch.alerts = batch.messages.map { alert(for: $0) }
        #expect(try temp.store.record(batch).isEmpty)
        let report = try temp.store.verify(alertLog: nil)
        #expect(report.isIntact && report.headSequence == 7)
    }

    @Test("each edit behind the product's back is found and named", arguments: StoreKind.allCases)
    func edits(_ kind: StoreKind) throws {
        let dropGuard =
            kind == .postgres
            ? "DROP TRIGGER review_actions_append_only ON review_actions"
            : "DROP TRIGGER review_actions_no_update"
        let cases: [(String, [String], String)] = [
            (
                "review note", [dropGuard, "UPDATE review_actions SET note = 'changed'"],
                "was changed after it was written: now"
            ),
            (
                "status", ["UPDATE alerts SET status = 'dismissed' WHERE msgid = 'm0'"],
                "the status was changed outside a review"
            ),
            ("evidence", ["UPDATE alerts SET matched = 'x' WHERE msgid = 'm4'"], "was changed after it was written"),
            (
                "deleted alert", ["DELETE FROM notifications", "DELETE FROM alerts WHERE msgid = 'm2'"],
                "was deleted from the store"
            ),
            (
                "inserted alert",
                [
                    """
                    INSERT INTO alerts (id, rule, category, severity, severity_rank, msgid, msgtime, roomid, conversation, sender, tolist,
                        matched, term, span_start, span_end, text, file, line, "offset", details, related, created_at, updated_at)
                    SELECT 'beef' || id, rule, category, severity, severity_rank, msgid, msgtime, roomid, conversation, sender, tolist,
                        matched, term, span_start, span_end, text, file, line, "offset", details, related, created_at, updated_at
                    FROM alerts WHERE msgid = 'm0'
                    """
                ], "inserted behind the product's back"
            ),
            ("chain entry", ["UPDATE evidence_chain SET prev_hash = hash WHERE seq = 3"], "chain entry #3"),
        ]
        for (what, statements, expected) in cases {
            let temp = try populated(kind)
            try temp.store.write { db in for sql in statements { try db.execute(sql) } }
            let report = try temp.store.verify(alertLog: nil)
            #expect(!report.isIntact, "\(kind) \(what): nothing found")
            #expect(report.problems.contains { $0.contains(expected) }, "\(kind) \(what): \(report.problems)")
        }
    }

    @Test("a store made before the chain is chained once at open")
    func backfill() throws {
        let temp = try populated(.sqlite)
        // As an earlier release left it: no chain, backfill pending.
        try temp.store.write { db in
            try db.execute("DELETE FROM evidence_chain")
            try db.execute("UPDATE store_state SET value = 'pending' WHERE key = 'chain_backfill'")
        }
        #expect(try !temp.store.verify(alertLog: nil).isIntact)
        let reopened = try ChatStore(path: temp.location)
        let report = try reopened.verify(alertLog: nil)
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.alerts == 5 && report.reviews == 2)
    }
}

@Suite("Alert id scheme")
struct AlertIDSchemeTests {
    @Test(
        "a store holding alerts under the old ids does not take the same alert again under its new id",
        arguments: StoreKind.allCases)
    func legacyIDs(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        let m = message("m1", "加微信", time: 1000)
        var old = alert(for: m)
        old.id = AlertIDs.legacyContent(rule: "luring", msgid: "m1")
        var batch = RecordBatch()
        batch.messages = [m]
        batch.alerts = [old]
        try temp.store.record(batch)
        // As the migration leaves a store that held alerts before the new scheme.
        try temp.store.write { db in
            try db.execute("UPDATE store_state SET value = 'present' WHERE key = 'legacy_alert_ids'")
        }
        let reopened = try ChatStore(path: temp.location)
        var new = alert(for: m)
        new.legacyID = old.id
        batch.alerts = [new]
        #expect(try reopened.record(batch).isEmpty, "the same alert under its new id is not new")
        #expect(try reopened.counts().alerts == 1)
        // Another message's alert is new.
        let other = message("m2", "加微信", time: 2000)
        var fresh = alert(for: other)
        fresh.legacyID = AlertIDs.legacyContent(rule: "luring", msgid: "m2")
        batch.messages = [other]
        batch.alerts = [fresh]
        #expect(try reopened.record(batch).map(\.id) == [fresh.id])
    }
}
