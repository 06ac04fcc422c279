public import Alerts
public import Detect
public import Archive
public import Ingest

/// What one pipeline batch changes in the store, committed in one transaction.
public struct RecordBatch: Sendable {
    public var messages: [ArchiveMessage] = []
    public var alerts: [Alert] = []
    /// The version of the rule set that raised them (``ChatStore/recordRuleVersion``).
    public var ruleVersion = ""
    /// Image messages for the image path, and what it made of earlier ones (``MediaJob``).
    public var mediaJobs: [MediaJob] = []
    public var mediaUpdates: [MediaJobUpdate] = []
    public var quarantine: [QuarantineRecord] = []
    public var checkpoints: [Checkpoint] = []
    /// Checkpoints of sources that are gone (a rotated file read to its end and let go).
    public var removedCheckpoints: [String] = []
    /// Alerts of earlier batches now written to the alert log: marked in this transaction, so
    /// confirming the log costs no transaction of its own.
    public var loggedAlerts: [String] = []
    /// Where new alerts are to be notified (enqueued for the alerts this batch inserts).
    public var notificationRoutes: [NotificationRoute] = []
    /// Window-rule state that changed (key, encoded state) and keys dropped.
    public var windowUpserts: [WindowStateRow] = []
    public var windowDeletes: [String] = []
    /// Window state shared by every daemon of a shared store (keys that span archive shards).
    public var sharedWindowUpserts: [WindowStateRow] = []
    /// Records that reuse an indexed message's id with a different text: kept beside it.
    public var messageVersions: [ArchiveMessage] = []

    public init() {}

    public var isEmpty: Bool {
        messages.isEmpty && alerts.isEmpty && quarantine.isEmpty && checkpoints.isEmpty && removedCheckpoints.isEmpty
            && loggedAlerts.isEmpty && windowUpserts.isEmpty && windowDeletes.isEmpty && sharedWindowUpserts.isEmpty
            && mediaJobs.isEmpty && mediaUpdates.isEmpty
    }
}
