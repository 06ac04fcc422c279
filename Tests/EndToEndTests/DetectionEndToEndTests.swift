import Foundation
import Testing

/// Issue 17 through the built binary: violations split over messages, the company's own
/// channels, explanations in the alert, and never running with no words in silence.
@Suite("End to end: detection", .serialized)
struct DetectionEndToEndTests {
    static func line(_ id: String, _ text: String, from: String = "zhangwei", _ t: Int) -> String {
        let to = from == "zhangwei" ? "wmCustomer000000000001" : "zhangwei"
        return
            #"{"msgid":"\#(id)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(1_795_136_400_000 + t * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    /// Scans `lines` with the shipped wordlists and `config` added; returns the alerts logged.
    func scan(_ lines: [String], config extra: String = "") throws -> [[String: Any]] {
        let state = StateDir()
        let archive = state.path + "/a.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let config = state.path + "/c.toml"
        try "[rules]\nwordlists = [\"\(Binary.root)/wordlists\"]\n\(extra)".write(
            toFile: config, atomically: true, encoding: .utf8)
        let result = try Binary.run(["scan", "--config", config, "--state-dir", state.path + "/s", archive])
        // 0 no alerts, 1 alerts (2 and more: a problem).
        #expect(result.status <= 1, "\(result.stderr)")
        // The alert log is created with the first alert.
        let log = (try? String(contentsOfFile: state.path + "/s/alerts.jsonl", encoding: .utf8)) ?? ""
        #expect(result.status == (log.isEmpty ? 0 : 1))
        return try Binary.jsonLines(log)
    }

    @Test("a violation split over two or three messages of one sender is one alert naming every part")
    func splitOverMessages() throws {
        let alerts = try scan([
            Self.line("m1", "这笔钱不走公", 0),
            Self.line("m2", "好的", from: "wmCustomer000000000001", 5),
            Self.line("m3", "司账户了", 10),
            Self.line("m4", "先刷单", 100),
            Self.line("m5", "返", 102),
            Self.line("m6", "利给你", 104),
        ])
        // No part alone is a violation: every alert is one split over messages.
        #expect(alerts.allSatisfy { !($0["related"] as? [String] ?? []).isEmpty }, "\(alerts)")
        let money = alerts.filter { ($0["related"] as? [String]) == ["m1"] }
        #expect(money.map { $0["rule"] as? String } == ["offplatform-money"], "\(alerts)")
        #expect(money.first?["msgid"] as? String == "m3")
        #expect(money.first?["matched"] as? String == "不走公司")
        #expect((money.first?["details"] as? String)?.contains("across 2 messages") == true)
        let returns = alerts.filter { ($0["related"] as? [String]) == ["m4", "m5"] }
        #expect(returns.map { $0["rule"] as? String } == ["promised-returns"], "\(alerts)")
        #expect(returns.first?["msgid"] as? String == "m6")
        #expect((returns.first?["details"] as? String)?.contains("messages m4, m5, m6") == true)
        // The customer's message in between is not part of it.
        #expect(!alerts.contains { ($0["msgid"] as? String) == "m2" })
    }

    @Test("messages further apart than split_window_s are not joined")
    func splitWindow() throws {
        let lines = [Self.line("a", "私下交", 0), Self.line("b", "易吧", 30)]
        #expect(try scan(lines).contains { ($0["related"] as? [String]) == ["a"] })
        #expect(try scan(lines, config: "[windows]\nsplit_window_s = 20\n").isEmpty)
    }

    @Test("the company's own channels ([company]) are not flagged; anyone else's are, with how they were read")
    func companyChannels() throws {
        let alerts = try scan(
            [
                Self.line("c1", "售后电话 400-820-8820，或者拨打 139 0013 9000", 0),
                Self.line("c2", "官网 https://shop.example.com 下单", 10),
                Self.line("c3", "加我私人号 幺三八 零零幺三 八零零零", 20),
            ],
            config: """
                [company]
                phones = ["400-820-8820", "13900139000"]
                domains = ["example.com"]
                """)
        #expect(!alerts.contains { ["c1", "c2"].contains($0["msgid"] as? String) }, "\(alerts)")
        let phone = try #require(alerts.first { $0["rule"] as? String == "contact.phone" })
        #expect(phone["msgid"] as? String == "c3")
        #expect((phone["details"] as? String)?.contains("13800138000") == true)
        #expect((phone["details"] as? String)?.contains("read as") == true)
    }

    @Test("a wordlist directory with no words stops every command with exit 2 and says what to do")
    func noWords() throws {
        let state = StateDir()
        try FileManager.default.createDirectory(atPath: state.path + "/empty", withIntermediateDirectories: true)
        let config = state.path + "/c.toml"
        try "[rules]\nwordlists = [\"\(state.path)/empty\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let archive = Binary.root + "/samples/archive"
        for arguments in [
            ["scan", "--config", config, "--state-dir", state.path + "/s", archive],
            ["rules", "test", "--config", config, "加我微信"],
            ["rules", "check", "--config", config],
        ] {
            let result = try Binary.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.contains("no words to detect"), "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.contains(state.path + "/empty"))
        }
        // Chosen on purpose: runs, and says so.
        try "[rules]\nwordlists = []\n".write(toFile: config, atomically: true, encoding: .utf8)
        let chosen = try Binary.run(["scan", "--config", config, "--state-dir", state.path + "/s2", archive])
        #expect(chosen.status <= 1, "\(chosen.stderr)")
        #expect(chosen.stderr.contains("wordlists = []"))
    }

    @Test("importing a lexicon that yields no words fails, with the iconv line for a GBK file")
    func importNothing() throws {
        let state = StateDir()
        let gbk: [UInt8] = [0xBC, 0xD3, 0xCE, 0xA2, 0xD0, 0xC5, 0x0A]  // 加微信 in GBK
        FileManager.default.createFile(atPath: state.path + "/gbk.txt", contents: Data(gbk))
        let result = try Binary.run([
            "rules", "import", "--category", "x", "--output", state.path + "/out", state.path + "/gbk.txt",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no words imported"))
        #expect(result.stderr.contains("iconv -f gbk -t utf-8"))
        #expect(!FileManager.default.fileExists(atPath: state.path + "/out/x.txt"))
    }
}
