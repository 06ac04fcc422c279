import Alerts
import Config
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Store
import Support
import Synchronization
import Vocabulary

/// What each page does with the store, under the viewer's role and scope.
extension ConsoleServer {
    func queue(_ request: Request, session: ConsoleSession, viewer: Viewer, labels: Labels) throws -> Response {
        let fields = Self.query(request)
        let query = QueueQuery(fields)
        let (filter, problems) = query.filter(viewer: viewer, labels: labels)
        let scoped = desk.scoped(filter, for: viewer)
        let alerts = problems.isEmpty ? try desk.store.alerts(scoped) : []
        let total = problems.isEmpty ? try desk.store.alertCount(scoped) : 0
        let (known, accounts) = try menus.current(desk.store)
        let page = QueuePage(
            layout: PageLayout(labels: labels, viewer: viewer, csrf: session.csrf), query: query, alerts: alerts,
            total: total, categories: known.categories, rules: known.rules, accounts: accounts,
            saved: try desk.store.savedFilters(owner: viewer.account))
        let flash = fields["flash"].map { flashText($0, fields, labels.language) }
        let error = problems.isEmpty ? fields["error"] : problems.joined(separator: "; ")
        return Self.html(page.render(flash: flash, error: error))
    }

    func flashText(_ key: String, _ fields: FormFields, _ l: Language) -> String {
        switch key {
        case "saved": return l.pick("筛选已保存", "filter saved")
        case "bulk":
            let done = fields["done"] ?? "0", refused = fields["refused"] ?? "0"
            return l.pick("已处理 \(done) 条，未处理 \(refused) 条", "\(done) done, \(refused) refused")
                + (fields["why"].map { "：" + $0 } ?? "")
        default: return key
        }
    }

    /// A bulk action on the selected alerts or on every alert of a filter (at most 10,000).
    func bulk(_ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        let l = labels.language
        guard let action = form["action"].flatMap(ReviewAction.init(rawValue:)) else {
            return Self.errorResponse(400, l.pick("缺少操作", "no action"), l)
        }
        let filterQuery = form["filter"] ?? ""
        var ids: [String]
        if form["target"] == "filter" {
            let (filter, problems) = QueueQuery(FormFields(encoded: filterQuery)).filter(viewer: viewer, labels: labels)
            guard problems.isEmpty else { return Self.errorResponse(400, problems.joined(separator: "; "), l) }
            var all = desk.scoped(filter, for: viewer)
            all.limit = 10_000
            all.offset = 0
            ids = try desk.store.alerts(all).map(\.alert.id)
        } else {
            ids = form.all("id").filter { !$0.isEmpty }
        }
        guard !ids.isEmpty else {
            return Self.redirect("/queue?\(filterQuery)&error=\(HTML.query(l.pick("没有选中任何告警", "no alert selected")))")
        }
        let note = action == .assign ? (form["assignee"] ?? "") : (form["note"] ?? "")
        let outcome = try desk.act(action, ids: ids, note: note, as: viewer)
        var target = "/queue?\(filterQuery)&flash=bulk&done=\(outcome.done.count)&refused=\(outcome.refused.count)"
        if let first = outcome.refused.first { target += "&why=\(HTML.query(first.reason.message(l)))" }
        return Self.redirect(target)
    }

    func alertPage(
        _ id: String, request: Request, session: ConsoleSession, viewer: Viewer, labels: Labels
    ) throws -> Response {
        let stored = try desk.alert(id, for: viewer)
        let fields = Self.query(request)
        let before = max(0, min(Int(fields["before"] ?? "") ?? 8, 500))
        let after = max(0, min(Int(fields["after"] ?? "") ?? 8, 500))
        let around = try desk.store.context(msgid: stored.alert.msgid, before: before, after: after) ?? []
        let recalls = try desk.store.recalls(of: around.map(\.msgid) + [stored.alert.msgid])
        try desk.store.logAccess(
            account: viewer.account, action: "view-alert", ref: stored.alert.id, detail: stored.alert.conversation)
        let page = AlertPage(
            layout: PageLayout(labels: labels, viewer: viewer, csrf: session.csrf), stored: stored, around: around,
            recalls: recalls, trail: try desk.store.reviewTrail(alertID: stored.alert.id),
            views: try desk.store.accessLog(ref: stored.alert.id, limit: 50).filter { $0.action == "view-alert" },
            image: try desk.store.mediaJob(msgid: stored.alert.msgid),
            before: before, after: after,
            accounts: try menus.current(desk.store).accounts)
        return Self.html(page.render(flash: fields["flash"], error: fields["error"]))
    }

