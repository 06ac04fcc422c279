/// A configuration file that cannot be used: file, line, key and what is wrong.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var key: String?
    public var message: String

    public var description: String {
        // Whole-file problems (missing, unreadable) have no line to point at.
        var text = line > 0 ? "\(file):\(line):\(column): " : "\(file): "
        if let key { text += "\(key): " }
        return text + message
    }
}
