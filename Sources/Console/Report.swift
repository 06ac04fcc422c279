import Alerts
public import Store
public import Vocabulary
import Config

/// The compliance report: one self-contained HTML file (inline CSS and SVG, no script, nothing
/// fetched), for managers who read it once a week; in the reader's language (Chinese by
/// default), with the wordlists' titles and display names.
public enum Report {
    public struct Data: Sendable {
        public var title: String
        public var since: Int64?
        public var until: Int64?
        public var alerts: [StoredAlert]
        public var timings: [ReviewTiming]
        public var stats: StatsReport
        public var generatedAt: Int64
        /// What the archive does not cover (a section of its own when given).
        public var coverage: CoverageReport? = nil
        /// How terms and rules fared with the reviewers (a section of its own when given).
        public var effectiveness: [TermEffectiveness]? = nil

        public init(
            title: String, since: Int64?, until: Int64?, alerts: [StoredAlert], timings: [ReviewTiming],
            stats: StatsReport, generatedAt: Int64
        ) {
            self.title = title
            self.since = since
            self.until = until
            self.alerts = alerts
            self.timings = timings
            self.stats = stats
            self.generatedAt = generatedAt
        }
    }

    /// The default title.
    public static func defaultTitle(_ language: Language) -> String { language.pick("合规审查报告", "Compliance report") }

    /// Category colours, stable across reports.
    static let palette = [
        "#c0392b", "#2471a3", "#d68910", "#229954", "#7d3c98", "#17a589", "#b9770e", "#566573", "#a93226", "#1f618d",
    ]

