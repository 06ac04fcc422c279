import Support

/// A line that could not be decoded, kept with where it is and why.
public struct QuarantineRecord: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var offset: Int64
    public var reason: String
    /// The start of the line, control characters and invalid bytes escaped (at most 4 KiB).
    public var excerpt: String

    public init(file: String, line: Int, offset: Int64, reason: String, excerpt: String) {
        self.file = file
        self.line = line
        self.offset = offset
        self.reason = reason
        self.excerpt = excerpt
    }

    /// Escapes raw line bytes for keeping: valid UTF-8 is kept, control characters and invalid
    /// bytes become `\xNN`.
    public static func excerpt(of bytes: [UInt8], limit: Int = 4096) -> String {
        var out = ""
        var iterator = bytes.prefix(limit).makeIterator()
        var decoder = UTF8()
        var consumed = 0
        let slice = Array(bytes.prefix(limit))
        while true {
            let before = consumed
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                consumed += UTF8.width(s)
                if s.value < 0x20 || s.value == 0x7F {
                    out += "\\x" + Hex.byte(UInt8(s.value))
                } else {
                    out.unicodeScalars.append(s)
                }
            case .emptyInput:
                if bytes.count > limit { out += "…" }
                return out
            case .error:
                // Resynchronise one byte at a time.
                if before < slice.count { out += "\\x" + Hex.byte(slice[before]) }
                consumed = before + 1
                iterator = slice[consumed...].makeIterator()
                decoder = UTF8()
            }
        }
    }
}
