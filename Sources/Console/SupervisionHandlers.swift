import Alerts
import Config
import Evidence
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import Support
import Vocabulary

/// The supervision pages' handlers (issue 20): rule history, effectiveness, holds, coverage,
/// samples, evidence bundles.
extension ConsoleServer {
    func forbidden(_ labels: Labels) -> Response {
        Self.errorResponse(
            403, labels.language.pick("此页面供主管、管理员和审计员使用", "this page is for supervisors, admins and auditors"),
            labels.language)
    }

    func supervision(_ request: Request, viewer: Viewer, labels: Labels, session: ConsoleSession) throws -> Response {
        guard viewer.role.canSupervise || viewer.role == .auditor else { return forbidden(labels) }
        let stats = try desk.store.effectiveness(since: nil)
        let suggestions = try desk.store.contextSuggestions(stats, minDismissals: 3)
        let page = SupervisionPage(
            layout: layout(viewer, labels, session), history: try desk.store.ruleHistory(changesOnly: true),
            effectiveness: stats, suggestions: suggestions, holds: try desk.store.holds(),
            coverage: try desk.store.coverage(
                silentSince: ChatStore.nowMilliseconds() - 7 * 86_400_000,
                knownStaff: desk.settings.groups.flatMap(\.staff)),
            retention: (desk.settings.messageRetentionDays, desk.settings.alertRetentionDays))
        let fields = Self.query(request)
        return Self.html(page.render(flash: fields["flash"], error: fields["error"]))
    }

    func setHold(_ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        guard viewer.role.canSupervise else { return forbidden(labels) }
        guard let kind = form["kind"].flatMap(LegalHold.Kind.init(rawValue:)), let subject = form["subject"] else {
            return Self.redirect(
                "/supervision?error=\(HTML.query(labels.language.pick("请填写类型和对象", "kind and subject?")))")
        }
        let alerts = (form["alerts"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        do {
            var ids: [String] = []
            for alert in alerts { ids.append(try desk.alert(alert, for: viewer).alert.id) }
            let id = try desk.store.setHold(
                kind: kind, subject: subject, reason: form["reason"] ?? "", by: viewer.account, alertIDs: ids)
            return Self.redirect(
                "/supervision?flash=\(HTML.query(labels.language.pick("已设置保全 #\(id)", "hold #\(id) set")))")
        } catch let error as StoreError {
            return Self.redirect("/supervision?error=\(HTML.query(error.message))")
        }
    }

    func liftHold(_ id: Int64, _ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        guard viewer.role.canSupervise else { return forbidden(labels) }
        do {
            try desk.store.liftHold(id: id, reason: form["reason"] ?? "", by: viewer.account)
        } catch {
            return Self.redirect("/supervision?error=\(HTML.query(error.message))")
        }
        return Self.redirect(
            "/supervision?flash=\(HTML.query(labels.language.pick("已解除保全 #\(id)", "hold #\(id) lifted")))")
    }

    func samples(_ request: Request, viewer: Viewer, labels: Labels, session: ConsoleSession) throws -> Response {
        // A reviewer sees the items of the staff groups they cover.
        let items = try desk.store.sampleItems().filter { viewer.scope?.contains($0.staff) ?? true }
        let fields = Self.query(request)
        let page = SamplesPage(layout: layout(viewer, labels, session), items: items, samples: try desk.store.samples())
        return Self.html(page.render(flash: fields["flash"], error: fields["error"]))
    }

    func drawSample(_ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        guard viewer.role.canSupervise else { return forbidden(labels) }
        let now = ChatStore.nowMilliseconds()
        let since = form["since"].flatMap { TimeFormat.parse($0) } ?? now - 7 * 86_400_000
        let quiet = min(100, max(0, Int(form["quiet"] ?? "") ?? Int(desk.settings.quietSampleRate * 100)))
        let dismissed = min(100, max(0, Int(form["dismissed"] ?? "") ?? Int(desk.settings.dismissedSampleRate * 100)))
        let (sample, items) = try desk.store.drawSample(
            since: since, until: now, quietRate: Double(quiet) / 100, dismissedRate: Double(dismissed) / 100,
            seed: UInt64.random(in: 1...UInt64(Int64.max)), by: viewer.account)
        let text = labels.language.pick(
            "已抽取样本 #\(sample.id)（种子 \(sample.seed)）：\(items.count) 项",
            "sample #\(sample.id) drawn (seed \(sample.seed)): \(items.count) item(s)")
        return Self.redirect("/samples?flash=\(HTML.query(text))")
    }

    func reviewSample(_ id: Int64, _ form: FormFields, viewer: Viewer, labels: Labels) throws -> Response {
        guard viewer.role.canReview else { return forbidden(labels) }
        guard let item = try desk.store.sampleItems(sample: nil).first(where: { $0.id == id }) else {
            return Self.errorResponse(
                404, labels.language.pick("没有待审查的抽样项 #\(id)", "no open sample item #\(id)"), labels.language)
        }
        if let scope = viewer.scope, !scope.contains(item.staff) {
            return Self.errorResponse(
                403, labels.language.pick("此抽样项不在您负责的员工组内", "this item is outside the staff groups you cover"),
                labels.language)
        }
        guard let note = form["note"] else {
            return Self.redirect(
                "/samples?error=\(HTML.query(labels.language.pick("请说明看了什么", "say what you looked at")))")
        }
        try desk.store.reviewSampleItem(id: id, finding: form["finding"] != nil, note: note, by: viewer.account)
        return Self.redirect(
            "/samples?flash=\(HTML.query(labels.language.pick("已记录抽样项 #\(id)", "sample item #\(id) recorded")))")
    }

    /// The evidence bundle of one alert, for supervisors and auditors (the one the CLI makes).
    func bundle(_ id: String, viewer: Viewer, labels: Labels) throws -> Response {
        guard viewer.role.canSupervise || viewer.role == .auditor else { return forbidden(labels) }
        let stored = try desk.alert(id, for: viewer)
        let path = NSTemporaryDirectory() + "chatwarden-bundle-\(SessionStore.randomToken().prefix(16)).zip"
        defer { unlink(path) }
        let contents = try EvidenceBundle.write(
            alerts: [stored], store: desk.store, context: 20, rules: EvidenceBundle.ruleFiles(wordlists),
            createdBy: viewer.account, version: version,
            case: nil, to: path)
        guard let bytes = FileIO.readAll(path) else { throw BundleError(message: "cannot read \(path)") }
        var headers = Self.headers(type: "application/zip", csp: Self.csp)
        headers[HTTPField.Name("Content-Disposition")!] =
            "attachment; filename=\"evidence-\(stored.alert.id.prefix(12)).zip\""
        headers[HTTPField.Name("X-Manifest-SHA256")!] = contents.manifestHash
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
