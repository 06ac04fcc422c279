/// `[media]`: where an archiver keeps the image files it downloads beside the archive, and the
/// limits of the image path (issue 21).
public struct MediaSettings: Sendable, Equatable {
    /// The directory of the image files; nil = images are not looked at.
    public var directory: String? = nil
    /// Path templates inside it (`{md5sum}.jpg`, `{date}/{md5sum}.png`, …); nil = the defaults
    /// for common archivers (``Media/MediaLocator/defaultTemplates``).
    public var templates: [String]? = nil
    /// Images larger than this are skipped with the reason.
    public var maxBytes = 20 << 20
    public var maxPixels = 40_000_000
    /// Whether the text of images is read (Tesseract) and run through the detectors.
    public var ocr = true
    /// Tesseract's languages, `+`-joined: simplified Chinese with English for ids and numbers.
    public var ocrLanguages = "chi_sim+eng"
    /// Where Tesseract's `*.traineddata` are; nil = the system's (Debian: /usr/share/tesseract-ocr/5/tessdata).
    public var tessdata: String? = nil
    /// How long the text of one image may take before recognition is stopped (the lines read
    /// by then are kept, and the job says so).
    public var ocrMilliseconds = 10_000
    /// The hard limit for one image, everything included (reading, QR codes, text): the helper
    /// process still at it is killed and the image skipped with the reason.
    public var decodeSeconds = 30
    /// Images with more pixels are read from a copy scaled down to this (page layout analysis,
    /// before the deadline applies, takes time in proportion to the pixels).
    public var ocrMaxPixels = 8_000_000
    /// Lines read with less confidence than this (0–100) are left out: the noise of photographs.
    public var ocrMinConfidence = 30

    public init() {}
}
