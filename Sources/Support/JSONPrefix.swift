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

    /// Where reading the prefix left off.
    private struct State {
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
    }

    /// The cut `prefix` made into a complete JSON text, or nil when it does not begin one.
    public static func closing(_ prefix: [UInt8]) -> [UInt8]? {
        let state = read(prefix)
        guard !state.stack.isEmpty || state.safeEnd > 0 else { return nil }
        var out = state.inString ? endingString(prefix, state) : endingValue(prefix, state)
        for container in state.stack.reversed() {
            out.append(container == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
        return out
    }

    /// Reads the prefix as far as it goes, keeping track of open containers and the last point
    /// where the text could end.
    private static func read(_ prefix: [UInt8]) -> State {
        var st = State()
        var index = 0
        let count = prefix.count
        while index < count {
            let byte = prefix[index]
            if st.inString {
                if st.escaped {
                    st.escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    st.escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    st.inString = false
                    st.safeEnd = index + 1
                    st.awaitingValue = st.stringIsKey
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                st.stack.append(byte == UInt8(ascii: "{") ? .object : .array)
                st.expectKey = byte == UInt8(ascii: "{")
                st.awaitingValue = false
                st.safeEnd = index + 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !st.stack.isEmpty else { return State() }
                st.stack.removeLast()
                st.expectKey = false
                st.awaitingValue = false
                st.safeEnd = index + 1
            case UInt8(ascii: "\""):
                st.inString = true
                st.stringStart = index
                st.stringIsKey = st.stack.last == .object && st.expectKey
                st.expectKey = false
            case UInt8(ascii: ","):
                st.expectKey = st.stack.last == .object
                st.awaitingValue = false
                st.safeEnd = index  // a trailing comma is dropped
            case UInt8(ascii: ":"):
                st.awaitingValue = true
                st.safeEnd = index + 1
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                // Numbers and literals: complete only once something follows them; one cut in
                // the middle is dropped (its key then gets null).
                var end = index
                while end < count, !Self.isDelimiter(prefix[end]) { end += 1 }
                if end < count {
                    st.awaitingValue = false
                    st.safeEnd = end
                }
                index = end
                continue
            }
            index += 1
        }
        return st
    }

    /// The prefix cut inside a string: the string ended before a half escape or a half
    /// character (a cut key is dropped with the comma before it).
    private static func endingString(_ prefix: [UInt8], _ st: State) -> [UInt8] {
        var end = prefix.count
        var backslashes = 0
        var i = end - 1
        while i > st.stringStart && prefix[i] == UInt8(ascii: "\\") {
            backslashes += 1
            i -= 1
        }
        if backslashes % 2 == 1 { end -= 1 }
        // A cut `\uXXXX` escape: drop it.
        if let u = lastIndex(of: UInt8(ascii: "u"), in: prefix, from: max(st.stringStart + 1, end - 5), to: end),
            u > st.stringStart + 1, prefix[u - 1] == UInt8(ascii: "\\"), end - u - 1 < 4
        {
            end = u - 1
        }
        // A cut UTF-8 sequence: drop its lead and continuation bytes.
        var j = end
        while j > st.stringStart + 1 && prefix[j - 1] & 0xC0 == 0x80 { j -= 1 }
        if j > st.stringStart + 1, prefix[j - 1] >= 0xC0 {
            let lead = prefix[j - 1]
            let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if end - (j - 1) < need { end = j - 1 }
        }
        guard st.stringIsKey else { return Array(prefix[..<end]) + [UInt8(ascii: "\"")] }
        var out = Array(prefix[..<st.stringStart])
        while let last = out.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { out.removeLast() }
        if out.last == UInt8(ascii: ",") { out.removeLast() }
        return out
    }

    /// The prefix up to its last complete value, a dangling key given `null`.
    private static func endingValue(_ prefix: [UInt8], _ st: State) -> [UInt8] {
        var out = Array(prefix[..<st.safeEnd])
        if st.awaitingValue {
            if out.last != UInt8(ascii: ":") { out.append(UInt8(ascii: ":")) }
            out += Array("null".utf8)
        }
        return out
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20
            || byte == 0x09
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
