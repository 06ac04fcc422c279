import Foundation
import TestSupport
import Testing

/// Retention and legal hold (issue 20) on the built binary, on SQLite and PostgreSQL: a purge
/// leaves held conversations whole, removes the rest that is old enough, records itself so
/// `verify` stays intact, and a deletion passed off as a purge is caught.
@Suite("End to end: retention and legal hold", .serialized)
struct RetentionTests {
    @Test(
        "holds on a staff member, a customer, a conversation and a case keep what they hold whole",
        arguments: StoreUnderTest.allCases)
    func purge(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let old = now - 40 * 86_400_000
        // Five conversations, each a staff member and a customer, two old messages each (one
        // raising alerts), and one new message in the first.
        let people = (0..<5).map { ("staff\($0)", "wmCustomer00000000000000\($0)") }
        var lines: [String] = []
        for (i, (staff, customer)) in people.enumerated() {
            for (j, text) in ["你好，在吗", "加我私人微信 private_\(i)abc 那边聊"].enumerated() {
                lines.append(
                    #"{"msgid":"old\#(i)_\#(j)","action":"send","from":"\#(staff)","tolist":["\#(customer)"],"roomid":"","msgtime":\#(old + Int64(i * 10 + j) * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
                )
            }
        }
        lines.append(
            #"{"msgid":"new0","action":"send","from":"staff0","tolist":["\#(people[0].1)"],"roomid":"","msgtime":\#(now - 60_000),"msgtype":"text","text":{"content":"好的"}}"#
        )
        let archive = state.path + "/archive.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[retention]\nmessages_days = 30\nalerts_days = 30\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        var env = ["CHATWARDEN_STATE_DIR": state.path]
        let common = ["--config", config] + store
        try Binary.run(["scan", "--quiet", archive] + common, environment: env)
        // Holds are for supervisors: the OS user gets an admin account.
        try Binary.run(
            ["users", "add", Binary.osUser, "--role", "admin", "--password-stdin"] + common, environment: env,
            input: "a long enough secret\n")
        func conversation(_ i: Int) -> String { [people[i].0, people[i].1].sorted().joined(separator: "|") }
        let caseAlert = try #require(
            Binary.jsonLines(
                Binary.run(["alerts", "list", "--format", "json", "--staff", "staff3"] + common, environment: env)
                    .stdout
            ).first?["id"] as? String)
        for hold in [
            ["--staff", "staff0"], ["--customer", people[1].1], ["--conversation", conversation(2)],
            ["--case", "案件-2026-001", "--alert", caseAlert],
        ] {
            let r = try Binary.run(["hold", "add"] + hold + ["--reason", "监管调查"] + common, environment: env)
            #expect(r.status == 0, "\(hold): \(r.stderr)")
        }
        #expect(
            try Binary.run(["hold", "add", "--staff", "x"] + common, environment: env).status == 2,
            "a reason is required")

        let dry = try Binary.run(["purge", "--dry-run"] + common, environment: env)
        #expect(dry.stdout.contains("would remove 2 message(s)"), "\(dry.stdout)")
        let purge = try Binary.run(["purge"] + common, environment: env)
        #expect(purge.status == 0, "\(purge.stderr)")
        // Conversation 4: its two messages, its luring and WeChat-id alerts and the blast alert.
        #expect(purge.stdout.contains("removed 2 message(s), 3 alert(s)"), "\(purge.stdout)")
        #expect(purge.stdout.contains("kept by holds: 8 message(s), 8 alert(s)"), "\(purge.stdout)")

        for i in 0..<4 {
            let context = try Binary.run(["context", "old\(i)_0", "--format", "json"] + common, environment: env)
            #expect(try Binary.jsonLines(context.stdout).count == (i == 0 ? 3 : 2), "conversation \(i) is whole")
        }
        #expect(try Binary.run(["context", "old4_0"] + common, environment: env).status == 1, "the unheld one is gone")
        let staff4 = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--staff", "staff4"] + common, environment: env).stdout)
        #expect(staff4.isEmpty)
        let verify = try Binary.run(["verify"] + common, environment: env)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("1 purge(s)"), "\(verify.stdout)")

        // Lifting a hold and purging again removes what it held.
        // The case's evidence bundle.
        let bundle = state.path + "/case.zip"
        let made = try Binary.run(["bundle", "--case", "案件-2026-001", "--out", bundle] + common, environment: env)
        #expect(made.status == 0 && made.stdout.contains("1 alert(s)"), "\(made.stdout)\(made.stderr)")
        #expect(try Binary.run(["bundle", "verify", bundle]).status == 0)
        #expect(
            try Binary.run(["bundle", "--case", "nothing", "--out", bundle + "2"] + common, environment: env).status
                == 1)

        let holds = try Binary.jsonLines(
            Binary.run(["hold", "list", "--format", "json"] + common, environment: env).stdout)
        #expect(holds.count == 4)
        #expect((holds.last?["alerts"] as? [String]) == [caseAlert])
        let staffHold = try #require(holds.first { $0["kind"] as? String == "staff" }?["id"] as? Int)
        #expect(
            try Binary.run(["hold", "lift", "\(staffHold)", "--reason", "调查结束"] + common, environment: env).status == 0)
        let again = try Binary.run(["purge"] + common, environment: env)
        #expect(again.stdout.contains("removed 2 message(s), 2 alert(s)"), "\(again.stdout)")
        #expect(try Binary.run(["context", "new0"] + common, environment: env).status == 0, "new messages stay")

        guard kind == .sqlite else { return }
        // A deletion behind the product's back, passed off as a purge: caught.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        let tamper = try runTool(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                alert = db.execute("SELECT id FROM alerts LIMIT 1").fetchone()[0]
                db.execute("INSERT INTO purged_rows (kind, ref, purge) VALUES ('alert', ?, 1)", (alert,))
                db.execute("DROP TRIGGER review_actions_no_delete")
                db.execute("DELETE FROM review_actions WHERE alert_id = ?", (alert,))
                db.execute("DELETE FROM alerts WHERE id = ?", (alert,))
                db.commit()
                """, state.path + "/chatwarden.db",
            ])
        #expect(tamper.status == 0, "\(tamper.stderr)")
        let broken = try Binary.run(["verify"] + common, environment: env)
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("a deletion passed off as a purge"), "\(broken.stdout)")
    }
}

@Suite("End to end: the daemon applies retention", .serialized)
struct DaemonRetentionTests {
    @Test("with [retention], the daemon purges once a day: old messages go, held ones stay, the purge is chained")
    func daemonPurges() throws {
        let state = StateDir()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let old = now - 40 * 86_400_000
        let lines = [
            #"{"msgid":"a1","action":"send","from":"staffA","tolist":["wmCustomer00000000000000A"],"roomid":"","msgtime":\#(old),"msgtype":"text","text":{"content":"你好"}}"#,
            #"{"msgid":"b1","action":"send","from":"staffB","tolist":["wmCustomer00000000000000B"],"roomid":"","msgtime":\#(old + 1000),"msgtype":"text","text":{"content":"你好"}}"#,
            #"{"msgid":"c1","action":"send","from":"staffA","tolist":["wmCustomer00000000000000A"],"roomid":"","msgtime":\#(now - 1000),"msgtype":"text","text":{"content":"最近好吗"}}"#,
        ]
        let config = try writeDaemonConfig(
            state, watch: state.path + "/archive/*.jsonl", extra: "[retention]\nmessages_days = 30\n")
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: state.path + "/archive/a.jsonl", atomically: true, encoding: .utf8)
        // Scan first, so the hold can name the conversation before the daemon starts.
        try Binary.run(["scan", "--quiet", "--config", config, state.path + "/archive/a.jsonl"])
        try Binary.run(
            ["users", "add", Binary.osUser, "--role", "admin", "--password-stdin", "--config", config],
            input: "a long enough secret\n")
        let hold = try Binary.run(["hold", "add", "--staff", "staffB", "--reason", "调查", "--config", config])
        #expect(hold.status == 0, "\(hold.stderr)")
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer {
            daemon.signal(SIGTERM)
            _ = daemon.wait()
        }
        #expect(eventually(timeout: 30) { daemon.log.contains("retention purge") }, "\(daemon.log)")
        #expect(try Binary.run(["context", "a1", "--config", config]).status == 1, "the old unheld message is gone")
        #expect(try Binary.run(["context", "b1", "--config", config]).status == 0, "the held one stays")
        #expect(try Binary.run(["context", "c1", "--config", config]).status == 0, "the new one stays")
        let verify = try Binary.run(["verify", "--config", config])
        #expect(verify.stdout.contains("1 purge(s)"), "\(verify.stdout)")
    }
}