    public static func html(_ data: Data, labels: Labels) -> String {
        let l = labels.language
        let categories = Array(Set(data.alerts.map(\.alert.category))).sorted()
        func colour(_ category: String) -> String {
            palette[(categories.firstIndex(of: category) ?? 0) % palette.count]
        }
        var out = """
            <!DOCTYPE html>
            <html lang="\(l.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(data.title))</title>
            <style>
            body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            .meta { color: #666; } .cards { display: flex; gap: 1em; flex-wrap: wrap; }
            .card { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1.2em; min-width: 9em; }
            .card b { display: block; font-size: 1.8em; }
            table { border-collapse: collapse; width: 100%; font-size: 0.9em; } td, th { border-bottom: 1px solid #eee; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
            th { background: #f6f6f6; } mark { background: #fde2e1; color: #a00; font-weight: bold; }
            .legend span { display: inline-block; margin-right: 1.2em; } .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
            svg text { font-size: 11px; fill: #444; }
            </style></head><body>
            <h1>\(escape(data.title))</h1>
            <p class="meta">\(escape(period(data, l))) · \(l.pick("生成于", "generated")) \(TimeFormat.local(milliseconds: data.generatedAt)) (UTC\(TimeFormat.localOffset(milliseconds: data.generatedAt))) · chatwarden</p>

            """
        // Summary cards.
        let reviewed = data.timings.filter { $0.firstReviewAt != nil }
        let turnarounds = reviewed.compactMap { t in t.firstReviewAt.map { Double($0 - t.createdAt) / 3_600_000 } }
            .sorted()
        let median = turnarounds.isEmpty ? "—" : hours(turnarounds[turnarounds.count / 2], l)
        out += "<div class=\"cards\">"
        out += card(l.pick("存档消息", "Messages archived"), "\(data.stats.messages)")
        out += card(l.pick("告警", "Alerts"), "\(data.alerts.count)")
        out += card(l.pick("严重 / 高", "Critical / high"), "\(data.alerts.filter { $0.alert.severity >= .high }.count)")
        out += card(
            l.pick("已审查", "Reviewed"),
            l.pick("\(reviewed.count) / \(data.timings.count)", "\(reviewed.count) of \(data.timings.count)"))
        out += card(l.pick("审查用时中位数", "Median time to review"), median)
        out += card(
            l.pick("告警后撤回", "Recalls after a hit"),
            "\(data.alerts.filter { $0.alert.rule == "window.recall-after-hit" }.count)")
        out += "</div>\n"

        // Alerts per day by category: stacked bars.
        out += "<h2>\(l.pick("每日告警（按类别）", "Alerts per day, by category"))</h2>\n"
        out += legend(categories, colour, labels)
        out += dailyChart(data.alerts, categories: categories, colour: colour, labels: labels)

        // Top staff and conversations.
        out += "<h2>\(l.pick("告警最多的员工", "Staff with the most alerts"))</h2>\n"
        out += barChart(data.stats.byStaff.map { (labels.person($0.0), $0.1) }, id: "chart-staff", colour: "#2471a3", l)
        out += "<h2>\(l.pick("告警最多的会话", "Conversations with the most alerts"))</h2>\n"
        out += barChart(
            data.stats.byConversation.map { (conversationLabel($0.0, labels), $0.1) }, id: "chart-conversations",
            colour: "#d68910", l)

        // Review turnaround.
        out += "<h2>\(l.pick("审查用时", "Review turnaround"))</h2>\n"
        let buckets: [(String, (Double) -> Bool)] = [
            (l.pick("< 1 小时", "< 1 h"), { $0 < 1 }), (l.pick("1–4 小时", "1–4 h"), { $0 >= 1 && $0 < 4 }),
            (l.pick("4–24 小时", "4–24 h"), { $0 >= 4 && $0 < 24 }),
            (l.pick("1–3 天", "1–3 days"), { $0 >= 24 && $0 < 72 }),
            (l.pick("> 3 天", "> 3 days"), { $0 >= 72 }),
        ]
        var rows = buckets.map { name, test in (name, turnarounds.filter(test).count) }
        rows.append((l.pick("未审查", "not reviewed"), data.timings.count - reviewed.count))
        out += barChart(rows, id: "chart-turnaround", colour: "#229954", l)

        // Recall-after-hit cases.
        let recalls = data.alerts.filter { $0.alert.rule == "window.recall-after-hit" }
        out += "<h2>\(l.pick("告警后撤回的消息", "Recalled after an alert")) (\(recalls.count))</h2>\n"
        if recalls.isEmpty {
            out += "<p>\(l.pick("本期没有。", "None in this period."))</p>\n"
        } else {
            out +=
                "<table><tr><th>\(l.pick("时间", "Time"))</th><th>\(l.pick("发送人", "Sender"))</th><th>\(l.pick("会话", "Conversation"))</th><th>\(l.pick("撤回的内容", "Recalled text"))</th><th>\(l.pick("触发的告警", "What it raised"))</th><th>\(l.pick("状态", "Status"))</th></tr>\n"
            for r in recalls {
                out +=
                    "<tr><td>\(TimeFormat.local(milliseconds: r.alert.msgtime))</td><td>\(escape(labels.person(r.alert.from)))</td>"
                out +=
                    "<td>\(escape(conversationLabel(r.alert.conversation, labels)))</td><td>\(escape(r.alert.text))</td><td>\(escape(r.alert.details))</td>"
                out += "<td>\(r.status.label(l))</td></tr>\n"
            }
            out += "</table>\n"
        }

        // Evidence of critical and high alerts.
        let serious = data.alerts.filter { $0.alert.severity >= .high && $0.alert.rule != "window.recall-after-hit" }
        out += "<h2>\(l.pick("严重和高级别告警", "Critical and high alerts")) (\(serious.count))</h2>\n"
        out +=
            "<table><tr><th>\(l.pick("时间", "Time"))</th><th>\(l.pick("级别", "Severity"))</th><th>\(l.pick("规则", "Rule"))</th><th>\(l.pick("发送人", "Sender"))</th><th>\(l.pick("证据", "Evidence"))</th><th>\(l.pick("处理建议", "Guidance"))</th><th>\(l.pick("状态", "Status"))</th></tr>\n"
        for s in serious.prefix(500) {
            let a = s.alert
            out +=
                "<tr><td>\(TimeFormat.local(milliseconds: a.msgtime))</td><td>\(a.severity.label(l))</td><td>\(escape(labels.rule(a.rule)))<br><small>\(escape(a.rule))</small></td>"
            out +=
                "<td>\(escape(labels.person(a.from)))</td><td>\(highlighted(a.text, a.spanStart..<a.spanEnd))</td><td>\(escape(labels.guidance(for: a.category) ?? ""))</td><td>\(s.status.label(l))</td></tr>\n"
        }
        out += "</table>\n"
        if serious.count > 500 {
            out +=
                "<p>\(l.pick("……另有 \(serious.count - 500) 条（chatwarden export 可导出全部）。", "… and \(serious.count - 500) more (chatwarden export has them all)."))</p>\n"
        }
        if let effectiveness = data.effectiveness { out += effectivenessSection(effectiveness, labels) }
        if let coverage = data.coverage { out += coverageSection(coverage, labels) }
        out += "</body></html>\n"
        return out
    }

