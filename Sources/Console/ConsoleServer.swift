import Alerts
public import Config
import Foundation
import Hummingbird
import HTTPTypes
public import Logging
import NIOCore
import Store
import Support
import Vocabulary

/// The request context: Hummingbird's, plus the peer's address (for the login throttle).
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? ""
    }

    var maxUploadSize: Int { 1 << 20 }
}

/// `chatwarden web`: the review console over HTTP, for a reverse proxy to put TLS in front of.
/// Every page but sign-in needs a session; every form carries the session's CSRF token; every
/// response forbids inline script, framing and outside resources.
public struct ConsoleServer: Sendable {
    let desk: Desk
    let sessions: SessionStore
    let throttle = LoginThrottle()
    let menus = MenuCache()
    let logger: Logger
    /// The bcrypt hash of nothing, checked when an account does not exist, so that a wrong
    /// name takes as long as a wrong password.
    let decoyHash: String

    /// The wordlist paths in force (evidence bundles carry the files) and the release.
    let wordlists: [String]
    let version: String

    public init(desk: Desk, logger: Logger, wordlists: [String] = [], version: String = "") {
        self.desk = desk
        self.wordlists = wordlists
        self.version = version
        self.sessions = SessionStore(minutes: desk.settings.sessionMinutes)
        self.logger = logger
        self.decoyHash = Passwords.hash(SessionStore.randomToken())
    }

    /// Pages: scripts and styles from this origin only, nothing framed, forms post here only.
    static let csp =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    /// The report is one self-contained file (its own inline CSS, SVG charts); still no script.
    static let reportCSP =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// Runs until SIGTERM or SIGINT. `onListening` is called with the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let listen = desk.settings.listen
        let colon = listen.lastIndex(of: ":")!
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = Int(listen[listen.index(after: colon)...])!
        let router = Router(context: ConsoleContext.self)
        routes(router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }

    // MARK: - Routes

