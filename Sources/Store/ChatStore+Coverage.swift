import Alerts
public import Vocabulary

/// What the archive does not cover (issue 20): customers who refused archiving, staff with no
/// archived messages lately, and files and days with lines that could not be read.
public struct CoverageReport: Sendable, Equatable {
    public struct Refusal: Sendable, Equatable {
        public var customer: String
        /// The staff member(s) the refusal was sent to.
        public var staff: [String]
        public var at: Int64
    }
    public struct SilentStaff: Sendable, Equatable {
        public var staff: String
        /// Their newest archived message (nil: none at all, though the configuration names them).
        public var lastMessage: Int64?
    }
    public struct QuarantinedFile: Sendable, Equatable {
        public var file: String
        public var lines: Int
        public var first: Int64
        public var last: Int64
    }

    /// Customers whose newest consent record is a refusal.
    public var refusals: [Refusal] = []
    /// Staff with nothing archived since the cutoff.
    public var silentStaff: [SilentStaff] = []
    public var quarantinedFiles: [QuarantinedFile] = []
    /// Local day → lines quarantined that day.
    public var quarantinedDays: [(day: String, lines: Int)] = []
    /// Image messages whose file was not found (yet), and those skipped with a reason.
    public var missingImages = 0
    public var skippedImages = 0

    public static func == (a: CoverageReport, b: CoverageReport) -> Bool {
        a.refusals == b.refusals && a.silentStaff == b.silentStaff && a.quarantinedFiles == b.quarantinedFiles
            && a.quarantinedDays.map(\.day) == b.quarantinedDays.map(\.day)
            && a.quarantinedDays.map(\.lines) == b.quarantinedDays.map(\.lines) && a.missingImages == b.missingImages
            && a.skippedImages == b.skippedImages
    }
}

extension ChatStore {
    /// The coverage report. `silentSince`: staff whose newest message is older are listed;
    /// `knownStaff`: staff the configuration names (listed when never seen at all).
    public func coverage(silentSince: Int64, knownStaff: [String] = []) throws(StoreError) -> CoverageReport {
        try read { db in
            var report = CoverageReport()
            // Consent records: agree / disagree, from the customer, in time order; the newest counts.
            var latest: [String: (agreed: Bool, staff: [String], at: Int64)] = [:]
            for row in try db.query(
                "SELECT sender, tolist, msgtype, msgtime FROM messages WHERE msgtype IN ('agree', 'disagree') ORDER BY msgtime, rowid"
            ) {
                latest[row.string("sender")] = (
                    row.string("msgtype") == "agree", Self.stringArray(row.optionalString("tolist")),
                    row.int64("msgtime")
                )
            }
            report.refusals = latest.filter { !$0.value.agreed }.map {
                CoverageReport.Refusal(customer: $0.key, staff: $0.value.staff, at: $0.value.at)
            }.sorted { $0.at > $1.at }

            var last: [String: Int64] = [:]
            for row in try db.query(
                "SELECT sender, max(msgtime) AS last FROM messages WHERE sender_kind = 'staff' GROUP BY sender")
            {
                last[row.string("sender")] = row.int64("last")
            }
            var silent = last.filter { $0.value < silentSince }.map {
                CoverageReport.SilentStaff(staff: $0.key, lastMessage: $0.value)
            }
            silent += Set(knownStaff).subtracting(last.keys).map {
                CoverageReport.SilentStaff(staff: $0, lastMessage: nil)
            }
            report.silentStaff = silent.sorted { ($0.lastMessage ?? 0, $0.staff) < ($1.lastMessage ?? 0, $1.staff) }

            report.quarantinedFiles = try db.query(
                "SELECT file, count(*) AS n, min(at) AS first, max(at) AS last FROM quarantine GROUP BY file ORDER BY max(at) DESC"
            ).map {
                CoverageReport.QuarantinedFile(
                    file: $0.string("file"), lines: $0.int("n"), first: $0.int64("first"), last: $0.int64("last"))
            }
            var days: [String: Int] = [:]
            for row in try db.query("SELECT at FROM quarantine") {
                days[TimeFormat.localDay(milliseconds: row.int64("at")), default: 0] += 1
            }
            report.quarantinedDays = days.sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
            for row in try db.query(
                "SELECT status, count(*) AS n FROM media_jobs WHERE status IN ('missing', 'skipped') GROUP BY status")
            {
                if row.string("status") == "missing" {
                    report.missingImages = row.int("n")
                } else {
                    report.skippedImages = row.int("n")
                }
            }
            return report
        }
    }
}
