import Foundation
import Testing
@testable import Alerts
@testable import Archive
@testable import Rules
@testable import Store
import Ingest
import TestSupport
import Vocabulary

/// The two stores every store test runs on.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A store in a temporary directory (SQLite) or a database of its own on the test PostgreSQL
/// server, removed afterwards.
final class TempStore {
    let directory: String
    /// The store's path or URL.
    let location: String
    let store: ChatStore
    init(_ kind: StoreKind = .sqlite, daemon: String = "") throws {
        directory = NSTemporaryDirectory() + "cw-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        switch kind {
        case .sqlite:
            location = directory + "/chatwarden.db"
        case .postgres:
            let server = try #require(
                PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
            location = try server.createDatabase()
        }
        store = try ChatStore(path: location, daemon: daemon)
    }
    /// A store already holding `messages`.
    convenience init(_ kind: StoreKind, holding messages: [ArchiveMessage]) throws {
        try self.init(kind)
        var batch = RecordBatch()
        batch.messages = messages
        try store.record(batch)
    }
    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

func message(
    _ id: String, _ text: String, time: Int64, from: String = "zhangwei", to: String = "wmCustomer00000000001",
    room: String = ""
) -> ArchiveMessage {
    ArchiveMessage(
        msgid: id, action: .send, from: from, tolist: [to], roomid: room, msgtime: time, msgtype: "text",
        content: .text(text), source: SourcePosition(file: "a.jsonl", line: 1, offset: 0, length: 0))
}

func alert(
    for m: ArchiveMessage, rule: String = "luring", severity: Severity = .high, category: String = "luring"
) -> Alert {
    Alert(
        id: Alert.contentID(rule: rule, msgid: m.msgid), rule: rule, category: category, severity: severity,
        msgid: m.msgid,
        msgtime: m.msgtime, roomid: m.roomid, conversation: m.conversationKey, from: m.from, tolist: m.tolist,
        matched: "加微信", term: "加微信", spanStart: 0, spanEnd: 9, text: m.scannableText, file: m.source.file,
        line: m.source.line, offset: m.source.offset, details: "")
}

@Suite("Store")
struct StoreTests {
    @Test(
        "recording is idempotent: messages by msgid, alerts by id; only new alerts are returned",
        arguments: StoreKind.allCases)
    func idempotent(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        let m = message("m1", "加微信", time: 1000)
        var batch = RecordBatch()
        batch.messages = [m]
        batch.alerts = [alert(for: m)]
        #expect(try temp.store.record(batch).count == 1)
        #expect(try temp.store.record(batch).isEmpty)
        let counts = try temp.store.counts()
        #expect(counts.messages == 1)
        #expect(counts.alerts == 1)
    }

    @Test("files are created without world access")
    func fileModes() throws {
        let temp = try TempStore()
        var batch = RecordBatch()
        batch.messages = [message("m1", "x", time: 1)]
        try temp.store.record(batch)
        for name in try FileManager.default.contentsOfDirectory(atPath: temp.directory) {
            let mode =
                (try FileManager.default.attributesOfItem(atPath: temp.directory + "/" + name)[.posixPermissions]
                as! NSNumber).intValue
            #expect(mode & 0o007 == 0, "\(name) is \(String(mode, radix: 8))")
        }
    }

