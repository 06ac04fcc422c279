import Alerts
import Config
import Store
import Vocabulary

/// One alert: the evidence in the original characters, why it was raised, the conversation
/// around it (more on demand), a recall's text, the actions the viewer may take, the trail.
struct AlertPage {
    var layout: PageLayout
    var stored: StoredAlert
    var around: [StoredMessage]
    var recalls: [String: String]
    var trail: [ReviewRecord]
    var views: [AccessRecord]
    /// For an image message: its file, SHA-256 and what the image path made of it.
    var image: (status: String, reason: String, path: String, sha256: String)?
    var before: Int
    var after: Int
    var accounts: [String]

    var l: Language { layout.l }

    func render(flash: String?, error: String?) -> String {
        let a = stored.alert
        var body = "<div class=\"card\" id=\"facts\"><dl class=\"facts\">"
        func fact(_ name: String, _ value: String) { body += "<dt>\(HTML.escape(name))</dt><dd>\(value)</dd>" }
        fact(l.pick("级别", "Severity"), layout.severity(a.severity))
        fact(
            l.pick("状态", "Status"),
            layout.status(stored.status)
                + (stored.assignee.isEmpty ? "" : " · " + l.pick("处理人 ", "with ") + HTML.escape(stored.assignee)))
        fact(
            l.pick("类别", "Category"),
            HTML.escape(layout.labels.category(a.category)) + " <span class=\"id\">\(HTML.escape(a.category))</span>")
        fact(
            l.pick("规则", "Rule"),
            HTML.escape(layout.labels.rule(a.rule)) + " <span class=\"id\">\(HTML.escape(a.rule))</span>")
        fact(
            l.pick("时间", "Time"),
            layout.time(a.msgtime)
                + " <span class=\"muted\">(UTC\(TimeFormat.localOffset(milliseconds: a.msgtime)))</span>")
        fact(l.pick("发送人", "Sender"), layout.person(a.from))
        fact(l.pick("员工", "Staff"), layout.person(stored.staff))
        fact(l.pick("会话", "Chat"), layout.chat(a))
        fact(l.pick("命中", "Matched"), HTML.escape(a.term) + " → <mark>" + HTML.escape(a.matched) + "</mark>")
        if !a.details.isEmpty { fact(l.pick("说明", "Explanation"), HTML.escape(a.details)) }
        if let guidance = layout.labels.guidance(for: a.category) {
            fact(l.pick("处理建议", "Guidance"), HTML.escape(guidance))
        }
        if let image {
            fact(
                l.pick("图片", "Image"),
                "<span class=\"id\" id=\"image\">\(HTML.escape(image.path)) · sha256 \(HTML.escape(image.sha256))</span> "
                    + "<span class=\"muted\">(\(HTML.escape(image.status)): \(HTML.escape(image.reason)))</span>")
        }
        if !stored.ruleVersion.isEmpty {
            fact(l.pick("规则版本", "Rule version"), "<span class=\"id\">\(stored.ruleVersion.prefix(12))</span>")
        }
        fact(
            l.pick("来源", "Source"),
            "<span class=\"id\">\(HTML.escape(a.file)):\(a.line) · msgid \(HTML.escape(a.msgid))</span>")
        body += "</dl></div>"
        body +=
            "<h2>\(l.pick("证据", "Evidence"))</h2><div class=\"evidence\" id=\"evidence\">\(HTML.highlighted(a.text, [a.spanStart..<a.spanEnd]))</div>"
        if let recall = recalls[a.msgid] {
            body +=
                "<p class=\"recalled\" id=\"recall\">\(l.pick("此消息已被撤回（撤回消息 \(HTML.escape(recall))）；以上为撤回前存档的原文。", "This message was recalled (by \(HTML.escape(recall))); the text above is what the archive kept."))</p>"
        }
        if layout.viewer.role.canSupervise || layout.viewer.role == .auditor {
            body +=
                "<p><a href=\"/alerts/\(a.id)/bundle.zip\" id=\"bundle\">\(l.pick("下载证据包（ZIP，含 SHA-256 清单）", "Download the evidence bundle (ZIP with a SHA-256 manifest)"))</a></p>"
        }
        body += actions()
        body += conversation()
        body += trailTable()
        return layout.page(
            title: "\(layout.labels.category(a.category)) · \(a.severity.label(l))", active: "queue", flash: flash,
            error: error, body: body)
    }

