import Foundation
import Testing

@Suite("End to end: reviewing alerts and the archive", .serialized)
struct ReviewEndToEndTests {
    /// Scans the samples into a fresh state directory.
    func scanned() throws -> StateDir {
        let state = StateDir()
        try Binary.run(["scan", "--state-dir", state.path, "--quiet", "samples/"])
        return state
    }

    @Test("list, show, acknowledge with a note, and the trail in show and export")
    func reviewFlow() throws {
        let state = try scanned()
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let list = try Binary.run(
            ["alerts", "list", "--format", "json", "--category", "contact", "--severity", "high"], environment: env)
        #expect(list.status == 0)
        let alerts = try Binary.jsonLines(list.stdout)
        #expect(!alerts.isEmpty)
        #expect(
            alerts.allSatisfy {
                $0["category"] as? String == "contact" && ["high", "critical"].contains($0["severity"] as? String)
            })
        let times = alerts.map { $0["msgtime"] as! Int }
        #expect(times == times.sorted(by: >), "newest first")

        let id = alerts[0]["id"] as! String
        let short = String(id.prefix(8))
        // The reviewer is the OS user; acting for someone else needs an admin account.
        let me = Binary.osUser
        if getuid() != 0 {
            let refused = try Binary.run(["alerts", "ack", short, "--as", "alice", "--note", "x"], environment: env)
            #expect(refused.status == 1, "an OS user without an admin account cannot act for alice")
        }
        let add = try Binary.run(
            ["users", "add", me, "--role", "admin", "--password-stdin"], environment: env,
            input: "a long enough secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        let ack = try Binary.run(
            ["alerts", "ack", short, "--as", "alice", "--note", "called the customer"], environment: env)
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(ack.stdout.contains("new → acknowledged"))
        #expect(ack.stdout.contains("by alice (recorded by \(me))"))

        let show = try Binary.run(["alerts", "show", short], environment: env)
        #expect(show.stdout.contains("status: acknowledged"))
        #expect(show.stdout.contains("alice (recorded by \(me))"))
        #expect(show.stdout.contains("called the customer"))
        #expect(show.stdout.contains("▶"), "the alert's message is marked in its conversation")
        #expect(show.stdout.contains("»"), "the evidence is highlighted")

        let acknowledged = try Binary.run(
            ["alerts", "list", "--status", "acknowledged", "--format", "json"], environment: env)
        #expect(try Binary.jsonLines(acknowledged.stdout).map { $0["id"] as! String } == [id])

        let export = try Binary.run(["export"], environment: env)
        #expect(
            export.stdout.contains("alice(\(me)) acknowledge: called the customer"),
            "the trail names who recorded it for alice")

        #expect(try Binary.run(["alerts", "show", "0000000000"], environment: env).status == 1)
        #expect(try Binary.run(["alerts", "list", "--severity", "urgent"], environment: env).status == 2)
    }

    @Test("search highlights Chinese substrings; context shows the conversation with recalls marked")
    func searchAndContext() throws {
        let state = try scanned()
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let search = try Binary.run(["search", "私人微信", "--format", "json"], environment: env)
        let hits = try Binary.jsonLines(search.stdout)
        #expect(hits.count == 1)
        let msgid = hits[0]["msgid"] as! String
        #expect((hits[0]["matches"] as! [[Int]]).count == 1)
        let table = try Binary.run(["search", "私人微信"], environment: env)
        #expect(table.stdout.contains("»私人微信«"))

        let context = try Binary.run(
            ["context", msgid, "--before", "3", "--after", "3", "--format", "json"], environment: env)
        let rows = try Binary.jsonLines(context.stdout)
        #expect(rows.contains { $0["msgid"] as? String == msgid && $0["recalled_by"] != nil })
        #expect(rows.contains { $0["recalls"] as? String == msgid })
        #expect(try Binary.run(["context", "no-such-message"], environment: env).status == 1)
    }

    @Test("stats count by category, staff and day")
    func stats() throws {
        let state = try scanned()
        let stats = try Binary.run(["stats", "--format", "json"], environment: ["CHATWARDEN_STATE_DIR": state.path])
        let rows = try Binary.jsonLines(stats.stdout)
        #expect(
            rows.contains {
                $0["dimension"] as? String == "total" && $0["key"] as? String == "messages"
                    && $0["count"] as? Int == 442
            })
        #expect(rows.contains { $0["dimension"] as? String == "category" && $0["key"] as? String == "contact" })
        #expect(rows.contains { $0["dimension"] as? String == "staff" && $0["key"] as? String == "zhangwei" })
        #expect(rows.filter { $0["dimension"] as? String == "day" }.count == 2)
    }

    @Test("hostile chat text: terminal escapes are shown escaped, spreadsheet formulas defused")
    func hostileText() throws {
        let state = StateDir()
        let archive = state.path + "/hostile.jsonl"
        let lines = [
            #"{"msgid":"h1","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"=HYPERLINK(\"http://evil\") 加我微信"}}"#,
            #"{"msgid":"h2","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795136401000,"msgtype":"text","text":{"content":"\u001b[2J\u001b[31m加我微信\u202e"}}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", archive], environment: env)
        let table = try Binary.run(["alerts", "list"], environment: env)
        #expect(!table.stdout.contains("\u{1B}"))
        #expect(!table.stdout.contains("\u{202E}"))
        #expect(table.stdout.contains("\\u{1B}[2J"))
        let show = try Binary.run(
            [
                "alerts", "show",
                try Binary.jsonLines(Binary.run(["alerts", "list", "--format", "json"], environment: env).stdout)[0][
                    "id"] as! String,
            ], environment: env)
        #expect(!show.stdout.contains("\u{1B}"))
        let csv = try Binary.run(["export"], environment: env)
        #expect(csv.stdout.contains(",\"'=HYPERLINK(\"\"http://evil\"\") 加我微信\","))
        #expect(!csv.stdout.contains(",=HYPERLINK"))
    }
}
