public import Config
import Alerts
public import Store
public import Vocabulary

/// Who is looking: an account, its role, and for a reviewer the staff members they cover.
public struct Viewer: Sendable, Equatable {
    public var account: String
    public var role: Role
    /// The staff ids this viewer may see alerts of; nil = every alert.
    public var scope: [String]?

    public init(account: String, role: Role, scope: [String]?) {
        self.account = account
        self.role = role
        self.scope = scope
    }
}

/// Why an action was refused, for a person (and the HTTP status the console answers with).
public struct DeskRefusal: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var forbidden: Bool
    public var description: String { message }
}

/// The review desk's rules, apart from HTTP: what each role may do, what a reviewer may see,
/// and review actions under an account. The console and the CLI both go through it.
public struct Desk: Sendable {
    public let store: ChatStore
    public let settings: ReviewSettings
    public let labels: Labels

    public init(store: ChatStore, settings: ReviewSettings, labels: Labels) {
        self.store = store
        self.settings = settings
        self.labels = labels
    }

    public func viewer(account: String, role: Role) -> Viewer {
        Viewer(account: account, role: role, scope: role.isScoped ? settings.staffCovered(by: account) : nil)
    }

    /// The filter narrowed to what `viewer` may see.
    public func scoped(_ filter: AlertFilter, for viewer: Viewer) -> AlertFilter {
        var f = filter
        if let scope = viewer.scope { f.staffIn = scope }
        return f
    }

    public func canSee(_ alert: StoredAlert, _ viewer: Viewer) -> Bool {
        guard let scope = viewer.scope else { return true }
        return scope.contains(alert.staff)
    }

    /// A message is visible when a covered staff member sent it or was sent it.
    public func canSee(_ message: StoredMessage, _ viewer: Viewer) -> Bool {
        guard let scope = viewer.scope else { return true }
        return scope.contains(message.sender) || message.tolist.contains(where: scope.contains)
    }

    /// Finds an alert by id (or a prefix of 6+ digits) that `viewer` may see.
    public func alert(_ id: String, for viewer: Viewer) throws -> StoredAlert {
        let found: StoredAlert?
        do {
            found = try store.alert(idPrefix: id)
        } catch {
            throw DeskRefusal(message: error.message, forbidden: false)
        }
        guard let found else {
            throw DeskRefusal(message: labels.language.pick("没有告警 \(id)", "no alert \(id)"), forbidden: false)
        }
        guard canSee(found, viewer) else {
            throw DeskRefusal(
                message: labels.language.pick(
                    "告警 \(id) 不在您负责的员工组内", "alert \(id) is outside the staff groups you cover"),
                forbidden: true)
        }
        return found
    }

    /// Records `action` on `ids` as `viewer` (or, with `onBehalfOf`, for another account: only
    /// an admin may, and the trail names both). Alerts outside the viewer's scope are refused.
    public func act(
        _ action: ReviewAction, ids: [String], note: String, as viewer: Viewer, onBehalfOf: String? = nil
    ) throws -> ChatStore.ReviewOutcome {
        let l = labels.language
        guard viewer.role.may(action) else {
            throw DeskRefusal(
                message: l.pick(
                    "\(viewer.role.label(l))不能执行“\(action.label(l))”",
                    "a \(viewer.role.rawValue) may not \(action.rawValue)"),
                forbidden: true)
        }
        var reviewer = viewer.account
        var actor = ""
        if let other = onBehalfOf, other != viewer.account {
            guard viewer.role.canManageUsers else {
                throw DeskRefusal(
                    message: l.pick("只有管理员可以代他人操作", "only an admin may act for another account"), forbidden: true)
            }
            reviewer = other
            actor = viewer.account
        }
        var outcome = ChatStore.ReviewOutcome()
        var allowed: [String] = []
        for id in ids {
            do {
                allowed.append(try alert(id, for: viewer).alert.id)
            } catch let refusal as DeskRefusal {
                outcome.refused.append((id, .other(refusal.message)))
            }
        }
        if action == .assign {
            guard let target = try store.account(named: note), !target.disabled else {
                throw DeskRefusal(message: l.pick("没有可用的账号 \(note)", "no active account \(note)"), forbidden: false)
            }
        }
        let done = try store.review(
            alertIDs: allowed, action: action, reviewer: reviewer, note: note, actor: actor,
            fourEyes: settings.fourEyes)
        outcome.done += done.done
        outcome.previous += done.previous
        outcome.refused += done.refused
        return outcome
    }
}
