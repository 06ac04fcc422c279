import Foundation
import Testing

/// Issue 15, parts 3–5: evidence must be the evidence; a trail nobody rewrites unnoticed; access
/// errors that say so.
@Suite("End to end: evidence", .serialized)
struct EvidenceTests {
    static func record(_ id: String, _ content: String, time: Int64 = 1_795_136_400_000) -> String {
        #"{"msgid":"\#(id)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(time),"msgtype":"text","text":{"content":"\#(content)"}}"#
    }

    /// Scans `lines` (written to archive/a.jsonl) into a fresh state directory; its alerts as JSON objects.
    func scan(
        _ state: StateDir, _ lines: [String], raw: Data? = nil
    ) throws -> (output: Binary.Output, alerts: [[String: Any]]) {
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        let file = state.path + "/archive/a.jsonl"
        try (raw ?? Data((lines.joined(separator: "\n") + "\n").utf8)).write(to: URL(fileURLWithPath: file))
        let output = try Binary.run(["scan", "--state-dir", state.path + "/state", "--format", "json", file])
        return (output, try Binary.jsonLines(output.stdout))
    }

    func run(_ state: StateDir, _ arguments: [String]) throws -> Binary.Output {
        try Binary.run(arguments, environment: ["CHATWARDEN_STATE_DIR": state.path + "/state"])
    }