    /// The busiest terms and rules with what reviewers decided, and the precision that gives.
    static func effectivenessSection(_ terms: [TermEffectiveness], _ labels: Labels) -> String {
        let l = labels.language
        var out = "<h2 id=\"effectiveness\">\(l.pick("词表效果（审查结论）", "How the word lists fared with reviewers"))</h2>\n"
        guard !terms.isEmpty else { return out + "<p>\(l.pick("无。", "None."))</p>\n" }
        out +=
            "<table><tr><th>\(l.pick("规则", "Rule"))</th><th>\(l.pick("词/模式", "Term"))</th><th>\(l.pick("告警", "Raised"))</th><th>\(l.pick("已审", "Reviewed"))</th><th>\(l.pick("排除", "Dismissed"))</th><th>\(l.pick("上报", "Escalated"))</th><th>\(l.pick("准确率", "Precision"))</th></tr>\n"
        for t in terms.prefix(20) {
            let precision = t.precision.map { "\(Int(($0 * 100).rounded()))%" } ?? "—"
            out +=
                "<tr><td>\(escape(labels.rule(t.rule)))</td><td>\(escape(t.term.isEmpty ? "—" : t.term))</td><td>\(t.raised)</td><td>\(t.reviewed)</td><td>\(t.dismissed)</td><td>\(t.escalated)</td><td>\(precision)</td></tr>\n"
        }
        return out
            + "</table>\n<p class=\"meta\">\(l.pick("准确率 = 已审告警中未被排除的比例。chatwarden rules effectiveness 列出未触发的词和可加入的语境短语。", "Precision = the share of reviewed alerts not dismissed. `chatwarden rules effectiveness` lists unused terms and phrases to add."))</p>\n"
    }

    /// Customers who refused archiving, silent staff, files with unreadable lines.
    static func coverageSection(_ c: CoverageReport, _ labels: Labels) -> String {
        let l = labels.language
        var out = "<h2 id=\"coverage\">\(l.pick("存档覆盖情况", "Coverage of the archive"))</h2>\n"
        out += "<h3>\(l.pick("拒绝存档的客户", "Customers who refused archiving")) (\(c.refusals.count))</h3>\n"
        out +=
            c.refusals.isEmpty
            ? "<p>\(l.pick("无。", "None."))</p>\n"
            : "<table><tr><th>\(l.pick("客户", "Customer"))</th><th>\(l.pick("员工", "Staff"))</th><th>\(l.pick("时间", "Time"))</th></tr>\n"
                + c.refusals.map {
                    "<tr><td>\(escape(labels.person($0.customer)))</td><td>\(escape($0.staff.map(labels.person).joined(separator: ", ")))</td><td>\(TimeFormat.local(milliseconds: $0.at))</td></tr>\n"
                }.joined() + "</table>\n"
        out += "<h3>\(l.pick("近期没有存档消息的员工", "Staff with no archived messages lately")) (\(c.silentStaff.count))</h3>\n"
        out +=
            c.silentStaff.isEmpty
            ? "<p>\(l.pick("无。", "None."))</p>\n"
            : "<table><tr><th>\(l.pick("员工", "Staff"))</th><th>\(l.pick("最后一条消息", "Last message"))</th></tr>\n"
                + c.silentStaff.map {
                    "<tr><td>\(escape(labels.person($0.staff)))</td><td>\($0.lastMessage.map { TimeFormat.local(milliseconds: $0) } ?? l.pick("从未出现", "never seen"))</td></tr>\n"
                }.joined() + "</table>\n"
        out +=
            "<h3>\(l.pick("有无法读取行的文件", "Files with lines that could not be read")) (\(c.quarantinedFiles.count))</h3>\n"
        out +=
            c.quarantinedFiles.isEmpty
            ? "<p>\(l.pick("无。", "None."))</p>\n"
            : "<table><tr><th>\(l.pick("文件", "File"))</th><th>\(l.pick("行数", "Lines"))</th><th>\(l.pick("最早", "First"))</th><th>\(l.pick("最近", "Last"))</th></tr>\n"
                + c.quarantinedFiles.map {
                    "<tr><td>\(escape($0.file))</td><td>\($0.lines)</td><td>\(TimeFormat.local(milliseconds: $0.first))</td><td>\(TimeFormat.local(milliseconds: $0.last))</td></tr>\n"
                }.joined() + "</table>\n"
        return out
    }

    static func period(_ data: Data, _ l: Language) -> String {
        let from = data.since.map { TimeFormat.local(milliseconds: $0) } ?? l.pick("最早", "the beginning")
        let to = data.until.map { TimeFormat.local(milliseconds: $0) } ?? l.pick("现在", "now")
        return l.pick("时段：\(from) 至 \(to)", "From \(from) to \(to)")
    }

    /// A conversation key with names: a group's id, or the two people of a one-to-one chat.
    static func conversationLabel(_ key: String, _ labels: Labels) -> String {
        let people = key.split(separator: "|").map(String.init)
        return people.count == 2 ? people.map(labels.names.short).joined(separator: " ↔ ") : labels.names.short(key)
    }

