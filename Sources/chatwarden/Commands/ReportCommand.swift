import ArgumentParser
import Archive
import Config
import Console
import Store
import Support
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `chatwarden report --since --until --out report.html`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML compliance report (charts and evidence) for a period.",
        discussion: """
            One HTML file with everything inline (no script, nothing fetched, opens offline): \
            alerts per day by category, the staff and conversations with the most alerts, review \
            turnaround, messages recalled after an alert with their text, and the evidence of \
            every critical and high alert. The file is written 0640.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var time: TimeRangeOptions

    @Option(name: .long, help: ArgumentHelp("Where to write the report.", valueName: "file"))
    var out: String

    @Option(help: "The report's title (default: 合规审查报告, or Compliance report when LANG is not Chinese).")
    var title: String?

    @Option(help: "The report's language: zh-CN or en (default: zh-CN).")
    var lang: String = "zh-CN"

    func run() async throws {
        let store = try Setup.store(common)
        let config = try Setup.config(common)
        let labels = try Setup.labels(config, language: Language(choice: lang))
        let title = title ?? Report.defaultTitle(labels.language)
        let filter = AlertFilter(since: time.sinceMilliseconds, until: time.untilMilliseconds, limit: Int.max)
        let data = Report.Data(
            title: title, since: time.sinceMilliseconds, until: time.untilMilliseconds,
            alerts: try store.alerts(filter),
            timings: try store.reviewTimings(filter), stats: try store.stats(filter, top: 15),
            generatedAt: ChatStore.nowMilliseconds())
        var withCoverage = data
        withCoverage.coverage = try store.coverage(
            silentSince: (time.untilMilliseconds ?? ChatStore.nowMilliseconds()) - 7 * 86_400_000,
            knownStaff: config.review.groups.flatMap(\.staff))
        withCoverage.effectiveness = try store.effectiveness(since: time.sinceMilliseconds)
        let html = Report.html(withCoverage, labels: labels)
        guard FileIO.writeAtomically(Array(html.utf8), to: out, mode: 0o640) else {
            Terminal.error("chatwarden: \(Terminal.escape(out)): cannot write: \(FileIO.lastError)")
            throw ExitCode(1)
        }
        Terminal.error("wrote \(out): \(data.alerts.count) alerts, \(html.utf8.count / 1024) KiB")
    }
}
