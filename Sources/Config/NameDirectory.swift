import Foundation
import Support

/// Display names for staff and customer ids, so that people read 张三 rather than `zhangsan` or
/// `wmAbC…`. Read from `[review] names`: a CSV file of `id,name` (a header row `id,name` is
/// skipped; quotes as Excel writes them), or JSON lines as contact exports of archivers write
/// them (`userid` / `external_userid` / `id`, and `name`).
public struct NameDirectory: Sendable, Equatable {
    public private(set) var names: [String: String] = [:]

    public init(_ names: [String: String] = [:]) { self.names = names }

    /// The display name of `id`, or nil.
    public func name(of id: String) -> String? { names[id] }

    /// `张三 (zhangsan)` where a name is known, the id alone otherwise.
    public func label(_ id: String) -> String {
        guard let name = names[id], !name.isEmpty else { return id }
        return "\(name) (\(id))"
    }

    /// The name alone, falling back to the id (where the id is shown beside it anyway).
    public func short(_ id: String) -> String { names[id].flatMap { $0.isEmpty ? nil : $0 } ?? id }

    /// Ids whose name contains `text` (the console's staff and customer filters accept names).
    public func ids(named text: String) -> [String] {
        names.filter { $0.value == text }.map(\.key).sorted()
    }

    /// Reads the file; errors name the file and line.
    public static func load(_ path: String) throws(ConfigError) -> NameDirectory {
        guard let bytes = FileIO.readAll(path) else {
            throw ConfigError(
                file: path, line: 0, column: 0, key: nil, message: "cannot read the names file: \(FileIO.lastError)")
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }  // Excel's byte-order mark
        var directory = NameDirectory()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("{") {
                guard let value = try? JSONParser.parse(String(line)) else {
                    throw ConfigError(file: path, line: index + 1, column: 1, key: nil, message: "not a JSON object")
                }
                let id =
                    value["userid"]?.stringValue ?? value["external_userid"]?.stringValue ?? value["id"]?.stringValue
                guard let id, let name = value["name"]?.stringValue else {
                    throw ConfigError(
                        file: path, line: index + 1, column: 1, key: nil,
                        message: "needs \"userid\", \"external_userid\" or \"id\", and \"name\"")
                }
                directory.names[id] = sanitize(name)
                continue
            }
            let fields = CSVLine.split(String(line))
            guard fields.count >= 2 else {
                throw ConfigError(file: path, line: index + 1, column: 1, key: nil, message: "expected id,name")
            }
            if index == 0 && fields[0].lowercased() == "id" { continue }
            directory.names[fields[0].trimmingCharacters(in: .whitespaces)] = sanitize(fields[1])
        }
        return directory
    }

    /// Names are shown in terminals and pages: control characters are dropped here, once.
    static func sanitize(_ name: String) -> String {
        String(
            name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }
                .map(Character.init)
        )
        .trimmingCharacters(in: .whitespaces)
    }
}

/// One line of CSV into fields (quotes doubled inside quoted fields, as RFC 4180 and Excel).
public enum CSVLine {
    public static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }
}
