import Alerts
import Config
import Store
import Vocabulary

/// The queue's filters as they travel in a URL (and in saved filters).
struct QueueQuery: Equatable {
    static let keys = [
        "since", "until", "severity", "category", "rule", "staff", "customer", "room", "status", "assignee",
    ]
    var values: [String: String] = [:]
    var page = 1
    static let pageSize = 50

    init(_ fields: FormFields) {
        for key in Self.keys { if let v = fields[key] { values[key] = v } }
        page = max(1, min(Int(fields["page"] ?? "1") ?? 1, 100_000))
    }

    subscript(_ key: String) -> String? { values[key] }

    /// The query string (without the page), for links, saved filters and bulk actions.
    var encoded: String {
        Self.keys.compactMap { key in values[key].map { "\(key)=\(HTML.query($0))" } }.joined(separator: "&")
    }

    /// The store filter, or the reasons the values cannot be read. Staff and customers may be
    /// given by id or by display name.
    func filter(viewer: Viewer, labels: Labels) -> (AlertFilter, [String]) {
        let l = labels.language
        var f = AlertFilter(limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        var problems: [String] = []
        for key in ["since", "until"] {
            guard let text = values[key] else { continue }
            guard let ms = TimeFormat.parse(text) else {
                problems.append(
                    l.pick(
                        "无法识别时间“\(text)”（可用 2026-11-20、2026-11-20 09:30+08:00、today、yesterday、7d）",
                        "cannot read '\(text)' as a time (2026-11-20, 2026-11-20 09:30+08:00, today, yesterday, 7d)"))
                continue
            }
            if key == "since" { f.since = ms } else { f.until = ms }
        }
        if let v = values["severity"] {
            if let s = Severity(rawValue: v) { f.minimumSeverity = s } else { problems.append("severity: \(v)") }
        }
        f.category = values["category"]
        f.rule = values["rule"]
        f.room = values["room"]
        func id(_ text: String) -> String { labels.names.ids(named: text).first ?? text }
        f.staff = values["staff"].map(id)
        f.customer = values["customer"].map(id)
        switch values["status"] ?? "open" {
        case "open": f.openOnly = true
        case "all": break
        case let v:
            if let s = AlertStatus(rawValue: v) { f.status = s } else { problems.append("status: \(v)") }
        }
        switch values["assignee"] {
        case nil: break
        case "me": f.assignee = viewer.account
        case "none": f.assignee = ""
        case let v?: f.assignee = v
        }
        return (f, problems)
    }
}

/// The queue: filters, saved filters, a page of alerts, bulk actions.
struct QueuePage {
    var layout: PageLayout
    var query: QueueQuery
    var alerts: [StoredAlert]
    var total: Int
    var categories: [String]
    var rules: [String]
    var accounts: [String]
    var saved: [(name: String, query: String)]

    var l: Language { layout.l }

    func render(flash: String?, error: String?) -> String {
        var body = filters() + savedFilters()
        body +=
            "<form method=\"post\" action=\"/alerts/bulk\" id=\"bulk\" data-confirm=\"\(HTML.escape(l.pick("将对全部 \(total) 条符合筛选条件的告警执行此操作，确定吗？", "This acts on all \(total) alerts matching the filter. Go ahead?")))\">"
        body += layout.csrfField
        body += "<input type=\"hidden\" name=\"filter\" value=\"\(HTML.escape(query.encoded))\">"
        body += bulkBar()
        body += table()
        body += "</form>"
        body += pager()
        return layout.page(
            title: l.pick("告警队列", "Alert queue"), active: "queue", flash: flash, error: error, body: body)
    }

