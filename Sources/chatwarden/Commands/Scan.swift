import Vocabulary
import Console
import Foundation
import ArgumentParser
import Alerts
import Pipeline
import Store
import Config

/// `chatwarden scan PATH...`: rescan archive files through the same pipeline as the daemon.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rescan archive files or directories through the pipeline.",
        discussion: """
            Reads each file from its start (directories: every *.jsonl, *.json, *.ndjson, *.log and \
            *.txt file, and rotated copies such as x.jsonl.1, recursively), runs decode → \
            normalise → detect → record, and prints every alert found as each batch is \
            committed (on a terminal, a progress line with the rate and the time left). \
            Messages the archive index already holds are recognised and not written again; \
            alerts and new messages go to the store; alerts new to the store are appended to the alert log. Alert \
            ids are deterministic, so scanning the same files again adds nothing. Lines that do \
            not decode are quarantined (see `chatwarden quarantine`) and the scan goes on. \
            The daemon's checkpoints are not touched. New alerts are not sent to the \
            notification channels unless --notify is given (the daemon then delivers them, as \
            digests where there are many).

            Exit status: 0 no alerts, 1 alerts found or a file could not be read, 2 bad usage, \
            configuration or rules.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Output format: table, json (one object per line) or csv.")
    var format: OutputFormat = .table

    @Flag(help: "Print only the summary, not the alerts.")
    var quiet = false

    @Flag(help: "Queue the new alerts for the [notify.*] channels; the running daemon delivers them.")
    var notify = false

    @Argument(help: ArgumentHelp("Archive files or directories.", valueName: "path"))
    var paths: [String]

    func run() async throws {
        let logger = Setup.logger(common)
        var config = try Setup.config(common)
        // A rescan after a rule change can find thousands of old alerts; the person running it
        // sees them here, so the robots hear of them only when asked.
        if !notify { config.notifications = [] }
        if config.usesSharedStore {
            // A name of its own in a shared store, so no daemon takes this scan's alerts for its
            // own (a daemon confirms, and would log, the unlogged alerts of its name).
            config.daemonName = "scan-\(ProcessInfo.processInfo.processIdentifier)"
            config.quarantineName = "scan"
        }
        let pipeline = try Setup.pipeline(config, logger: logger, reason: "scan")
        // Alerts are printed as each batch commits: a rescan of a year keeps none in memory.
        var printedHeader = false
        let summary = try pipeline.scan(
            paths: paths,
            progress: { p in
                // Only for scans longer than a moment, and only on a terminal (Terminal.progress).
                guard p.seconds >= 2 else { return }
                var line =
                    "scanning \(p.filesDone + 1)/\(p.filesTotal) \(Terminal.escape(p.file)): \(p.messages) messages, "
                    + "\(Int(Double(p.messages) / max(p.seconds, 0.001))) messages/s, \(p.alerts) alerts"
                if let left = p.secondsLeft { line += ", about \(Int(left.rounded(.up))) s left" }
                Terminal.progress(line)
            },
            alerts: { alerts in
                guard !quiet else { return }
                var out = ""
                AlertRows.listing(
                    alerts.map { StoredAlert(alert: $0, status: .new, createdAt: 0, updatedAt: 0) },
                    labels: Labels(language: Setup.language)
                ).print(format, to: &out, header: !printedHeader, streamed: true)
                printedHeader = true
                Terminal.endProgress()
                print(out, terminator: "")
            })
        Terminal.endProgress()
        if !quiet && !printedHeader {
            // No alerts: the header alone still tells a reader (and a CSV consumer) the columns.
            AlertRows.listing([]).print(format)
        }
        for failure in summary.failures {
            Terminal.error("chatwarden: \(Terminal.escape(failure))")
        }
        var note =
            "scanned \(summary.files) file(s), \(summary.messages) messages (\(summary.newMessages) new to the index)"
        note += ", \(summary.alerts) alert(s) (\(summary.newAlerts) new)"
        if summary.quarantined > 0 { note += ", \(summary.quarantined) line(s) quarantined (chatwarden quarantine)" }
        note += " in \(String(format1: summary.seconds)) s"
        Terminal.error(note)
        Terminal.error("store: \(pipeline.store.path)")
        if let log = pipeline.alertLog { Terminal.error("alert log: \(log.path)") }
        if summary.messages == 0, let first = summary.firstQuarantined {
            // Every line was set aside: most likely not WeCom archive lines at all.
            Terminal.error(
                """
                chatwarden: nothing decoded: all \(summary.quarantined) line(s) were quarantined; the first                 (\(Terminal.escape(first.file)):\(first.line)): \(Terminal.escape(first.reason))
                If these are JSON lines of another shape, describe their fields in [archive.mapping] with                 [archive] format = "mapped" (see config/chatwarden.toml); `chatwarden quarantine` lists every line and why.
                """)
            throw ExitCode(1)
        }
        if summary.lines == 0 && summary.failures.isEmpty {
            Terminal.error(
                "chatwarden: nothing to scan: no archive lines in \(paths.map(Terminal.escape).joined(separator: " "))")
            throw ExitCode(1)
        }
        if !summary.failures.isEmpty || summary.alerts > 0 { throw ExitCode(1) }
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let scaled = (value * 10).rounded()
        let whole = Int(scaled / 10)
        let tenth = abs(Int(scaled) % 10)
        self = "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(tenth)"
    }
}