    func actions() -> String {
        let role = layout.viewer.role
        guard role.canReview else { return "" }
        let id = stored.alert.id
        func form(_ action: ReviewAction, extra: String = "") -> String {
            "<form method=\"post\" action=\"/alerts/\(id)/review\">\(layout.csrfField)<input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">\(extra)<button type=\"submit\" id=\"act-\(action.rawValue)\">\(HTML.escape(action.label(l)))</button></form>"
        }
        var out = "<h2>\(l.pick("处理", "Decide"))</h2><div class=\"actions\" id=\"actions\">"
        out += form(.claim) + form(.acknowledge) + form(.escalate)
        out += form(
            .dismiss,
            extra:
                "<input type=\"text\" name=\"note\" id=\"dismiss-note\" required placeholder=\"\(l.pick("排除原因（必填）", "why (required)"))\"> "
        )
        if stored.status != .new { out += form(.reopen) }
        if role.canSupervise {
            let options = accounts.map { "<option value=\"\(HTML.escape($0))\">\(HTML.escape($0))</option>" }.joined()
            out +=
                "<form method=\"post\" action=\"/alerts/\(id)/review\">\(layout.csrfField)<input type=\"hidden\" name=\"action\" value=\"assign\"><select name=\"note\" id=\"assign-to\">\(options)</select><button type=\"submit\" id=\"act-assign\">\(ReviewAction.assign.label(l))</button></form>"
            if stored.status == .pendingDismissal {
                out +=
                    form(.confirm)
                    + form(
                        .reject, extra: "<input type=\"text\" name=\"note\" placeholder=\"\(l.pick("驳回原因", "why"))\"> ")
            }
        }
        if stored.status == .pendingDismissal {
            out +=
                "<p class=\"pending-dismissal\">\(l.pick("高/严重告警的排除需主管复核后生效。", "Dismissing a high or critical alert waits for a supervisor's confirmation."))</p>"
        }
        return out + "</div>"
    }

    func conversation() -> String {
        let id = stored.alert.id
        var out = "<h2>\(l.pick("上下文", "Conversation"))</h2><div class=\"conversation card\" id=\"conversation\">"
        out +=
            "<a href=\"/alerts/\(id)?before=\(min(before + 20, 500))&amp;after=\(after)#conversation\" id=\"older\">↑ \(l.pick("更早的消息", "older messages"))</a><ul>"
        for m in around {
            let hit = m.msgid == stored.alert.msgid
            // Evidence read from an image (a QR code, a screenshot's text) is not the message's
            // text: the message stays "[image]" and the evidence box above shows what was read.
            let text =
                hit && m.text == stored.alert.text
                ? HTML.highlighted(m.text, [stored.alert.spanStart..<stored.alert.spanEnd])
                : HTML.escape(m.text.isEmpty ? "[\(m.msgtype)]" : m.text)
            out +=
                "<li\(hit ? " class=\"hit\"" : "")><span class=\"small muted\">\(layout.time(m.msgtime))</span> <strong>\(layout.person(m.sender))</strong>：\(text)"
            if let recall = recalls[m.msgid] {
                out += " <span class=\"recalled\">（\(l.pick("已撤回", "recalled"))：\(HTML.escape(recall))）</span>"
            }
            out += "</li>"
        }
        out +=
            "</ul><a href=\"/alerts/\(id)?before=\(before)&amp;after=\(min(after + 20, 500))#conversation\" id=\"newer\">↓ \(l.pick("更新的消息", "newer messages"))</a></div>"
        return out
    }

    func trailTable() -> String {
        var out =
            "<h2>\(l.pick("审查记录", "Review trail"))</h2><table id=\"trail\"><thead><tr><th>\(l.pick("时间", "Time"))</th><th>\(l.pick("账号", "Account"))</th><th>\(l.pick("操作", "Action"))</th><th>\(l.pick("状态", "Status"))</th><th>\(l.pick("说明", "Note"))</th></tr></thead><tbody>"
        if trail.isEmpty {
            out += "<tr><td colspan=\"5\" class=\"muted\">\(l.pick("尚无处理记录", "no decisions yet"))</td></tr>"
        }
        for r in trail {
            let who =
                HTML.escape(r.reviewer)
                + (r.actor.isEmpty
                    ? ""
                    : " <span class=\"muted\">(\(l.pick("由 \(HTML.escape(r.actor)) 代为操作", "recorded by \(HTML.escape(r.actor))")))</span>")
            out +=
                "<tr><td>\(layout.time(r.at))</td><td>\(who)</td><td>\(HTML.escape(r.action.label(l)))</td><td>\(layout.status(r.status))</td><td>\(HTML.escape(r.note))</td></tr>"
        }
        out += "</tbody></table>"
        if !views.isEmpty {
            out += "<p class=\"small muted\" id=\"views\">\(l.pick("查看记录：", "Viewed by: "))"
            out += views.prefix(20).map { "\(HTML.escape($0.account)) \(TimeFormat.local(milliseconds: $0.at))" }
                .joined(separator: " · ")
            out += "</p>"
        }
        return out
    }
}
