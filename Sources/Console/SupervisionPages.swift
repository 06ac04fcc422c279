import Alerts
import Config
import Store
import Vocabulary

/// What supervisors show a regulator (issue 20): the rule versions in force, how the terms
/// fared with reviewers, legal holds, retention and coverage; and the sample queue reviewers
/// work through.
struct SupervisionPage {
    var layout: PageLayout
    var history: [RuleActivation]
    var effectiveness: [TermEffectiveness]
    var suggestions: [(TermEffectiveness, [ContextSuggestions.Suggestion])]
    var holds: [LegalHold]
    var coverage: CoverageReport
    var retention: (messages: Int?, alerts: Int?)

    var l: Language { layout.l }

    func render(flash: String?, error: String?) -> String {
        var body =
            "<h2>\(l.pick("规则版本", "Rule versions"))</h2><table id=\"rule-history\"><thead><tr><th>\(l.pick("生效时间", "In force from"))</th><th>\(l.pick("原因", "Reason"))</th><th>\(l.pick("进程", "Daemon"))</th><th>\(l.pick("版本", "Version"))</th><th>\(l.pick("变化", "Changes"))</th></tr></thead><tbody>"
        var previous: [String: [String]]? = nil
        for activation in history.reversed().prefix(50).reversed() {
            var changes: [String] = []
            if let previous {
                for category in Set(previous.keys).union(activation.entries.keys).sorted() {
                    let before = Set(previous[category] ?? []), after = Set(activation.entries[category] ?? [])
                    let plus = after.subtracting(before).sorted(), minus = before.subtracting(after).sorted()
                    if !plus.isEmpty || !minus.isEmpty {
                        changes.append(
                            "\(layout.labels.category(category)): " + plus.map { "+" + $0 }.joined(separator: " ") + " "
                                + minus.map { "−" + $0 }.joined(separator: " "))
                    }
                }
            } else {
                changes.append(l.pick("首个版本", "first version"))
            }
            body +=
                "<tr><td>\(layout.time(activation.at))</td><td>\(HTML.escape(activation.reason))</td><td>\(HTML.escape(activation.daemon))</td><td class=\"id\">\(activation.version.prefix(12))</td><td>\(HTML.escape(changes.joined(separator: "; ")))</td></tr>"
            previous = activation.entries
        }
        body += "</tbody></table>"

        body +=
            "<h2>\(l.pick("词表效果", "How the terms fared"))</h2><table id=\"effectiveness\"><thead><tr><th>\(l.pick("规则", "Rule"))</th><th>\(l.pick("词/模式", "Term"))</th><th>\(l.pick("告警", "Raised"))</th><th>\(l.pick("已审", "Reviewed"))</th><th>\(l.pick("排除", "Dismissed"))</th><th>\(l.pick("上报", "Escalated"))</th><th>\(l.pick("准确率", "Precision"))</th></tr></thead><tbody>"
        for t in effectiveness.prefix(30) {
            body +=
                "<tr><td>\(HTML.escape(layout.labels.rule(t.rule)))</td><td>\(HTML.escape(t.term.isEmpty ? "—" : t.term))</td><td>\(t.raised)</td><td>\(t.reviewed)</td><td>\(t.dismissed)</td><td>\(t.escalated)</td><td>\(t.precision.map { "\(Int(($0 * 100).rounded()))%" } ?? "—")</td></tr>"
        }
        body += "</tbody></table>"
        if !suggestions.isEmpty {
            body +=
                "<p>\(l.pick("常被排除的词，可考虑加入词表的语境或放行短语：", "Often dismissed; phrases to consider adding to the wordlist:"))</p><ul id=\"suggestions\">"
            for (t, offered) in suggestions {
                body +=
                    "<li>\(HTML.escape(t.term)) (\(t.dismissed)/\(t.reviewed))："
                    + offered.map {
                        HTML.escape($0.kind == "allow" ? "allow:\($0.phrase)" : "@\($0.kind) \($0.phrase)")
                            + " ×\($0.count)"
                    }.joined(separator: "，") + "</li>"
            }
            body += "</ul>"
        }

        body +=
            "<h2>\(l.pick("法律保全", "Legal holds"))</h2><table id=\"holds\"><thead><tr><th>#</th><th>\(l.pick("类型", "Kind"))</th><th>\(l.pick("对象", "Subject"))</th><th>\(l.pick("原因", "Reason"))</th><th>\(l.pick("设置", "Set"))</th><th></th></tr></thead><tbody>"
        for hold in holds {
            body +=
                "<tr><td>\(hold.id)</td><td>\(HTML.escape(hold.kind.rawValue))</td><td>\(HTML.escape(hold.subject))</td><td>\(HTML.escape(hold.reason))</td><td>\(HTML.escape(hold.setBy)) \(layout.time(hold.setAt))</td><td>"
            if layout.viewer.role.canSupervise {
                body +=
                    "<form method=\"post\" action=\"/holds/\(hold.id)/lift\" class=\"inline\">\(layout.csrfField)<input type=\"text\" name=\"reason\" required placeholder=\"\(l.pick("解除原因", "why"))\"><button type=\"submit\">\(l.pick("解除", "lift"))</button></form>"
            }
            body += "</td></tr>"
        }
        body += "</tbody></table>"
        if layout.viewer.role.canSupervise {
            body += "<form method=\"post\" action=\"/holds\" class=\"filters\" id=\"add-hold\">\(layout.csrfField)"
            body +=
                "<label>\(l.pick("类型", "Kind"))<select name=\"kind\">"
                + LegalHold.Kind.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" }.joined()
                + "</select></label>"
            body +=
                "<label>\(l.pick("对象（员工/客户 ID、会话或案件名）", "Subject (staff/customer id, conversation or case)"))<input type=\"text\" name=\"subject\" required></label>"
            body +=
                "<label>\(l.pick("案件告警（可选，空格分隔）", "Case alerts (optional, space-separated)"))<input type=\"text\" name=\"alerts\"></label>"
            body += "<label>\(l.pick("原因", "Reason"))<input type=\"text\" name=\"reason\" required></label>"
            body +=
                "<label>&nbsp;<button type=\"submit\" class=\"primary\">\(l.pick("设置保全", "Set hold"))</button></label></form>"
        }
        let keep = { (days: Int?) in days.map { l.pick("\($0) 天", "\($0) days") } ?? l.pick("永久", "forever") }
        body +=
            "<p class=\"muted\">\(l.pick("保存期限：消息 \(keep(retention.messages))，告警 \(keep(retention.alerts))（[retention]，守护进程每日清理，保全内容除外）", "Retention: messages \(keep(retention.messages)), alerts \(keep(retention.alerts)) ([retention]; purged daily by the daemon, except what is held)"))</p>"

        body += "<h2>\(l.pick("存档覆盖", "Coverage"))</h2><ul id=\"coverage\">"
        body +=
            "<li>\(l.pick("拒绝存档的客户", "Customers who refused archiving"))：\(coverage.refusals.count) "
            + coverage.refusals.prefix(10).map { layout.person($0.customer) }.joined(separator: "，") + "</li>"
        body +=
            "<li>\(l.pick("7 天内没有存档消息的员工", "Staff silent for 7 days"))：\(coverage.silentStaff.count) "
            + coverage.silentStaff.prefix(10).map { layout.person($0.staff) }.joined(separator: "，") + "</li>"
        body += "<li>\(l.pick("有无法读取行的文件", "Files with unreadable lines"))：\(coverage.quarantinedFiles.count)</li></ul>"
        body +=
            "<p class=\"small muted\">\(l.pick("草稿规则试运行（rules diff）与证据包校验在命令行进行；告警详情页可下载证据包。", "Dry runs of draft rules (rules diff) and bundle verification are CLI commands; alert pages offer the evidence bundle."))</p>"
        return layout.page(
            title: l.pick("监管", "Supervision"), active: "supervision", flash: flash, error: error, body: body)
    }
}

