/// CSV that is safe to open in a spreadsheet (Excel, WPS): RFC 4180 quoting, a UTF-8 byte-order
/// mark in front of a file (without it Excel reads UTF-8 as the local code page: mojibake),
/// control characters from chat text escaped, and formulas defused.
public enum CSV {
    /// What a CSV file starts with so that Excel reads it as UTF-8.
    public static let byteOrderMark = "\u{FEFF}"

    /// Quotes a cell when needed, escapes control characters (`\u{1B}` for ESC: a terminal
    /// escape in chat text must not reach whoever `cat`s the file), bidirectional overrides and
    /// zero-width characters (what hid 私\u{200B}下转账 is evidence) but keeps line breaks, and
    /// defuses formula injection: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
    /// return gets a leading `'` (the OWASP recommendation), so `=HYPERLINK(...)` stays text.
    public static func cell(_ value: String) -> String {
        var text = ""
        text.reserveCapacity(value.utf8.count)
        for s in value.unicodeScalars {
            if (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F..<0xA0).contains(s.value)
                || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
                || (0x200B...0x200F).contains(s.value) || s.value == 0xFEFF
            {
                text += "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
            } else {
                text.unicodeScalars.append(s)
            }
        }
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "＝", "＋", "－", "＠"].contains(first) {
            text = "'" + text
        }
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" }
        if needsQuotes || text.hasPrefix(" ") || text.hasSuffix(" ") {
            var quoted = "\""
            for c in text { if c == "\"" { quoted += "\"\"" } else { quoted.append(c) } }
            return quoted + "\""
        }
        return text
    }

    /// One record, CRLF-terminated as RFC 4180 (and Excel) expect.
    public static func row(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\r\n" }
}
