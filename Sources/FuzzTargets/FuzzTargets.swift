import Archive
import Detect
import Media
import Normalize
import Pipeline
import Rules
import PCRE2
import Config

/// What the fuzzers run, one function per input kind; also replayed by the test suite over the
/// kept corpus and every crash ever found (`Fuzz/Corpus`, `Fuzz/Crashes`), so a crash once found
/// stays fixed.
///
/// Each function checks the invariants its code promises (not only "does not crash"): a
/// violated invariant is a `precondition` failure, which the fuzzer reports as a crash.
public enum FuzzTargets {
    /// The archive decoder: any bytes decode or fail with a reason; a decoded message has an id.
    public static func decoder(_ bytes: UnsafeBufferPointer<UInt8>) {
        let position = SourcePosition(file: "fuzz", line: 1, offset: 0, length: bytes.count)
        switch WeComDecoder().decode(bytes, at: position) {
        case .success(let message):
            precondition(!message.msgid.isEmpty, "decoded a message without an id")
            _ = message.scannableText
            _ = message.conversationKey
        case .failure(let error):
            precondition(!error.reason.isEmpty, "a failure without a reason")
            if let column = error.column {
                precondition(column >= 1 && column <= bytes.count + 1, "column out of the line")
            }
        }
        _ = MappedDecoder(mapping: FieldMapping()).decode(bytes, at: position)
    }

    /// Normalisation and detection on any text: maps stay inside the original, evidence is a
    /// slice of the original, the streaming pass agrees with the materialised dense view.
    public static func normalizer(_ bytes: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        let normalized = Normalizer.standard.normalize(text)
        let originalCount = text.utf8.count
        for view in [normalized.light, normalized.dense] {
            precondition(view.originalStart.count == view.utf8.count && view.originalEnd.count == view.utf8.count)
            for i in 0..<view.utf8.count {
                precondition(
                    view.originalStart[i] >= 0 && view.originalEnd[i] <= originalCount, "map outside the original")
                precondition(view.originalStart[i] <= view.originalEnd[i], "inverted map")
                if i > 0 { precondition(view.originalStart[i - 1] <= view.originalStart[i], "map not monotone") }
            }
            precondition(String(validating: view.utf8, as: UTF8.self) != nil, "normalised text is not UTF-8")
        }
        var copy = text
        copy.withUTF8 { utf8 in
            let (codes, clues) = scannedCodes(utf8)
            let expected = normalized.dense.text.unicodeScalars.map { scalarCode($0.value) }
            precondition(withoutRepeatedZeros(codes) == withoutRepeatedZeros(expected), "scanned dense view differs")
            let buffers = NormalizationBuffers()
            let pass = Normalizer.standard.normalize(utf8: utf8, into: buffers, light: true, dense: true)
            precondition(clues == pass.clues, "scanned clues differ")
        }
        let detection = detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: DetectorScratch())
        for finding in detection.findings where !finding.limitReached {
            precondition(
                finding.range.lowerBound >= 0 && finding.range.upperBound <= originalCount, "evidence outside the text")
            precondition(
                finding.matched == String(decoding: Array(text.utf8)[finding.range], as: UTF8.self),
                "evidence is not the original")
        }
    }

    /// A code table that numbers every BMP character by its own value (supplementary ones get 0),
    /// so the wordlist scan can be compared with the dense view it streams.
    static let identityCodes = DenseCodeTable(normalizer: .standard, code: { scalarCode($0) }, trigger: { _ in false })

    static func scalarCode(_ value: UInt32) -> UInt16 { value < 0xFFFF ? UInt16(value) : 0 }

    /// The codes of the dense characters `scanDense` reports (repeats left out) and its clues.
    static func scannedCodes(_ utf8: UnsafeBufferPointer<UInt8>) -> ([UInt16], Clues) {
        var sink = CodeCollector()
        let summary = Normalizer.standard.scanDense(utf8: utf8, table: identityCodes, into: &sink)
        return (sink.codes, summary.clues)
    }

    struct CodeCollector: DenseSink {
        var codes: [UInt16] = []
        mutating func character(_ code: Int, start: Int32, end: Int32) { codes.append(UInt16(code)) }
        mutating func repeatOfLast(end: Int32) {}
    }

    /// Code 0 characters are never reported as repeats, while the dense view collapses them:
    /// compare with runs of 0 taken as one.
    static func withoutRepeatedZeros(_ codes: [UInt16]) -> [UInt16] {
        var result: [UInt16] = []
        for code in codes where !(code == 0 && result.last == 0) { result.append(code) }
        return result
    }

    /// The wordlist loader: any file loads with diagnostics at real lines, never a crash.
    public static func wordlist(_ bytes: UnsafeBufferPointer<UInt8>) {
        var set = RuleSet()
        WordlistLoader(limits: .init(matchLimit: 10_000)).load(bytes: Array(bytes), file: "fuzz.txt", into: &set)
        let lines = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        for d in set.diagnostics {
            precondition(
                d.location.line >= 1 && d.location.line <= lines, "diagnostic at line \(d.location.line) of \(lines)")
        }
        for w in set.words { precondition(!w.dense.isEmpty) }
        _ = LexiconImport.parse(bytes: Array(bytes), file: "fuzz.txt", tags: nil)
    }

    /// The image path (issue 21): any bytes are decoded under the limits or refused with a reason;
    /// a decoded image is scanned for QR codes, whose payloads are classified, and its text is
    /// read (under a short deadline, so the fuzzer keeps its pace) into lines inside the image.
    public static func image(_ bytes: UnsafeBufferPointer<UInt8>) {
        let limits = ImageLimits(maxBytes: 4 << 20, maxPixels: 4_000_000)
        guard let image = try? ImageReader.read(bytes: Array(bytes), limits: limits) else { return }
        precondition(image.pixels.count == image.width * image.height)
        precondition(image.width * image.height <= limits.maxPixels)
        for code in QRDecoder.decode(image) { _ = code.kind }
        guard image.width * image.height <= 1_000_000, let reader = try? textReader.get() else { return }
        let read = reader.read(image, milliseconds: 200, minConfidence: 0)
        for line in read.lines {
            precondition(line.box.x >= 0 && line.box.y >= 0 && line.box.width >= 0 && line.box.height >= 0)
            precondition(line.box.x + line.box.width <= image.width && line.box.y + line.box.height <= image.height)
            precondition(!line.text.isEmpty && line.text.utf8.count < 1 << 20)
        }
        _ = read.boxes(utf8: 0..<read.text.utf8.count)
    }

    /// Tesseract's models, loaded once for the whole run (libFuzzer calls on one thread).
    nonisolated(unsafe) static let textReader = Result { () throws(OCRUnavailable) in try TextRecognizer() }

    /// The configuration loader: any text parses or fails with a place, never a crash.
    public static func config(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") else { return }
        do {
            _ = try Config.parse(text, file: "fuzz.toml")
        } catch {
            precondition(error.line >= 0)
        }
    }

    /// The shipped rules plus every detector (built once).
    static let detector: ContentDetector = {
        var set = RuleSet()
        WordlistLoader().load(
            bytes: Array("@id fuzz\n加微信\n傻逼\nsb\n第一\nallow:第一次\nre:转(?:到|给)?我\n@view dense\n".utf8), file: "fuzz.txt",
            into: &set)
        return ContentDetector(rules: set, detectors: (try? ContactDetectors.make()) ?? [])
    }()
}
