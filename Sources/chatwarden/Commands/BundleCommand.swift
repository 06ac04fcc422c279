import Alerts
import ArgumentParser
import Config
import Evidence
import Foundation
import Store
import Support
import Vocabulary

/// `chatwarden bundle --alert ID… --out FILE.zip` and `chatwarden bundle verify FILE.zip`.
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Evidence bundles: alerts with their conversations, trail and chain links in one verifiable ZIP.",
        discussion: """
            A bundle holds, for each alert: the alert, the messages around it, its review trail and \
            who viewed it, its links of the evidence chain with the chain's head, the rule files in \
            force, and manifest.json with the SHA-256 of every other file. `bundle verify` fails on \
            any changed byte, added or missing file. The manifest's own SHA-256 is printed and kept \
            in the store's chained access log. Files are written 0640.
            """,
        subcommands: [Create.self, Verify.self],
        defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a bundle of alerts.")
        @OptionGroup var common: CommonOptions
        @Option(
            name: .customLong("alert"),
            help: ArgumentHelp("An alert id (or its first 6+ digits); repeatable.", valueName: "id"))
        var alerts: [String] = []
        @Option(
            name: .customLong("case"),
            help: ArgumentHelp(
                "Every alert of a named case (chatwarden hold add --case NAME --alert ID…).", valueName: "name"))
        var caseName: String?
        @Option(help: ArgumentHelp("Where to write the bundle (a .zip file).", valueName: "file"))
        var out: String
        @Option(help: "Messages of context before and after each alert.")
        var context: Int = 20

        func validate() throws {
            if alerts.isEmpty == (caseName == nil) {
                throw ValidationError("name the alerts: --alert ID (repeatable), or --case NAME")
            }
            if !(0...500).contains(context) { throw ValidationError("--context must be between 0 and 500") }
        }

        func run() async throws {
            let config = try Setup.config(common)
            let store = try Setup.store(common)
            var found: [StoredAlert] = []
            var ids = alerts
            if let caseName {
                ids = try store.caseAlerts(caseName)
                if ids.isEmpty {
                    Terminal.error(
                        "chatwarden: no case '\(Terminal.escape(caseName))' (chatwarden hold list shows the cases)")
                    throw ExitCode(1)
                }
            }
            for id in ids {
                let stored = try AlertLookup.find(id, in: store)
                if !found.contains(where: { $0.alert.id == stored.alert.id }) { found.append(stored) }
            }
            let contents: EvidenceBundle.Contents
            do {
                contents = try EvidenceBundle.write(
                    alerts: found, store: store, context: context, rules: EvidenceBundle.ruleFiles(config.wordlists),
                    createdBy: Identity.osUser(), version: Chatwarden.version, case: caseName, to: out)
            } catch {
                Terminal.error("chatwarden: \(error)")
                throw ExitCode(1)
            }
            let l = Setup.language
            print(
                l.pick(
                    "已写入 \(out)：\(contents.alerts.count) 条告警，\(contents.files.count) 个文件",
                    "wrote \(out): \(contents.alerts.count) alert(s), \(contents.files.count) file(s)"))
            print("manifest sha256 \(contents.manifestHash)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle: every file against the manifest (exit 1 on any difference).")
        @Argument(help: "The bundle (.zip).") var file: String

        func run() async throws {
            let result = EvidenceBundle.verify(file)
            let l = Setup.language
            if !result.manifestHash.isEmpty { print("manifest sha256 \(result.manifestHash)") }
            if result.intact {
                print(l.pick("完好：\(result.files) 个文件与清单一致", "intact: \(result.files) file(s) match the manifest"))
                return
            }
            print(l.pick("已损坏：\(result.problems.count) 处问题", "BROKEN: \(result.problems.count) problem(s)"))
            for problem in result.problems { print("  " + problem) }
            throw ExitCode(1)
        }
    }
}
