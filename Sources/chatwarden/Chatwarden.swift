public import ArgumentParser
public import Logging
public import Service

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The one executable. Exit codes: 0 ok; 1 findings (scan raised alerts, `rules test` matched,
/// `rules check` found errors) or an error while working; 2 bad usage or bad configuration.
@main
struct Chatwarden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatwarden",
        abstract: "Compliance and risk monitoring for archived WeCom conversations.",
        discussion: """
            chatwarden reads WeCom conversation-archive JSON lines, matches every message against \
            wordlists, contact detectors and spam-frequency rules (through PCRE2), and records \
            alerts (an append-only JSON-lines log and an indexed store) together with a \
            searchable index of the whole archive.

            Every setting has a default; a TOML file given with --config changes them \
            (see config/chatwarden.toml). The store lives in the state directory: \
            --state-dir, $CHATWARDEN_STATE_DIR, $STATE_DIRECTORY, or ~/.local/state/chatwarden.

            Exit codes: 0 ok; 1 findings (alerts raised, a rule test matched) or an error while \
            working; 2 bad usage or bad configuration.
            """,
        version: Chatwarden.version,
        subcommands: [
            Scan.self, DaemonCommand.self, AlertsCommand.self, Search.self, Context.self, RulesCommand.self, Stats.self,
            Export.self,
            ReportCommand.self, Quarantine.self, Verify.self, WebCommand.self, UsersCommand.self, BundleCommand.self,
            CoverageCommand.self, HoldCommand.self, PurgeCommand.self, SampleCommand.self, MediaCommand.self,
        ]
    )

    /// The release (also in `chatwarden --version` and the console's pages).
    static let version = "0.19.0"

    static func main() async {
        if let problem = UnknownCommand.check(Array(CommandLine.arguments.dropFirst())) {
            fputs(problem + "\n", stderr)
            Glibc.exit(2)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BadUsage {
            fputs("chatwarden: \(error.message)\n", stderr)
            Glibc.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Bad usage is exit 2, as the command-line contract says (ArgumentParser uses 64).
                fputs(fullMessage(for: error) + "\n", stderr)
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Options every command that touches the store or the rules shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (TOML).", valueName: "file"))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp("State directory holding the store (overrides the configuration).", valueName: "dir"))
    var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store: a SQLite file, or postgres://user@host/db for one shared by several daemons (overrides the configuration and $CHATWARDEN_STORE).",
            valueName: "path|url"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log level for messages on standard error: trace, debug, info, notice, warning, error. Default: info for the daemon, warning for every other command.",
            valueName: "level"))
    var logLevel: Logger.Level?
}

// Options that name a level or a format take exactly the values the type has; ArgumentParser
// lists them in --help and refuses anything else with exit 2.
extension Logger.Level: @retroactive ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension LineLogHandler.Format: ExpressibleByArgument {}

/// "Did you mean …?" for a mistyped subcommand (`chatwarden scna`, `chatwarden alerts lsit`),
/// before the argument parser answers with a bare "unexpected argument".
enum UnknownCommand {
    static func check(
        _ arguments: [String], command: any ParsableCommand.Type = Chatwarden.self, path: String = "chatwarden"
    ) -> String? {
        let subcommands = command.configuration.subcommands
        guard !subcommands.isEmpty, let first = arguments.first, !first.hasPrefix("-") else { return nil }
        var names: [String: any ParsableCommand.Type] = [:]
        for sub in subcommands {
            names[sub._commandName] = sub
            for alias in sub.configuration.aliases { names[alias] = sub }
        }
        if first == "help" { return nil }
        if let sub = names[first] { return check(Array(arguments.dropFirst()), command: sub, path: path + " " + first) }
        // A command with a default subcommand may take positional arguments of its own.
        if let fallback = command.configuration.defaultSubcommand, !fallback.configuration.subcommands.isEmpty {
            return nil
        }
        if command.configuration.defaultSubcommand != nil, Suggest.closest(first, among: names.keys) == nil {
            return nil
        }
        let hint = Suggest.didYouMean(first, among: names.keys)
        return
            "\(path): unknown command '\(first)'\(hint). Commands: \(names.keys.sorted().joined(separator: ", ")) (see \(path) --help)"
    }
}

/// Bad usage found while running (an unknown category, an ambiguous room): the message alone,
/// exit status 2, without the usage text that a parse error prints.
struct BadUsage: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
