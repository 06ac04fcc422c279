import Alerts
import Vocabulary
import Foundation

/// One alert's review timing, for the report.
public struct ReviewTiming: Sendable, Equatable {
    public var alertID: String
    public var createdAt: Int64
    /// When the first review action was recorded (nil: not reviewed yet).
    public var firstReviewAt: Int64?
}
