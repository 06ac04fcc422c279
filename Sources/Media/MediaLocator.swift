import Foundation

/// Where an archiver keeps the image files it downloaded beside the archive: a directory and
/// path templates filled from the message (`[media]`). Archive fields are hostile: a value that
/// could leave the directory (`/`, `..`, control characters) is never put into a path.
public struct MediaLocator: Sendable, Equatable {
    public var directory: String
    /// Tried in order; placeholders `{md5sum}`, `{sdkfileid}`, `{msgid}`, `{date}` (the
    /// message's local day, 2026-11-30), `{yyyy}`, `{mm}`, `{dd}`.
    public var templates: [String]

    /// What common archivers write: the file named by its checksum (with or without an
    /// extension, flat or in a folder per day), or by the message id.
    public static let defaultTemplates = [
        "{md5sum}.jpg", "{md5sum}.png", "{md5sum}.gif", "{md5sum}", "{date}/{md5sum}.jpg", "{date}/{md5sum}.png",
        "{date}/{md5sum}", "{msgid}.jpg", "{msgid}.png", "{sdkfileid}",
    ]

    public init(directory: String, templates: [String] = MediaLocator.defaultTemplates) {
        self.directory = directory
        self.templates = templates
    }

    /// A value safe inside a path: letters, digits and `-_=+.` only, no `..`; sdkfileids are
    /// base64 (`/` becomes `_`). Nil when it is not.
    static func safe(_ value: String) -> String? {
        let replaced = value.replacingOccurrences(of: "/", with: "_")
        guard !replaced.isEmpty, replaced.count <= 512, !replaced.contains(".."),
            replaced.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_=+.".unicodeScalars.contains($0))
            })
        else { return nil }
        return replaced
    }

    /// The paths to try for a message's image, in order (templates whose fields are missing or
    /// unsafe are left out).
    public func candidates(md5sum: String, sdkfileid: String, msgid: String, msgtime: Int64) -> [String] {
        var seconds = time_t(msgtime / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let yyyy = String(format: "%04d", Int(parts.tm_year) + 1900), mm = String(format: "%02d", Int(parts.tm_mon) + 1)
        let dd = String(format: "%02d", Int(parts.tm_mday))
        let fields: [String: String?] = [
            "{md5sum}": Self.safe(md5sum), "{sdkfileid}": Self.safe(sdkfileid), "{msgid}": Self.safe(msgid),
            "{date}": "\(yyyy)-\(mm)-\(dd)", "{yyyy}": yyyy, "{mm}": mm, "{dd}": dd,
        ]
        var paths: [String] = []
        for template in templates {
            var path = template
            var usable = true
            for (placeholder, value) in fields where path.contains(placeholder) {
                guard let value else {
                    usable = false
                    break
                }
                path = path.replacingOccurrences(of: placeholder, with: value)
            }
            if usable && !path.contains("{") {
                let full = directory.hasSuffix("/") ? directory + path : directory + "/" + path
                if !paths.contains(full) { paths.append(full) }
            }
        }
        return paths
    }

    /// The first candidate that is a regular file, or nil (the image is not there yet: an
    /// archiver may still be downloading it).
    public func locate(md5sum: String, sdkfileid: String, msgid: String, msgtime: Int64) -> String? {
        candidates(md5sum: md5sum, sdkfileid: sdkfileid, msgid: msgid, msgtime: msgtime).first { path in
            var info = stat()
            return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        }
    }
}
