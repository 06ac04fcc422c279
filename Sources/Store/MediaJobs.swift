import Alerts
import Foundation

/// An image message waiting for the image path (issue 21): written with the message, in the
/// same commit, so that no image is forgotten between the archive and the worker. The job row is
/// the media checkpoint: an image's alerts commit in the transaction that marks its job done.
public struct MediaJob: Sendable, Equatable {
    public var msgid: String
    public var md5sum: String
    public var sdkfileid: String
    public var msgtime: Int64
    public var attempts: Int = 0

    public init(msgid: String, md5sum: String, sdkfileid: String, msgtime: Int64, attempts: Int = 0) {
        self.msgid = msgid
        self.md5sum = md5sum
        self.sdkfileid = sdkfileid
        self.msgtime = msgtime
        self.attempts = attempts
    }
}

/// What the worker made of a job.
public struct MediaJobUpdate: Sendable, Equatable {
    public enum Status: String, Sendable { case done, missing, skipped }
    public var msgid: String
    public var status: Status
    /// Why it was skipped or is missing; what was found when done.
    public var reason: String
    public var path: String
    public var sha256: String
    /// When to look again (missing files).
    public var nextAt: Int64?

    public init(
        msgid: String, status: Status, reason: String, path: String = "", sha256: String = "", nextAt: Int64? = nil
    ) {
        self.msgid = msgid
        self.status = status
        self.reason = reason
        self.path = path
        self.sha256 = sha256
        self.nextAt = nextAt
    }
}

extension ChatStore {
    static let mediaJobInsert = SQLInsert(
        table: "media_jobs",
        columns: [
            "msgid", "md5sum", "sdkfileid", "msgtime", "status", "attempts", "next_at", "reason", "path", "sha256",
            "updated_at",
        ],
        conflict: "DO NOTHING")

    func insertMediaJobs(_ batch: RecordBatch, _ db: any SQLExecutor, now: Int64) throws {
        try db.insert(
            Self.mediaJobInsert,
            rows: batch.mediaJobs.map {
                [
                    .text($0.msgid), .text($0.md5sum), .text($0.sdkfileid), .integer($0.msgtime), .text("pending"),
                    .integer(0), .integer(now), .text(""), .text(""), .text(""), .integer(now),
                ]
            })
        for update in batch.mediaUpdates {
            try db.execute(
                """
                UPDATE media_jobs SET status = ?, reason = ?, path = ?, sha256 = ?, attempts = attempts + 1,
                    next_at = ?, updated_at = ? WHERE msgid = ?
                """,
                [
                    .text(update.status.rawValue), .text(update.reason), .text(update.path), .text(update.sha256),
                    .integer(update.nextAt ?? now), .integer(now), .text(update.msgid),
                ])
        }
    }

    /// Jobs to work on now: pending, or missing and due to be looked at again; oldest first.
    public func dueMediaJobs(now: Int64 = ChatStore.nowMilliseconds(), limit: Int = 50) throws(StoreError) -> [MediaJob]
    {
        try read { db in
            try db.query(
                "SELECT * FROM media_jobs WHERE status IN ('pending', 'missing') AND next_at <= ? ORDER BY msgtime, msgid LIMIT ?",
                [.integer(now), .integer(Int64(limit))]
            ).map {
                MediaJob(
                    msgid: $0.string("msgid"), md5sum: $0.string("md5sum"), sdkfileid: $0.string("sdkfileid"),
                    msgtime: $0.int64("msgtime"), attempts: $0.int("attempts"))
            }
        }
    }

    /// The latest jobs in one status, newest update first, with their reasons: what `media
    /// status` shows of the images skipped or not found.
    public func mediaJobs(
        status: String, limit: Int = 10
    ) throws(StoreError) -> [(msgid: String, path: String, reason: String, updatedAt: Int64)] {
        try read { db in
            try db.query(
                "SELECT msgid, path, reason, updated_at FROM media_jobs WHERE status = ? ORDER BY updated_at DESC, msgid LIMIT ?",
                [.text(status), .integer(Int64(limit))]
            ).map { ($0.string("msgid"), $0.string("path"), $0.string("reason"), $0.int64("updated_at")) }
        }
    }

    /// Jobs by status (`pending`, `missing`, `done`, `skipped`): the backlog and coverage.
    public func mediaJobCounts() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try db.query("SELECT status, count(*) AS n FROM media_jobs GROUP BY status") {
                counts[row.string("status")] = row.int("n")
            }
            return counts
        }
    }

    /// What happened to one image message's job (path, SHA-256, reason), for `alerts show`.
    public func mediaJob(
        msgid: String
    ) throws(StoreError) -> (status: String, reason: String, path: String, sha256: String)? {
        try read { db in
            try db.one("SELECT * FROM media_jobs WHERE msgid = ?", [.text(msgid)]).map {
                ($0.string("status"), $0.string("reason"), $0.string("path"), $0.string("sha256"))
            }
        }
    }
}
