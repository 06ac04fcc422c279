import Foundation
import TestSupport
import Testing

/// `chatwarden coverage` (issue 20) on SQLite and PostgreSQL: a customer's newest refusal, silent
/// and never-seen staff, files with unreadable lines; and the report's section.
@Suite("End to end: coverage", .serialized)
struct CoverageTests {
    @Test(
        "refusals, silent staff, quarantined files, in the command and the report", arguments: StoreUnderTest.allCases)
    func coverage(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        func line(_ id: String, _ from: String, _ to: String, _ type: String, _ at: Int64) -> String {
            let body =
                type == "text"
                ? #""text":{"content":"好的"}"# : #""\#(type)":{"userid":"\#(from)","agree_time":\#(at)}"#
            return
                #"{"msgid":"\#(id)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(at),"msgtype":"\#(type)",\#(body)}"#
        }
        let customerA = "wmAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1", customerB = "wmBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2"
        let archive =
            [
                line("c1", customerA, "zhangwei", "agree", now - 5_000_000),
                line("c2", customerA, "zhangwei", "disagree", now - 4_000_000),  // A refused last
                line("c3", customerB, "lisi", "disagree", now - 3_000_000),
                line("c4", customerB, "lisi", "agree", now - 2_000_000),  // B agreed again
                line("t1", "zhangwei", customerA, "text", now - 1_000_000),
                line("t2", "lisi", customerB, "text", now - 10 * 86_400_000),  // silent for 10 days
                #"{"msgid":"broken","action":"send","from":"#,
            ].joined(separator: "\n") + "\n"
        let file = state.path + "/archive.jsonl"
        try archive.write(toFile: file, atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[groups.east]\nstaff = [\"zhangwei\", \"lisi\", \"wangwu\"]\nreviewers = []\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", file] + store, environment: env)

        let result = try Binary.run(["coverage", "--format", "json", "--config", config] + store, environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let refused = try #require(json["refused_archiving"] as? [[String: Any]])
        #expect(refused.map { $0["customer"] as? String } == [customerA], "only A's newest record is a refusal")
        let silent = try #require(json["silent_staff"] as? [[String: Any]])
        #expect(Set(silent.compactMap { $0["staff"] as? String }) == ["lisi", "wangwu"])
        #expect(silent.first { $0["staff"] as? String == "wangwu" }?["last_message"] is NSNull, "never seen")
        let files = try #require(json["quarantined_files"] as? [[String: Any]])
        #expect(files.count == 1 && files[0]["lines"] as? Int == 1)

        var zh = env
        zh["LANG"] = "zh_CN.UTF-8"
        let table = try Binary.run(["coverage", "--config", config] + store, environment: zh)
        #expect(table.stdout.contains("拒绝存档的客户（1）") && table.stdout.contains("从未出现"), "\(table.stdout)")

        let report = state.path + "/report.html"
        try Binary.run(["report", "--out", report, "--config", config] + store, environment: env)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("存档覆盖情况") && html.contains(customerA))
    }
}