    func filters() -> String {
        func text(_ key: String, _ label: String, _ placeholder: String = "") -> String {
            "<label>\(HTML.escape(label))<input type=\"text\" name=\"\(key)\" value=\"\(HTML.escape(query[key] ?? ""))\" placeholder=\"\(HTML.escape(placeholder))\"></label>"
        }
        func select(_ key: String, _ label: String, _ options: [(String, String)], any: String) -> String {
            var out =
                "<label>\(HTML.escape(label))<select name=\"\(key)\"><option value=\"\">\(HTML.escape(any))</option>"
            for (value, text) in options {
                out +=
                    "<option value=\"\(HTML.escape(value))\"\(query[key] == value ? " selected" : "")>\(HTML.escape(text))</option>"
            }
            return out + "</select></label>"
        }
        let statusOptions: [(String, String)] =
            [("open", l.pick("未结（待处理/处理中/待复核）", "open")), ("all", l.pick("全部", "all"))]
            + AlertStatus.allCases.map { ($0.rawValue, $0.label(l)) }
        var out = "<form class=\"filters\" method=\"get\" action=\"/queue\" id=\"filters\">"
        out += text("since", l.pick("起始时间", "From"), "today / 7d / 2026-11-20")
        out += text("until", l.pick("截止时间", "Until"), "2026-11-21 09:00+08:00")
        out += select(
            "severity", l.pick("最低级别", "Severity at least"), Severity.allCases.map { ($0.rawValue, $0.label(l)) },
            any: l.pick("全部", "any"))
        out += select(
            "category", l.pick("类别", "Category"), categories.map { ($0, layout.labels.category($0)) },
            any: l.pick("全部", "any"))
        out += select(
            "rule", l.pick("规则", "Rule"), rules.map { ($0, "\(layout.labels.rule($0)) (\($0))") },
            any: l.pick("全部", "any"))
        out += text("staff", l.pick("员工", "Staff"), l.pick("姓名或 ID", "name or id"))
        out += text("customer", l.pick("客户", "Customer"), l.pick("姓名或 ID", "name or id"))
        out += text("room", l.pick("会话 / 群", "Conversation"), "wr…")
        // Status: "open" is the default, so the menu shows it selected when nothing is chosen.
        out += "<label>\(l.pick("状态", "Status"))<select name=\"status\">"
        for (value, label) in statusOptions {
            let chosen = (query["status"] ?? "open") == value
            out += "<option value=\"\(value)\"\(chosen ? " selected" : "")>\(HTML.escape(label))</option>"
        }
        out += "</select></label>"
        out += select(
            "assignee", l.pick("处理人", "Assignee"),
            [("me", l.pick("我", "me")), ("none", l.pick("未认领", "nobody"))] + accounts.map { ($0, $0) },
            any: l.pick("全部", "anyone"))
        out +=
            "<label>&nbsp;<button type=\"submit\" class=\"primary\" id=\"apply\">\(l.pick("筛选", "Filter"))</button></label>"
        out += "</form>"
        return out
    }

    func savedFilters() -> String {
        var out = "<div class=\"saved\"><span class=\"muted\">\(l.pick("已保存的筛选：", "Saved filters: "))</span>"
        for filter in saved {
            out += "<a href=\"/queue?\(HTML.escape(filter.query))\">\(HTML.escape(filter.name))</a>"
            out += "<form method=\"post\" action=\"/filters/delete\" class=\"inline\">\(layout.csrfField)"
            out += "<input type=\"hidden\" name=\"name\" value=\"\(HTML.escape(filter.name))\">"
            out += "<button type=\"submit\" class=\"small\" title=\"\(l.pick("删除", "delete"))\">×</button></form> "
        }
        out += "<form method=\"post\" action=\"/filters\" class=\"inline\">\(layout.csrfField)"
        out += "<input type=\"hidden\" name=\"query\" value=\"\(HTML.escape(query.encoded))\">"
        out += "<input type=\"text\" name=\"name\" required maxlength=\"60\" placeholder=\"\(l.pick("名称", "name"))\">"
        out += "<button type=\"submit\">\(l.pick("保存当前筛选", "Save this filter"))</button></form></div>"
        return out
    }

    func bulkBar() -> String {
        guard layout.viewer.role.canReview else {
            return "<p class=\"muted\">\(l.pick("审计员只读，不能处理告警。", "Auditors read; they do not act on alerts."))</p>"
        }
        var out = "<div class=\"bulk\">"
        out +=
            "<label><input type=\"radio\" name=\"target\" value=\"selected\" checked> \(l.pick("选中的告警", "the selected alerts"))</label>"
        out +=
            "<label><input type=\"radio\" name=\"target\" value=\"filter\"> \(l.pick("全部 \(total) 条符合筛选条件的告警", "all \(total) alerts matching the filter"))</label>"
        out +=
            "<input type=\"text\" name=\"note\" id=\"bulk-note\" placeholder=\"\(l.pick("说明（排除时必填）", "note (needed to dismiss)"))\">"
        for action in [ReviewAction.claim, .acknowledge, .escalate, .dismiss] {
            out +=
                "<button type=\"submit\" name=\"action\" value=\"\(action.rawValue)\" id=\"bulk-\(action.rawValue)\">\(HTML.escape(action.label(l)))</button>"
        }
        if layout.viewer.role.canSupervise {
            out +=
                "<select name=\"assignee\" id=\"bulk-assignee\"><option value=\"\">\(l.pick("分配给…", "assign to…"))</option>"
            out += accounts.map { "<option value=\"\(HTML.escape($0))\">\(HTML.escape($0))</option>" }.joined()
            out +=
                "</select><button type=\"submit\" name=\"action\" value=\"assign\" id=\"bulk-assign\">\(ReviewAction.assign.label(l))</button>"
            out +=
                "<button type=\"submit\" name=\"action\" value=\"confirm\" id=\"bulk-confirm\">\(ReviewAction.confirm.label(l))</button>"
            out +=
                "<button type=\"submit\" name=\"action\" value=\"reject\" id=\"bulk-reject\">\(ReviewAction.reject.label(l))</button>"
        }
        return out + "</div>"
    }