    func routes(_ router: Router<ConsoleContext>) {
        router.get("/assets/app.css") { _, _ in Self.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.asset(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/") { _, _ in Self.redirect("/queue") }
        router.get("/lang") { request, _ in
            let to = Language(choice: Self.param(request, "to"))
            return Self.redirect(
                "/queue",
                cookies: [
                    "cw_lang=\(to.rawValue); Path=/; Max-Age=31536000; SameSite=Strict\(secure(request) ? "; Secure" : "")"
                ])
        }
        router.get("/login") { request, _ in
            let token = SessionStore.randomToken()
            let next = Self.safeNext(Self.param(request, "next"))
            return Self.html(
                LoginPage.render(language: language(request), token: token, error: nil, next: next),
                cookies: [loginCookie(token, request)])
        }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            try await signedIn(request, post: true) { session, _, _, _ in
                await sessions.close(session.token)
                return Self.redirect("/login", cookies: ["cw_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"])
            }
        }
        router.get("/queue") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                try queue(request, session: session, viewer: viewer, labels: labels)
            }
        }
        router.post("/filters") { request, _ in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                guard let name = form["name"] else { return Self.redirect("/queue") }
                let query = QueueQuery(FormFields(encoded: form["query"] ?? "")).encoded
                try desk.store.saveFilter(owner: viewer.account, name: String(name.prefix(60)), query: query)
                return Self.redirect("/queue?\(query)&flash=saved")
            }
        }
        router.post("/filters/delete") { request, _ in
            try await signedIn(request, post: true) { _, viewer, _, form in
                if let name = form["name"] { try desk.store.deleteFilter(owner: viewer.account, name: name) }
                return Self.redirect("/queue")
            }
        }
        router.post("/alerts/bulk") { request, _ in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try bulk(form, viewer: viewer, labels: labels)
            }
        }
        router.get("/alerts/:id") { request, context in
            try await signedIn(request) { session, viewer, labels, _ in
                try alertPage(
                    context.parameters.get("id") ?? "", request: request, session: session, viewer: viewer,
                    labels: labels)
            }
        }
        router.post("/alerts/:id/review") { request, context in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                let id = context.parameters.get("id") ?? ""
                guard let action = form["action"].flatMap(ReviewAction.init(rawValue:)) else {
                    return Self.errorResponse(400, "action?", labels.language)
                }
                let outcome = try desk.act(action, ids: [id], note: form["note"] ?? "", as: viewer)
                if let refused = outcome.refused.first {
                    return Self.redirect("/alerts/\(id)?error=\(HTML.query(refused.reason.message(labels.language)))")
                }
                let done = outcome.done[0]
                return Self.redirect(
                    "/alerts/\(id)?flash=\(HTML.query(labels.language.pick("已\(action.label(.zh))，当前状态：\(done.status.label(.zh))", "\(action.rawValue): now \(done.status.rawValue)")))"
                )
            }
        }
        router.get("/search") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                try search(request, viewer: viewer, labels: labels, session: session)
            }
        }
        router.get("/conversation") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                try conversation(request, viewer: viewer, labels: labels, session: session)
            }
        }
        router.get("/export.csv") { request, _ in
            try await signedIn(request) { _, viewer, labels, _ in try export(request, viewer: viewer, labels: labels) }
        }
        router.get("/report") { request, _ in
            try await signedIn(request) { _, viewer, labels, _ in try report(request, viewer: viewer, labels: labels) }
        }
        router.get("/users") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                guard viewer.role.canManageUsers else {
                    return Self.errorResponse(
                        403, labels.language.pick("只有管理员可以管理账号", "only admins manage accounts"), labels.language)
                }
                let page = UsersPage(
                    layout: PageLayout(labels: labels, viewer: viewer, csrf: session.csrf),
                    accounts: try desk.store.accounts())
                return Self.html(page.render(flash: Self.param(request, "flash"), error: Self.param(request, "error")))
            }
        }
        router.get("/supervision") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                try supervision(request, viewer: viewer, labels: labels, session: session)
            }
        }
        router.post("/holds") { request, _ in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try setHold(form, viewer: viewer, labels: labels)
            }
        }
        router.post("/holds/:id/lift") { request, context in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try liftHold(Int64(context.parameters.get("id") ?? "") ?? -1, form, viewer: viewer, labels: labels)
            }
        }
        router.get("/samples") { request, _ in
            try await signedIn(request) { session, viewer, labels, _ in
                try samples(request, viewer: viewer, labels: labels, session: session)
            }
        }
        router.post("/samples/draw") { request, _ in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try drawSample(form, viewer: viewer, labels: labels)
            }
        }
        router.post("/samples/:id/review") { request, context in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try reviewSample(Int64(context.parameters.get("id") ?? "") ?? -1, form, viewer: viewer, labels: labels)
            }
        }
        router.get("/alerts/:id/bundle.zip") { request, context in
            try await signedIn(request) { _, viewer, labels, _ in
                try bundle(context.parameters.get("id") ?? "", viewer: viewer, labels: labels)
            }
        }
        router.post("/users") { request, _ in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try addUser(form, viewer: viewer, labels: labels)
            }
        }
        router.post("/users/:name") { request, context in
            try await signedIn(request, post: true) { _, viewer, labels, form in
                try await changeUser(context.parameters.get("name") ?? "", form, viewer: viewer, labels: labels)
            }
        }
    }

    // MARK: - Sessions and CSRF

    /// Runs `body` for a signed-in account whose account is still active; for a POST, only when
    /// the form carries the session's CSRF token. Otherwise: the sign-in page (GET) or 403.
    func signedIn(
        _ request: Request, post: Bool = false,
        _ body: (ConsoleSession, Viewer, Labels, FormFields) async throws -> Response
    ) async throws -> Response {
        var request = request
        let labels = desk.labels.with(language: language(request))
        let now = ChatStore.nowMilliseconds()
        guard let token = request.cookies["cw_session"]?.value, let session = await sessions.find(token, now: now)
        else {
            if post {
                return Self.errorResponse(
                    403, labels.language.pick("未登录或会话已过期，请重新登录", "not signed in, or the session expired"),
                    labels.language)
            }
            return Self.redirect(
                "/login?next=\(HTML.query(request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")))")
        }
        guard let account = try desk.store.account(named: session.account), !account.disabled else {
            await sessions.close(session.token)
            return Self.redirect("/login")
        }
        var form = FormFields([])
        if post {
            let buffer = try await request.collectBody(upTo: 1 << 20)
            form = FormFields(encoded: String(buffer: buffer))
            guard let sent = form["csrf"], tokensEqual(sent, session.csrf) else {
                logger.warning(
                    "refused a form without its CSRF token",
                    metadata: ["account": "\(session.account)", "path": "\(request.uri.path)"])
                return Self.errorResponse(
                    403, labels.language.pick("表单缺少有效的 CSRF 令牌，已拒绝", "the form has no valid CSRF token: refused"),
                    labels.language)
            }
        }
        let viewer = desk.viewer(account: account.name, role: account.role)
        do {
            return try await body(session, viewer, labels, form)
        } catch let refusal as DeskRefusal {
            return Self.errorResponse(refusal.forbidden ? 403 : 404, refusal.message, labels.language)
        } catch let error as StoreError {
            logger.error("store error", metadata: ["error": "\(error)"])
            return Self.errorResponse(500, error.message, labels.language)
        }
    }

    func login(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        var request = request
        let l = language(request)
        let buffer = try await request.collectBody(upTo: 64 << 10)
        let form = FormFields(encoded: String(buffer: buffer))
        let next = Self.safeNext(form["next"])
        func again(_ message: String, status: HTTPResponse.Status = .ok) -> Response {
            let token = SessionStore.randomToken()
            return Self.html(
                LoginPage.render(language: l, token: token, error: message, next: next), status: status,
                cookies: [loginCookie(token, request)])
        }
        guard let sent = form["csrf"], let cookie = request.cookies["cw_login"]?.value, tokensEqual(sent, cookie) else {
            return again(l.pick("登录表单已过期，请重试", "the sign-in form expired; try again"), status: .forbidden)
        }
        let name = form["name"] ?? ""
        let now = ChatStore.nowMilliseconds()
        let keys = ["account:" + name.lowercased(), "peer:" + client(request, context)]
        let wait = await throttle.wait(for: keys, now: now)
        if wait > 0 {
            let seconds = (wait + 999) / 1000
            try? desk.store.logAccess(account: name, action: "login-throttled", ref: name, detail: keys[1])
            return again(
                l.pick("尝试次数过多，请 \(seconds) 秒后再试", "too many attempts: try again in \(seconds) s"),
                status: .tooManyRequests)
        }
        let account = try desk.store.account(named: name)
        let password = form.pairs.first { $0.0 == "password" }?.1 ?? ""
        let hash = account?.passwordHash ?? decoyHash
        let valid = await Task.detached { Passwords.verify(password, hash: hash) }.value
        guard let account, valid, !account.disabled else {
            await throttle.failed(keys, now: now)
            try? desk.store.logAccess(account: name, action: "login-failed", ref: name, detail: keys[1])
            return again(l.pick("账号或密码不正确", "wrong account or password"))
        }
        await throttle.succeeded(keys[0])
        let session = await sessions.open(account: account.name, role: account.role, now: now)
        try desk.store.logAccess(account: account.name, action: "login", ref: account.name, detail: keys[1])
        let sessionCookie =
            "cw_session=\(session.token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(desk.settings.sessionMinutes * 60)\(secure(request) ? "; Secure" : "")"
        return Self.redirect(
            next, cookies: [sessionCookie, "cw_login=; Path=/login; Max-Age=0; HttpOnly; SameSite=Strict"])
    }

    func loginCookie(_ token: String, _ request: Request) -> String {
        "cw_login=\(token); Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600\(secure(request) ? "; Secure" : "")"
    }

    /// Secure cookies: always, never, or when the proxy says the browser came over https.
    func secure(_ request: Request) -> Bool {
        switch desk.settings.secureCookies {
        case .always: return true
        case .never: return false
        case .auto: return request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        }
    }

    /// The client as the throttle counts it: the proxy's `X-Forwarded-For` when the connection
    /// comes from loopback (the proxy), the peer otherwise.
    func client(_ request: Request, _ context: ConsoleContext) -> String {
        if context.peer == "127.0.0.1" || context.peer == "::1",
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]?.split(separator: ",").last
        {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return context.peer
    }

    func language(_ request: Request) -> Language {
        if let chosen = request.cookies["cw_lang"]?.value { return Language(choice: chosen) }
        return .zh
    }

    /// Only paths on this site (no `//host`, no scheme): an open redirect would help phishing.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/queue" }
        return next
    }

    // MARK: - Responses

    static func headers(type: String, csp: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[HTTPField.Name("Content-Security-Policy")!] = csp
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
        return headers
    }

    static func html(
        _ body: String, status: HTTPResponse.Status = .ok, cookies: [String] = [], csp: String = ConsoleServer.csp
    ) -> Response {
        var headers = Self.headers(type: "text/html; charset=utf-8", csp: csp)
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = Self.headers(type: type, csp: csp)
        headers[.cacheControl] = "max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers = Self.headers(type: "text/plain; charset=utf-8", csp: csp)
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func errorResponse(_ status: Int, _ message: String, _ language: Language) -> Response {
        html(
            PageLayout.errorPage(status: status, message: message, language: language),
            status: HTTPResponse.Status(code: status))
    }

    static func param(_ request: Request, _ name: String) -> String? { query(request)[name] }

    /// The query string's fields (`+` as space, as browsers encode GET forms).
    static func query(_ request: Request) -> FormFields { FormFields(encoded: request.uri.query ?? "") }
}
