import ArgumentParser
import Foundation
import Config
import Media
import Pipeline
import Store
import Support

/// `chatwarden media inspect | run | status`: the image path (issue 21).
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Images: decode the QR codes in image files and say what they lead to.",
        subcommands: [Inspect.self, Run.self, Status.self, Helper.self],
        defaultSubcommand: Inspect.self)

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode the QR codes and read the text of image files (PNG, JPEG, GIF, BMP, TIFF, WebP).",
            discussion: """
                Each file is read under limits (--max-bytes, --max-pixels: larger images are skipped \
                with the reason, before any decoding) and scanned for QR codes; each payload is \
                classified: wechat-contact, wechat-group, wechat-pay, alipay, wecom-contact, url or \
                text. Then its text is read (Tesseract, --languages, stopped after --ocr-seconds) \
                and printed line by line with each line's box (x,y,width,height) and confidence; \
                --no-ocr skips it. This is what the image path reads before the detectors; `rules \
                test` shows what they make of a text. Exit status 1 when a code was found, 0 when \
                none, 2 on bad usage.
                """)
        @Option(help: "Skip files larger than this many bytes.") var maxBytes: Int = 20 << 20
        @Option(help: "Skip images with more pixels than this.") var maxPixels: Int = 40_000_000
        @Flag(help: "Do not read the text of the images.") var noOcr = false
        @Option(help: "Tesseract's languages.") var languages = "chi_sim+eng"
        @Option(help: "Stop reading an image's text after this many seconds.") var ocrSeconds = 10
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        @Argument(help: "Image files.") var files: [String]

        func run() async throws {
            let examiner = ImageExaminer()
            if !noOcr, case .failure(let problem) = examiner.recognizer(languages: languages, tessdata: nil) {
                throw BadUsage("\(problem.description) (or --no-ocr for QR codes only)")
            }
            var found = false
            for file in files {
                // The image path's own examination, in this process, every line kept.
                let report = examiner.examine(
                    ImageRequest(
                        path: file, limits: ImageLimits(maxBytes: maxBytes, maxPixels: maxPixels), ocr: !noOcr,
                        languages: languages, ocrMilliseconds: ocrSeconds * 1000, minConfidence: 0))
                found = found || !report.codes.isEmpty
                if format == .json {
                    var fields: [(String, JSONValue)] = [("file", .string(file))]
                    if let hash = report.sha256 { fields.append(("sha256", .string(hash))) }
                    if let problem = report.problem {
                        fields.append(("skipped", .string(problem)))
                    } else {
                        fields.append(
                            (
                                "codes",
                                .array(
                                    report.codes.map {
                                        .object([
                                            ("kind", .string($0.kind.rawValue)), ("payload", .string($0.payload)),
                                            ("box", .string($0.box)),
                                        ])
                                    })
                            ))
                    }
                    if let text = report.text {
                        fields.append(
                            (
                                "lines",
                                .array(
                                    text.lines.map {
                                        .object([
                                            ("text", .string($0.text)), ("box", .string($0.box.description)),
                                            ("confidence", .integer(Int64($0.confidence))),
                                        ])
                                    })
                            ))
                        fields.append(("stopped_at_deadline", .bool(text.stoppedAtDeadline)))
                    }
                    print(JSONValue.object(fields).jsonText)
                    continue
                }
                let name = Terminal.escape(file)
                if let problem = report.problem {
                    print("\(name): skipped: \(problem)")
                    continue
                }
                if report.codes.isEmpty { print("\(name): no QR code") }
                for code in report.codes {
                    print("\(name): \(code.kind.rawValue)  \(Terminal.escape(code.payload))  at \(code.box)")
                }
                if let text = report.text {
                    print("\(name): \(text.lines.count) line(s) of text")
                    for line in text.lines {
                        print("  \(line.box)  \(line.confidence)%  \(Terminal.escape(line.text))")
                    }
                    if text.stoppedAtDeadline { print("  (stopped after \(ocrSeconds) s)") }
                }
            }
            if found { throw ExitCode(1) }
        }
    }
}

extension MediaCommand {
    /// Works through the image messages waiting for the image path (the daemon does this on its
    /// own worker; this is for stores filled by `scan`).
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work through the image messages waiting for the image path ([media] dir), once.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try Setup.config(common)
            guard config.media.directory != nil else {
                throw BadUsage("[media] dir is not set: the image path does not know where the images are")
            }
            let pipeline = try Setup.pipeline(config, logger: Setup.logger(common), reason: "media")
            let workspace = ImageWorkspace()
            var total = MediaRun()
            while true {
                let run = try pipeline.processMedia(limit: 50, workspace: workspace)
                total.done += run.done
                total.missing += run.missing
                total.skipped += run.skipped
                total.alerts += run.alerts
                if run.done + run.missing + run.skipped == 0 { break }
                if run.done + run.skipped == 0 { break }  // only missing files left: they wait for their retry
            }
            if let problem = workspace.textProblem {
                FileHandle.standardError.write(
                    Data("chatwarden: warning: text in images was not read: \(problem); QR codes were\n".utf8))
            }
            print(
                "images: \(total.done) examined, \(total.alerts) new alert(s), \(total.missing) not found yet (retried later), \(total.skipped) skipped"
            )
            if total.alerts > 0 { throw ExitCode(1) }
        }
    }

    /// The image path's backlog.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Image messages by state (pending, missing, done, skipped); the latest skipped and missing with their reasons."
        )
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let store = try Setup.store(common)
            let counts = try store.mediaJobCounts()
            for state in ["pending", "missing", "done", "skipped"] { print("\(state): \(counts[state] ?? 0)") }
            // Why: the latest images skipped and not found, each with its reason.
            for state in ["skipped", "missing"] where (counts[state] ?? 0) > 0 {
                let jobs = try store.mediaJobs(status: state, limit: 10)
                print("\nlatest \(state) (\(jobs.count) of \(counts[state] ?? 0)):")
                for job in jobs {
                    let place = job.path.isEmpty ? "" : "  " + Terminal.escape(job.path)
                    print("  \(job.msgid)\(place): \(Terminal.escape(job.reason))")
                }
            }
        }
    }
}

extension MediaCommand {
    /// The image decoder's own process (``IsolatedImageExaminer``): JSON requests in on standard
    /// input, JSON reports out, one line each, until standard input closes. Not for people.
    struct Helper: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The image path's decoder process (started by the daemon and `media run`).",
            shouldDisplay: false)

        func run() throws {
            let examiner = ImageExaminer()
            let encoder = JSONEncoder()
            while let line = readLine(strippingNewline: true) {
                let report: ImageReport
                if let request = try? JSONDecoder().decode(ImageRequest.self, from: Data(line.utf8)) {
                    report = examiner.examine(request)
                } else {
                    report = ImageReport(problem: "the image decoder got a request it cannot read")
                }
                FileHandle.standardOutput.write(try encoder.encode(report) + Data([0x0A]))
            }
        }
    }
}
