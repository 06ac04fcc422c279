import Alerts
import ArgumentParser
import Config
import Rules
import Store
import Support
import Vocabulary

extension RulesCommand {
    /// `chatwarden rules effectiveness`: whether the word lists work, as reviewers judged.
    struct Effectiveness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Per term and rule: alerts raised, reviewed, dismissed, escalated, precision; unused terms; phrases to add.",
            discussion: """
                Precision is the share of reviewed alerts that were not dismissed. Terms of the \
                configured wordlists that raised nothing in --unused-days days are listed per \
                category. For a term reviewers dismissed at least --min-dismissals times, at least \
                half the time, the words most often right before the dismissed hits are offered as \
                @not-after phrases, those right after as @not-before, and the hit with its \
                neighbours as an allow: phrase (the same words a reviewer saw).
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup var time: TimeRangeOptions
        @Option(help: "Terms that raised nothing in this many days are listed.") var unusedDays: Int = 30
        @Option(help: "Suggest phrases for terms dismissed at least this often.") var minDismissals: Int = 3
        @Option(help: "Rows of the table (the busiest first).") var limit: Int = 30
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table

        func validate() throws {
            if format == .csv { throw ValidationError("rules effectiveness is table or json") }
            if unusedDays < 1 || minDismissals < 1 || limit < 1 {
                throw ValidationError("--unused-days, --min-dismissals and --limit must be at least 1")
            }
        }

        func run() async throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            let l = Setup.language
            let stats = try store.effectiveness(since: time.sinceMilliseconds)
            let fired = try store.firedTerms(since: ChatStore.nowMilliseconds() - Int64(unusedDays) * 86_400_000)
            let rules = WordlistLoader(limits: config.limits).load(paths: config.wordlists)
            var unused: [String: [String]] = [:]
            for (category, entries) in rules.entriesByCategory {
                for entry in entries where !entry.hasPrefix("allow") {
                    let term = entry.hasPrefix("re:") ? entry : String(entry.drop { $0 == "~" || $0 == "?" })
                    if !fired.contains(category + "\u{1}" + term) { unused[category, default: []].append(entry) }
                }
            }
            let suggestions = try store.contextSuggestions(stats, minDismissals: minDismissals)
            if format == .json {
                print(
                    JSONValue.object([
                        (
                            "terms",
                            .array(
                                stats.map { s in
                                    .object([
                                        ("rule", .string(s.rule)), ("category", .string(s.category)),
                                        ("term", .string(s.term)),
                                        ("raised", .integer(Int64(s.raised))),
                                        ("reviewed", .integer(Int64(s.reviewed))),
                                        ("dismissed", .integer(Int64(s.dismissed))),
                                        ("escalated", .integer(Int64(s.escalated))),
                                        ("precision", s.precision.map(JSONValue.double) ?? .null),
                                    ])
                                })
                        ),
                        (
                            "unused",
                            .object(
                                unused.sorted { $0.key < $1.key }.map {
                                    ($0.key, .array($0.value.map(JSONValue.string)))
                                })
                        ),
                        (
                            "suggestions",
                            .array(
                                suggestions.map { s, offered in
                                    .object([
                                        ("rule", .string(s.rule)), ("term", .string(s.term)),
                                        (
                                            "phrases",
                                            .array(
                                                offered.map {
                                                    .object([
                                                        ("kind", .string($0.kind)), ("phrase", .string($0.phrase)),
                                                        ("count", .integer(Int64($0.count))),
                                                    ])
                                                })
                                        ),
                                    ])
                                })
                        ),
                    ]).jsonText)
                return
            }
            var listing = Listing(columns: [
                Column(title: l.pick("规则", "RULE"), maxWidth: 24), Column(title: l.pick("词/模式", "TERM"), maxWidth: 30),
                Column(title: l.pick("告警", "RAISED")), Column(title: l.pick("已审", "REVIEWED")),
                Column(title: l.pick("排除", "DISMISSED")), Column(title: l.pick("上报", "ESCALATED")),
                Column(title: l.pick("准确率", "PRECISION")),
            ])
            for s in stats.prefix(limit) {
                listing.append(
                    [
                        s.rule, s.term.isEmpty ? l.pick("（整条规则）", "(whole rule)") : s.term, "\(s.raised)",
                        "\(s.reviewed)",
                        "\(s.dismissed)", "\(s.escalated)", s.precision.map { "\(Int(($0 * 100).rounded()))%" } ?? "—",
                    ], json: .null)
            }
            listing.print(.table)
            print(
                "\n"
                    + Terminal.bold(
                        l.pick(
                            "\(unusedDays) 天内未触发的词（\(unused.values.map(\.count).reduce(0, +))）",
                            "Terms that raised nothing in \(unusedDays) days (\(unused.values.map(\.count).reduce(0, +)))"
                        )))
            for (category, entries) in unused.sorted(by: { $0.key < $1.key }) {
                print(
                    "  \(category): \(entries.prefix(12).map(Terminal.escape).joined(separator: ", "))\(entries.count > 12 ? " … (+\(entries.count - 12))" : "")"
                )
            }
            if !suggestions.isEmpty {
                print("\n" + Terminal.bold(l.pick("常被排除的词，可考虑加入的语境或放行短语", "Often dismissed: phrases to consider")))
                for (s, offered) in suggestions {
                    print(
                        "  \(Terminal.escape(s.term)) (\(s.rule)): \(s.dismissed)/\(s.reviewed) \(l.pick("被排除", "dismissed"))"
                    )
                    for o in offered {
                        let line = o.kind == "allow" ? "allow:\(o.phrase)" : "@\(o.kind) \(o.phrase)"
                        print("    \(Terminal.escape(line))   (\(o.count)×)")
                    }
                }
            }
        }
    }
}
