import Alerts
import Config
import Store
import Vocabulary

/// Sign-in: the only page without a session. Its form carries a token that must match a
/// cookie set with it (login CSRF).
enum LoginPage {
    static func render(language l: Language, token: String, error: String?, next: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(l.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(l.pick("登录", "Sign in")) · chatwarden</title><link rel="stylesheet" href="/assets/app.css"></head><body>
        <div class="login"><h1>chatwarden · \(l.pick("合规审查台", "review desk"))</h1>
        \(error.map { "<div class=\"error\" id=\"error\">\(HTML.escape($0))</div>" } ?? "")
        <form method="post" action="/login" id="login">
        <input type="hidden" name="csrf" value="\(HTML.escape(token))">
        <input type="hidden" name="next" value="\(HTML.escape(next))">
        <label>\(l.pick("账号", "Account"))<input type="text" name="name" id="name" autocomplete="username" required autofocus></label>
        <label>\(l.pick("密码", "Password"))<input type="password" name="password" id="password" autocomplete="current-password" required></label>
        <button type="submit" class="primary" id="submit">\(l.pick("登录", "Sign in"))</button>
        </form>
        <p class="small muted"><a href="/lang?to=\(l == .zh ? "en" : "zh-CN")">\(l == .zh ? "English" : "中文")</a></p></div></body></html>
        """
    }
}

/// Search over everything said, with the hits highlighted in the original characters.
struct SearchPage {
    var layout: PageLayout
    var query: String
    var hits: [SearchHit]
    var hidden: Int

    var l: Language { layout.l }

    func render(error: String?) -> String {
        var body = "<form class=\"filters\" method=\"get\" action=\"/search\" id=\"search\">"
        body +=
            "<label>\(l.pick("查找（按检测时的归一化形式匹配：繁简、全半角、空格、零宽字符）", "Find (matched on the normalised form: traditional/simplified, width, spaces, zero-width)"))<input type=\"text\" name=\"q\" id=\"q\" value=\"\(HTML.escape(query))\" size=\"40\"></label>"
        body +=
            "<label>&nbsp;<button type=\"submit\" class=\"primary\">\(l.pick("搜索", "Search"))</button></label></form>"
        if !query.isEmpty {
            body +=
                "<p class=\"muted\">\(l.pick("找到 \(hits.count) 条", "\(hits.count) found"))\(hidden > 0 ? l.pick("（另有 \(hidden) 条不在您负责的员工组内）", " (\(hidden) more outside your groups)") : "")</p>"
            body +=
                "<table id=\"results\"><thead><tr><th>\(l.pick("时间", "Time"))</th><th>\(l.pick("发送人", "Sender"))</th><th>\(l.pick("内容", "Text"))</th><th></th></tr></thead><tbody>"
            for hit in hits {
                let m = hit.message
                body +=
                    "<tr><td>\(layout.time(m.msgtime))</td><td>\(layout.person(m.sender))</td><td class=\"hit-text\">\(HTML.highlighted(m.text, hit.ranges))</td>"
                body +=
                    "<td><a href=\"/conversation?msgid=\(HTML.escape(HTML.query(m.msgid)))\">\(l.pick("查看上下文", "conversation"))</a></td></tr>"
            }
            body += "</tbody></table>"
        }
        return layout.page(title: l.pick("搜索聊天记录", "Search the archive"), active: "search", error: error, body: body)
    }
}

/// The conversation around one message (reached from search).
struct ConversationPage {
    var layout: PageLayout
    var msgid: String
    var around: [StoredMessage]
    var recalls: [String: String]
    var before: Int
    var after: Int

    func render() -> String {
        let l = layout.l
        let q = HTML.escape(HTML.query(msgid))
        var body = "<div class=\"conversation card\" id=\"conversation\">"
        body +=
            "<a href=\"/conversation?msgid=\(q)&amp;before=\(min(before + 20, 500))&amp;after=\(after)\" id=\"older\">↑ \(l.pick("更早的消息", "older messages"))</a><ul>"
        for m in around {
            body +=
                "<li\(m.msgid == msgid ? " class=\"hit\"" : "")><span class=\"small muted\">\(layout.time(m.msgtime))</span> <strong>\(layout.person(m.sender))</strong>：\(HTML.escape(m.text.isEmpty ? "[\(m.msgtype)]" : m.text))"
            if let recall = recalls[m.msgid] {
                body += " <span class=\"recalled\">（\(l.pick("已撤回", "recalled"))：\(HTML.escape(recall))）</span>"
            }
            body += "</li>"
        }
        body +=
            "</ul><a href=\"/conversation?msgid=\(q)&amp;before=\(before)&amp;after=\(min(after + 20, 500))\" id=\"newer\">↓ \(l.pick("更新的消息", "newer messages"))</a></div>"
        return layout.page(title: l.pick("会话上下文", "Conversation"), active: "search", body: body)
    }
}

/// Accounts, for admins: add, disable, enable, set a password, change a role.
struct UsersPage {
    var layout: PageLayout
    var accounts: [Account]

    func render(flash: String?, error: String?) -> String {
        let l = layout.l
        var body =
            "<table id=\"users\"><thead><tr><th>\(l.pick("账号", "Account"))</th><th>\(l.pick("角色", "Role"))</th><th>\(l.pick("状态", "State"))</th><th>\(l.pick("操作", "Change"))</th></tr></thead><tbody>"
        for a in accounts {
            body +=
                "<tr><td>\(HTML.escape(a.name))</td><td>\(HTML.escape(a.role.label(l)))</td><td>\(a.disabled ? l.pick("已停用", "disabled") : l.pick("正常", "active"))</td><td>"
            body +=
                "<form method=\"post\" action=\"/users/\(HTML.escape(HTML.query(a.name)))\" class=\"inline\">\(layout.csrfField)"
            body +=
                "<button type=\"submit\" name=\"change\" value=\"\(a.disabled ? "enable" : "disable")\">\(a.disabled ? l.pick("启用", "enable") : l.pick("停用", "disable"))</button></form> "
            body +=
                "<form method=\"post\" action=\"/users/\(HTML.escape(HTML.query(a.name)))\" class=\"inline\">\(layout.csrfField)"
            body +=
                "<input type=\"password\" name=\"password\" autocomplete=\"new-password\" placeholder=\"\(l.pick("新密码", "new password"))\"><button type=\"submit\" name=\"change\" value=\"passwd\">\(l.pick("重设密码", "set password"))</button></form></td></tr>"
        }
        body += "</tbody></table><h2>\(l.pick("新增账号", "Add an account"))</h2>"
        body += "<form method=\"post\" action=\"/users\" class=\"filters\" id=\"add-user\">\(layout.csrfField)"
        body +=
            "<label>\(l.pick("账号", "Account"))<input type=\"text\" name=\"name\" required pattern=\"[A-Za-z0-9._-]{1,64}\"></label>"
        body +=
            "<label>\(l.pick("角色", "Role"))<select name=\"role\">"
            + Role.allCases.map { "<option value=\"\($0.rawValue)\">\(HTML.escape($0.label(l)))</option>" }.joined()
            + "</select></label>"
        body +=
            "<label>\(l.pick("初始密码（至少 \(Passwords.minimumLength) 位）", "Password (at least \(Passwords.minimumLength))"))<input type=\"password\" name=\"password\" required autocomplete=\"new-password\"></label>"
        body += "<label>&nbsp;<button type=\"submit\" class=\"primary\">\(l.pick("新增", "Add"))</button></label></form>"
        body +=
            "<p class=\"small muted\">\(l.pick("审查员负责的员工组在配置文件的 [groups.名称] 中设置。", "Which staff groups a reviewer covers is set in the configuration's [groups.NAME] tables."))</p>"
        return layout.page(title: l.pick("账号管理", "Accounts"), active: "users", flash: flash, error: error, body: body)
    }
}
