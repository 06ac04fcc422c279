import Alerts
import Console
import Config
import ArgumentParser
import Archive
import Store
import Rules
import Vocabulary
import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `chatwarden alerts list | show | ack | dismiss | escalate | reopen`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Review alerts: list, show the evidence, record decisions.",
        subcommands: [
            List.self, Show.self, Ack.self, Dismiss.self, Escalate.self, Reopen.self, Claim.self, Assign.self,
            Confirm.self, Reject.self,
        ],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List alerts, newest first.",
            discussion: "Alert ids may be shortened to their first digits (at least 6) in the other alerts commands.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var filters: FilterOptions

        @Option(help: "Output format: table, json (one object per line) or csv.")
        var format: OutputFormat = .table

        func run() async throws {
            let (config, store, labels) = try Setup.review(common)
            let filter = try filters.checkedFilter(store, config: config, names: labels.names)
            let stored = try store.alerts(filter)
            AlertRows.listing(stored, labels: labels).print(format)
            if format == .table {
                let total = try store.alertCount(filter)
                if total > stored.count {
                    Terminal.error(
                        labels.language.pick(
                            "显示 \(total) 条中的 \(stored.count) 条（用 --limit 显示更多）",
                            "showing \(stored.count) of \(total) alerts (use --limit)"))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one alert: the evidence highlighted, the conversation around it, the review trail.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Messages of context before and after.")
        var context: Int = 5

        @Option(help: "Output format: table (for people) or json.")
        var format: OutputFormat = .table

        @Argument(help: "Alert id (or its first 6+ digits).")
        var id: String

        func validate() throws {
            // One alert with its conversation and trail has no single table shape for a spreadsheet.
            if format == .csv {
                throw ValidationError(
                    "show prints one alert for a person (table) or a program (json); for CSV use `chatwarden export`")
            }
        }

        func run() async throws {
            let store = try Setup.store(common)
            let stored = try AlertLookup.find(id, in: store)
            let alert = stored.alert
            let around = try store.context(msgid: alert.msgid, before: context, after: context) ?? []
            let recalls = try store.recalls(of: around.map(\.msgid))
            let trail = try store.reviewTrail(alertID: alert.id)
            try store.logAccess(account: Identity.osUser(), action: "view-alert", ref: alert.id, detail: "cli")
            if format == .json {
                let object = alert.jsonObject(extra: [
                    ("status", .string(stored.status.rawValue)),
                    ("context", .array(around.map { MessageRows.json($0, recalledBy: recalls[$0.msgid]) })),
                    ("review", .array(trail.map(ReviewRows.json))),
                ])
                print(object.jsonText)
                return
            }
            let l = Setup.language
            let labels = try Setup.labels(try Setup.config(common))
            var out = ""
            let head =
                l == .en
                ? "  \(alert.severity.rawValue)  \(alert.rule)  [\(alert.category)]  status: \(stored.status.rawValue)"
                : "  \(alert.severity.label(l))  \(labels.rule(alert.rule)) \(alert.rule)  [\(labels.category(alert.category))]  状态：\(stored.status.label(l))"
            out += Terminal.bold(l.pick("告警 ", "alert ") + alert.id) + head + "\n"
            if !stored.assignee.isEmpty {
                out += l.pick("处理人：  ", "assignee: ") + Terminal.escape(stored.assignee) + "\n"
            }
            out += l.pick("时间：    ", "time:     ") + TimeFormat.local(milliseconds: alert.msgtime) + "\n"
            out += l.pick("发送人：  ", "from:     ") + Terminal.escape(labels.person(alert.from)) + "\n"
            out +=
                l.pick("会话：    ", "chat:     ")
                + (alert.roomid.isEmpty
                    ? l.pick("单聊 ", "one-to-one with ")
                        + Terminal.escape(alert.tolist.map(labels.person).joined(separator: ", "))
                    : l.pick("群聊 ", "group ") + Terminal.escape(alert.roomid)) + "\n"
            out +=
                l.pick("消息：    ", "message:  ")
                + "\(Terminal.escape(alert.msgid))  (\(Terminal.escape(alert.file)) line \(alert.line), byte \(alert.offset))\n"
            out +=
                l.pick("命中：    ", "matched:  ")
                + "\(Terminal.escape(alert.term)) → \(Terminal.highlight(Terminal.escape(alert.matched)))\n"
            if !alert.details.isEmpty { out += l.pick("说明：    ", "details:  ") + Terminal.escape(alert.details) + "\n" }
            if let image = try store.mediaJob(msgid: alert.msgid) {
                let where_ = image.path.isEmpty ? "" : Terminal.escape(image.path) + "  sha256 " + image.sha256 + "  "
                out +=
                    l.pick("图片：    ", "image:    ") + where_ + "(\(image.status): \(Terminal.escape(image.reason)))\n"
            }
            if !stored.ruleVersion.isEmpty {
                out += l.pick("规则版本：", "rules:    ") + stored.ruleVersion.prefix(12) + "  (chatwarden rules history)\n"
            }
            if let guidance = labels.guidance(for: alert.category), l == .zh {
                out += "建议：    " + Terminal.escape(guidance) + "\n"
            }
            if !alert.relatedMsgids.isEmpty {
                out +=
                    l.pick("相关：    ", "related:  ") + alert.relatedMsgids.map(Terminal.escape).joined(separator: ", ")
                    + "\n"
            }
            out +=
                l.pick("证据：    ", "evidence: ") + Highlight.text(alert.text, ranges: [alert.spanStart..<alert.spanEnd])
                + "\n"
            if let recall = recalls[alert.msgid] {
                out += Terminal.bold(l.pick("已被撤回（", "recalled by ") + Terminal.escape(recall) + l.pick("）", "")) + "\n"
            }
            if !around.isEmpty {
                out += "\n" + Terminal.bold(l.pick("上下文", "conversation")) + "\n"
                for m in around {
                    let marker = m.msgid == alert.msgid ? "▶ " : "  "
                    // Evidence read from an image is not the message's text (see evidence: above).
                    let body =
                        m.msgid == alert.msgid && m.text == alert.text
                        ? Highlight.text(m.text, ranges: [alert.spanStart..<alert.spanEnd])
                        : Terminal.escape(MessageRows.body(m))
                    var line =
                        marker + TimeFormat.local(milliseconds: m.msgtime) + "  "
                        + Terminal.escape(labels.person(m.sender))
                        + ": " + body
                    if let recall = recalls[m.msgid] {
                        line +=
                            "  "
                            + Terminal.dim(
                                l.pick("（已被撤回：\(Terminal.escape(recall))）", "(recalled by \(Terminal.escape(recall)))"))
                    }
                    out += line + "\n"
                }
            }
            out += "\n" + Terminal.bold(l.pick("审查记录", "review")) + "\n"
            if trail.isEmpty { out += l.pick("  尚无处理记录\n", "  no decisions yet\n") }
            for r in trail {
                let who =
                    Terminal.escape(r.reviewer)
                    + (r.actor.isEmpty
                        ? ""
                        : l.pick("（由 \(Terminal.escape(r.actor)) 代为操作）", " (recorded by \(Terminal.escape(r.actor)))"))
                let what =
                    l == .en
                    ? "\(r.action.rawValue) → \(r.status.rawValue)" : "\(r.action.label(l)) → \(r.status.label(l))"
                out += "  \(TimeFormat.local(milliseconds: r.at))  \(who)  \(what)"
                out += r.note.isEmpty ? "\n" : "  \"\(Terminal.escape(r.note))\"\n"
            }
            print(out, terminator: "")
        }
    }

    /// The options every review action takes: which alerts (ids, or every alert of a filter
    /// with --all-matching), why, and for whom.
    struct ReviewOptions: ParsableArguments {
        @OptionGroup var common: CommonOptions

        @Option(
            name: [.customLong("as"), .customLong("reviewer")],
            help: ArgumentHelp(
                "Record the action for this account (admins only; the trail names both). Default: you, the OS user ($SUDO_USER under sudo).",
                valueName: "account"))
        var actFor: String?

        @Option(help: "Why (kept in the audit trail; needed to dismiss).")
        var note: String = ""

        @Flag(help: "Act on every alert matching the filter options (--since, --category, …) instead of ids.")
        var allMatching = false

        @Flag(name: [.short, .long], help: "Do not ask before acting on the alerts of a filter.")
        var yes = false

        @OptionGroup var filters: FilterOptions

        @Argument(help: "Alert ids (or their first 6+ digits).")
        var ids: [String] = []

        func validate() throws {
            if ids.isEmpty && !allMatching {
                throw ValidationError("give alert ids, or --all-matching with filter options")
            }
            if !ids.isEmpty && allMatching {
                throw ValidationError("give alert ids or --all-matching, not both")
            }
        }

        func apply(_ action: ReviewAction) throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            let l = Setup.language
            let labels = try Setup.labels(config)
            let desk = Desk(store: store, settings: config.review, labels: labels)
            let viewer = try Identity.viewer(desk)
            var targets = ids
            if allMatching {
                var filter = try filters.checkedFilter(store, config: config, names: labels.names)
                filter.limit = Int.max
                targets = try store.alerts(desk.scoped(filter, for: viewer)).map(\.alert.id)
                if targets.isEmpty {
                    Terminal.error(l.pick("没有符合条件的告警", "no alerts match"))
                    throw ExitCode(1)
                }
                if !yes {
                    let question = l.pick(
                        "将对 \(targets.count) 条告警执行“\(action.label(l))”，确定吗？[y/N] ",
                        "\(action.rawValue) \(targets.count) alert(s)? [y/N] ")
                    guard isatty(0) != 0 else {
                        Terminal.error(
                            l.pick(
                                "将作用于 \(targets.count) 条告警：请加 --yes 确认",
                                "this acts on \(targets.count) alerts: add --yes to go ahead"))
                        throw ExitCode(2)
                    }
                    fputs(question, stderr)
                    guard let answer = readLine(), ["y", "yes", "是"].contains(answer.lowercased()) else {
                        Terminal.error(l.pick("已取消", "cancelled"))
                        throw ExitCode(1)
                    }
                }
            }
            let outcome: ChatStore.ReviewOutcome
            do {
                outcome = try desk.act(action, ids: targets, note: note, as: viewer, onBehalfOf: actFor)
            } catch let refusal as DeskRefusal {
                Terminal.error("chatwarden: \(refusal.message)")
                throw ExitCode(1)
            }
            for (done, before) in zip(outcome.done, outcome.previous) {
                let who = actFor.map { "\($0) (\(l.pick("由", "recorded by")) \(viewer.account))" } ?? viewer.account
                let change = before == done.status ? "" : "  \(before.rawValue) → \(done.status.rawValue)"
                let assignee = done.assignee.isEmpty ? "" : "  assignee: \(Terminal.escape(done.assignee))"
                print("\(done.alert.id)\(change)\(assignee)  by \(Terminal.escape(who))")
            }
            for refused in outcome.refused {
                Terminal.error("chatwarden: \(Terminal.escape(refused.alertID)): \(refused.reason.message(l))")
            }
            if targets.count > 1 {
                Terminal.error(
                    l.pick(
                        "已处理 \(outcome.done.count) 条，未处理 \(outcome.refused.count) 条",
                        "\(outcome.done.count) done, \(outcome.refused.count) refused"))
            }
            if !outcome.refused.isEmpty { throw ExitCode(1) }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge alerts (seen, being handled).")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.acknowledge) }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dismiss alerts (no violation); --note is required.",
            discussion:
                "A high or critical alert dismissed by anyone waits for a supervisor to confirm (four-eyes; [review] four_eyes)."
        )
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.dismiss) }
    }

    struct Escalate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Escalate alerts (to the compliance lead).")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.escalate) }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set alerts back to new.")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.reopen) }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take alerts (you become their assignee).")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.claim) }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give alerts to an account (supervisors): --note names the account.")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.assign) }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm pending dismissals (supervisors; not your own).")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.confirm) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send pending dismissals back to acknowledged (supervisors).")
        @OptionGroup var options: ReviewOptions
        func run() async throws { try options.apply(.reject) }
    }
}