    func table() -> String {
        guard !alerts.isEmpty else {
            return "<p class=\"muted\" id=\"empty\">\(l.pick("没有符合条件的告警。", "No alerts match."))</p>"
        }
        var out =
            "<table id=\"queue\"><thead><tr><th><input type=\"checkbox\" id=\"select-all\" title=\"\(l.pick("全选", "select all"))\"></th>"
        for h in [
            l.pick("时间", "Time"), l.pick("级别", "Severity"), l.pick("类别 / 规则", "Category / rule"), l.pick("员工", "Staff"),
            l.pick("会话", "Chat"), l.pick("证据", "Evidence"), l.pick("状态", "Status"), l.pick("处理人", "Assignee"),
        ] {
            out += "<th>\(HTML.escape(h))</th>"
        }
        out += "</tr></thead><tbody>"
        for s in alerts {
            let a = s.alert
            out += "<tr data-id=\"\(a.id)\"><td><input type=\"checkbox\" name=\"id\" value=\"\(a.id)\"></td>"
            out += "<td><a href=\"/alerts/\(a.id)\">\(layout.time(a.msgtime))</a></td>"
            out += "<td>\(layout.severity(a.severity))</td>"
            out +=
                "<td>\(HTML.escape(layout.labels.category(a.category)))<br><span class=\"small muted\">\(HTML.escape(layout.labels.rule(a.rule)))</span></td>"
            out += "<td>\(layout.person(s.staff))</td><td class=\"small\">\(layout.chat(a))</td>"
            out +=
                "<td><a class=\"evidence-link\" href=\"/alerts/\(a.id)\">\(QueuePage.keywordInContext(a.text, a.spanStart..<a.spanEnd))</a></td>"
            out +=
                "<td>\(layout.status(s.status))</td><td>\(s.assignee.isEmpty ? "<span class=\"muted\">—</span>" : HTML.escape(s.assignee))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    func pager() -> String {
        let pages = max(1, (total + QueueQuery.pageSize - 1) / QueueQuery.pageSize)
        let base = "/queue?" + query.encoded + (query.encoded.isEmpty ? "" : "&")
        var out = "<div class=\"pager\" id=\"pager\">"
        if query.page > 1 {
            out +=
                "<a href=\"\(HTML.escape(base))page=\(query.page - 1)\" id=\"prev\">← \(l.pick("上一页", "previous"))</a>"
        }
        out +=
            "<span>\(l.pick("第 \(query.page) / \(pages) 页，共 \(total) 条", "page \(query.page) of \(pages), \(total) alerts"))</span>"
        if query.page < pages {
            out += "<a href=\"\(HTML.escape(base))page=\(query.page + 1)\" id=\"next\">\(l.pick("下一页", "next")) →</a>"
        }
        out +=
            "<a href=\"/export.csv?\(HTML.escape(query.encoded))\" id=\"csv\">\(l.pick("下载 CSV", "Download CSV"))</a>"
        return out + "</div>"
    }

    /// About 20 characters either side of the evidence, marked.
    static func keywordInContext(_ text: String, _ span: Range<Int>) -> String {
        let bytes = Array(text.utf8)
        let lo = min(max(0, span.lowerBound), bytes.count), hi = min(max(lo, span.upperBound), bytes.count)
        let before = String(decoding: bytes[..<lo], as: UTF8.self),
            after = String(decoding: bytes[hi...], as: UTF8.self)
        let head = before.count > 20 ? "…" + String(before.suffix(20)) : before
        let tail = after.count > 20 ? String(after.prefix(20)) + "…" : after
        return HTML.escape(head) + "<mark>" + HTML.escape(String(decoding: bytes[lo..<hi], as: UTF8.self)) + "</mark>"
            + HTML.escape(tail)
    }
}
