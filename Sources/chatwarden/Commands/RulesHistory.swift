import Alerts
import ArgumentParser
import Store
import Support
import Vocabulary

extension RulesCommand {
    /// `chatwarden rules history`: which rule versions were in force when, and what changed.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the rule versions with when each came into force and what changed.",
            discussion: """
                A rule version is the SHA-256 of what the wordlists say (words, patterns, allowed \
                phrases, severities, scopes, context phrases; not comments or file names). It is \
                recorded when the daemon starts or reloads and when a scan starts; every alert \
                names the version that raised it (`alerts show`, `--format json`: rule_version). \
                Each line says what changed from the version before: entries added (+) and removed \
                (−) per category.
                """)

        @OptionGroup var common: CommonOptions
        @Flag(help: "Every activation, also those that kept the version (restarts, scans).")
        var all = false
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table

        func validate() throws {
            if format == .csv { throw ValidationError("rules history is table or json") }
        }

        func run() async throws {
            let store = try Setup.store(common)
            let history = try store.ruleHistory(changesOnly: !all)
            let l = Setup.language
            if history.isEmpty {
                Terminal.error(
                    l.pick("尚无规则版本记录（守护进程启动或扫描时记录）", "no rule versions recorded yet (the daemon and scans record them)")
                )
                return
            }
            var previous: [String: [String]]? = nil
            var previousVersion = ""
            for activation in history {
                let changes =
                    previousVersion == activation.version ? nil : Self.changes(from: previous, to: activation.entries)
                if format == .json {
                    var members: [(String, JSONValue)] = [
                        ("version", .string(activation.version)),
                        ("at", .string(TimeFormat.iso8601UTC(milliseconds: activation.at))),
                        ("reason", .string(activation.reason)), ("daemon", .string(activation.daemon)),
                    ]
                    if let changes {
                        members.append(
                            ("added", .object(changes.added.map { ($0.key, .array($0.value.map(JSONValue.string))) })))
                        members.append(
                            (
                                "removed",
                                .object(changes.removed.map { ($0.key, .array($0.value.map(JSONValue.string))) })
                            ))
                    }
                    print(JSONValue.object(members).jsonText)
                } else {
                    var line =
                        "\(TimeFormat.local(milliseconds: activation.at))  \(activation.reason)  \(Terminal.escape(activation.daemon))  \(activation.version.prefix(12))"
                    if previous == nil {
                        let count = activation.entries.values.map(\.count).reduce(0, +)
                        line += l.pick(
                            "  首个版本：\(activation.entries.count) 个类别，\(count) 条",
                            "  first: \(activation.entries.count) categories, \(count) entries")
                    } else if let changes {
                        line += "  " + Self.describe(changes)
                    } else {
                        line += l.pick("  未变", "  unchanged")
                    }
                    print(line)
                }
                previous = activation.entries
                previousVersion = activation.version
            }
        }

        static func changes(
            from old: [String: [String]]?, to new: [String: [String]]
        ) -> (
            added: [String: [String]], removed: [String: [String]]
        ) {
            var added: [String: [String]] = [:]
            var removed: [String: [String]] = [:]
            let old = old ?? [:]
            for category in Set(old.keys).union(new.keys).sorted() {
                let before = Set(old[category] ?? []), after = Set(new[category] ?? [])
                let plus = after.subtracting(before).sorted(), minus = before.subtracting(after).sorted()
                if !plus.isEmpty { added[category] = plus }
                if !minus.isEmpty { removed[category] = minus }
            }
            return (added, removed)
        }

        static func describe(_ changes: (added: [String: [String]], removed: [String: [String]])) -> String {
            let categories = Set(changes.added.keys).union(changes.removed.keys).sorted()
            if categories.isEmpty { return "(settings changed)" }
            return categories.map { category in
                var parts: [String] = []
                if let plus = changes.added[category] {
                    parts.append(
                        "+\(plus.count) (\(plus.prefix(3).map(Terminal.escape).joined(separator: ", "))\(plus.count > 3 ? ", …" : ""))"
                    )
                }
                if let minus = changes.removed[category] {
                    parts.append(
                        "−\(minus.count) (\(minus.prefix(3).map(Terminal.escape).joined(separator: ", "))\(minus.count > 3 ? ", …" : ""))"
                    )
                }
                return category + " " + parts.joined(separator: " ")
            }.joined(separator: "; ")
        }
    }
}