    @Test("a text with U+0000 is stored and shown whole")
    func nulCharacter() throws {
        let state = StateDir()
        let (_, alerts) = try scan(state, [Self.record("n1", #"你好\u0000货款可以私下转账给我"#)])
        let alert = try #require(alerts.first { $0["rule"] as? String == "offplatform-money" })
        #expect(alert["text"] as? String == "你好\u{0}货款可以私下转账给我")
        let stored = try Binary.jsonLines(run(state, ["alerts", "list", "--format", "json"]).stdout)
        #expect(
            stored.first { $0["rule"] as? String == "offplatform-money" }?["text"] as? String == "你好\u{0}货款可以私下转账给我")
        let context = try Binary.jsonLines(run(state, ["context", "n1", "--format", "json"]).stdout)
        #expect(context.first?["text"] as? String == "你好\u{0}货款可以私下转账给我")
        let shown = try run(state, ["alerts", "show", String((alert["id"] as! String).prefix(10))]).stdout
        #expect(shown.contains("evidence: 你好\\u{0}货款可以»私下转账«给我"), "shown escaped and whole: \(shown)")
    }

    @Test("two records with one msgid and different texts: both kept, an integrity alert, context shows both")
    func reusedMessageID() throws {
        let state = StateDir()
        let (_, alerts) = try scan(state, [Self.record("dup1", "好的，明天发货"), Self.record("dup1", "货款可以私下转账给我")])
        let integrity = try #require(alerts.first { $0["rule"] as? String == "integrity.msgid-conflict" })
        #expect(integrity["text"] as? String == "货款可以私下转账给我")
        #expect((integrity["details"] as? String)?.contains("好的，明天发货") == true)
        let money = try #require(alerts.first { $0["rule"] as? String == "offplatform-money" })
        #expect(money["text"] as? String == "货款可以私下转账给我", "the alert cites the text that raised it")
        let context = try run(state, ["context", "dup1"])
        #expect(context.stdout.contains("好的，明天发货") && context.stdout.contains("货款可以私下转账给我"), "\(context.stdout)")
        let json = try Binary.jsonLines(run(state, ["context", "dup1", "--format", "json"]).stdout)
        let versions = try #require(json.first?["other_versions"] as? [[String: Any]])
        #expect(versions.first?["text"] as? String == "货款可以私下转账给我")
        // The same records again: nothing new.
        let again = try scan(state, [Self.record("dup1", "好的，明天发货"), Self.record("dup1", "货款可以私下转账给我")])
        #expect(again.output.stderr.contains("(0 new)"), "\(again.output.stderr)")
    }

    @Test("implausible message times are quarantined with the reason")
    func implausibleTimes() throws {
        let state = StateDir()
        let (output, alerts) = try scan(
            state,
            [
                Self.record("far", "货款可以私下转账给我", time: 253_402_300_799_000),
                Self.record("old", "货款可以私下转账给我", time: 86_400_000),
                Self.record("ok", "货款可以私下转账给我"),
            ])
        #expect(Set(alerts.map { $0["msgid"] as! String }) == ["ok"], "\(output.stderr)")
        let quarantined = try Binary.jsonLines(run(state, ["quarantine", "--format", "json"]).stdout)
        let reasons = quarantined.map { $0["reason"] as? String ?? "" }
        #expect(reasons.contains { $0.contains("ahead of this machine's clock") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("before WeCom existed") }, "\(reasons)")
    }

    @Test("one invalid UTF-8 byte: detected on a repaired copy, the repair noted on the alert")
    func invalidUTF8() throws {
        let state = StateDir()
        var bytes = Data(
            #"{"msgid":"u1","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"货款"#
                .utf8)
        bytes.append(0xFF)
        bytes.append(Data(#"可以私下转账给我"}}"#.utf8))
        bytes.append(0x0A)
        let (output, alerts) = try scan(state, [], raw: bytes)
        let alert = try #require(alerts.first { $0["rule"] as? String == "offplatform-money" }, "\(output.stderr)")
        #expect(alert["text"] as? String == "货款\u{FFFD}可以私下转账给我")
        #expect((alert["details"] as? String)?.contains("invalid UTF-8") == true, "\(alert)")
        #expect(try run(state, ["quarantine", "--format", "json"]).stdout.isEmpty)
    }

    @Test("a record longer than the line cap: its first megabyte is read, a violation in it caught")
    func oversizedRecord() throws {
        let state = StateDir()
        let padding = String(repeating: "好的谢谢，", count: 90_000)  // 1.35 MB of text after the violation
        let (output, alerts) = try scan(state, [Self.record("big", "货款可以私下转账给我" + padding)])
        let alert = try #require(alerts.first { $0["rule"] as? String == "offplatform-money" }, "\(output.stderr)")
        #expect(alert["msgid"] as? String == "big")
        #expect(
            (alert["details"] as? String)?.contains("longer than 1048576 bytes") == true, "\(alert["details"] ?? "")")
        #expect((alert["text"] as? String)?.utf8.count ?? 0 < 1_048_576)
    }

    /// Runs Python's sqlite3 on the store (a real edit behind the product's back).
    func tamper(_ state: StateDir, _ sql: String) throws {
        let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"
        let output = try runTool("/usr/bin/python3", ["-c", script, state.path + "/state/chatwarden.db", sql])
        #expect(output.status == 0, "\(output.stderr)")
    }

    /// A scanned sample archive with one review action, verified intact.
    func reviewedStore() throws -> (StateDir, [String]) {
        let state = StateDir()
        let scanned = try Binary.run(["scan", "--state-dir", state.path + "/state", "--format", "json", "samples/"])
        let ids = try Binary.jsonLines(scanned.stdout).map { $0["id"] as! String }
        #expect(ids.count > 10)
        let ack = try run(state, ["alerts", "ack", String(ids[0].prefix(12)), "--note", "called the staff member"])
        #expect(ack.status == 0, "\(ack.stderr)")
        let verify = try run(state, ["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("intact"))
        return (state, ids)
    }

    @Test(
        "verify finds and names any edit made behind the product's back",
        arguments: [
            (
                "review note rewritten with the guard dropped",
                "DROP TRIGGER review_actions_no_update; UPDATE review_actions SET note = 'nothing happened'",
                "review action 1"
            ),
            (
                "status set directly", "UPDATE alerts SET status = 'dismissed' WHERE rowid = 3",
                "status was changed outside a review"
            ),
            ("evidence text edited", "UPDATE alerts SET text = 'harmless' WHERE rowid = 4", "text: log"),
            ("alert deleted", "DELETE FROM alerts WHERE rowid = 5", "was deleted from the store"),
            (
                "review action deleted", "DROP TRIGGER review_actions_no_delete; DELETE FROM review_actions",
                "deleted from the review trail"
            ),
            (
                "alert inserted",
                "INSERT INTO alerts (id, rule, category, severity, severity_rank, msgid, msgtime, roomid, conversation, sender, tolist, matched, term, span_start, span_end, text, file, line, offset, details, related, created_at, updated_at) SELECT 'f00d' || id, rule, category, severity, severity_rank, msgid, msgtime, roomid, conversation, sender, tolist, matched, term, span_start, span_end, text, file, line, offset, details, related, created_at, updated_at FROM alerts WHERE rowid = 2",
                "inserted behind the product's back"
            ),
            (
                "chain entry edited",
                "UPDATE evidence_chain SET content_hash = 'ab' || substr(content_hash, 3) WHERE seq = 6",
                "chain entry #6"
            ),
        ])
    func tampering(what: String, sql: String, expected: String) throws {
        let (state, _) = try reviewedStore()
        try tamper(state, sql)
        let verify = try run(state, ["verify"])
        #expect(verify.status == 1, "\(what): \(verify.stdout)")
        #expect(verify.stdout.contains("BROKEN") && verify.stdout.contains(expected), "\(what): \(verify.stdout)")
    }

    @Test("an alert-log line edited or removed: verify says which")
    func alertLogEdited() throws {
        let (state, ids) = try reviewedStore()
        let log = state.path + "/state/alerts.jsonl"
        var lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.removeFirst()
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let verify = try run(state, ["verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("\(ids[0]) is marked as logged but is not in the alert log"), "\(verify.stdout)")
    }

    @Test("a state directory the user may not enter: 'permission denied', not 'no store yet'")
    func permissionDenied() throws {
        guard getuid() == 0 else {
            print("skipped: needs root to run a command as another user (nobody)")
            return
        }
        let (state, _) = try reviewedStore()
        chmod(state.path + "/state", 0o700)
        let output = try runTool(
            "/usr/bin/setpriv",
            [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", Binary.path, "stats", "--state-dir",
                state.path + "/state",
            ])
        #expect(output.status == 1)
        #expect(output.stderr.contains("permission denied: \(state.path)/state"), "\(output.stderr)")
        #expect(!output.stderr.contains("no store"), "\(output.stderr)")
    }
}
