import Alerts
import Vocabulary
import Foundation

/// A search hit.
public struct SearchHit: Sendable, Equatable {
    public var message: StoredMessage
    /// Byte ranges of the query in the message text (for highlighting).
    public var ranges: [Range<Int>]
}
