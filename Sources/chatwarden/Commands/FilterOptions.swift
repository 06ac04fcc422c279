import Alerts
import ArgumentParser
import Rules
import Store
import Vocabulary

/// `--since` and `--until`, shared by every command that looks at a period.
struct TimeRangeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Only from this time on: 2026-11-20, '2026-11-20 09:30', …T09:30:00Z, or epoch ms.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only before this time (same forms as --since).", valueName: "time"))
    var until: String?

    func validate() throws {
        if let since, TimeFormat.parse(since) == nil {
            throw ValidationError("--since: cannot read '\(since)' as a time")
        }
        if let until, TimeFormat.parse(until) == nil {
            throw ValidationError("--until: cannot read '\(until)' as a time")
        }
    }

    var sinceMilliseconds: Int64? { since.flatMap { TimeFormat.parse($0) } }
    var untilMilliseconds: Int64? { until.flatMap { TimeFormat.parse($0) } }
}

/// Filters shared by the listing commands.
struct FilterOptions: ParsableArguments {
    @OptionGroup var time: TimeRangeOptions

    @Option(help: ArgumentHelp("Only this group chat (room id) or conversation key.", valueName: "id"))
    var room: String?

    @Option(help: ArgumentHelp("Only messages from this sender id.", valueName: "id"))
    var sender: String?

    @Option(help: ArgumentHelp("Only this category (luring, contact, offplatform-money, …).", valueName: "id"))
    var category: String?

    @Option(help: ArgumentHelp("Only this severity or higher: low, medium, high, critical.", valueName: "level"))
    var severity: String?

    @Option(
        help: ArgumentHelp("Only this review status: new, acknowledged, dismissed, escalated.", valueName: "status"))
    var status: String?

    @Option(help: "At most this many rows.")
    var limit: Int = 100

    func validate() throws {
        if let severity, Severity(rawValue: severity) == nil {
            throw ValidationError("--severity must be low, medium, high or critical")
        }
        if let status, AlertStatus(rawValue: status) == nil {
            throw ValidationError("--status must be new, acknowledged, dismissed or escalated")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    var filter: AlertFilter {
        AlertFilter(
            since: time.sinceMilliseconds, until: time.untilMilliseconds, room: room, sender: sender,
            category: category, minimumSeverity: severity.flatMap(Severity.init(rawValue:)),
            status: status.flatMap(AlertStatus.init(rawValue:)), limit: limit)
    }
}
