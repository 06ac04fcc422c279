import Foundation
import Testing
@testable import Alerts
@testable import Archive
@testable import Config
@testable import Console
@testable import Store
import Support
import Vocabulary

/// A SQLite store in a temporary directory with three alerts: two about zhangwei (one high,
/// one low), one about lisi.
final class DeskFixture {
    let directory = NSTemporaryDirectory() + "cw-console-" + UUID().uuidString
    let store: ChatStore
    let desk: Desk
    var ids: [String] = []

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try ChatStore(path: directory + "/chatwarden.db")
        var settings = ReviewSettings()
        settings.groups = [
            StaffGroup(name: "east", staff: ["zhangwei"], reviewers: ["alice"]),
            StaffGroup(name: "west", staff: ["lisi"], reviewers: ["carol"]),
        ]
        desk = Desk(
            store: store, settings: settings,
            labels: Labels(language: .zh, names: NameDirectory(["zhangwei": "张伟"])))
        var batch = RecordBatch()
        for (i, (from, severity)) in [("zhangwei", Severity.high), ("zhangwei", .low), ("lisi", .critical)].enumerated()
        {
            let m = ArchiveMessage(
                msgid: "m\(i)", action: .send, from: from, tolist: ["wmCustomer00000000001"], roomid: "",
                msgtime: 1_000 * Int64(i + 1), msgtype: "text", content: .text("加微信 <script>alert(1)</script>"),
                source: SourcePosition(file: "a.jsonl", line: i + 1, offset: 0, length: 0))
            let a = Alert(
                id: Alert.contentID(rule: "luring", msgid: m.msgid), rule: "luring", category: "luring",
                severity: severity, msgid: m.msgid, msgtime: m.msgtime, roomid: "", conversation: m.conversationKey,
                from: from, tolist: m.tolist, matched: "加微信", term: "加微信", spanStart: 0, spanEnd: 9,
                text: m.scannableText, file: "a.jsonl", line: i + 1, offset: 0, details: "")
            batch.messages.append(m)
            batch.alerts.append(a)
            ids.append(a.id)
        }
        try store.record(batch)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Console: roles, scope, four-eyes")
struct DeskTests {
    @Test("a reviewer sees and acts on the staff groups they cover; anything else is forbidden")
    func reviewerScope() throws {
        let f = try DeskFixture()
        let alice = f.desk.viewer(account: "alice", role: .reviewer)
        #expect(alice.scope == ["zhangwei"])
        #expect(try f.store.alerts(f.desk.scoped(AlertFilter(), for: alice)).count == 2)
        #expect(throws: DeskRefusal.self) { try f.desk.alert(f.ids[2], for: alice) }
        do {
            _ = try f.desk.alert(f.ids[2], for: alice)
        } catch let refusal as DeskRefusal {
            #expect(refusal.forbidden)
        }
        let outcome = try f.desk.act(.acknowledge, ids: [f.ids[0], f.ids[2]], note: "", as: alice)
        #expect(outcome.done.map(\.alert.id) == [f.ids[0]])
        #expect(outcome.refused.map(\.alertID) == [f.ids[2]])
        let supervisor = f.desk.viewer(account: "bob", role: .supervisor)
        #expect(supervisor.scope == nil)
        #expect(try f.store.alerts(f.desk.scoped(AlertFilter(), for: supervisor)).count == 3)
    }

    @Test("auditors change nothing; only supervisors assign and confirm; only admins act for others")
    func roles() throws {
        let f = try DeskFixture()
        let auditor = f.desk.viewer(account: "dave", role: .auditor)
        #expect(throws: DeskRefusal.self) { try f.desk.act(.acknowledge, ids: [f.ids[0]], note: "", as: auditor) }
        let alice = f.desk.viewer(account: "alice", role: .reviewer)
        #expect(throws: DeskRefusal.self) { try f.desk.act(.confirm, ids: [f.ids[0]], note: "", as: alice) }
        #expect(throws: DeskRefusal.self) {
            try f.desk.act(.acknowledge, ids: [f.ids[0]], note: "", as: alice, onBehalfOf: "carol")
        }
        let admin = f.desk.viewer(account: "root", role: .admin)
        let done = try f.desk.act(.acknowledge, ids: [f.ids[0]], note: "", as: admin, onBehalfOf: "alice")
        #expect(done.done.count == 1)
        let trail = try f.store.reviewTrail(alertID: f.ids[0])
        #expect(trail.last?.reviewer == "alice")
        #expect(trail.last?.actor == "root")
    }