    @Test(
        "one owner per database file per process: a second store object on the same file opens no descriptor of its own"
    )
    func oneOwnerPerFile() throws {
        let temp = try TempStore()
        var batch = RecordBatch()
        batch.messages = [message("m1", "x", time: 1)]
        try temp.store.record(batch)
        func descriptorsOnStore() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
                .filter { $0.hasPrefix(temp.location) }.count
        }
        _ = try temp.store.counts()  // the pool's reader connection opens on first use
        let before = descriptorsOnStore()
        #expect(before > 0)
        do {
            // Opened, used and dropped, as the notifier's store and the review code paths did:
            // closing a descriptor of our own on the file would drop SQLite's locks on it.
            let second = try ChatStore(path: temp.location)
            #expect(second.fileIdentity == temp.store.fileIdentity)
            #expect(try second.counts().messages == 1)
            #expect(descriptorsOnStore() == before)
        }
        #expect(descriptorsOnStore() == before)
        batch.messages = [message("m2", "y", time: 2)]
        try temp.store.record(batch)
        #expect(FileManager.default.fileExists(atPath: temp.location + "-wal"))
        #expect(try temp.store.counts().messages == 2)
    }

    @Test(
        "review actions change the status and append to an audit trail that cannot be edited",
        arguments: StoreKind.allCases)
    func review(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        let m = message("m1", "加微信", time: 1000)
        var batch = RecordBatch()
        batch.messages = [m]
        let a = alert(for: m)
        batch.alerts = [a]
        try temp.store.record(batch)
        try temp.store.review(alertID: a.id, action: .acknowledge, reviewer: "alice", note: "checking", now: 10)
        try temp.store.review(alertID: a.id, action: .escalate, reviewer: "bob", note: "confirmed", now: 20)
        let stored = try #require(try temp.store.alert(idPrefix: String(a.id.prefix(8))))
        #expect(stored.status == .escalated)
        let trail = try temp.store.reviewTrail(alertID: a.id)
        #expect(trail.map(\.reviewer) == ["alice", "bob"])
        #expect(trail.map(\.status) == [.acknowledged, .escalated])
        #expect(trail.map(\.note) == ["checking", "confirmed"])
        // The trail is append-only, enforced by the database.
        #expect(throws: (any Error).self) {
            try temp.store.backend.write { db in try db.execute("DELETE FROM review_actions") }
        }
        #expect(throws: (any Error).self) {
            try temp.store.backend.write { db in try db.execute("UPDATE review_actions SET note = 'x'") }
        }
        #expect(try temp.store.reviewTrail(alertID: a.id).count == 2)
    }

    @Test("alert id prefixes: too short or ambiguous is an error, unknown is nil", arguments: StoreKind.allCases)
    func prefixes(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        #expect(throws: StoreError.self) { try temp.store.alert(idPrefix: "ab") }
        #expect(throws: StoreError.self) { try temp.store.alert(idPrefix: "xyzxyzxyz") }
        #expect(try temp.store.alert(idPrefix: "abcdef") == nil)
    }

    @Test(
        "filters and stable order: newest first, by room, sender, category, severity, status, time",
        arguments: StoreKind.allCases)
    func filters(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        var batch = RecordBatch()
        let ms = [
            message("a", "x", time: 1000, from: "zhangwei"),
            message("b", "x", time: 2000, from: "LiNa", room: "wrRoom1"),
            message("c", "x", time: 3000, from: "wmCustomer00000000009"),
        ]
        batch.messages = ms
        batch.alerts = [
            alert(for: ms[0], severity: .low), alert(for: ms[1], rule: "abuse", severity: .critical, category: "abuse"),
            alert(for: ms[2]),
        ]
        try temp.store.record(batch)
        func ids(_ f: AlertFilter) throws -> [String] { try temp.store.alerts(f).map(\.alert.msgid) }
        #expect(try ids(AlertFilter()) == ["c", "b", "a"])
        #expect(try ids(AlertFilter(room: "wrRoom1")) == ["b"])
        #expect(try ids(AlertFilter(sender: "zhangwei")) == ["a"])
        #expect(try ids(AlertFilter(category: "luring")) == ["c", "a"])
        #expect(try ids(AlertFilter(minimumSeverity: .high)) == ["c", "b"])
        #expect(try ids(AlertFilter(since: 1500, until: 3000)) == ["b"])
        #expect(try ids(AlertFilter(limit: 1)) == ["c"])
        #expect(try temp.store.alertCount(AlertFilter(category: "luring")) == 2)
        try temp.store.review(
            alertID: Alert.contentID(rule: "luring", msgid: "a"), action: .dismiss, reviewer: "r", note: "test",
            fourEyes: false)
        #expect(try ids(AlertFilter(status: .dismissed)) == ["a"])
        #expect(try ids(AlertFilter(status: .new)) == ["c", "b"])
        let stats = try temp.store.stats(AlertFilter())
        #expect(stats.alerts == 3)
        #expect(stats.byStaff.map(\.0).sorted() == ["LiNa", "zhangwei"])
        #expect(stats.byCategory.first?.0 == "luring")
    }

    @Test(
        "search finds substrings of any length, newest first, with the match highlighted in the original text",
        arguments: StoreKind.allCases)
    func search(_ kind: StoreKind) throws {
        let temp = try TempStore(
            kind,
            holding: [
                message("1", "亲，加我微信细聊", time: 1), message("2", "微信支付就可以", time: 2),
                message("3", "Please add me on WeChat", time: 3), message("4", "今天天气不错", time: 4),
            ])
        func found(_ q: String, fts: Bool = false) throws -> [String] {
            try temp.store.search(q, ftsExpression: fts, filter: AlertFilter()).map(\.message.msgid)
        }
        #expect(try found("加我微信") == ["1"])
        #expect(try found("微信") == ["2", "1"])
        #expect(try found("聊") == ["1"], "one character, the last of its text")
        #expect(try found("亲") == ["1"])
        #expect(try found("wechat") == ["3"])
        #expect(try found("WeChat") == ["3"])
        #expect(try found("微信细聊天").isEmpty)
        if kind == .sqlite {
            #expect(try found("\"加我微信\" OR \"天气不错\"", fts: true) == ["4", "1"])
            #expect(try found("微信 NOT 支付", fts: true) == ["1"])
            #expect(try found("(天气 OR 支付) AND 不错", fts: true) == ["4"])
            #expect(throws: StoreError.self, "an unclosed phrase") { try found("\"加我", fts: true) }
        } else {
            #expect(throws: StoreError.self, "FTS5 expressions are SQLite's") { try found("x OR y", fts: true) }
        }
        let hit = try #require(try temp.store.search("微信", filter: AlertFilter()).first)
        #expect(hit.ranges == [0..<6])
        // Quotes, SQL and LIKE wildcards in the query are data, never syntax.
        #expect(try found("\"; DROP TABLE messages; --").isEmpty)
        #expect(try found("微_") == ["2", "1"], "the wildcard is punctuation: left out, as detection leaves it out")
        #expect(throws: StoreError.self, "nothing to search for") { try found("'%") }
        #expect(try temp.store.counts().messages == 4)
    }

    @Test(
        "search sees what detection sees: zero-width characters, traditional characters, spaced and styled digits",
        arguments: StoreKind.allCases)
    func searchNormalised(_ kind: StoreKind) throws {
        let temp = try TempStore(
            kind,
            holding: [
                message("zw", "我们私\u{200B}下转账吧", time: 1), message("trad", "保證穩賺不賠", time: 2),
                message("phone", "电话 138 0013 8000 找我", time: 3), message("wide", "加ｖｘ：ＡＢＣ１２３", time: 4),
                message("plain", "私下聊聊转账的事", time: 5),
            ])
        func hits(_ q: String) throws -> [SearchHit] { try temp.store.search(q, filter: AlertFilter()) }
        let zw = try hits("私下转账")
        #expect(zw.map(\.message.msgid) == ["zw"])
        // The highlight covers the original characters, the zero-width space inside included.
        let zwText = Array(zw[0].message.text.utf8)
        #expect(zw[0].ranges.map { String(decoding: zwText[$0], as: UTF8.self) } == ["私\u{200B}下转账"])
        #expect(try hits("稳赚").map(\.message.msgid) == ["trad"])
        #expect(try hits("穩賺").map(\.message.msgid) == ["trad"], "a traditional query finds it too")
        let phone = try hits("13800138000")
        #expect(phone.map(\.message.msgid) == ["phone"])
        let phoneText = Array(phone[0].message.text.utf8)
        #expect(phone[0].ranges.map { String(decoding: phoneText[$0], as: UTF8.self) } == ["138 0013 8000"])
        #expect(try hits("138 0013 8000").map(\.message.msgid) == ["phone"])
        #expect(try hits("vx abc123").map(\.message.msgid) == ["wide"])
        #expect(try hits("私下").map(\.message.msgid) == ["plain", "zw"])
    }

    @Test("a store made by the previous release is upgraded in place: its messages become searchable")
    func upgradeFromPreviousRelease() throws {
        let directory = NSTemporaryDirectory() + "cw-upgrade-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/chatwarden.db"
        // The schema as the previous release left it (every migration up to v8), and messages
        // written as it wrote them: the trigram index kept by its triggers.
        try SQLiteSchema.previousRelease(path: path, messages: [("old-1", "亲，加我微信细聊", 1), ("old-2", "保證穩賺", 2)])
        let store = try ChatStore(path: path)
        #expect(try store.search("加我微信", filter: AlertFilter()).map(\.message.msgid) == ["old-1"])
        #expect(try store.search("稳赚", filter: AlertFilter()).map(\.message.msgid) == ["old-2"])
        var batch = RecordBatch()
        batch.messages = [message("new-1", "新的微信消息", time: 3)]
        try store.record(batch)
        #expect(try store.search("微信", filter: AlertFilter()).map(\.message.msgid) == ["new-1", "old-1"])
        #expect(try store.counts().messages == 3)
    }

    @Test("the conversation around a message, in order, one-to-one directions joined", arguments: StoreKind.allCases)
    func context(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        var batch = RecordBatch()
        let customer = "wmCustomer00000000001"
        var messages: [ArchiveMessage] = []
        for i in 0..<10 {
            let time = Int64(i * 1000)
            if i % 2 == 0 {
                messages.append(message("m\(i)", "staff \(i)", time: time, from: "zhangwei", to: customer))
            } else {
                messages.append(message("m\(i)", "customer \(i)", time: time, from: customer, to: "zhangwei"))
            }
        }
        messages.append(message("other", "elsewhere", time: 4500, from: "LiNa", to: customer))
        batch.messages = messages
        try temp.store.record(batch)
        let around = try #require(try temp.store.context(msgid: "m5", before: 2, after: 3))
        #expect(around.map(\.msgid) == ["m3", "m4", "m5", "m6", "m7", "m8"])
        #expect(try temp.store.context(msgid: "nope", before: 1, after: 1) == nil)
    }

    @Test("recalls are linked to the message they withdrew", arguments: StoreKind.allCases)
    func recalls(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        var batch = RecordBatch()
        let original = message("orig", "加我私人微信", time: 1)
        var recall = message("rec", "", time: 2)
        recall.action = .recall
        recall.msgtype = "revoke"
        recall.content = .revoke(preMsgid: "orig")
        batch.messages = [original, recall]
        try temp.store.record(batch)
        #expect(try temp.store.recalls(of: ["orig", "other"]) == ["orig": "rec"])
        #expect(try temp.store.message(msgid: "rec")?.recalls == "orig")
    }

    @Test("checkpoints are upserted and removed in the batch transaction", arguments: StoreKind.allCases)
    func checkpoints(_ kind: StoreKind) throws {
        let temp = try TempStore(kind)
        var batch = RecordBatch()
        batch.checkpoints = [
            Checkpoint(source: "s1", path: "/a", device: 1, inode: 2, fingerprint: "f", offset: 10, line: 1)
        ]
        try temp.store.record(batch)
        batch.checkpoints = [
            Checkpoint(source: "s1", path: "/a", device: 1, inode: 2, fingerprint: "f", offset: 99, line: 5)
        ]
        try temp.store.record(batch)
        #expect(try temp.store.checkpoints().map(\.offset) == [99])
        var removal = RecordBatch()
        removal.removedCheckpoints = ["s1"]
        try temp.store.record(removal)
        #expect(try temp.store.checkpoints().isEmpty)
    }

    @Test(
        "a reader and a writer in different processes' worth of connections: no 'database is locked'",
        arguments: StoreKind.allCases)
    func concurrentReadWrite(_ kind: StoreKind) async throws {
        let temp = try TempStore(kind)
        // A second, independent store on the same database plays the CLI while the first writes.
        let reader = try ChatStore(path: temp.location)
        let writer = temp.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for batchIndex in 0..<50 {
                    var batch = RecordBatch()
                    batch.messages = (0..<50).map {
                        message("w\(batchIndex)-\($0)", "加我微信 \(batchIndex)", time: Int64(batchIndex * 100 + $0))
                    }
                    batch.alerts = batch.messages.map { alert(for: $0) }
                    try writer.record(batch)
                }
            }
            group.addTask {
                for _ in 0..<200 {
                    _ = try reader.alerts(AlertFilter(limit: 20))
                    _ = try reader.search("加我微信", filter: AlertFilter(limit: 5))
                }
            }
            group.addTask {
                // A reviewer writing through the other connection at the same time.
                for _ in 0..<20 {
                    if let first = try reader.alerts(AlertFilter(limit: 1)).first {
                        try reader.review(alertID: first.alert.id, action: .acknowledge, reviewer: "r", note: "")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try reader.counts().messages == 2500)
        #expect(try reader.counts().alerts == 2500)
    }

    @Test("quarantine excerpts escape control characters and invalid bytes")
    func excerpts() {
        #expect(QuarantineRecord.excerpt(of: [0x41, 0x1B, 0x5B, 0xFF, 0x42] + Array("中".utf8)) == "A\\x1B[\\xFFB中")
    }
}
