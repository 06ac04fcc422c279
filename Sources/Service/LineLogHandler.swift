public import Logging
import Synchronization
import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One event per line on standard error, with stable keys, for journald and people:
///
///     level=warning msg="cannot read the archive file" file=/srv/a.jsonl error="Permission denied"
///
/// or, with `json`, one JSON object per line. Values are escaped, so chat text in metadata can
/// never break a line. Under systemd the journal adds the time, so none is printed.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: Format

    static let lock = Mutex(())

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        // An empty field says nothing (`detail=""`): left out.
        all = all.filter { !"\($0.value)".isEmpty }
        var line = ""
        switch format {
        case .text:
            line = "level=\(event.level.rawValue) msg=\(Self.quote(event.message.description))"
            for key in all.keys.sorted() { line += " \(key)=\(Self.quote("\(all[key]!)"))" }
        case .json:
            line = "{\"level\":\(Self.json(event.level.rawValue)),\"msg\":\(Self.json(event.message.description))"
            line += ",\"logger\":\(Self.json(label))"
            for key in all.keys.sorted() { line += ",\(Self.json(key)):\(Self.json("\(all[key]!)"))" }
            line += "}"
        }
        line += "\n"
        Self.lock.withLock { _ in _ = fputs(line, stderr) }
    }

    /// Bare when safe, else double-quoted with escapes.
    static func quote(_ value: String) -> String {
        let safe =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { s in
                s.value > 0x20 && s.value != 0x7F && s != "\"" && s != "\\" && s != "="
                    && !(0x80..<0xA0).contains(s.value)
            }
        return safe ? value : json(value)
    }

    /// A JSON string literal (the alert log's escaping: control characters, U+2028/2029 and
    /// DEL escaped, so one event stays one line).
    static func json(_ value: String) -> String {
        var out = ""
        JSONValue.writeString(value, to: &out)
        return out
    }
}