    static func card(_ label: String, _ value: String) -> String {
        "<div class=\"card\">\(escape(label))<b>\(escape(value))</b></div>"
    }

    static func hours(_ h: Double, _ l: Language) -> String {
        h < 1
            ? l.pick("\(Int((h * 60).rounded())) 分钟", "\(Int((h * 60).rounded())) min")
            : h < 48
                ? l.pick("\(oneDecimal(h)) 小时", "\(oneDecimal(h)) h")
                : l.pick("\(oneDecimal(h / 24)) 天", "\(oneDecimal(h / 24)) days")
    }

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    static func legend(_ categories: [String], _ colour: (String) -> String, _ labels: Labels) -> String {
        "<p class=\"legend\">"
            + categories.map {
                "<span><i class=\"swatch\" style=\"background:\(colour($0))\"></i>\(escape(labels.category($0)))</span>"
            }
            .joined() + "</p>\n"
    }

    /// Stacked bars: one per local day, a segment per category.
    static func dailyChart(
        _ alerts: [StoredAlert], categories: [String], colour: (String) -> String, labels: Labels
    ) -> String {
        var days: [String: [String: Int]] = [:]
        for a in alerts {
            days[TimeFormat.localDay(milliseconds: a.alert.msgtime), default: [:]][a.alert.category, default: 0] += 1
        }
        let order = days.keys.sorted()
        guard !order.isEmpty else { return "<p>\(labels.language.pick("本期没有告警。", "No alerts in this period."))</p>\n" }
        let maxTotal = max(1, order.map { days[$0]!.values.reduce(0, +) }.max()!)
        let width = 1000, height = 260, left = 40, bottom = 40
        let barWidth = max(4, min(60, (width - left - 20) / order.count - 6))
        var svg =
            "<svg id=\"chart-daily\" class=\"chart\" role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg +=
            "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#999\"/>"
        svg += "<text x=\"4\" y=\"14\">\(maxTotal)</text><text x=\"4\" y=\"\(height - bottom)\">0</text>"
        for (i, day) in order.enumerated() {
            let x = left + 10 + i * (barWidth + 6)
            var y = Double(height - bottom)
            for category in categories {
                guard let n = days[day]?[category], n > 0 else { continue }
                let h = Double(n) / Double(maxTotal) * Double(height - bottom - 20)
                y -= h
                svg +=
                    "<rect x=\"\(x)\" y=\"\(oneDecimal(y))\" width=\"\(barWidth)\" height=\"\(oneDecimal(h))\" fill=\"\(colour(category))\"><title>\(escape(day)) \(escape(labels.category(category))): \(n)</title></rect>"
            }
            if order.count <= 31 || i % max(1, order.count / 15) == 0 {
                svg += "<text x=\"\(x)\" y=\"\(height - bottom + 14)\">\(escape(String(day.suffix(5))))</text>"
            }
        }
        return svg + "</svg>\n"
    }

    /// Horizontal bars with labels and counts.
    static func barChart(_ rows: [(String, Int)], id: String, colour: String, _ l: Language) -> String {
        guard !rows.isEmpty else { return "<p>\(l.pick("没有。", "None."))</p>\n" }
        let maxValue = max(1, rows.map(\.1).max()!)
        let rowHeight = 22, labelWidth = 330, width = 1000
        var svg =
            "<svg id=\"\(id)\" class=\"chart\" role=\"img\" width=\"\(width)\" height=\"\(rows.count * rowHeight + 10)\" viewBox=\"0 0 \(width) \(rows.count * rowHeight + 10)\">"
        for (i, (label, value)) in rows.enumerated() {
            let y = i * rowHeight + 4
            let w = Int(Double(value) / Double(maxValue) * Double(width - labelWidth - 60))
            let shown = label.count > 44 ? String(label.prefix(43)) + "…" : label
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(escape(shown))</text>"
            svg +=
                "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(max(w, value > 0 ? 2 : 0))\" height=\"\(rowHeight - 6)\" fill=\"\(colour)\"><title>\(escape(label)): \(value)</title></rect>"
            svg += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 14)\">\(value)</text>"
        }
        return svg + "</svg>\n"
    }

    /// The text with its evidence span marked, everything escaped.
    static func highlighted(_ text: String, _ span: Range<Int>) -> String {
        let bytes = Array(text.utf8)
        let lo = min(max(0, span.lowerBound), bytes.count), hi = min(max(lo, span.upperBound), bytes.count)
        return escape(String(decoding: bytes[..<lo], as: UTF8.self)) + "<mark>"
            + escape(String(decoding: bytes[lo..<hi], as: UTF8.self))
            + "</mark>" + escape(String(decoding: bytes[hi...], as: UTF8.self))
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }
}