    @Test("a reviewer's dismissal of a high alert waits for a supervisor; a low one does not")
    func fourEyes() throws {
        let f = try DeskFixture()
        try f.store.addAccount(name: "bob", role: .supervisor, passwordHash: "x", by: "test")
        let alice = f.desk.viewer(account: "alice", role: .reviewer)
        let dismissed = try f.desk.act(.dismiss, ids: [f.ids[0], f.ids[1]], note: "公司号码", as: alice)
        #expect(dismissed.done.map(\.status) == [.pendingDismissal, .dismissed])
        let bob = f.desk.viewer(account: "bob", role: .supervisor)
        #expect(try f.desk.act(.confirm, ids: [f.ids[0]], note: "", as: bob).done.first?.status == .dismissed)
        #expect(try f.desk.act(.assign, ids: [f.ids[1]], note: "bob", as: bob).done.first?.assignee == "bob")
        #expect(throws: DeskRefusal.self) { try f.desk.act(.assign, ids: [f.ids[1]], note: "nobody", as: bob) }
    }
}

@Suite("Console: what the browser gets")
struct ConsolePieceTests {
    @Test("chat text is escaped: tags, quotes, control characters and bidirectional overrides")
    func escaping() {
        let hostile = "<script>alert('x')</script><a href=\"javascript:alert(1)\">点我</a>\u{1B}[2J\u{202E}abc"
        let html = HTML.escape(hostile)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<a "))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("\\u{1B}"))
        #expect(html.contains("\\u{202E}"))
        #expect(!html.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        // Highlighting marks the UTF-8 byte range and escapes around it.
        #expect(HTML.highlighted("加微信<b>", [0..<9]) == "<mark>加微信</mark>&lt;b&gt;")
    }

    @Test("forms and queries decode + and percent escapes; repeated names are kept in order")
    func forms() {
        let fields = FormFields(encoded: "id=a&id=b&note=%E5%85%AC%E5%8F%B8+%E5%8F%B7&empty=")
        #expect(fields.all("id") == ["a", "b"])
        #expect(fields["note"] == "公司 号")
        #expect(fields["empty"] == nil)
        #expect(HTML.query("a b&c=公") == "a%20b%26c%3D%E5%85%AC")
    }

    @Test("the queue's filters: times people type, names for ids, open by default")
    func queueQuery() {
        let labels = Labels(language: .zh, names: NameDirectory(["zhangwei": "张伟"]))
        let viewer = Viewer(account: "alice", role: .reviewer, scope: ["zhangwei"])
        let (f, problems) = QueueQuery(FormFields(encoded: "since=7d&staff=%E5%BC%A0%E4%BC%9F&assignee=me")).filter(
            viewer: viewer, labels: labels)
        #expect(problems.isEmpty)
        #expect(f.staff == "zhangwei")
        #expect(f.assignee == "alice")
        #expect(f.openOnly)
        #expect(f.since != nil)
        let (_, bad) = QueueQuery(FormFields(encoded: "since=last+tuesday")).filter(viewer: viewer, labels: labels)
        #expect(bad.count == 1)
        #expect(QueueQuery(FormFields(encoded: "severity=high&page=3")).encoded == "severity=high")
    }

    @Test("login throttle: three free tries, then each wait doubles; a success clears the account")
    func throttle() async {
        let throttle = LoginThrottle()
        let keys = ["account:alice", "peer:10.0.0.1"]
        for _ in 0..<2 { await throttle.failed(keys, now: 0) }
        #expect(await throttle.wait(for: keys, now: 0) == 0)
        await throttle.failed(keys, now: 0)
        #expect(await throttle.wait(for: keys, now: 0) == 5_000)
        await throttle.failed(keys, now: 2_000)
        #expect(await throttle.wait(for: keys, now: 2_000) == 10_000)
        #expect(await throttle.wait(for: ["account:bob"], now: 2_000) == 0)
        await throttle.succeeded("account:alice")
        #expect(await throttle.wait(for: ["account:alice"], now: 2_000) == 0)
    }

    @Test("CSV for Excel: a byte-order mark, escaped controls, defused formulas, local times with offsets")
    func csv() throws {
        let f = try DeskFixture()
        let labels = Labels(language: .zh, names: NameDirectory(["zhangwei": "张伟"]))
        var alerts = try f.store.alerts(AlertFilter())
        alerts[0].alert.text = "=HYPERLINK(\"http://x\")\u{1B}[31m"
        let csv = AlertExport.csv(alerts, trails: [:], labels: labels)
        #expect(csv.hasPrefix("\u{FEFF}告警ID,时间,级别"))
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\\u{1B}[31m\""))
        #expect(!csv.unicodeScalars.contains { $0.value == 0x1B })
        #expect(csv.contains("张伟,zhangwei"))
        #expect(csv.contains("+00:00") || csv.contains("+08:00") || csv.contains("-"))
    }

    @Test("passwords: bcrypt, and the rules for new ones")
    func passwords() {
        let hash = Passwords.hash("correct horse battery", cost: 4)
        #expect(hash.hasPrefix("$2"))
        #expect(Passwords.verify("correct horse battery", hash: hash))
        #expect(!Passwords.verify("wrong", hash: hash))
        #expect(Passwords.problem("short", account: "alice") != nil)
        #expect(Passwords.problem("alice-password-1", account: "alice") != nil)
        #expect(Passwords.problem("correct horse battery", account: "alice") == nil)
    }
}
