import Foundation

/// HTML out of untrusted text: everything a person did not write here is escaped.
public enum HTML {
    /// Escapes `& < > " '`; control characters and bidirectional overrides are shown as
    /// `\u{…}` escapes (chat text is hostile: a right-to-left override would reorder the page).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            switch s {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if s.value < 0x20 || (0x7F..<0xA0).contains(s.value) || (0x202A...0x202E).contains(s.value)
                    || (0x2066...0x2069).contains(s.value) || (0x200B...0x200F).contains(s.value) || s.value == 0xFEFF
                {
                    out += "<span class=\"ctl\">\\u{" + String(s.value, radix: 16, uppercase: true) + "}</span>"
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out
    }

    /// The text with byte ranges (UTF-8 offsets, as the detectors report them) marked, escaped.
    public static func highlighted(_ text: String, _ ranges: [Range<Int>]) -> String {
        let bytes = Array(text.utf8)
        var out = ""
        var position = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let lo = min(max(range.lowerBound, position), bytes.count)
            let hi = min(max(range.upperBound, lo), bytes.count)
            out += escape(String(decoding: bytes[position..<lo], as: UTF8.self))
            if hi > lo { out += "<mark>" + escape(String(decoding: bytes[lo..<hi], as: UTF8.self)) + "</mark>" }
            position = hi
        }
        return out + escape(String(decoding: bytes[position...], as: UTF8.self))
    }

    /// A value for a URL query (percent-encoded UTF-8).
    public static func query(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// Decodes `application/x-www-form-urlencoded` (a form body or a query string) into
    /// name → values, in order (a name may repeat: the selected alerts of a bulk action).
    public static func form(_ body: String) -> [(String, String)] {
        body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
                let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// A form's or a query's fields.
public struct FormFields: Sendable {
    public var pairs: [(String, String)]

    public init(_ pairs: [(String, String)]) { self.pairs = pairs }
    public init(encoded: String) { self.pairs = HTML.form(encoded) }

    /// The first value of `name`, trimmed; nil when absent or empty.
    public subscript(_ name: String) -> String? {
        guard let value = pairs.first(where: { $0.0 == name })?.1 else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Every value of `name`.
    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
