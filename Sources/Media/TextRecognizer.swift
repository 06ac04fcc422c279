import CTesseract
import Foundation

/// A rectangle in an image, in pixels from the top-left corner.
public struct ImageBox: Codable, Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `x,y,w,h`, the form QR codes' boxes are written in.
    public var description: String { "\(x),\(y),\(width),\(height)" }
}

/// A line of text read in an image, where it is, and how sure the reader was (0–100).
public struct TextLine: Codable, Sendable, Equatable {
    public var text: String
    public var box: ImageBox
    public var confidence: Int

    public init(text: String, box: ImageBox, confidence: Int) {
        self.text = text
        self.box = box
        self.confidence = confidence
    }
}

/// The text of an image, line by line.
public struct ImageText: Codable, Sendable, Equatable {
    public var lines: [TextLine]
    /// Recognition was stopped at its time limit: the lines are those read before it.
    public var stoppedAtDeadline: Bool
    /// Lines dropped because the reader was less sure of them than the minimum.
    public var unsureLines: Int

    public init(lines: [TextLine], stoppedAtDeadline: Bool = false, unsureLines: Int = 0) {
        self.lines = lines
        self.stoppedAtDeadline = stoppedAtDeadline
        self.unsureLines = unsureLines
    }

    /// The lines joined by newlines: what the detectors read.
    public var text: String { lines.map(\.text).joined(separator: "\n") }

    /// The boxes of the lines that a UTF-8 byte range of `text` touches (a finding may run over
    /// a line break: a phone number split over two lines of a screenshot).
    public func boxes(utf8 range: Range<Int>) -> [ImageBox] {
        var start = 0
        var touched: [ImageBox] = []
        for line in lines {
            let end = start + line.text.utf8.count
            if range.lowerBound < end + 1 && range.upperBound > start { touched.append(line.box) }
            start = end + 1
        }
        return touched
    }
}

