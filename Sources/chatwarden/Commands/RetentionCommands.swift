import Alerts
import ArgumentParser
import Config
import Console
import Store
import Support
import Vocabulary

/// `chatwarden hold add | lift | list`: legal holds, set and lifted by supervisors with a reason.
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Legal holds: what retention must never purge (a staff member, a customer, a conversation, a case).",
        subcommands: [Add.self, Lift.self, List.self],
        defaultSubcommand: List.self)

    /// Holds are for supervisors and admins (the OS user's account; root acts as admin).
    static func supervisor(_ store: ChatStore, _ config: Config) throws -> String {
        let desk = Desk(store: store, settings: config.review, labels: Labels(language: Setup.language))
        let viewer = try Identity.viewer(desk)
        guard viewer.role.canSupervise else {
            Terminal.error(
                Setup.language.pick(
                    "chatwarden: 只有主管或管理员可以设置或解除保全（\(viewer.account) 是\(viewer.role.label(.zh))）",
                    "chatwarden: only a supervisor or an admin sets or lifts holds (\(viewer.account) is a \(viewer.role.rawValue))"
                ))
            throw ExitCode(1)
        }
        return viewer.account
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a hold.")
        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Hold everything of this staff member.", valueName: "id")) var staff: String?
        @Option(help: ArgumentHelp("Hold everything of this customer.", valueName: "id")) var customer: String?
        @Option(help: ArgumentHelp("Hold this conversation (key or room id).", valueName: "key")) var conversation:
            String?
        @Option(
            name: .customLong("case"),
            help: ArgumentHelp(
                "A named case: its alerts (--alert) and their conversations are held.", valueName: "name"))
        var caseName: String?
        @Option(name: .customLong("alert"), help: ArgumentHelp("An alert of the case (repeatable).", valueName: "id"))
        var alerts: [String] = []
        @Option(help: "Why (required; kept in the chained access log).") var reason: String

        func validate() throws {
            let given = [staff, customer, conversation, caseName].compactMap { $0 }
            if given.count != 1 {
                throw ValidationError("give exactly one of --staff, --customer, --conversation, --case")
            }
            if !alerts.isEmpty && caseName == nil { throw ValidationError("--alert belongs to a --case") }
        }

        func run() async throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            let by = try HoldCommand.supervisor(store, config)
            let (kind, subject): (LegalHold.Kind, String) =
                if let staff { (.staff, staff) } else if let customer { (.customer, customer) } else if let conversation
                {
                    (.conversation, conversation)
                } else { (.case, caseName!) }
            var ids: [String] = []
            for alert in alerts { ids.append(try AlertLookup.find(alert, in: store).alert.id) }
            do {
                let id = try store.setHold(kind: kind, subject: subject, reason: reason, by: by, alertIDs: ids)
                print(
                    Setup.language.pick(
                        "已设置保全 #\(id)：\(kind.rawValue) \(subject)", "hold #\(id) set: \(kind.rawValue) \(subject)"))
            } catch {
                Terminal.error("chatwarden: \(error.message)")
                throw ExitCode(1)
            }
        }
    }

    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a hold (it is kept, marked lifted).")
        @OptionGroup var common: CommonOptions
        @Option(help: "Why (required).") var reason: String
        @Argument(help: "The hold's number (chatwarden hold list).") var id: Int64

        func run() async throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            let by = try HoldCommand.supervisor(store, config)
            do {
                try store.liftHold(id: id, reason: reason, by: by)
            } catch {
                Terminal.error("chatwarden: \(error.message)")
                throw ExitCode(1)
            }
            print(Setup.language.pick("已解除保全 #\(id)", "hold #\(id) lifted"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List holds (active ones; --all for lifted too).")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Lifted holds too.") var all = false
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let store = try Setup.store(common)
            let l = Setup.language
            var listing = Listing(columns: [
                Column(title: "#"), Column(title: l.pick("类型", "KIND")),
                Column(title: l.pick("对象", "SUBJECT"), maxWidth: 36),
                Column(title: l.pick("原因", "REASON"), maxWidth: 40), Column(title: l.pick("设置人", "SET BY")),
                Column(title: l.pick("设置时间", "SET AT")), Column(title: l.pick("状态", "STATE"), maxWidth: 40),
            ])
            for hold in try store.holds(includeLifted: all) {
                let state =
                    hold.liftedAt.map {
                        l.pick("已解除 ", "lifted ") + TimeFormat.local(milliseconds: $0) + " " + hold.liftedBy + ": "
                            + hold.liftReason
                    }
                    ?? l.pick("生效", "active")
                var members: [(String, JSONValue)] = [
                    ("id", .integer(hold.id)), ("kind", .string(hold.kind.rawValue)),
                    ("subject", .string(hold.subject)),
                    ("reason", .string(hold.reason)), ("set_by", .string(hold.setBy)), ("set_at", .integer(hold.setAt)),
                ]
                if let lifted = hold.liftedAt {
                    members += [
                        ("lifted_at", .integer(lifted)), ("lifted_by", .string(hold.liftedBy)),
                        ("lift_reason", .string(hold.liftReason)),
                    ]
                }
                if hold.kind == .case {
                    members.append(("alerts", .array(try store.caseAlerts(hold.subject).map(JSONValue.string))))
                }
                listing.append(
                    [
                        "\(hold.id)", hold.kind.rawValue, hold.subject, hold.reason, hold.setBy,
                        TimeFormat.local(milliseconds: hold.setAt), state,
                    ],
                    json: .object(members))
            }
            listing.print(format)
        }
    }
}

/// `chatwarden purge`: retention now (the daemon runs it daily).
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove messages and alerts older than [retention] allows, except what a legal hold keeps.",
        discussion: """
            [retention] messages_days and alerts_days say how long messages and alerts are kept \
            (absent: forever). A purge removes older messages, and older alerts with their review \
            trail and pending notifications, except those of a held staff member, customer, \
            conversation or case; it records itself (the cutoffs, the counts, the hash of every row \
            removed) in the evidence chain, so `chatwarden verify` tells it from a deletion behind \
            the product's back. The daemon purges once a day when [retention] is set.
            """)

    @OptionGroup var common: CommonOptions
    @Flag(help: "Count what would be removed; remove nothing.") var dryRun = false

    func run() async throws {
        let config = try Setup.config(common)
        let store = try Setup.store(common)
        let l = Setup.language
        guard config.review.messageRetentionDays != nil || config.review.alertRetentionDays != nil else {
            Terminal.error(
                l.pick(
                    "chatwarden: 未配置保存期限（[retention] messages_days / alerts_days），不删除任何内容",
                    "chatwarden: no retention configured ([retention] messages_days / alerts_days): nothing to purge"))
            throw ExitCode(2)
        }
        let now = ChatStore.nowMilliseconds()
        let result = try store.purge(
            messagesBefore: config.review.messageRetentionDays.map { now - Int64($0) * 86_400_000 },
            alertsBefore: config.review.alertRetentionDays.map { now - Int64($0) * 86_400_000 }, by: Identity.osUser(),
            dryRun: dryRun)
        let verb = dryRun ? l.pick("将删除", "would remove") : l.pick("已删除", "removed")
        print(
            l.pick(
                "\(verb) \(result.messages) 条消息、\(result.alerts) 条告警（及 \(result.reviews) 条审查记录）；因保全保留 \(result.heldMessages) 条消息、\(result.heldAlerts) 条告警",
                "\(verb) \(result.messages) message(s), \(result.alerts) alert(s) (and \(result.reviews) review action(s)); kept by holds: \(result.heldMessages) message(s), \(result.heldAlerts) alert(s)"
            ))
    }
}
