import CLeptonica
import Foundation

/// How large an image may be before it is skipped (with the reason): a hostile or mistaken
/// file must not take the memory or the time of the text alerts.
public struct ImageLimits: Sendable, Equatable {
    public var maxBytes: Int = 20 << 20
    public var maxPixels: Int = 40_000_000

    public init(maxBytes: Int = 20 << 20, maxPixels: Int = 40_000_000) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}

/// Why an image was not read.
public enum ImageProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case tooLarge(bytes: Int, limit: Int)
    case tooManyPixels(width: Int, height: Int, limit: Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): no such file"
        case .tooLarge(let bytes, let limit): return "\(bytes) bytes, above the limit of \(limit)"
        case .tooManyPixels(let w, let h, let limit): return "\(w)×\(h) pixels, above the limit of \(limit)"
        case .unreadable(let why): return "not a readable image (\(why))"
        }
    }
}

/// An 8-bit grey image, row by row.
public struct GrayImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
}

/// Reads PNG, JPEG, GIF, BMP, TIFF and WebP through Leptonica (the library Tesseract reads with),
/// checking the file's size and the header's dimensions before decoding anything.
public enum ImageReader {
    /// Leptonica reports problems on standard error; here they become `ImageProblem`s instead.
    static let quiet: Void = { _ = setMsgSeverity(Int32(L_SEVERITY_NONE)) }()

    public static func read(_ path: String, limits: ImageLimits = ImageLimits()) throws(ImageProblem) -> GrayImage {
        try read(bytes: load(path, limits: limits), limits: limits)
    }

    /// An image file's bytes, its size checked on the file before anything is read into memory.
    public static func load(_ path: String, limits: ImageLimits = ImageLimits()) throws(ImageProblem) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .missing(path) }
        guard Int(info.st_size) <= limits.maxBytes else {
            throw .tooLarge(bytes: Int(info.st_size), limit: limits.maxBytes)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot be opened") }
        return [UInt8](data)
    }

    /// Decodes an image held in memory (what the fuzz target feeds), header and size checked first.
    public static func read(bytes: [UInt8], limits: ImageLimits = ImageLimits()) throws(ImageProblem) -> GrayImage {
        _ = quiet
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes) }
        guard bytes.count >= 8 else { throw .unreadable("too short to be an image") }
        var format: Int32 = 0, w: Int32 = 0, h: Int32 = 0, bps: Int32 = 0, spp: Int32 = 0, colormap: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            pixReadHeaderMem($0.baseAddress, $0.count, &format, &w, &h, &bps, &spp, &colormap)
        }
        guard header == 0, w > 0, h > 0 else { throw .unreadable("no image header") }
        guard Int(w) * Int(h) <= limits.maxPixels else {
            throw .tooManyPixels(width: Int(w), height: Int(h), limit: limits.maxPixels)
        }
        var pix: UnsafeMutablePointer<PIX>? = bytes.withUnsafeBufferPointer { pixReadMem($0.baseAddress, $0.count) }
        defer { pixDestroy(&pix) }
        guard let decoded = pix else { throw .unreadable("cannot be decoded") }
        guard Int(pixGetWidth(decoded)) * Int(pixGetHeight(decoded)) <= limits.maxPixels else {
            throw .tooManyPixels(
                width: Int(pixGetWidth(decoded)), height: Int(pixGetHeight(decoded)), limit: limits.maxPixels)
        }
        var grayPix: UnsafeMutablePointer<PIX>? = pixConvertTo8(decoded, 0)
        defer { pixDestroy(&grayPix) }
        guard let gray = grayPix else { throw .unreadable("cannot be made grey") }
        let width = Int(pixGetWidth(gray)), height = Int(pixGetHeight(gray)), wpl = Int(pixGetWpl(gray))
        guard let data = pixGetData(gray), width > 0, height > 0 else { throw .unreadable("no pixels") }
        var pixels = [UInt8](repeating: 0, count: width * height)
        // Leptonica keeps each row as 32-bit words with the first pixel in the most significant byte.
        for y in 0..<height {
            let line = data + y * wpl
            for x in 0..<width {
                pixels[y * width + x] = UInt8(truncatingIfNeeded: line[x >> 2] >> (24 - 8 * UInt32(x & 3)))
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}