/// The sample queue: items drawn for review, and for supervisors the form that draws a sample.
struct SamplesPage {
    var layout: PageLayout
    var items: [SampleItem]
    var samples: [Sample]

    func render(flash: String?, error: String?) -> String {
        let l = layout.l
        var body =
            "<table id=\"sample-items\"><thead><tr><th>#</th><th>\(l.pick("类型", "Kind"))</th><th>\(l.pick("员工", "Staff"))</th><th>\(l.pick("周", "Week"))</th><th>\(l.pick("会话/告警", "Conversation / alert"))</th><th>\(l.pick("审查", "Review"))</th></tr></thead><tbody>"
        if items.isEmpty {
            body += "<tr><td colspan=\"6\" class=\"muted\">\(l.pick("没有待审查的抽样项", "no open sample items"))</td></tr>"
        }
        for item in items {
            let link =
                item.kind == .dismissed
                ? "<a href=\"/alerts/\(HTML.escape(item.ref))\">\(l.pick("已排除告警", "dismissed alert")) \(HTML.escape(String(item.ref.prefix(12))))</a>"
                : "<span class=\"id\">\(HTML.escape(item.ref))</span>"
            body +=
                "<tr data-item=\"\(item.id)\"><td>\(item.id)</td><td>\(item.kind == .dismissed ? l.pick("二次复核", "second look") : l.pick("无告警会话", "quiet conversation"))</td><td>\(layout.person(item.staff))</td><td>\(HTML.escape(item.week))</td><td>\(link)</td><td>"
            if layout.viewer.role.canReview {
                body +=
                    "<form method=\"post\" action=\"/samples/\(item.id)/review\" class=\"inline\">\(layout.csrfField)<input type=\"text\" name=\"note\" required placeholder=\"\(l.pick("看了什么、发现什么", "what you looked at"))\"><label><input type=\"checkbox\" name=\"finding\" value=\"1\"> \(l.pick("有发现", "finding"))</label><button type=\"submit\">\(l.pick("记录", "record"))</button></form>"
            }
            body += "</td></tr>"
        }
        body += "</tbody></table>"
        if layout.viewer.role.canSupervise {
            body +=
                "<h2>\(l.pick("抽取新样本", "Draw a sample"))</h2><form method=\"post\" action=\"/samples/draw\" class=\"filters\" id=\"draw\">\(layout.csrfField)"
            body += "<label>\(l.pick("起始", "From"))<input type=\"text\" name=\"since\" value=\"7d\"></label>"
            body +=
                "<label>\(l.pick("无告警会话 %", "Quiet conversations %"))<input type=\"number\" name=\"quiet\" min=\"0\" max=\"100\" value=\"2\"></label>"
            body +=
                "<label>\(l.pick("已排除告警 %", "Dismissed alerts %"))<input type=\"number\" name=\"dismissed\" min=\"0\" max=\"100\" value=\"10\"></label>"
            body +=
                "<label>&nbsp;<button type=\"submit\" class=\"primary\">\(l.pick("抽取", "Draw"))</button></label></form>"
        }
        if !samples.isEmpty {
            body +=
                "<p class=\"small muted\">"
                + samples.prefix(10).map {
                    l.pick("样本 #\($0.id)：种子 \($0.seed)，\($0.by)", "sample #\($0.id): seed \($0.seed), by \($0.by)")
                }.joined(separator: " · ") + "</p>"
        }
        return layout.page(title: l.pick("抽样复核", "Samples"), active: "samples", flash: flash, error: error, body: body)
    }
}
