/// How urgent an alert is. Ordered: `low < medium < high < critical`.
///
/// Shared vocabulary: the rules give it, alerts carry it, the store indexes it, people filter by
/// it. It lives in this leaf module so that none of them imports another just to name it.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case low, medium, high, critical

    public var rank: Int {
        switch self {
        case .low: return 1
        case .medium: return 2
        case .high: return 3
        case .critical: return 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
