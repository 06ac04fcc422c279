/// How the review desk works (`[review]`, `[web]` and `[groups.NAME]` of the configuration).
public struct ReviewSettings: Sendable, Equatable {
    /// The time zone of tables, CSV, the report and robot messages (an IANA name; nil = the
    /// machine's).
    public var timezone: String? = nil
    /// A file of display names for staff and customer ids (CSV `id,name`, or an archiver's
    /// contact export in JSON lines); nil = ids only.
    public var namesFile: String? = nil
    /// Whether dismissing a high or critical alert waits for a supervisor's confirmation.
    public var fourEyes = true
    /// Where the console listens (loopback by default: it sits behind the company's proxy).
    public var listen = "127.0.0.1:8480"
    /// How long a console session lasts without use.
    public var sessionMinutes = 480
    /// Cookies marked Secure: `auto` = when the proxy says the request came over https
    /// (`X-Forwarded-Proto`), or always / never.
    public var secureCookies: SecureCookies = .auto
    /// Staff groups: who is in each, and which reviewers cover it.
    public var groups: [StaffGroup] = []
    /// Retention (`[retention]`): messages and alerts older than this many days are purged
    /// (daily by the daemon, or `chatwarden purge`), except what a legal hold keeps; nil = kept.
    public var messageRetentionDays: Int? = nil
    public var alertRetentionDays: Int? = nil
    /// Sampling (`[sampling]`): the share of conversations that raised nothing, per staff member
    /// per week, and of dismissed alerts, drawn for a (second) review.
    public var quietSampleRate = 0.02
    public var dismissedSampleRate = 0.1

    public enum SecureCookies: String, Sendable, Equatable { case auto, always, never }

    public init() {}

    /// The staff members `reviewer` covers (the union of the groups naming them).
    public func staffCovered(by reviewer: String) -> [String] {
        var seen = Set<String>()
        var staff: [String] = []
        for group in groups where group.reviewers.contains(reviewer) {
            for member in group.staff where seen.insert(member).inserted { staff.append(member) }
        }
        return staff
    }
}

/// A staff group (`[groups.NAME]`): its staff ids and the reviewers who cover it.
public struct StaffGroup: Sendable, Equatable {
    public var name: String
    public var staff: [String]
    public var reviewers: [String]

    public init(name: String, staff: [String], reviewers: [String]) {
        self.name = name
        self.staff = staff
        self.reviewers = reviewers
    }
}
