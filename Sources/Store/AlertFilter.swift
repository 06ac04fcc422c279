import Alerts
public import Vocabulary
import Foundation

/// Filters shared by the listing commands and the console's queue. `nil` means "any".
public struct AlertFilter: Sendable, Equatable {
    public var since: Int64?
    public var until: Int64?
    public var room: String?
    public var sender: String?
    public var category: String?
    /// The lowest severity to include.
    public var minimumSeverity: Severity?
    public var status: AlertStatus?
    /// Only statuses still open for review (new, acknowledged, pending dismissal).
    public var openOnly: Bool = false
    public var rule: String?
    /// Only alerts about this staff member.
    public var staff: String?
    /// Only alerts in which this customer took part (sender or recipient).
    public var customer: String?
    /// Only alerts this account has; "" = nobody has them.
    public var assignee: String?
    /// A reviewer's scope: only alerts about these staff members (nil = every alert).
    public var staffIn: [String]?
    public var limit: Int
    public var offset: Int

    public init(
        since: Int64? = nil, until: Int64? = nil, room: String? = nil, sender: String? = nil, category: String? = nil,
        minimumSeverity: Severity? = nil, status: AlertStatus? = nil, rule: String? = nil, limit: Int = 100,
        offset: Int = 0
    ) {
        self.since = since
        self.until = until
        self.room = room
        self.sender = sender
        self.category = category
        self.minimumSeverity = minimumSeverity
        self.status = status
        self.rule = rule
        self.limit = limit
        self.offset = offset
    }

    /// The WHERE clause and its bound arguments (chat text never enters SQL otherwise).
    /// `prefix` qualifies the columns (`"a."` when the alerts table is joined).
    func sql(
        timeColumn: String = "msgtime", senderColumn: String = "sender", prefix: String = ""
    ) -> (String, [SQLValue]) {
        var clauses: [String] = []
        var arguments: [SQLValue] = []
        let p = prefix
        if let since { clauses.append("\(p)\(timeColumn) >= ?"); arguments.append(.integer(since)) }
        if let until { clauses.append("\(p)\(timeColumn) < ?"); arguments.append(.integer(until)) }
        if let room {
            clauses.append("(\(p)roomid = ? OR \(p)conversation = ?)"); arguments += [.text(room), .text(room)]
        }
        if let sender { clauses.append("\(p)\(senderColumn) = ?"); arguments.append(.text(sender)) }
        if let category { clauses.append("\(p)category = ?"); arguments.append(.text(category)) }
        if let minimumSeverity {
            clauses.append("\(p)severity_rank >= ?"); arguments.append(SQLValue(minimumSeverity.rank))
        }
        if let status { clauses.append("\(p)status = ?"); arguments.append(.text(status.rawValue)) }
        if openOnly {
            let open = AlertStatus.allCases.filter(\.isOpen)
            clauses.append("\(p)status IN (\(open.map { _ in "?" }.joined(separator: ", ")))")
            arguments += open.map { .text($0.rawValue) }
        }
        if let rule { clauses.append("\(p)rule = ?"); arguments.append(.text(rule)) }
        if let staff { clauses.append("\(p)staff = ?"); arguments.append(.text(staff)) }
        if let customer {
            // The tolist column holds a JSON array of ids; an id inside it is quoted.
            clauses.append("(\(p)\(senderColumn) = ? OR \(p)tolist LIKE ? ESCAPE '\\')")
            arguments += [.text(customer), .text("%\"" + ChatStore.likeEscaped(customer) + "\"%")]
        }
        if let assignee { clauses.append("\(p)assignee = ?"); arguments.append(.text(assignee)) }
        if let staffIn {
            if staffIn.isEmpty {
                clauses.append("1 = 0")
            } else {
                clauses.append("\(p)staff IN (\(staffIn.map { _ in "?" }.joined(separator: ", ")))")
                arguments += staffIn.map(SQLValue.text)
            }
        }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }
}
