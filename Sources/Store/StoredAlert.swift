public import Alerts
public import Vocabulary
import Foundation

/// An alert as stored, with its review state.
public struct StoredAlert: Sendable, Equatable {
    public var alert: Alert
    public var status: AlertStatus
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The staff member the alert is about ("" when none is known).
    public var staff: String = ""
    /// The account that has the alert ("" when nobody has claimed it).
    public var assignee: String = ""
    /// The rule set's version that raised it ("" for alerts from before versions were kept).
    public var ruleVersion: String = ""

    public init(
        alert: Alert, status: AlertStatus, createdAt: Int64, updatedAt: Int64, staff: String = "",
        assignee: String = "",
        ruleVersion: String = ""
    ) {
        self.ruleVersion = ruleVersion
        self.alert = alert
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.staff = staff
        self.assignee = assignee
    }
}
