import Crypto
import Foundation
import Support

/// What to do with one image file: the limits and the text-reading settings.
public struct ImageRequest: Codable, Sendable, Equatable {
    public var path: String
    public var maxBytes: Int
    public var maxPixels: Int
    public var ocr: Bool
    public var languages: String
    public var tessdata: String?
    public var ocrMilliseconds: Int
    public var minConfidence: Int
    public var ocrMaxPixels: Int

    public init(
        path: String, limits: ImageLimits = ImageLimits(), ocr: Bool = true, languages: String = "chi_sim+eng",
        tessdata: String? = nil, ocrMilliseconds: Int = 10_000, minConfidence: Int = 30,
        ocrMaxPixels: Int = 8_000_000
    ) {
        self.path = path
        self.maxBytes = limits.maxBytes
        self.maxPixels = limits.maxPixels
        self.ocr = ocr
        self.languages = languages
        self.tessdata = tessdata
        self.ocrMilliseconds = ocrMilliseconds
        self.minConfidence = minConfidence
        self.ocrMaxPixels = ocrMaxPixels
    }
}

/// A QR code as reported: its payload and its box (`x,y,w,h`).
public struct FoundCode: Codable, Sendable, Equatable {
    public var payload: String
    public var box: String
    public var kind: QRPayloadKind { QRPayloadKind(payload: payload) }

    public init(payload: String, box: String) {
        self.payload = payload
        self.box = box
    }
}

/// What was made of one image file.
public struct ImageReport: Codable, Sendable, Equatable {
    /// SHA-256 of the bytes decoded (nil when the file could not be read).
    public var sha256: String?
    /// Why the image was not decoded (missing, too large, not an image).
    public var problem: String?
    public var codes: [FoundCode] = []
    /// The text read, when text reading is on and available.
    public var text: ImageText?
    /// Why the text was not read (Tesseract or its language data missing).
    public var textProblem: String?

    public init(sha256: String? = nil, problem: String? = nil) {
        self.sha256 = sha256
        self.problem = problem
    }
}

/// Reads, decodes and reads the text of image files in this process: what the isolated helper
/// (``IsolatedImageExaminer``) runs, and what `media inspect` calls directly.
/// Keeps Tesseract's models loaded between images; one per thread.
public final class ImageExaminer {
    private var recognizers: [String: Result<TextRecognizer, OCRUnavailable>] = [:]

    public init() {}

    public func examine(_ request: ImageRequest) -> ImageReport {
        let limits = ImageLimits(maxBytes: request.maxBytes, maxPixels: request.maxPixels)
        let bytes: [UInt8]
        do {
            bytes = try ImageReader.load(request.path, limits: limits)
        } catch {
            return ImageReport(problem: error.description)
        }
        var report = ImageReport(sha256: Hex.lowercase(SHA256.hash(data: bytes)))
        let image: GrayImage
        do {
            image = try ImageReader.read(bytes: bytes, limits: limits)
        } catch {
            report.problem = error.description
            return report
        }
        report.codes = QRDecoder.decode(image).map { FoundCode(payload: $0.payload, box: $0.box) }
        guard request.ocr else { return report }
        switch recognizer(languages: request.languages, tessdata: request.tessdata) {
        case .failure(let problem):
            report.textProblem = problem.description
        case .success(let reader):
            report.text = reader.read(
                image, milliseconds: request.ocrMilliseconds, minConfidence: request.minConfidence,
                maxPixels: request.ocrMaxPixels)
        }
        return report
    }

    /// The recogniser for these languages, loaded on first use; a failure to load is kept
    /// (and reported with every image) rather than retried per image.
    public func recognizer(languages: String, tessdata: String?) -> Result<TextRecognizer, OCRUnavailable> {
        let key = languages + "\u{0}" + (tessdata ?? "")
        if let loaded = recognizers[key] { return loaded }
        let loaded = Result { () throws(OCRUnavailable) in try TextRecognizer(languages: languages, dataPath: tessdata)
        }
        recognizers[key] = loaded
        return loaded
    }
}
