#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Making untrusted chat text safe and readable on a terminal.
enum Terminal {
    /// Whether standard output is a terminal (colour and progress lines only then).
    static let stdoutIsTTY = isatty(STDOUT_FILENO) == 1
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1

    /// The terminal's width, or 120 when not a terminal.
    static var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        if let columns = getenv("COLUMNS"), let n = Int(String(cString: columns)), n > 20 { return n }
        return 120
    }

    /// Escapes control characters, escape sequences and bidirectional overrides so text from a
    /// chat can never move the cursor, change colours or reorder what a reviewer sees.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x202A...0x202E, 0x2066...0x2069, 0x200B...0x200F, 0x2060...0x2064,
                0xFEFF,
                0x00AD, 0x061C, 0x180E:
                // Invisible characters are shown too: hiding them is how evasions look innocent.
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Columns a scalar takes on a terminal: 2 for East Asian wide and full-width forms and most
    /// emoji, 0 for combining marks and zero-width characters, 1 otherwise.
    static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        switch v {
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F, 0x20D0...0x20FF, 0xE0100...0xE01EF: return 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x1F680...0x1F6FF, 0x20000...0x3FFFD:
            return 2
        default: return 1
        }
    }

    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    /// `text` cut to at most `columns` display columns, with an ellipsis when cut.
    static func truncate(_ text: String, to columns: Int) -> String {
        guard width(text) > columns else { return text }
        var out = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let w = width(of: scalar)
            if used + w > columns - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + "…"
    }

    /// `text` padded with spaces to `columns` display columns.
    static func pad(_ text: String, to columns: Int) -> String {
        let w = width(text)
        return w >= columns ? text : text + String(repeating: " ", count: columns - w)
    }

    static func bold(_ text: String) -> String { stdoutIsTTY ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func highlight(_ text: String) -> String { stdoutIsTTY ? "\u{1B}[1;31m\(text)\u{1B}[0m" : "»\(text)«" }
    static func dim(_ text: String) -> String { stdoutIsTTY ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

    /// Writes to standard error (after flushing standard output, so the two stay in order).
    static func error(_ text: String) {
        fflush(stdout)
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        fputs(line, stderr)
    }

    /// A progress line on standard error, rewritten in place; only on a terminal.
    static func progress(_ text: String) {
        guard stderrIsTTY else { return }
        fputs("\r\u{1B}[K" + text, stderr)
    }

    static func endProgress() {
        guard stderrIsTTY else { return }
        fputs("\r\u{1B}[K", stderr)
    }
}