    func search(_ request: Request, viewer: Viewer, labels: Labels, session: ConsoleSession) throws -> Response {
        let fields = Self.query(request)
        let text = fields["q"] ?? ""
        var hits: [SearchHit] = []
        var hidden = 0
        if !text.isEmpty {
            try desk.store.logAccess(account: viewer.account, action: "search", ref: "", detail: text)
            do {
                let all = try desk.store.search(text, filter: AlertFilter(limit: 200))
                hits = all.filter { desk.canSee($0.message, viewer) }
                hidden = all.count - hits.count
            } catch {
                let page = SearchPage(layout: layout(viewer, labels, session), query: text, hits: [], hidden: 0)
                return Self.html(page.render(error: error.message))
            }
        }
        return Self.html(
            SearchPage(layout: layout(viewer, labels, session), query: text, hits: hits, hidden: hidden).render(
                error: nil))
    }

    func conversation(_ request: Request, viewer: Viewer, labels: Labels, session: ConsoleSession) throws -> Response {
        let fields = Self.query(request)
        let l = labels.language
        guard let msgid = fields["msgid"], let message = try desk.store.message(msgid: msgid) else {
            return Self.errorResponse(404, l.pick("没有这条消息", "no such message"), l)
        }
        guard desk.canSee(message, viewer) else {
            return Self.errorResponse(
                403, l.pick("这条消息不在您负责的员工组内", "this message is outside the staff groups you cover"), l)
        }
        let before = max(0, min(Int(fields["before"] ?? "") ?? 10, 500))
        let after = max(0, min(Int(fields["after"] ?? "") ?? 10, 500))
        // Only the messages the viewer may see: a group chat holds other groups' staff too.
        let around = (try desk.store.context(msgid: msgid, before: before, after: after) ?? []).filter {
            desk.canSee($0, viewer) || $0.conversation == message.conversation
        }
        try desk.store.logAccess(
            account: viewer.account, action: "view-conversation", ref: message.conversation, detail: msgid)
        let page = ConversationPage(
            layout: layout(viewer, labels, session), msgid: msgid, around: around,
            recalls: try desk.store.recalls(of: around.map(\.msgid)), before: before, after: after)
        return Self.html(page.render())
    }

    func export(_ request: Request, viewer: Viewer, labels: Labels) throws -> Response {
        let (filter, problems) = QueueQuery(Self.query(request)).filter(viewer: viewer, labels: labels)
        guard problems.isEmpty else {
            return Self.errorResponse(400, problems.joined(separator: "; "), labels.language)
        }
        var all = desk.scoped(filter, for: viewer)
        all.limit = Int.max
        all.offset = 0
        let alerts = try desk.store.alerts(all)
        let csv = AlertExport.csv(
            alerts, trails: try desk.store.reviewTrails(alertIDs: alerts.map(\.alert.id)), labels: labels)
        try desk.store.logAccess(
            account: viewer.account, action: "export", ref: "",
            detail: "\(alerts.count) alerts; \(request.uri.query ?? "")")
        var headers = Self.headers(type: "text/csv; charset=utf-8", csp: Self.csp)
        let day = TimeFormat.localDay(milliseconds: ChatStore.nowMilliseconds())
        headers[HTTPField.Name("Content-Disposition")!] = "attachment; filename=\"chatwarden-alerts-\(day).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    func report(_ request: Request, viewer: Viewer, labels: Labels) throws -> Response {
        let l = labels.language
        guard viewer.role.canSupervise || viewer.role == .auditor else {
            return Self.errorResponse(403, l.pick("报告供主管和审计员查看", "the report is for supervisors and auditors"), l)
        }
        let fields = Self.query(request)
        let since = fields["since"].flatMap { TimeFormat.parse($0) } ?? TimeFormat.parse("7d")
        let until = fields["until"].flatMap { TimeFormat.parse($0) }
        let filter = AlertFilter(since: since, until: until, limit: Int.max)
        var data = Report.Data(
            title: Report.defaultTitle(l), since: since, until: until, alerts: try desk.store.alerts(filter),
            timings: try desk.store.reviewTimings(filter), stats: try desk.store.stats(filter, top: 15),
            generatedAt: ChatStore.nowMilliseconds())
        data.coverage = try desk.store.coverage(
            silentSince: (until ?? ChatStore.nowMilliseconds()) - 7 * 86_400_000,
            knownStaff: desk.settings.groups.flatMap(\.staff))
        data.effectiveness = try desk.store.effectiveness(since: since)
        try desk.store.logAccess(account: viewer.account, action: "report", ref: "", detail: request.uri.query ?? "")
        return Self.html(Report.html(data, labels: labels), csp: Self.reportCSP)
    }

