public import Alerts
import Vocabulary
import Foundation

/// A notification waiting to be sent.
public struct PendingNotification: Sendable {
    public var channel: String
    public var alert: Alert
    public var immediate: Bool
    public var attempts: Int
    public var enqueuedAt: Int64

    public init(channel: String, alert: Alert, immediate: Bool, attempts: Int, enqueuedAt: Int64) {
        self.channel = channel
        self.alert = alert
        self.immediate = immediate
        self.attempts = attempts
        self.enqueuedAt = enqueuedAt
    }
}
