import Alerts
import ArgumentParser
import Config
import Console
import Logging
import Pipeline
import Store
import Support
import Vocabulary

extension RulesCommand {
    /// `chatwarden rules diff --draft DIR PATH...`: what a draft rule set would change, before
    /// anyone deploys it.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a draft rule set over archive files and show the alerts it would add and remove.",
            discussion: """
                Both rule sets — the configured one and the draft (a wordlist directory or files) — \
                run over the same archive files through the pipeline `scan` uses, each on a store \
                in memory: nothing is written, no alert is raised, the store is not touched. Alert \
                ids are deterministic, so an alert the draft raises that the current rules do not \
                is new, and the other way round gone. Shown per rule and category, with counts per \
                staff member and examples. Memory grows with the archive scanned (the in-memory \
                index): give the files of the period to check, and --since to count only alerts \
                from then on.
                """)

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("The draft wordlists: a directory or files.", valueName: "dir"))
        var draft: [String]
        @OptionGroup var time: TimeRangeOptions
        @Option(help: "Examples shown per rule.") var examples: Int = 3
        @Option(help: "Output format: table or json (one object per changed alert).") var format: OutputFormat = .table
        @Argument(help: ArgumentHelp("Archive files or directories.", valueName: "path")) var paths: [String]

        func validate() throws {
            if draft.isEmpty { throw ValidationError("--draft: the draft wordlists (a directory or files)") }
            if format == .csv { throw ValidationError("rules diff is table or json") }
        }

        func run() async throws {
            let logger = Setup.logger(common)
            let config = try Setup.config(common)
            var draftConfig = config
            draftConfig.wordlists = draft
            draftConfig.notifications = []
            var current = config
            current.notifications = []
            func alerts(_ config: Config) throws -> [String: Alert] {
                let pipeline = try Setup.inMemoryPipeline(config, logger: logger)
                var found: [String: Alert] = [:]
                let summary = try pipeline.scan(
                    paths: paths,
                    alerts: { batch in
                        for alert in batch
                        where alert.msgtime >= (time.sinceMilliseconds ?? .min)
                            && alert.msgtime < (time.untilMilliseconds ?? .max)
                        {
                            found[alert.id] = alert
                        }
                    })
                for failure in summary.failures { Terminal.error("chatwarden: \(failure)") }
                return found
            }
            let before = try alerts(current)
            let after = try alerts(draftConfig)
            let added = after.filter { before[$0.key] == nil }.map(\.value).sorted {
                ($0.rule, $0.msgtime) < ($1.rule, $1.msgtime)
            }
            let gone = before.filter { after[$0.key] == nil }.map(\.value).sorted {
                ($0.rule, $0.msgtime) < ($1.rule, $1.msgtime)
            }
            if format == .json {
                for (change, list) in [("new", added), ("gone", gone)] {
                    for alert in list { print(alert.jsonObject(extra: [("change", .string(change))]).jsonText) }
                }
                return
            }
            let labels = try Setup.labels(config)
            let l = labels.language
            print(
                l.pick(
                    "草稿规则：新增 \(added.count) 条告警，减少 \(gone.count) 条（现行规则 \(before.count) 条，草稿 \(after.count) 条）",
                    "draft: \(added.count) alert(s) new, \(gone.count) gone (current rules \(before.count), draft \(after.count))"
                ))
            for (title, list) in [(l.pick("新增", "new"), added), (l.pick("减少", "gone"), gone)] where !list.isEmpty {
                print("\n" + Terminal.bold(title))
                for (rule, alerts) in Dictionary(grouping: list, by: \.rule).sorted(by: { $0.key < $1.key }) {
                    let category = alerts[0].category
                    var staff: [String: Int] = [:]
                    for alert in alerts { staff[alert.from, default: 0] += 1 }
                    let perStaff = staff.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(5).map {
                        "\(Terminal.escape(labels.person($0.key))) \($0.value)"
                    }.joined(separator: ", ")
                    print("  \(rule) [\(category)]: \(alerts.count)  (\(perStaff))")
                    for alert in alerts.prefix(examples) {
                        print(
                            "    \(TimeFormat.local(milliseconds: alert.msgtime))  \(Terminal.escape(alert.matched.isEmpty ? alert.term : alert.matched)) — "
                                + Highlight.window(alert.text, ranges: [alert.spanStart..<alert.spanEnd], columns: 60))
                    }
                }
            }
        }
    }
}
