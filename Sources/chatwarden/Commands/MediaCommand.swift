import ArgumentParser
import Media
import Support

/// `chatwarden media inspect FILE...`: what the image path sees in image files (issue 21, first
/// part: reading images under limits and decoding QR codes; the pipeline does not run it yet).
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Images: decode the QR codes in image files and say what they lead to.",
        subcommands: [Inspect.self],
        defaultSubcommand: Inspect.self)

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode the QR codes of image files (PNG, JPEG, GIF, BMP, TIFF, WebP).",
            discussion: """
                Each file is read under limits (--max-bytes, --max-pixels: larger images are skipped \
                with the reason, before any decoding) and scanned for QR codes; each payload is \
                classified: wechat-contact, wechat-group, wechat-pay, alipay, wecom-contact, url or \
                text. Exit status 1 when a code was found, 0 when none, 2 on bad usage.
                """)
        @Option(help: "Skip files larger than this many bytes.") var maxBytes: Int = 20 << 20
        @Option(help: "Skip images with more pixels than this.") var maxPixels: Int = 40_000_000
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        @Argument(help: "Image files.") var files: [String]

        func run() async throws {
            let limits = ImageLimits(maxBytes: maxBytes, maxPixels: maxPixels)
            var found = false
            for file in files {
                do {
                    let codes = QRDecoder.decode(try ImageReader.read(file, limits: limits))
                    found = found || !codes.isEmpty
                    if format == .json {
                        print(
                            JSONValue.object([
                                ("file", .string(file)),
                                (
                                    "codes",
                                    .array(
                                        codes.map {
                                            .object([
                                                ("kind", .string($0.kind.rawValue)), ("payload", .string($0.payload)),
                                                ("box", .string($0.box)),
                                            ])
                                        })
                                ),
                            ]).jsonText)
                    } else if codes.isEmpty {
                        print("\(Terminal.escape(file)): no QR code")
                    } else {
                        for code in codes {
                            print(
                                "\(Terminal.escape(file)): \(code.kind.rawValue)  \(Terminal.escape(code.payload))  at \(code.box)"
                            )
                        }
                    }
                } catch {
                    if format == .json {
                        print(
                            JSONValue.object([("file", .string(file)), ("skipped", .string(error.description))])
                                .jsonText)
                    } else {
                        print("\(Terminal.escape(file)): skipped: \(error.description)")
                    }
                }
            }
            if found { throw ExitCode(1) }
        }
    }
}
