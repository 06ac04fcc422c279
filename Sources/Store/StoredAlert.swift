public import Alerts
public import Vocabulary
import Foundation

/// An alert as stored, with its review state.
public struct StoredAlert: Sendable, Equatable {
    public var alert: Alert
    public var status: AlertStatus
    public var createdAt: Int64
    public var updatedAt: Int64
}
