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
