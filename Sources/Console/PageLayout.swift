import Alerts
import Config
import Store
import Vocabulary

/// The frame of every signed-in page: the navigation, who is signed in, the language switch,
/// sign-out (a form with the CSRF token, never a link).
struct PageLayout {
    var labels: Labels
    var viewer: Viewer
    var csrf: String

    var l: Language { labels.language }

    func page(title: String, active: String, flash: String? = nil, error: String? = nil, body: String) -> String {
        var nav = [
            ("queue", "/queue", l.pick("告警队列", "Queue")), ("search", "/search", l.pick("搜索", "Search")),
            ("samples", "/samples", l.pick("抽样", "Samples")),
        ]
        if viewer.role.canSupervise || viewer.role == .auditor {
            nav.append(("report", "/report", l.pick("报告", "Report")))
            nav.append(("supervision", "/supervision", l.pick("监管", "Supervision")))
        }
        if viewer.role.canManageUsers { nav.append(("users", "/users", l.pick("账号", "Accounts"))) }
        let links = nav.map { key, href, text in
            "<a href=\"\(href)\"\(key == active ? " class=\"on\"" : "")>\(HTML.escape(text))</a>"
        }.joined()
        let other: Language = l == .zh ? .en : .zh
        return """
            <!DOCTYPE html>
            <html lang="\(l.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · chatwarden</title>
            <link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js"></script>
            </head><body>
            <header><strong>chatwarden</strong>\(links)
            <span class="who">\(HTML.escape(viewer.account)) · \(HTML.escape(viewer.role.label(l)))</span>
            <a href="/lang?to=\(other.rawValue)">\(other == .en ? "English" : "中文")</a>
            <form method="post" action="/logout">\(csrfField)<button type="submit">\(l.pick("退出", "Sign out"))</button></form>
            </header>
            <main>
            \(flash.map { "<div class=\"flash\" id=\"flash\">\(HTML.escape($0))</div>" } ?? "")
            \(error.map { "<div class=\"error\" id=\"error\">\(HTML.escape($0))</div>" } ?? "")
            <h1>\(HTML.escape(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    var csrfField: String { "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">" }

    func severity(_ s: Severity) -> String {
        "<span class=\"sev-\(s.rawValue)\">\(HTML.escape(s.label(l)))</span>"
    }

    func status(_ s: AlertStatus) -> String {
        "<span class=\"status \(s.rawValue)\">\(HTML.escape(s.label(l)))</span>"
    }

    /// A person with the id beside the name (the id is what the archive and the trail hold).
    func person(_ id: String) -> String {
        guard !id.isEmpty else { return "<span class=\"muted\">—</span>" }
        if let name = labels.names.name(of: id), !name.isEmpty {
            return "\(HTML.escape(name)) <span class=\"id\">\(HTML.escape(id))</span>"
        }
        return "<span class=\"id\">\(HTML.escape(id))</span>"
    }

    /// Where an alert was said: a group, or the one-to-one chat's other party.
    func chat(_ alert: Alert) -> String {
        if !alert.roomid.isEmpty {
            return l.pick("群聊 ", "group ") + "<span class=\"id\">\(HTML.escape(alert.roomid))</span>"
        }
        return l.pick("单聊 → ", "one-to-one → ") + alert.tolist.prefix(3).map(person).joined(separator: ", ")
    }

    func time(_ ms: Int64) -> String {
        "<span title=\"UTC\(TimeFormat.localOffset(milliseconds: ms))\">\(TimeFormat.local(milliseconds: ms))</span>"
    }

    static func errorPage(status: Int, message: String, language l: Language) -> String {
        let title =
            status == 403
            ? l.pick("无权访问", "Forbidden") : status == 404 ? l.pick("未找到", "Not found") : l.pick("出错了", "Error")
        return """
            <!DOCTYPE html>
            <html lang="\(l.rawValue)"><head><meta charset="utf-8"><title>\(status) \(HTML.escape(title))</title>
            <link rel="stylesheet" href="/assets/app.css"></head><body><main>
            <h1>\(status) \(HTML.escape(title))</h1><div class="error" id="error">\(HTML.escape(message))</div>
            <p><a href="/queue">\(l.pick("返回告警队列", "Back to the queue"))</a></p></main></body></html>
            """
    }
}
