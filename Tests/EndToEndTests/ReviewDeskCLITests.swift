import Foundation
import Testing

/// The CLI for compliance staff (issue 19), on the built binary: the times they type, mistakes
/// that say what is wrong, Chinese under a Chinese locale, names, several alerts at once, CSV
/// for Excel.
@Suite("End to end: the CLI for reviewers", .serialized)
struct ReviewDeskCLITests {
    func scanned() throws -> (StateDir, [String: String]) {
        let state = StateDir()
        try Binary.run(["scan", "--state-dir", state.path, "--quiet", "samples/"])
        return (state, ["CHATWARDEN_STATE_DIR": state.path])
    }

    @Test("times with offsets, today, yesterday, 7d; unknown categories and rules listed; did you mean; --version")
    func mistakesAndTimes() throws {
        let (state, env) = try scanned()
        defer { withExtendedLifetime(state) {} }
        // 2026-11-21 09:48+08:00 is 01:48 UTC: the three alerts at or after 01:48:23 UTC.
        let offset = try Binary.run(
            ["alerts", "list", "--format", "json", "--since", "2026-11-21T09:48+08:00"], environment: env)
        #expect(offset.status == 0, "\(offset.stderr)")
        let utc = try Binary.run(
            ["alerts", "list", "--format", "json", "--since", "2026-11-21T01:48Z"], environment: env)
        #expect(try Binary.jsonLines(offset.stdout).count == Binary.jsonLines(utc.stdout).count)
        #expect(try Binary.jsonLines(offset.stdout).count == 3)
        for form in ["today", "yesterday", "7d", "24h"] {
            #expect(try Binary.run(["alerts", "list", "--since", form], environment: env).status == 0, "\(form)")
        }
        let bad = try Binary.run(["alerts", "list", "--since", "last tuesday"], environment: env)
        #expect(bad.status == 2 && bad.stderr.contains("yesterday"))

        let rule = try Binary.run(["alerts", "list", "--category", "contact.phone"], environment: env)
        #expect(rule.status == 2)
        #expect(rule.stderr.contains("is a rule, not a category: use --rule contact.phone"), "\(rule.stderr)")
        let bogus = try Binary.run(["alerts", "list", "--category", "lurring"], environment: env)
        #expect(bogus.status == 2 && bogus.stderr.contains("did you mean 'luring'") && bogus.stderr.contains("Known:"))
        let byRule = try Binary.run(
            ["alerts", "list", "--format", "json", "--rule", "contact.phone"], environment: env)
        #expect(try Binary.jsonLines(byRule.stdout).allSatisfy { $0["rule"] as? String == "contact.phone" })
        #expect(!(try Binary.jsonLines(byRule.stdout)).isEmpty)

        let typo = try Binary.run(["alerst", "list"], environment: env)
        #expect(typo.status == 2 && typo.stderr.contains("did you mean 'alerts'"), "\(typo.stderr)")
        let nested = try Binary.run(["alerts", "lsit"], environment: env)
        #expect(nested.status == 2 && nested.stderr.contains("did you mean 'list'"))
        let version = try Binary.run(["--version"])
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3)
        let help = try Binary.run(["export", "--help"])
        #expect(help.stdout.contains("export writes every match"))
    }

    @Test("a shortened room id; several ids at once; a whole filter only with a count confirmed; four-eyes")
    func bulk() throws {
        let (state, env) = try scanned()
        defer { withExtendedLifetime(state) {} }
        let all = try Binary.jsonLines(Binary.run(["alerts", "list", "--format", "json"], environment: env).stdout)
        let room = try #require(all.compactMap { $0["roomid"] as? String }.first { !$0.isEmpty })
        let inRoom = try Binary.run(
            ["alerts", "list", "--format", "json", "--room", String(room.prefix(10))], environment: env)
        #expect(inRoom.status == 0, "\(inRoom.stderr)")
        #expect(try Binary.jsonLines(inRoom.stdout).allSatisfy { $0["roomid"] as? String == room })

        let ids = all.prefix(3).map { String(($0["id"] as! String).prefix(10)) }
        let ack = try Binary.run(["alerts", "ack"] + ids + ["--note", "批量"], environment: env)
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(ack.stdout.split(separator: "\n").count == 3)

        let luring = try Binary.run(
            ["alerts", "escalate", "--all-matching", "--category", "luring"], environment: env, input: "")
        #expect(luring.status == 2 && luring.stderr.contains("add --yes"), "no confirmation, nothing done")
        let count = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--category", "luring"], environment: env).stdout
        ).count
        let yes = try Binary.run(
            ["alerts", "escalate", "--all-matching", "--category", "luring", "--yes"], environment: env)
        #expect(yes.status == 0, "\(yes.stderr)")
        #expect(yes.stderr.contains("\(count) done, 0 refused"))

        let high = try #require(all.first { $0["severity"] as? String == "critical" }?["id"] as? String)
        #expect(try Binary.run(["alerts", "dismiss", high], environment: env).status == 1, "a note is required")
        let dismissed = try Binary.run(["alerts", "dismiss", high, "--note", "测试"], environment: env)
        #expect(dismissed.stdout.contains("→ pending-dismissal"))
        let own = try Binary.run(["alerts", "confirm", high], environment: env)
        #expect(own.status == 1 && own.stderr.contains("four-eyes"))
        let verify = try Binary.run(["verify"], environment: env)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("Chinese under LANG=zh_CN; names from a CSV file; export for Excel written 0640")
    func chineseNamesAndExcel() throws {
        let (state, env) = try scanned()
        let names = state.path + "/names.csv"
        try "\u{FEFF}id,name\nzhangwei,张伟\n\"liuyang01\",\"刘洋, 销售\"\n".write(
            toFile: names, atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[review]\nnames = \"\(names)\"\ntimezone = \"Asia/Shanghai\"\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        var zh = env
        zh["LANG"] = "zh_CN.UTF-8"
        let list = try Binary.run(["alerts", "list", "--config", config, "--staff", "张伟"], environment: zh)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.hasPrefix("告警ID"), "\(list.stdout.prefix(200))")
        #expect(list.stdout.contains("张伟 (zhangwei)"))
        #expect(list.stdout.contains("待处理"))
        #expect(list.stdout.contains("2026-11-21 09:48:23"), "times in Asia/Shanghai")

        let out = state.path + "/alerts.csv"
        let export = try Binary.run(["export", "--config", config, "--out", out], environment: zh)
        #expect(export.status == 0, "\(export.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "a UTF-8 byte-order mark for Excel")
        let csv = String(decoding: bytes, as: UTF8.self)
        #expect(csv.contains("告警ID,时间,级别"))
        #expect(csv.contains("+08:00"))
        #expect(csv.contains("\\u{200B}"), "the zero-width spaces hiding 私下转账 are escaped")
        let mode = (try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as! NSNumber).intValue
        #expect(mode == 0o640)
    }
}
