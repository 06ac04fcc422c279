/// Completes the beginning of a JSON text that was cut off, so that what it holds can be read.
///
/// A record longer than the line cap (`max_line_bytes`) is read only up to the cap: memory stays
/// bounded whatever an archive holds. Rather than quarantine it whole (a violation in its first
/// megabyte would never be seen), the cut text is closed — an open string ended (without a
/// half escape or a half UTF-8 character), a dangling key given `null`, a trailing comma or
/// half-written literal dropped, open arrays and objects closed — and decoded like any record.
/// The archive's header fields come first and the text last, so the message keeps its id,
/// sender and time, and its text is cut. The caller notes the repair on the record.
public enum JSONPrefix {
    private enum Container { case object, array }

    /// The cut `prefix` made into a complete JSON text, or nil when it does not begin one.
    public static func closing(_ prefix: [UInt8]) -> [UInt8]? {
        var stack: [Container] = []
        var inString = false
        var escaped = false
        /// Where the current string began, and whether it is an object key.
        var stringStart = 0
        var stringIsKey = false
        /// In an object: whether the next string is a key (after `{` or `,`).
        var expectKey = false
        /// The end of the last complete value or structural character.
        var safeEnd = 0
        /// After a key (and maybe its colon): the value is still missing.
        var awaitingValue = false
        var index = 0
        let count = prefix.count
        while index < count {
            let byte = prefix[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    safeEnd = index + 1
                    if stringIsKey {
                        awaitingValue = true
                    } else {
                        awaitingValue = false
                    }
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "{"):
                stack.append(.object)
                expectKey = true
                awaitingValue = false
                safeEnd = index + 1
            case UInt8(ascii: "["):
                stack.append(.array)
                expectKey = false
                awaitingValue = false
                safeEnd = index + 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
                expectKey = false
                awaitingValue = false
                safeEnd = index + 1
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index
                stringIsKey = stack.last == .object && expectKey
                expectKey = false
            case UInt8(ascii: ","):
                expectKey = stack.last == .object
                awaitingValue = false
                safeEnd = index  // a trailing comma is dropped
            case UInt8(ascii: ":"):
                awaitingValue = true
                safeEnd = index + 1
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                // Numbers and literals: complete only once something follows them.
                var end = index
                while end < count, !Self.isDelimiter(prefix[end]) { end += 1 }
                if end == count {
                    // Cut inside a number or literal: drop it (the key then gets null).
                    index = count
                    continue
                }
                awaitingValue = false
                safeEnd = end
                index = end
                continue
            }
            index += 1
        }
        guard !stack.isEmpty || safeEnd > 0 else { return nil }
        var out: [UInt8]
        if inString {
            // End the string before a half escape or a half character.
            var end = count
            var backslashes = 0
            var i = end - 1
            while i > stringStart && prefix[i] == UInt8(ascii: "\\") {
                backslashes += 1
                i -= 1
            }
            if backslashes % 2 == 1 { end -= 1 }
            // A cut `\uXXXX` escape: drop it.
            if let u = lastIndex(of: UInt8(ascii: "u"), in: prefix, from: max(stringStart + 1, end - 5), to: end),
                u > stringStart + 1, prefix[u - 1] == UInt8(ascii: "\\"), end - u - 1 < 4
            {
                end = u - 1
            }
            // A cut UTF-8 sequence: drop its lead and continuation bytes.
            var j = end
            while j > stringStart + 1 && prefix[j - 1] & 0xC0 == 0x80 { j -= 1 }
            if j > stringStart + 1, prefix[j - 1] >= 0xC0 {
                let lead = prefix[j - 1]
                let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                if end - (j - 1) < need { end = j - 1 }
            }
            if stringIsKey {
                // A cut key: drop it, and the comma before it if any.
                out = Array(prefix[..<stringStart])
                while let last = out.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { out.removeLast() }
                if out.last == UInt8(ascii: ",") { out.removeLast() }
            } else {
                out = Array(prefix[..<end])
                out.append(UInt8(ascii: "\""))
            }
        } else {
            out = Array(prefix[..<safeEnd])
            if awaitingValue {
                if out.last != UInt8(ascii: ":") { out.append(UInt8(ascii: ":")) }
                out += Array("null".utf8)
            }
        }
        for container in stack.reversed() {
            out.append(container == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
        return out
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 || byte == 0x09
            || byte == 0x0A || byte == 0x0D
    }

    private static func lastIndex(of byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
        var i = to - 1
        while i >= from {
            if bytes[i] == byte { return i }
            i -= 1
        }
        return nil
    }
}
