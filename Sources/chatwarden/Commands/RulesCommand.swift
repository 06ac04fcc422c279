import ArgumentParser
import Archive
import Detect
import Logging
import Normalize
import Pipeline
import Rules
import PCRE2
import Alerts
import Config
import Vocabulary
import Ingest
import Support

/// `chatwarden rules check | test | import`.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Validate rules, explain what a text triggers, import wordlists.",
        subcommands: [Check.self, Test.self, Import.self, History.self, Diff.self, Effectiveness.self]
    )

    /// `rules check`: load every wordlist and detector and report problems with file:line:column.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate wordlists, patterns and detectors.",
            discussion: "Exit status: 0 when there are no errors (warnings are printed), 1 when there are errors.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try Setup.config(common)
            let loader = WordlistLoader(normalizer: .standard, limits: config.limits, jit: config.jitMode)
            let rules = loader.load(paths: config.wordlists)
            for diagnostic in rules.diagnostics {
                print(Terminal.escape(diagnostic.description))
            }
            if let problem = Pipeline.noWordsProblem(rules, config) {
                Terminal.error("chatwarden: \(problem)")
                throw ExitCode(2)
            }
            var detectorCount = 0
            do {
                detectorCount = try ContactDetectors.make(
                    ids: config.detectors, limits: config.limits, jit: config.jitMode
                ).count
            } catch {
                print("built-in detectors: error: \(error)")
                throw ExitCode(1)
            }
            let jitNote =
                rules.patterns.contains { !$0.regex.isJITCompiled } && config.jit
                ? " (some patterns run without the JIT: \(rules.patterns.first { !$0.regex.isJITCompiled }?.regex.jitFailureReason ?? "disabled"))"
                : ""
            print(
                """
                \(rules.categories.count) categories, \(rules.words.count) words, \(rules.patterns.count) patterns, \
                \(rules.allows.count) allowed phrases from \(config.wordlists.joined(separator: ", ")); \
                \(detectorCount) contact detectors\(jitNote)
                """)
            if !Normalizer.standard.hasTraditionalToSimplified {
                print(
                    "warning: OpenCC's t2s dictionary was not found (install libopencc-data): traditional characters are not folded"
                )
            }
            print("\(rules.errors.count) error(s), \(rules.warnings.count) warning(s)")
            if !rules.errors.isEmpty { throw ExitCode(1) }
        }
    }

    /// `rules test TEXT` / `rules test --file F`: show every hit and why.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a text (or each line of a file) would trigger, and why.",
            discussion: """
                Prints every hit: rule, category, severity, the original span, the normalised form \
                the rule saw, where the rule is written, and for allowed phrases whether they \
                applied. With --file, each line is either an archive record, run in order through \
                the pipeline itself (the batch path of the daemon and `scan`, with the rules over \
                time, on a store in memory that is gone afterwards; with --format json every alert \
                the record raised is printed too, as `scan` records it), or plain text.
                Exit status: 0 nothing triggered, 1 something triggered.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "Test as if sent by: any, staff or customer.")
        var sender: String = "any"

        @Option(help: "Test as if in: any, group or private.")
        var chat: String = "any"

        @Option(name: .long, help: ArgumentHelp("Test each line of this file.", valueName: "file"))
        var file: String?

        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table

        @Argument(help: "Text to test.")
        var text: String?

        func validate() throws {
            if text == nil && file == nil { throw ValidationError("give a TEXT or --file FILE") }
            if SenderScope(rawValue: sender) == nil { throw ValidationError("--sender must be any, staff or customer") }
            if ChatScope(rawValue: chat) == nil { throw ValidationError("--chat must be any, group or private") }
        }

        func run() async throws {
            let logger = Setup.logger(common)
            let config = try Setup.config(common)
            let detector: ContentDetector
            do {
                (_, detector) = try Pipeline.compileRules(config: config, logger: logger)
            } catch {
                Terminal.error("chatwarden: \(error)")
                throw ExitCode(2)
            }
            let senderKind: ParticipantKind? = sender == "any" ? nil : (sender == "staff" ? .staff : .customer)
            let isGroup: Bool? = chat == "any" ? nil : chat == "group"
            let scratch = DetectorScratch(keepNormalized: true)
            var triggered = false
            if let text {
                let detection = detector.detect(text: text, senderKind: senderKind, isGroup: isGroup, scratch: scratch)
                triggered = !detection.findings.isEmpty
                Explain.print(detection, label: "", text: text, format: format)
            }
            if let file {
                guard let data = FileText.read(file) else {
                    Terminal.error("chatwarden: \(file): cannot read")
                    throw ExitCode(1)
                }
                if try replay(
                    data, file: file, config: config, logger: logger, senderKind: senderKind, isGroup: isGroup)
                {
                    triggered = true
                }
            }
            if triggered { throw ExitCode(1) }
        }

        /// Each line of a file in order: archive records go through the pipeline itself (the
        /// same batch path as the daemon and `scan`, on a store in memory, with rules over time
        /// in a state of their own), plain text through content detection. True if anything fired.
        func replay(
            _ data: String, file: String, config: Config, logger: Logger, senderKind: ParticipantKind?, isGroup: Bool?
        ) throws -> Bool {
            let pipeline = try Setup.inMemoryPipeline(config, logger: logger)
            let windows = WindowStrategy.local(WindowEngine(settings: config.windows), persist: false)
            let scratch = DetectorScratch(keepNormalized: true)
            var triggered = false
            var offset: Int64 = 0
            for (index, line) in data.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                defer { offset += Int64(line.utf8.count) + 1 }
                if line.isEmpty { continue }
                let position = SourcePosition(file: file, line: index + 1, offset: offset, length: line.utf8.count)
                guard line.hasPrefix("{"), case .success = pipeline.decoder.decode(String(line), at: position) else {
                    let detection = pipeline.detector.detect(
                        text: String(line), senderKind: senderKind, isGroup: isGroup, scratch: scratch)
                    if !detection.findings.isEmpty { triggered = true }
                    Explain.print(detection, label: "\(file):\(index + 1)", text: String(line), format: format)
                    continue
                }
                let source = SourceBatch(lines: [RawLine(bytes: Array(line.utf8), position: position)])
                let batch = try pipeline.process(source, windows: windows, scratch: scratch, explain: true)
                for item in batch.examined {
                    let message = item.message
                    if !item.alerts.isEmpty || !item.windowAlerts.isEmpty { triggered = true }
                    let label =
                        "\(file):\(index + 1) \(message.msgid) \(TimeFormat.local(milliseconds: message.msgtime)) \(message.from)"
                    if let detection = item.detection {
                        Explain.print(detection, label: label, text: message.scannableText, format: format)
                    }
                    Explain.printSplits(item.splitAlerts, label: label, format: format)
                    Explain.printWindows(item.windowAlerts, label: label, message: message, format: format)
                    if format == .json {
                        // Every alert the record raised, exactly as `scan` and the daemon record it.
                        for alert in item.alerts + item.windowAlerts {
                            print(
                                alert.jsonObject(extra: [("kind", .string("alert")), ("input", .string(label))])
                                    .jsonText)
                        }
                    }
                }
            }
            return triggered
        }
    }

    /// `rules import --category C FILE`: turn a third-party lexicon into a wordlist file.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a lexicon (one word per line, or `word tag[,tag]`) as a wordlist file.",
            discussion: """
                Writes <dir>/<category>.txt with a header (@id, @title, @severity, @action) and \
                one entry per word. Lines holding control characters, invalid UTF-8 or nothing \
                but punctuation are skipped with a warning naming file:line. With --tags, \
                only lines whose tags include one of them are taken (for the houbb format \
                `word 0,3`).
                """)

        @Option(help: "Category id of the new wordlist (letters, digits, - _ .).")
        var category: String

        @Option(help: "Title for reviewers (default: the category id).")
        var title: String?

        @Option(help: "Severity: low, medium, high or critical.")
        var severity: String = "medium"

        @Option(help: "What a reviewer should do about a hit.")
        var action: String = ""

        @Option(help: "Take only lines with one of these comma-separated tags (`word tag[,tag]` format).")
        var tags: String?

        @Option(help: ArgumentHelp("Directory to write the wordlist into.", valueName: "dir"))
        var output: String = "wordlists"

        @Flag(help: "Replace an existing wordlist file of that category.")
        var force = false

        @Argument(help: ArgumentHelp("The lexicon file.", valueName: "file"))
        var file: String

        func validate() throws {
            guard Severity(rawValue: severity) != nil else {
                throw ValidationError("--severity must be low, medium, high or critical")
            }
            guard !category.isEmpty,
                category.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            else {
                throw ValidationError("--category must be ASCII letters, digits, '-', '_' or '.'")
            }
        }

        func run() async throws {
            let wanted = tags.map { Set($0.split(separator: ",").map { String($0).trimmingSpaces() }) }
            let result: LexiconImport.Result
            do {
                result = try LexiconImport.run(
                    file: file, category: category, title: title ?? category, severity: Severity(rawValue: severity)!,
                    action: action, tags: wanted, directory: output, replace: force)
            } catch {
                Terminal.error("chatwarden: \(error)")
                throw ExitCode(1)
            }
            for warning in result.warnings.prefix(50) { Terminal.error(Terminal.escape(warning)) }
            if result.warnings.count > 50 { Terminal.error("... and \(result.warnings.count - 50) more warnings") }
            print(
                "wrote \(result.path): \(result.words) words (\(result.duplicates) duplicates and \(result.warnings.count) bad lines skipped)"
            )
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
