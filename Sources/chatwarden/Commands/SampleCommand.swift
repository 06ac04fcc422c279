import Alerts
import ArgumentParser
import Config
import Console
import Store
import Support
import Vocabulary

/// `chatwarden sample draw | list | review`: looking where no alert pointed.
struct SampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Samples for review: conversations that raised nothing, and dismissed alerts for a second look.",
        discussion: """
            `draw` picks, from each staff member's conversations of each week that raised no \
            alert, [sampling] quiet_percent of them (at least one), and dismissed_percent of the \
            dismissed alerts (at least one per staff member and week), with a seed: the same seed, \
            period and percentages draw the same sample again (printed, and kept with the sample). \
            Items are reviewed like alerts: `review ITEM --note …` (nothing found) or with \
            --finding.
            """,
        subcommands: [Draw.self, List.self, Review.self],
        defaultSubcommand: List.self)

    struct Draw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a sample over a period (default: the last 7 days).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var time: TimeRangeOptions
        @Option(
            help: "Percent of quiet conversations per staff member and week (default: [sampling] quiet_percent, 2).")
        var quietPercent: Int?
        @Option(help: "Percent of dismissed alerts (default: [sampling] dismissed_percent, 10).")
        var dismissedPercent: Int?
        @Option(help: "The seed (default: a random one, printed) — give a recorded seed to draw that sample again.")
        var seed: UInt64?

        func run() async throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            let now = ChatStore.nowMilliseconds()
            let seed = seed ?? UInt64.random(in: 1...UInt64(Int64.max))
            let (sample, items) = try store.drawSample(
                since: time.sinceMilliseconds ?? now - 7 * 86_400_000, until: time.untilMilliseconds ?? now,
                quietRate: quietPercent.map { Double($0) / 100 } ?? config.review.quietSampleRate,
                dismissedRate: dismissedPercent.map { Double($0) / 100 } ?? config.review.dismissedSampleRate,
                seed: seed, by: Identity.osUser())
            let l = Setup.language
            print(
                l.pick(
                    "抽样 #\(sample.id)：种子 \(sample.seed)，\(items.filter { $0.kind == .conversation }.count) 个无告警会话，\(items.filter { $0.kind == .dismissed }.count) 条已排除告警",
                    "sample #\(sample.id): seed \(sample.seed), \(items.filter { $0.kind == .conversation }.count) quiet conversation(s), \(items.filter { $0.kind == .dismissed }.count) dismissed alert(s)"
                ))
            print(
                "  rerun: chatwarden sample draw --seed \(sample.seed) --since \(sample.since) --until \(sample.until) --quiet-percent \(Int((sample.quietRate * 100).rounded())) --dismissed-percent \(Int((sample.dismissedRate * 100).rounded()))"
            )
            SampleCommand.listing(items).print(.table)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open sample items (or all items of one sample).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "A sample's number (default: the open items of every sample).") var sample: Int64?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let store = try Setup.store(common)
            SampleCommand.listing(try store.sampleItems(sample: sample)).print(format)
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the review of a sample item.")
        @OptionGroup var common: CommonOptions
        @Option(help: "What was looked at and found (required).") var note: String
        @Flag(help: "Something was found (a violation no alert raised, or a wrong dismissal).") var finding = false
        @Argument(help: "The item's number.") var item: Int64

        func run() async throws {
            let store = try Setup.store(common)
            guard !note.isEmpty else { throw BadUsage("--note: say what was looked at") }
            do {
                try store.reviewSampleItem(id: item, finding: finding, note: note, by: Identity.osUser())
            } catch {
                Terminal.error("chatwarden: \(error.message)")
                throw ExitCode(1)
            }
            print(Setup.language.pick("已记录抽样项 #\(item)", "sample item #\(item) recorded"))
        }
    }

    static func listing(_ items: [SampleItem]) -> Listing {
        let l = Setup.language
        var listing = Listing(columns: [
            Column(title: "#"), Column(title: l.pick("抽样", "SAMPLE")), Column(title: l.pick("类型", "KIND")),
            Column(title: l.pick("员工", "STAFF")), Column(title: l.pick("周", "WEEK")),
            Column(title: l.pick("会话/告警", "REF"), maxWidth: 60), Column(title: l.pick("状态", "STATUS")),
            Column(title: l.pick("审查人", "REVIEWER")), Column(title: l.pick("说明", "NOTE"), maxWidth: 40),
        ])
        for item in items {
            listing.append(
                [
                    "\(item.id)", "\(item.sample)", item.kind.rawValue, item.staff, item.week, item.ref, item.status,
                    item.reviewer, item.note,
                ],
                json: .object([
                    ("id", .integer(item.id)), ("sample", .integer(item.sample)), ("kind", .string(item.kind.rawValue)),
                    ("staff", .string(item.staff)), ("week", .string(item.week)), ("ref", .string(item.ref)),
                    ("status", .string(item.status)), ("reviewer", .string(item.reviewer)),
                    ("note", .string(item.note)),
                ]))
        }
        return listing
    }
}
