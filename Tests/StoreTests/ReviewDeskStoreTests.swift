import Foundation
import Testing
@testable import Alerts
@testable import Archive
@testable import Store
import Vocabulary

/// The store's side of the review desk (issue 19), on both stores: accounts, four-eyes,
/// assignment, actions recorded for someone else, the access log, all in the evidence chain.
@Suite("Store: review desk")
struct ReviewDeskStoreTests {
    func holding(_ kind: StoreKind) throws -> (TempStore, high: Alert, low: Alert, customer: Alert) {
        let temp = try TempStore(kind)
        let m1 = message("m1", "加微信", time: 1000)
        let m2 = message("m2", "最好的产品", time: 2000)
        let m3 = message("m3", "加我私人微信", time: 3000, from: "wmCustomer00000000001", to: "lisi")
        var batch = RecordBatch()
        batch.messages = [m1, m2, m3]
        let high = alert(for: m1),
            low = alert(for: m2, rule: "absolute-terms", severity: .low, category: "absolute-terms")
        let customer = alert(for: m3)
        batch.alerts = [high, low, customer]
        try temp.store.record(batch)
        return (temp, high, low, customer)
    }

    @Test(
        "an alert is about a staff member: its staff sender, or the staff member a customer wrote to",
        arguments: StoreKind.allCases)
    func staffOfAlerts(_ kind: StoreKind) throws {
        let (temp, high, low, customer) = try holding(kind)
        #expect(try temp.store.alert(idPrefix: high.id)?.staff == "zhangwei")
        #expect(try temp.store.alert(idPrefix: customer.id)?.staff == "lisi")
        var scoped = AlertFilter()
        scoped.staffIn = ["lisi"]
        #expect(try temp.store.alerts(scoped).map(\.alert.id) == [customer.id])
        scoped.staffIn = []
        #expect(try temp.store.alerts(scoped).isEmpty, "a reviewer covering nobody sees nothing")
        var byCustomer = AlertFilter()
        byCustomer.customer = "wmCustomer00000000001"
        #expect(Set(try temp.store.alerts(byCustomer).map(\.alert.id)) == [high.id, low.id, customer.id])
    }

    @Test(
        "four-eyes: a dismissal needs a note; a high alert waits for someone else to confirm",
        arguments: StoreKind.allCases)
    func fourEyes(_ kind: StoreKind) throws {
        let (temp, high, low, _) = try holding(kind)
        #expect(throws: StoreError.self) {
            try temp.store.review(alertID: high.id, action: .dismiss, reviewer: "alice", note: " ")
        }
        #expect(
            try temp.store.review(alertID: low.id, action: .dismiss, reviewer: "alice", note: "公司热线").status
                == .dismissed)
        #expect(
            try temp.store.review(alertID: high.id, action: .dismiss, reviewer: "alice", note: "公司号").status
                == .pendingDismissal)
        let same = try temp.store.review(alertIDs: [high.id], action: .confirm, reviewer: "alice", note: "")
        #expect(same.done.isEmpty)
        #expect(same.refused.first?.reason == .sameReviewer("alice", high.id))
        #expect(
            try temp.store.review(alertID: high.id, action: .confirm, reviewer: "bob", note: "").status == .dismissed)
        let again = try temp.store.review(alertIDs: [high.id], action: .confirm, reviewer: "bob", note: "")
        #expect(again.refused.first?.reason == .notPending(high.id, .dismissed))
        var pending = AlertFilter()
        pending.openOnly = true
        #expect(try temp.store.alertCount(pending) == 1)
    }

    @Test(
        "claim and assign keep the status; an action for someone else names who recorded it; the chain verifies",
        arguments: StoreKind.allCases)
    func assignAndActFor(_ kind: StoreKind) throws {
        let (temp, high, low, customer) = try holding(kind)
        let claimed = try temp.store.review(alertIDs: [high.id, low.id], action: .claim, reviewer: "alice", note: "")
        #expect(claimed.done.map(\.assignee) == ["alice", "alice"])
        #expect(claimed.done.map(\.status) == [.new, .new])
        try temp.store.review(alertID: customer.id, action: .assign, reviewer: "bob", note: "carol")
        var mine = AlertFilter()
        mine.assignee = "carol"
        #expect(try temp.store.alerts(mine).map(\.alert.id) == [customer.id])
        try temp.store.review(alertID: customer.id, action: .escalate, reviewer: "carol", note: "", actor: "root")
        let trail = try temp.store.reviewTrail(alertID: customer.id)
        #expect(trail.map(\.actor) == ["", "root"])
        #expect(trail.last?.reviewer == "carol")
        let report = try temp.store.verify(alertLog: nil)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.reviews == 4)
    }

    @Test("accounts, saved filters, and the access log: append-only and in the chain", arguments: StoreKind.allCases)
    func accountsAndAccessLog(_ kind: StoreKind) throws {
        let (temp, high, _, _) = try holding(kind)
        try temp.store.addAccount(name: "alice", role: .reviewer, passwordHash: "$2b$04$x", by: "root")
        #expect(throws: StoreError.self) {
            try temp.store.addAccount(name: "alice", role: .admin, passwordHash: "h", by: "root")
        }
        #expect(throws: StoreError.self) {
            try temp.store.addAccount(name: "a b", role: .admin, passwordHash: "h", by: "root")
        }
        try temp.store.updateAccount(name: "alice", disabled: true, by: "root")
        #expect(try temp.store.account(named: "alice")?.disabled == true)
        try temp.store.logAccess(account: "bob", action: "view-alert", ref: high.id)
        let log = try temp.store.accessLog(limit: 10)
        #expect(log.map(\.action) == ["view-alert", "user-disable", "user-add"])
        let report = try temp.store.verify(alertLog: nil)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.accesses == 3)
        #expect(throws: (any Error).self) {
            try temp.store.backend.write { db in try db.execute("UPDATE access_log SET account = 'mallory'") }
        }
        try temp.store.saveFilter(owner: "bob", name: "今天的高危", query: "severity=high&since=today")
        #expect(try temp.store.savedFilters(owner: "bob").map(\.name) == ["今天的高危"])
        #expect(try temp.store.savedFilters(owner: "alice").isEmpty)
    }
}
