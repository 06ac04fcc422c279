import Foundation
import TestSupport
import Testing

/// `chatwarden rules effectiveness` (issue 20) on the built binary: counts and precision as
/// reviewers judged, unused terms, and the phrases around a term reviewers keep dismissing.
@Suite("End to end: rule effectiveness", .serialized)
struct EffectivenessTests {
    @Test(
        "precision per term; unused terms; not-after, not-before and allow phrases from dismissed hits",
        arguments: StoreUnderTest.allCases)
    func effectiveness(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var lines: [String] = []
        for i in 0..<4 {
            lines.append(
                #"{"msgid":"promo\#(i)","action":"send","from":"zhangwei","tolist":["wmCustomer0000000000000\#(i)"],"roomid":"","msgtime":\#(now - Int64(i) * 60_000),"msgtype":"text","text":{"content":"官方活动返现红包已发放，请查收"}}"#
            )
        }
        lines.append(
            #"{"msgid":"real1","action":"send","from":"lisi","tolist":["wmCustomer00000000000009"],"roomid":"","msgtime":\#(now - 600_000),"msgtype":"text","text":{"content":"这单返现我直接转你两百"}}"#
        )
        let archive = state.path + "/archive.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[review]\nfour_eyes = false\n".write(toFile: config, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let common = ["--config", config] + store
        try Binary.run(["scan", "--quiet", archive] + common, environment: env)
        let alerts = try Binary.jsonLines(
            Binary.run(
                ["alerts", "list", "--format", "json", "--category", "offplatform-money"] + common, environment: env
            ).stdout)
        let promo = alerts.filter {
            ($0["msgid"] as? String)?.hasPrefix("promo") == true && $0["term"] as? String == "返现"
        }
        #expect(promo.count == 4, "\(alerts.map { ($0["msgid"]!, $0["term"]!) })")
        for alert in promo {
            let r = try Binary.run(
                ["alerts", "dismiss", alert["id"] as! String, "--note", "官方活动"] + common, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let real = try #require(alerts.first { $0["msgid"] as? String == "real1" && $0["term"] as? String == "返现" })
        try Binary.run(["alerts", "escalate", real["id"] as! String] + common, environment: env)

        let result = try Binary.run(["rules", "effectiveness", "--format", "json"] + common, environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let terms = try #require(json["terms"] as? [[String: Any]])
        let fanxian = try #require(terms.first { $0["term"] as? String == "返现" })
        #expect(
            fanxian["raised"] as? Int == 5 && fanxian["dismissed"] as? Int == 4 && fanxian["escalated"] as? Int == 1)
        #expect(abs((fanxian["precision"] as? Double ?? 0) - 0.2) < 0.001)
        let unused = try #require(json["unused"] as? [String: [String]])
        #expect(unused["luring"]?.contains("~加微信") == true, "a word that raised nothing is listed as written")
        #expect(unused["offplatform-money"]?.contains("返现") != true)
        let suggestions = try #require(json["suggestions"] as? [[String: Any]])
        let phrases = try #require(suggestions.first { $0["term"] as? String == "返现" }?["phrases"] as? [[String: Any]])
        let offered = Set(phrases.map { "\($0["kind"]!) \($0["phrase"]!)" })
        #expect(offered.isSuperset(of: ["not-after 活动", "not-before 红包", "allow 活动返现红包"]), "\(offered)")

        let report = state.path + "/report.html"
        try Binary.run(["report", "--out", report] + common, environment: env)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(
            html.contains("词表效果") && html.contains("<td>返现</td><td>5</td><td>5</td><td>4</td><td>1</td><td>20%</td>"))
    }
}
