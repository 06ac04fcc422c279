/// Where an alert stands in review.
public enum AlertStatus: String, Sendable, CaseIterable, Hashable {
    case new, acknowledged, dismissed, escalated
    /// Four-eyes: a high or critical alert a reviewer dismissed, waiting for a supervisor to
    /// confirm the dismissal (or send it back).
    case pendingDismissal = "pending-dismissal"

    /// Open for review (not decided): what a queue shows by default.
    public var isOpen: Bool { self == .new || self == .acknowledged || self == .pendingDismissal }
}

/// What a reviewer did. The first four set a status; the rest are the team's bookkeeping.
public enum ReviewAction: String, Sendable, CaseIterable {
    case acknowledge, dismiss, escalate, reopen
    /// Take an alert (assignee = the account); the status stays.
    case claim
    /// A supervisor gives an alert to someone (the note names them); the status stays.
    case assign
    /// A supervisor confirms a pending dismissal (four-eyes).
    case confirm
    /// A supervisor sends a pending dismissal back to acknowledged.
    case reject

    /// Whether this action only moves the alert between people.
    public var keepsStatus: Bool { self == .claim || self == .assign }

    /// The status the action leads to from `current`. A dismissal of a high or critical alert
    /// waits for confirmation when `fourEyes` is on.
    public func status(from current: AlertStatus, severity: Severity, fourEyes: Bool) -> AlertStatus {
        switch self {
        case .acknowledge: return .acknowledged
        case .dismiss: return fourEyes && severity.rank >= Severity.high.rank ? .pendingDismissal : .dismissed
        case .escalate: return .escalated
        case .reopen: return .new
        case .claim, .assign: return current
        case .confirm: return .dismissed
        case .reject: return .acknowledged
        }
    }
}

/// What an account may do in the console and the CLI.
public enum Role: String, Sendable, CaseIterable, Hashable {
    /// Reviews the alerts of the staff groups they cover.
    case reviewer
    /// Reviews everything, assigns, confirms dismissals, reports.
    case supervisor
    /// Manages accounts, and may do what a supervisor does.
    case admin
    /// Reads everything, changes nothing.
    case auditor

    public var canReview: Bool { self != .auditor }
    public var canSupervise: Bool { self == .supervisor || self == .admin }
    public var canManageUsers: Bool { self == .admin }
    /// Reviewers see only the groups they cover; every other role sees every alert.
    public var isScoped: Bool { self == .reviewer }

    /// Whether this role may take `action` at all (the four-eyes rule is checked with the alert).
    public func may(_ action: ReviewAction) -> Bool {
        switch action {
        case .assign, .confirm, .reject: return canSupervise
        default: return canReview
        }
    }
}

/// Why a review action did not apply to an alert.
public enum ReviewRefusal: Sendable, Equatable {
    case needsNote
    case needsAssignee
    case noAlert(String)
    case notPending(String, AlertStatus)
    /// Four-eyes: who dismissed cannot confirm.
    case sameReviewer(String, String)
    /// Anything else, already worded.
    case other(String)

    public func message(_ language: Language) -> String {
        switch self {
        case .needsNote: return language.pick("排除告警必须填写说明", "a dismissal needs a note saying why")
        case .needsAssignee: return language.pick("分配需要指定账号", "assign needs the name of the account to assign to")
        case .noAlert(let id): return language.pick("没有告警 \(id)", "no alert \(id)")
        case .notPending(let id, let status):
            return language.pick(
                "告警 \(id) 的状态是“\(status.label(.zh))”，不在待复核中",
                "alert \(id) is \(status.rawValue), not waiting for confirmation")
        case .sameReviewer(let who, let id):
            return language.pick(
                "双人复核：\(who) 排除了告警 \(id)，不能再由本人复核", "four-eyes: \(who) dismissed alert \(id) and cannot also confirm it"
            )
        case .other(let text): return text
        }
    }
}
