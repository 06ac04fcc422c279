import Alerts
import ArgumentParser
import Config
import Rules
import Store
import Vocabulary

/// `--since` and `--until`, shared by every command that looks at a period.
struct TimeRangeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Only from this time on: 2026-11-20, '2026-11-20 09:30', 2026-11-20T09:30+08:00, …Z, today, yesterday, 7d, 24h, or epoch ms (local times in [review] timezone, default the machine's).",
            valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only before this time (same forms as --since).", valueName: "time"))
    var until: String?

    func validate() throws {
        if let since, TimeFormat.parse(since) == nil {
            throw ValidationError(
                "--since: cannot read '\(since)' as a time (2026-11-20, '2026-11-20 09:30', 2026-11-20T09:30+08:00, today, yesterday, 7d)"
            )
        }
        if let until, TimeFormat.parse(until) == nil {
            throw ValidationError(
                "--until: cannot read '\(until)' as a time (2026-11-20, '2026-11-20 09:30', 2026-11-20T09:30+08:00, today, yesterday, 7d)"
            )
        }
    }

    var sinceMilliseconds: Int64? { since.flatMap { TimeFormat.parse($0) } }
    var untilMilliseconds: Int64? { until.flatMap { TimeFormat.parse($0) } }
}

/// Filters shared by the listing commands.
struct FilterOptions: ParsableArguments {
    @OptionGroup var time: TimeRangeOptions

    @Option(
        help: ArgumentHelp(
            "Only this group chat (room id) or conversation key; the start of one is enough when only one matches.",
            valueName: "id"))
    var room: String?

    @Option(help: ArgumentHelp("Only messages from this sender id.", valueName: "id"))
    var sender: String?

    @Option(help: ArgumentHelp("Only alerts about this staff member (id or display name).", valueName: "id|name"))
    var staff: String?

    @Option(
        help: ArgumentHelp("Only alerts in which this customer took part (id or display name).", valueName: "id|name"))
    var customer: String?

    @Option(
        help: ArgumentHelp(
            "Only this category (luring, contact, offplatform-money, …; unknown ones are an error that lists the known).",
            valueName: "id"))
    var category: String?

    @Option(help: ArgumentHelp("Only this rule (contact.phone, window.flood, luring, …).", valueName: "id"))
    var rule: String?

    @Option(help: ArgumentHelp("Only this severity or higher: low, medium, high, critical.", valueName: "level"))
    var severity: String?

    @Option(
        help: ArgumentHelp(
            "Only this review status: new, acknowledged, dismissed, escalated, pending-dismissal, or open (the undecided ones).",
            valueName: "status"))
    var status: String?

    @Option(help: ArgumentHelp("Only alerts this account has ('none': nobody has claimed them).", valueName: "account"))
    var assignee: String?

    @Option(help: "At most this many rows (default: 100 for listings; export writes every match).")
    var limit: Int?

    func validate() throws {
        if let severity, Severity(rawValue: severity) == nil {
            throw ValidationError("--severity must be low, medium, high or critical")
        }
        if let status, status != "open", AlertStatus(rawValue: status) == nil {
            throw ValidationError("--status must be new, acknowledged, dismissed, escalated, pending-dismissal or open")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// The filter as given (no checks against the store), with `defaultLimit` when --limit is absent.
    func filter(defaultLimit: Int = 100) -> AlertFilter {
        var f = AlertFilter(
            since: time.sinceMilliseconds, until: time.untilMilliseconds, room: room, sender: sender,
            category: category, minimumSeverity: severity.flatMap(Severity.init(rawValue:)),
            status: status.flatMap(AlertStatus.init(rawValue:)), rule: rule, limit: limit ?? defaultLimit)
        f.openOnly = status == "open"
        f.staff = staff
        f.customer = customer
        f.assignee = assignee.map { $0 == "none" ? "" : $0 }
        return f
    }

    /// The filter, checked against what exists: a category or rule nobody knows is an error
    /// listing the known ones (a typo must not look like "no alerts"), a rule given as a
    /// category is pointed to --rule, a shortened room id is completed, names become ids.
    func checkedFilter(
        _ store: ChatStore, config: Config? = nil, names: NameDirectory = NameDirectory(), defaultLimit: Int = 100
    ) throws -> AlertFilter {
        var f = filter(defaultLimit: defaultLimit)
        let known = try store.knownCategoriesAndRules()
        var categories = Set(known.categories).union([
            "contact", AlertCategory.spam, AlertCategory.escalation, AlertCategory.evidenceHiding, AlertCategory.engine,
            AlertCategory.integrity,
        ])
        var rules = Set(known.rules)
        if let config {
            let set = WordlistLoader(limits: config.limits).load(paths: config.wordlists)
            categories.formUnion(set.categories.map(\.id))
            rules.formUnion(set.categories.map(\.id))
        }
        if let category, !categories.contains(category) {
            if rules.contains(category) || category.contains(".") {
                let parent = category.split(separator: ".").first.map(String.init) ?? category
                throw BadUsage(
                    "--category: '\(category)' is a rule, not a category: use --rule \(category)\(categories.contains(parent) ? " (or --category \(parent))" : "")"
                )
            }
            throw BadUsage(
                "--category: no category '\(category)'\(Suggest.didYouMean(category, among: categories)). Known: \(categories.sorted().joined(separator: ", "))"
            )
        }
        if let rule, !rules.contains(rule) {
            throw BadUsage(
                "--rule: no rule '\(rule)' has raised alerts\(Suggest.didYouMean(rule, among: rules)). Known: \(rules.sorted().joined(separator: ", "))"
            )
        }
        if let room {
            let matches = try store.conversations(prefix: room)
            if !matches.contains(room) {
                if matches.count == 1 {
                    f.room = matches[0]
                } else if matches.count > 1 {
                    throw BadUsage(
                        "--room: '\(room)' is the start of \(matches.count) conversations: \(matches.prefix(5).joined(separator: ", "))\(matches.count > 5 ? ", …" : ""); give more of it"
                    )
                }
            }
        }
        if let staff, let id = names.ids(named: staff).first { f.staff = id }
        if let customer, let id = names.ids(named: customer).first { f.customer = id }
        return f
    }
}

/// "Did you mean …?" for mistyped names: the closest by edit distance, when close enough.
enum Suggest {
    static func closest(_ word: String, among candidates: some Sequence<String>) -> String? {
        let best = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
        closest(word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