/// Why text cannot be read from images on this machine.
public struct OCRUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Text in images through Tesseract (Debian's libtesseract with its simplified-Chinese data).
///
/// A recogniser holds the loaded language models (a few hundred milliseconds to load, tens of
/// megabytes), so each worker thread keeps one and reuses it; it is not shared between threads
/// (Tesseract's engine is not thread-safe). Each `read` has a deadline, enforced by Tesseract's
/// own monitor, which stops recognition between words.
public final class TextRecognizer {
    private let handle: OpaquePointer
    public let languages: String

    /// Loads `languages` (Tesseract's `chi_sim+eng` form) from `dataPath`, or from the
    /// system's tessdata directory when nil.
    public init(languages: String = "chi_sim+eng", dataPath: String? = nil) throws(OCRUnavailable) {
        for language in languages.split(separator: "+") where !language.allSatisfy({ $0.isLetter || $0 == "_" }) {
            throw OCRUnavailable(description: "'\(languages)' is not a list of Tesseract languages (chi_sim+eng)")
        }
        Self.oneThread
        guard let api = TessBaseAPICreate() else { throw OCRUnavailable(description: "Tesseract cannot start") }
        // Tesseract writes its progress and warnings ("Estimating resolution as …") to standard
        // error; the daemon's log is for the daemon. Problems come back as values instead.
        _ = TessBaseAPISetVariable(api, "debug_file", "/dev/null")
        guard TessBaseAPIInit3(api, dataPath, languages) == 0 else {
            TessBaseAPIDelete(api)
            let place = dataPath ?? "the system's tessdata directory"
            throw OCRUnavailable(
                description:
                    "Tesseract has no data for '\(languages)' in \(place) (Debian: apt-get install tesseract-ocr-chi-sim tesseract-ocr-eng)"
            )
        }
        TessBaseAPISetPageSegMode(api, PSM_AUTO)
        // Sauvola's local threshold instead of one Otsu threshold for the whole image: a chat
        // screenshot has a grey background, white and green bubbles and dark text, and a single
        // threshold between the grey and the green turns the green bubbles black, their text
        // with them (the tests' bubble screenshots lose every green line under Otsu).
        _ = TessBaseAPISetVariable(api, "thresholding_method", "2")
        handle = api
        self.languages = languages
    }

    /// Debian's libtesseract is built with OpenMP, whose parallel loops, on a machine of two
    /// cores shared with the ingest loop, run several times slower than one thread (a page of
    /// 60 lines: 25 s against 3.7 s): OpenMP's parallel regions are turned off, process-wide
    /// (only Tesseract uses OpenMP here). Looked up at run time, since libgomp comes with
    /// libtesseract when it is built that way and is absent otherwise.
    static let oneThread: Void = {
        typealias SetLevels = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_max_active_levels") else { return }
        unsafeBitCast(symbol, to: SetLevels.self)(0)
    }()

    deinit {
        TessBaseAPIEnd(handle)
        TessBaseAPIDelete(handle)
    }

    /// Reads the text of `image`, stopping after `milliseconds`; lines the reader is less than
    /// `minConfidence` sure of (the noise a photograph makes) are dropped and counted.
    ///
    /// Tesseract's deadline covers recognition, not the page layout analysis before it, whose
    /// time grows with the pixels: an image above `maxPixels` is read from a copy scaled down to
    /// that size (text large enough to matter in so large an image stays readable), and the
    /// lines' boxes are given in the original image's pixels.
    public func read(
        _ image: GrayImage, milliseconds: Int, minConfidence: Int = 30, maxPixels: Int = 8_000_000
    ) -> ImageText {
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height else {
            return ImageText(lines: [])
        }
        defer { TessBaseAPIClear(handle) }
        let scale = min(1, (Double(max(1, maxPixels)) / Double(image.width * image.height)).squareRoot())
        let image = Self.darkOnLight(scale < 1 ? image.scaled(by: scale) : image)
        image.pixels.withUnsafeBufferPointer {
            // Tesseract copies the pixels into an image of its own.
            TessBaseAPISetImage(handle, $0.baseAddress, Int32(image.width), Int32(image.height), 1, Int32(image.width))
        }
        guard let monitor = TessMonitorCreate() else { return ImageText(lines: []) }
        defer { TessMonitorDelete(monitor) }
        TessMonitorSetDeadlineMSecs(monitor, Int32(clamping: max(1, milliseconds)))
        let started = DispatchTime.now().uptimeNanoseconds
        let status = TessBaseAPIRecognize(handle, monitor)
        let elapsed = Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
        // A failed or stopped recognition still leaves the words read before it.
        var result = ImageText(lines: [], stoppedAtDeadline: status != 0 && elapsed >= milliseconds)
        guard let iterator = TessBaseAPIGetIterator(handle) else { return result }
        defer { TessResultIteratorDelete(iterator) }
        let page = TessResultIteratorGetPageIterator(iterator)
        repeat {
            guard let raw = TessResultIteratorGetUTF8Text(iterator, RIL_TEXTLINE) else { continue }
            let text = Self.tidy(String(cString: raw))
            TessDeleteText(raw)
            guard !text.isEmpty else { continue }
            var left: Int32 = 0, top: Int32 = 0, right: Int32 = 0, bottom: Int32 = 0
            _ = TessPageIteratorBoundingBox(page, RIL_TEXTLINE, &left, &top, &right, &bottom)
            let confidence = Int(TessResultIteratorConfidence(iterator, RIL_TEXTLINE).rounded())
            guard confidence >= minConfidence else {
                result.unsureLines += 1
                continue
            }
            result.lines.append(
                TextLine(
                    text: text,
                    box: ImageBox(
                        x: Int(Double(left) / scale), y: Int(Double(top) / scale),
                        width: Int(Double(right - left) / scale), height: Int(Double(bottom - top) / scale)),
                    confidence: confidence))
        } while TessResultIteratorNext(iterator, RIL_TEXTLINE) != 0
        return result
    }

    /// The image with dark text on a light ground, as Tesseract's layout analysis expects: a
    /// screenshot of a phone in dark mode (light text on a near-black ground) is inverted when
    /// most of its pixels are dark. Without it Tesseract takes the dark page for a picture and
    /// reads nothing on most dark-mode screenshots.
    static func darkOnLight(_ image: GrayImage) -> GrayImage {
        var histogram = [Int](repeating: 0, count: 256)
        for pixel in image.pixels { histogram[Int(pixel)] += 1 }
        var seen = 0
        var median = 0
        for (level, count) in histogram.enumerated() {
            seen += count
            if seen * 2 >= image.pixels.count {
                median = level
                break
            }
        }
        guard median < 100 else { return image }
        return GrayImage(width: image.width, height: image.height, pixels: image.pixels.map { 255 - $0 })
    }

    /// A line as Tesseract gives it, made readable: the trailing newline gone, and the spaces
    /// its Chinese models put between Han characters ("加 我 微 信") removed, since no Chinese
    /// text has them and the word lists would not match across them. Spaces between digits or
    /// Latin letters stay (the detectors read "138 1234 5678" as a phone number already).
    static func tidy(_ line: String) -> String {
        let scalars = Array(line.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar.properties.isWhitespace {
                var j = i
                while j < scalars.count && scalars[j].properties.isWhitespace { j += 1 }
                if let before = out.last, j < scalars.count, isChinese(before), isChinese(scalars[j]) {
                    i = j
                    continue
                }
                out.append(" ")
                i = j
                continue
            }
            out.append(scalar)
            i += 1
        }
        return String(out)
    }

    /// Han characters and the full-width punctuation Chinese text uses.
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3000...0x303F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF00...0xFFEF, 0x20000...0x2FA1F:
            return true
        default: return false
        }
    }
}

