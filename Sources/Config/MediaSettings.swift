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

    public init() {}
}