    func addUser(_ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        let l = labels.language
        guard viewer.role.canManageUsers else {
            return Self.errorResponse(403, l.pick("只有管理员可以管理账号", "only admins manage accounts"), l)
        }
        let name = form["name"] ?? ""
        guard let role = form["role"].flatMap(Role.init(rawValue:)) else { return Self.errorResponse(400, "role?", l) }
        let password = form.pairs.first { $0.0 == "password" }?.1 ?? ""
        if let problem = Passwords.problem(password, account: name) {
            return Self.redirect("/users?error=\(HTML.query(problem))")
        }
        do {
            try desk.store.addAccount(
                name: name, role: role, passwordHash: Passwords.hash(password), by: viewer.account)
        } catch {
            return Self.redirect("/users?error=\(HTML.query(error.message))")
        }
        menus.forget()
        return Self.redirect("/users?flash=\(HTML.query(l.pick("已新增账号 \(name)", "added \(name)")))")
    }

    func changeUser(_ name: String, _ form: FormFields, viewer: Viewer, labels: Labels) async throws -> Response {
        let l = labels.language
        guard viewer.role.canManageUsers else {
            return Self.errorResponse(403, l.pick("只有管理员可以管理账号", "only admins manage accounts"), l)
        }
        switch form["change"] {
        case "disable":
            try desk.store.updateAccount(name: name, disabled: true, by: viewer.account)
            await sessions.closeAll(account: name)
        case "enable":
            try desk.store.updateAccount(name: name, disabled: false, by: viewer.account)
        case "passwd":
            let password = form.pairs.first { $0.0 == "password" }?.1 ?? ""
            if let problem = Passwords.problem(password, account: name) {
                return Self.redirect("/users?error=\(HTML.query(problem))")
            }
            try desk.store.updateAccount(name: name, passwordHash: Passwords.hash(password), by: viewer.account)
            await sessions.closeAll(account: name)
        default:
            return Self.errorResponse(400, "change?", l)
        }
        menus.forget()
        return Self.redirect("/users?flash=\(HTML.query(l.pick("已更新 \(name)", "updated \(name)")))")
    }

    func layout(_ viewer: Viewer, _ labels: Labels, _ session: ConsoleSession) -> PageLayout {
        PageLayout(labels: labels, viewer: viewer, csrf: session.csrf)
    }
}

/// The queue's menus (the categories and rules of the alerts held, the accounts one can assign
/// to), read at most every 30 seconds: listing the distinct categories of 100k alerts on every
/// page view would cost more than the page itself.
final class MenuCache: Sendable {
    struct Menus: Sendable {
        var at: Int64
        var known: (categories: [String], rules: [String])
        var accounts: [String]
    }
    private let state = Mutex<Menus?>(nil)
    static let lifetime: Int64 = 30_000

    func current(_ store: ChatStore) throws -> ((categories: [String], rules: [String]), accounts: [String]) {
        let now = ChatStore.nowMilliseconds()
        if let menus = state.withLock({ $0 }), now - menus.at < Self.lifetime { return (menus.known, menus.accounts) }
        let known = try store.knownCategoriesAndRules()
        let accounts = try store.accounts().filter { !$0.disabled && $0.role.canReview }.map(\.name)
        state.withLock { $0 = Menus(at: now, known: known, accounts: accounts) }
        return (known, accounts)
    }

    /// After an account changes, the assignee menu is read again.
    func forget() { state.withLock { $0 = nil } }
}
