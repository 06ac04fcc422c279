import ArgumentParser
import Config
import Console
import Logging
import Store
import Vocabulary

/// `chatwarden web`: the review console.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the review console (Chinese by default) for compliance staff in a browser.",
        discussion: """
            Listens on [web] listen (default 127.0.0.1:8480, loopback): put the company's reverse \
            proxy in front of it for TLS (it should set X-Forwarded-Proto and X-Forwarded-For; \
            cookies are then marked Secure). Accounts come from `chatwarden users add`; with none, \
            the console refuses to start. Reviewers see the staff groups of [groups.NAME] that name \
            them; supervisors, admins and auditors see everything.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Listen here instead of [web] listen (HOST:PORT).", valueName: "host:port"))
    var listen: String?

    func run() async throws {
        var config = try Setup.config(common)
        if let listen { config.review.listen = listen }
        let logger = Setup.logger(common, defaultLevel: .info)
        let store = try Setup.store(common)
        let accounts = try store.accounts().filter { !$0.disabled }
        if accounts.isEmpty {
            Terminal.error(
                "chatwarden: no accounts yet: add one first, e.g. `chatwarden users add admin --role admin` (then sign in as admin and add the others)"
            )
            throw ExitCode(2)
        }
        let reviewersWithoutGroups = accounts.filter {
            $0.role == .reviewer && config.review.staffCovered(by: $0.name).isEmpty
        }
        for reviewer in reviewersWithoutGroups {
            logger.warning(
                "reviewer \(reviewer.name) covers no staff group ([groups.NAME] reviewers): they will see no alerts")
        }
        let labels = try Setup.labels(config, language: .zh)
        let server = ConsoleServer(
            desk: Desk(store: store, settings: config.review, labels: labels), logger: logger,
            wordlists: config.wordlists, version: Chatwarden.version)
        let listen = config.review.listen
        try await server.run { port in
            logger.info(
                "console listening on http://\(listen.split(separator: ":").dropLast().joined(separator: ":")):\(port)/"
            )
        }
    }
}
