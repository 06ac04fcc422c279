import Foundation
import TestSupport
import Testing

/// Rule versions (issue 20) on the built binary, on SQLite and PostgreSQL: a word added to a
/// wordlist makes a new version, `rules history` says what changed, and the alert the new word
/// raises names that version (chained: `verify` stays intact).
@Suite("End to end: rule versions", .serialized)
struct RuleHistoryTests {
    @Test("a new word is a new version; history lists it; the alert names it", arguments: StoreUnderTest.allCases)
    func history(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let wordlists = state.path + "/wordlists"
        try FileManager.default.copyItem(atPath: Binary.root + "/wordlists", toPath: wordlists)
        let config = state.path + "/chatwarden.toml"
        try "[rules]\nwordlists = [\"\(wordlists)\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let common = ["--config", config] + store
        try Binary.run(["scan", "--quiet", "samples/"] + common, environment: env)
        // The same rules again: no new version.
        try Binary.run(["scan", "--quiet", "samples/"] + common, environment: env)

        let luring = wordlists + "/luring.txt"
        try (try String(contentsOfFile: luring, encoding: .utf8) + "\n去小红书找我\n").write(
            toFile: luring, atomically: true, encoding: .utf8)
        let archive = state.path + "/new.jsonl"
        try
            #"{"msgid":"nw1","action":"send","from":"zhangwei","tolist":["wmCustomer00000000000009"],"roomid":"","msgtime":1795300000000,"msgtype":"text","text":{"content":"去小红书找我吧"}}"#
            .appending("\n").write(toFile: archive, atomically: true, encoding: .utf8)
        try Binary.run(["scan", "--quiet", archive] + common, environment: env)

        let history = try Binary.run(["rules", "history", "--format", "json"] + common, environment: env)
        #expect(history.status == 0, "\(history.stderr)")
        let versions = try Binary.jsonLines(history.stdout)
        #expect(versions.count == 2, "two versions, the unchanged rescan folded: \(history.stdout)")
        let added = versions.last?["added"] as? [String: [String]]
        #expect(added == ["luring": ["去小红书找我"]], "\(history.stdout)")
        #expect((versions.last?["removed"] as? [String: [String]])?.isEmpty == true)
        let all = try Binary.jsonLines(
            Binary.run(["rules", "history", "--all", "--format", "json"] + common, environment: env).stdout)
        #expect(all.count == 3 && all.allSatisfy { $0["reason"] as? String == "scan" })

        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--limit", "1000"] + common, environment: env).stdout)
        let newVersion = versions.last?["version"] as? String
        let raised = try #require(alerts.first { $0["msgid"] as? String == "nw1" && $0["rule"] as? String == "luring" })
        #expect(raised["rule_version"] as? String == newVersion)
        #expect(
            alerts.filter { $0["msgid"] as? String != "nw1" }.allSatisfy {
                $0["rule_version"] as? String == versions.first?["version"] as? String
            })
        let table = try Binary.run(["rules", "history"] + common, environment: env)
        #expect(table.stdout.contains("luring +1 (去小红书找我)"), "\(table.stdout)")
        let verify = try Binary.run(["verify"] + common, environment: env)
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}
