import ArgumentParser
import Logging
import Pipeline
import Service
import Config

/// `chatwarden daemon`: the service systemd runs.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Follow the archive and raise alerts as it grows (the systemd service).",
        discussion: """
            Follows every file matching [daemon] watch (or --watch) as it grows, across rotation \
            (rename or copytruncate), deletion and restarts, and runs every line through the same \
            pipeline as `scan`. Messages, alerts, index rows and the file checkpoint are committed \
            in one transaction, so a crash (even kill -9) and restart lose nothing and repeat \
            nothing.

            Signals: SIGHUP reloads the configuration and rules (a broken configuration keeps the \
            old one running and says why); SIGTERM or SIGINT finishes the current batch and stops.
            Under systemd (Type=notify) it reports READY=1 once rules are compiled and checkpoints \
            loaded, STATUS= progress, WATCHDOG=1 from the processing loop, RELOADING=1 and \
            STOPPING=1. Logs go to standard error, one event per line (--log-format json for JSON).

            Several hosts: point every daemon at one PostgreSQL database (store = "postgres://…" \
            or --store) and give each its own name ([daemon] name or --name; default the host \
            name). Each keeps its own checkpoints; blasts and repeated hits are counted across \
            all of them. See the README, "Several daemons, one PostgreSQL".
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Archive files to follow (glob; repeatable). Overrides [daemon] watch.", valueName: "glob"))
    var watch: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "This daemon's name in a shared (PostgreSQL) store: its checkpoints, window state and locks are kept under it. Overrides [daemon] name; default: the host name.",
            valueName: "name"))
    var name: String?

    @Option(help: "Log format on standard error: text (key=value) or json.")
    var logFormat: LineLogHandler.Format = .text

    func validate() throws {
        if let name, !Config.isValidDaemonName(name) {
            throw ValidationError("--name \(name): \(Config.daemonNameRule)")
        }
    }

    func run() async throws {
        let logger = Setup.logger(common, format: logFormat, defaultLevel: .info)
        var config = try Setup.config(common)
        if !watch.isEmpty {
            config.watch = watch
            config.watchFromCommandLine = true
        }
        if let name { config.daemonName = name }
        let daemon: Service.Daemon
        do {
            daemon = try Service.Daemon(config: config, configPath: common.config, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error.description)"])
            throw ExitCode(2)
        }
        let status = daemon.run()
        if status != 0 { throw ExitCode(status) }
    }
}
