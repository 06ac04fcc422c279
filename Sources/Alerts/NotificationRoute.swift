public import Vocabulary

/// Which alerts go to a notification channel, and which of them cannot wait for a digest.
public struct NotificationRoute: Sendable, Equatable {
    public var channel: String
    public var minimumSeverity: Severity
    /// Categories to send (empty: all).
    public var categories: Set<String>
    /// At or above this severity an alert is sent on its own at once; below, in a digest.
    public var immediateSeverity: Severity

    public init(channel: String, minimumSeverity: Severity, categories: Set<String>, immediateSeverity: Severity) {
        self.channel = channel
        self.minimumSeverity = minimumSeverity
        self.categories = categories
        self.immediateSeverity = immediateSeverity
    }

    public func accepts(_ alert: Alert) -> Bool {
        alert.severity >= minimumSeverity && (categories.isEmpty || categories.contains(alert.category))
    }

    public func isImmediate(_ alert: Alert) -> Bool { alert.severity >= immediateSeverity }
}
