import ArgumentParser
import Foundation
import Pipeline
import Store
import Config

/// `chatwarden verify`: is the evidence as it was written?
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the evidence chain, the review trail and the alert log against the store.",
        discussion: """
            Every alert and every review action is chained when it is written: each carries the \
            SHA-256 of its content and of the entry before it. verify walks the chain and reports \
            the first broken link first, naming what differs: a row changed, deleted or inserted \
            behind the product's back (even with the database's guards removed), an alert whose \
            status is not the one its review trail set, an alert log line that differs from the \
            store or that the store does not hold. It prints the chain's head (entry number and \
            hash): keep it, and a later verify shows nothing before it was rewritten.

            Exit status: 0 intact, 1 something was changed (or the store cannot be read), 2 bad usage.
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        help: ArgumentHelp("The alert log to compare (default: the configured one; \"\" for none).", valueName: "file"))
    var alertLog: String?

    func run() async throws {
        let config = try Setup.config(common)
        let store = try Setup.store(common)
        let logPath = alertLog ?? config.resolvedAlertLogPath
        var lines: [String]? = nil
        if let logPath, !logPath.isEmpty {
            if FileManager.default.fileExists(atPath: logPath) {
                do {
                    lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map(String.init)
                } catch {
                    Terminal.error("chatwarden: cannot read the alert log \(logPath): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
            } else {
                Terminal.error("chatwarden: no alert log at \(logPath); checking the store only")
            }
        }
        let report: VerifyReport
        do {
            report = try store.verify(alertLog: lines)
        } catch {
            Terminal.error("chatwarden: cannot verify: \(error)")
            throw ExitCode(1)
        }
        print("store: \(Terminal.escape(store.path))")
        print(
            "chain: \(report.alerts) alert(s), \(report.reviews) review action(s), \(report.accesses) access-log entr\(report.accesses == 1 ? "y" : "ies")\(report.purges > 0 ? ", \(report.purges) purge(s) (\(report.purged) row(s) removed by retention)" : ""); head #\(report.headSequence) \(report.headHash)"
        )
        if lines != nil { print("alert log: \(Terminal.escape(logPath ?? "")), \(report.logLines) line(s)") }
        if report.isIntact {
            print("intact: nothing was changed, removed or inserted behind the product's back")
            return
        }
        print("BROKEN: \(report.problems.count) problem(s); the first broken link first:")
        for problem in report.problems.prefix(100) { print("  " + Terminal.escape(problem)) }
        if report.problems.count > 100 { print("  … and \(report.problems.count - 100) more") }
        throw ExitCode(1)
    }
}