/// Finding an alert by (a prefix of) its id, with errors a person can act on.
enum AlertLookup {
    static func find(_ id: String, in store: ChatStore) throws -> StoredAlert {
        do {
            guard let stored = try store.alert(idPrefix: id) else {
                Terminal.error("chatwarden: no alert \(Terminal.escape(id))")
                throw ExitCode(1)
            }
            return stored
        } catch let error as StoreError {
            Terminal.error("chatwarden: \(error.message)")
            throw ExitCode(1)
        }
    }
}

/// Highlighting byte ranges of untrusted text, escaped.
enum Highlight {
    static func text(_ text: String, ranges: [Range<Int>]) -> String {
        let bytes = Array(text.utf8)
        var out = ""
        var position = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let lo = min(max(range.lowerBound, position), bytes.count)
            let hi = min(max(range.upperBound, lo), bytes.count)
            out += Terminal.escape(String(decoding: bytes[position..<lo], as: UTF8.self))
            if hi > lo { out += Terminal.highlight(Terminal.escape(String(decoding: bytes[lo..<hi], as: UTF8.self))) }
            position = hi
        }
        out += Terminal.escape(String(decoding: bytes[position...], as: UTF8.self))
        return out
    }

    /// A keyword-in-context window for a table cell: the text around the first match, cut to
    /// about `columns` display columns, escaped, with every match inside highlighted.
    static func window(_ text: String, ranges: [Range<Int>], columns: Int) -> String {
        guard let first = ranges.first else { return Terminal.truncate(Terminal.escape(text), to: columns) }
        let bytes = Array(text.utf8)
        // Start up to a third of the width before the match, on a character boundary.
        var start = first.lowerBound
        var used = 0
        while start > 0 {
            var previous = start - 1
            while previous > 0 && bytes[previous] & 0xC0 == 0x80 { previous -= 1 }
            let scalar = String(decoding: bytes[previous..<start], as: UTF8.self).unicodeScalars.first!
            used += Terminal.width(Terminal.escape(String(scalar)))
            if used > columns / 3 { break }
            start = previous
        }
        var end = start
        used = 0
        while end < bytes.count {
            var next = end + 1
            while next < bytes.count && bytes[next] & 0xC0 == 0x80 { next += 1 }
            used += Terminal.width(Terminal.escape(String(decoding: bytes[end..<next], as: UTF8.self)))
            if used > columns - 2 { break }
            end = next
        }
        let inside = ranges.compactMap { r -> Range<Int>? in
            let lo = max(r.lowerBound, start), hi = min(r.upperBound, end)
            return lo < hi ? (lo - start)..<(hi - start) : nil
        }
        let body = Highlight.text(String(decoding: bytes[start..<end], as: UTF8.self), ranges: inside)
        return (start > 0 ? "…" : "") + body + (end < bytes.count ? "…" : "")
    }
}
