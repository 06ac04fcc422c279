/// Where an alert stands in review.
public enum AlertStatus: String, Sendable, CaseIterable, Hashable {
    case new, acknowledged, dismissed, escalated
}

/// What a reviewer did.
public enum ReviewAction: String, Sendable, CaseIterable {
    case acknowledge, dismiss, escalate, reopen

    /// The status the action leads to.
    public var status: AlertStatus {
        switch self {
        case .acknowledge: return .acknowledged
        case .dismiss: return .dismissed
        case .escalate: return .escalated
        case .reopen: return .new
        }
    }
}
