import Alerts
import ArgumentParser
import Config
import Console
import Store
import Support
import Vocabulary

/// `chatwarden coverage`: what the archive does not cover.
struct CoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "What the archive does not cover: customers who refused archiving, silent staff, unreadable lines.",
        discussion: """
            Customers whose newest consent record (the archive's agree / disagree messages) is a \
            refusal; staff with no archived message for --days days (also the staff of [groups.NAME] \
            never seen at all); archive files and days with lines that could not be decoded \
            (`chatwarden quarantine` lists the lines).
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: "Staff silent for this many days are listed.")
    var days: Int = 7
    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        if days < 1 { throw ValidationError("--days must be at least 1") }
        if format == .csv { throw ValidationError("coverage has several sections: table or json") }
    }

    func run() async throws {
        let (config, store, labels) = try Setup.review(common)
        let cutoff = ChatStore.nowMilliseconds() - Int64(days) * 86_400_000
        let report = try store.coverage(silentSince: cutoff, knownStaff: config.review.groups.flatMap(\.staff))
        if format == .json {
            print(Self.json(report).jsonText)
            return
        }
        print(Self.text(report, days: days, labels: labels), terminator: "")
    }

    static func json(_ r: CoverageReport) -> JSONValue {
        .object([
            (
                "refused_archiving",
                .array(
                    r.refusals.map {
                        .object([
                            ("customer", .string($0.customer)), ("staff", .array($0.staff.map(JSONValue.string))),
                            ("at", .integer($0.at)),
                        ])
                    })
            ),
            (
                "silent_staff",
                .array(
                    r.silentStaff.map {
                        .object([
                            ("staff", .string($0.staff)),
                            ("last_message", $0.lastMessage.map(JSONValue.integer) ?? .null),
                        ])
                    })
            ),
            (
                "quarantined_files",
                .array(
                    r.quarantinedFiles.map {
                        .object([
                            ("file", .string($0.file)), ("lines", .integer(Int64($0.lines))),
                            ("first", .integer($0.first)), ("last", .integer($0.last)),
                        ])
                    })
            ),
            (
                "quarantined_days",
                .array(
                    r.quarantinedDays.map { .object([("day", .string($0.day)), ("lines", .integer(Int64($0.lines)))]) })
            ),
            ("images_not_found", .integer(Int64(r.missingImages))),
            ("images_skipped", .integer(Int64(r.skippedImages))),
        ])
    }

    /// The report for people (also a section of the HTML report's data).
    static func text(_ r: CoverageReport, days: Int, labels: Labels) -> String {
        let l = labels.language
        var out =
            Terminal.bold(
                l.pick("拒绝存档的客户（\(r.refusals.count)）", "Customers who refused archiving (\(r.refusals.count))")) + "\n"
        if r.refusals.isEmpty { out += l.pick("  无\n", "  none\n") }
        for refusal in r.refusals {
            out +=
                "  \(Terminal.escape(labels.person(refusal.customer)))  → \(Terminal.escape(refusal.staff.map(labels.person).joined(separator: ", ")))  \(TimeFormat.local(milliseconds: refusal.at))\n"
        }
        out +=
            "\n"
            + Terminal.bold(
                l.pick(
                    "\(days) 天内没有存档消息的员工（\(r.silentStaff.count)）",
                    "Staff with no archived message in \(days) days (\(r.silentStaff.count))")) + "\n"
        if r.silentStaff.isEmpty { out += l.pick("  无\n", "  none\n") }
        for staff in r.silentStaff {
            let last =
                staff.lastMessage.map { l.pick("最后一条 ", "last ") + TimeFormat.local(milliseconds: $0) }
                ?? l.pick("从未出现", "never seen")
            out += "  \(Terminal.escape(labels.person(staff.staff)))  \(last)\n"
        }
        out +=
            "\n"
            + Terminal.bold(
                l.pick(
                    "有无法读取行的文件（\(r.quarantinedFiles.count)）",
                    "Files with lines that could not be read (\(r.quarantinedFiles.count))")) + "\n"
        if r.quarantinedFiles.isEmpty { out += l.pick("  无\n", "  none\n") }
        for file in r.quarantinedFiles {
            out +=
                "  \(Terminal.escape(file.file))  \(file.lines) \(l.pick("行", "line(s)"))  \(TimeFormat.local(milliseconds: file.first)) – \(TimeFormat.local(milliseconds: file.last))\n"
        }
        if !r.quarantinedDays.isEmpty {
            out +=
                l.pick("  按日：", "  by day: ")
                + r.quarantinedDays.map { "\($0.day) \($0.lines)" }.joined(separator: ", ") + "\n"
        }
        return out
    }
}
