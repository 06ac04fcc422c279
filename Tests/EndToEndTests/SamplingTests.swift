import Foundation
import TestSupport
import Testing

/// Sampling (issue 20) on the built binary, on SQLite and PostgreSQL: quiet conversations per
/// staff member and week, dismissed alerts for a second look, reproducible from the seed.
@Suite("End to end: sampling", .serialized)
struct SamplingTests {
    @Test(
        "a seed draws the same sample again; only conversations that raised nothing; items reviewed",
        arguments: StoreUnderTest.allCases)
    func sample(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", "samples/"] + store, environment: env)
        // A low or medium alert: dismissed at once (high ones wait for four-eyes).
        let dismissed = try #require(
            Binary.jsonLines(Binary.run(["alerts", "list", "--format", "json"] + store, environment: env).stdout)
                .first { ["low", "medium"].contains($0["severity"] as? String) }?["id"] as? String)
        try Binary.run(["alerts", "dismiss", dismissed, "--note", "正常活动通知"] + store, environment: env)
        let period = ["--since", "2026-11-19", "--until", "2026-11-23"]
        func draw() throws -> [[String: Any]] {
            let r = try Binary.run(
                ["sample", "draw", "--seed", "20261130", "--quiet-percent", "50", "--dismissed-percent", "100"] + period
                    + store,
                environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let number = try #require(
                r.stdout.split(separator: " ").dropFirst().first.map { $0.dropFirst().dropLast() })
            return try Binary.jsonLines(
                Binary.run(["sample", "list", String(number), "--format", "json"] + store, environment: env).stdout)
        }
        let first = try draw(), second = try draw()
        #expect(!first.isEmpty)
        #expect(
            first.map { "\($0["kind"]!) \($0["ref"]!)" } == second.map { "\($0["kind"]!) \($0["ref"]!)" },
            "the same seed draws the same sample")
        #expect(first.contains { $0["kind"] as? String == "dismissed" && $0["ref"] as? String == dismissed })

        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--limit", "1000"] + store, environment: env).stdout)
        let alerted = Set(alerts.compactMap { $0["conversation"] as? String })
        let quiet = first.filter { $0["kind"] as? String == "conversation" }
        #expect(
            !quiet.isEmpty && quiet.allSatisfy { !alerted.contains($0["ref"] as! String) },
            "only conversations that raised nothing")
        // Every staff member and week with quiet conversations has at least one drawn.
        let strata = Set(quiet.map { "\($0["staff"]!) \($0["week"]!)" })
        #expect(strata.count >= 4, "\(strata)")

        let item = try #require(first.first?["id"] as? Int)
        let review = try Binary.run(["sample", "review", "\(item)", "--note", "看过，无问题"] + store, environment: env)
        #expect(review.status == 0, "\(review.stderr)")
        let open = try Binary.jsonLines(
            Binary.run(["sample", "list", "--format", "json"] + store, environment: env).stdout)
        #expect(!open.contains { $0["id"] as? Int == item }, "a reviewed item leaves the open queue")
        #expect(try Binary.run(["verify"] + store, environment: env).status == 0)
    }
}