extension GrayImage {
    /// A copy `factor` (0 < factor ≤ 1) the size, each pixel the mean of the pixels it covers.
    func scaled(by factor: Double) -> GrayImage {
        let w = max(1, Int(Double(width) * factor)), h = max(1, Int(Double(height) * factor))
        var out = [UInt8](repeating: 255, count: w * h)
        pixels.withUnsafeBufferPointer { source in
            for y in 0..<h {
                let y0 = y * height / h, y1 = max(y0 + 1, (y + 1) * height / h)
                for x in 0..<w {
                    let x0 = x * width / w, x1 = max(x0 + 1, (x + 1) * width / w)
                    var sum = 0
                    for sy in y0..<y1 {
                        let row = sy * width
                        for sx in x0..<x1 { sum += Int(source[row + sx]) }
                    }
                    out[y * w + x] = UInt8(sum / ((y1 - y0) * (x1 - x0)))
                }
            }
        }
        return GrayImage(width: w, height: h, pixels: out)
    }
}

extension ImageText {
    /// The text with the Latin letters OCR most often reads as look-alikes put back: in a run of
    /// ASCII letters, digits, `_` and `-` that holds a lowercase letter, a `1` that begins it and
    /// is followed by a letter is read as `l` (`1i_9929` → `li_9929`: ids may not begin with a
    /// digit, so the misreading hides a WeChat id), and an `I` between lowercase letters or
    /// digits as `l` (`heIlo88`). Nil when nothing changes. One character for one, so a span in
    /// this reading is the same span in `text`.
    public static func lookAlikeReading(_ text: String) -> String? {
        var scalars = Array(text.unicodeScalars)
        func isWordish(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" || s == "-")
        }
        func isLower(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) }
        func isLowerOrDigit(_ s: Unicode.Scalar) -> Bool { isLower(s) || ("0"..."9").contains(s) }
        var changed = false
        var start = 0
        while start < scalars.count {
            guard isWordish(scalars[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < scalars.count && isWordish(scalars[end]) { end += 1 }
            if scalars[start..<end].contains(where: isLower) {
                if scalars[start] == "1", start + 1 < end, scalars[start + 1].properties.isAlphabetic {
                    scalars[start] = "l"
                    changed = true
                }
                for i in (start + 1)..<max(start + 1, end - 1)
                where scalars[i] == "I" && isLowerOrDigit(scalars[i - 1]) && isLowerOrDigit(scalars[i + 1]) {
                    scalars[i] = "l"
                    changed = true
                }
            }
            start = end
        }
        guard changed else { return nil }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}
