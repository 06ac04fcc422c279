public import Vocabulary
import Foundation

/// One entry of the append-only review trail.
public struct ReviewRecord: Sendable, Equatable {
    public var alertID: String
    public var action: ReviewAction
    public var status: AlertStatus
    public var reviewer: String
    public var note: String
    public var at: Int64
    /// The account that recorded the action for `reviewer` ("" when the reviewer did).
    public var actor: String = ""
}
