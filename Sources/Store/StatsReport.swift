import Alerts
import Vocabulary
import Foundation

/// Counts for `stats`.
public struct StatsReport: Sendable, Equatable {
    public var messages: Int
    public var alerts: Int
    public var quarantined: Int
    public var byCategory: [(String, Int)]
    public var bySeverity: [(String, Int)]
    public var byStatus: [(String, Int)]
    public var byStaff: [(String, Int)]
    public var byConversation: [(String, Int)]
    public var byDay: [(String, Int)]

    public static func == (lhs: StatsReport, rhs: StatsReport) -> Bool {
        func same(_ a: [(String, Int)], _ b: [(String, Int)]) -> Bool {
            a.map { "\($0.0)=\($0.1)" } == b.map { "\($0.0)=\($0.1)" }
        }
        return lhs.messages == rhs.messages && lhs.alerts == rhs.alerts && lhs.quarantined == rhs.quarantined
            && same(lhs.byCategory, rhs.byCategory) && same(lhs.bySeverity, rhs.bySeverity)
            && same(lhs.byStatus, rhs.byStatus) && same(lhs.byStaff, rhs.byStaff)
            && same(lhs.byConversation, rhs.byConversation) && same(lhs.byDay, rhs.byDay)
    }
}
