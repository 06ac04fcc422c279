import Archive
public import Support
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Alert {
    /// The alert as one JSON object (one line), the format of the alert log and `--format json`.
    ///
    /// Keys: `id rule category severity msgid msgtime time roomid conversation from tolist matched
    /// term span text file line offset details related` (plus review fields when a store adds them).
    public func jsonObject(extra: [(String, JSONValue)] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("rule", .string(rule)),
            ("category", .string(category)),
            ("severity", .string(severity.rawValue)),
            ("msgid", .string(msgid)),
            ("msgtime", .integer(msgtime)),
            ("time", .string(TimeFormat.iso8601UTC(milliseconds: msgtime))),
            ("roomid", .string(roomid)),
            ("conversation", .string(conversation)),
            ("from", .string(from)),
            ("tolist", .array(tolist.map(JSONValue.string))),
            ("matched", .string(matched)),
            ("term", .string(term)),
            ("span", .array([.integer(Int64(spanStart)), .integer(Int64(spanEnd))])),
            ("text", .string(text)),
            ("file", .string(file)),
            ("line", .integer(Int64(line))),
            ("offset", .integer(offset)),
            ("details", .string(details)),
            ("related", .array(relatedMsgids.map(JSONValue.string))),
        ]
        members.append(contentsOf: extra)
        return .object(members)
    }

    public var jsonLine: String { jsonObject().jsonText }
}

/// Time formatting without Foundation's formatters (which are slow and locale-dependent).
public enum TimeFormat {
    /// `2026-11-23T01:46:54.123Z`
    public static func iso8601UTC(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let ms = Int(milliseconds % 1000)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))T"
            + "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec))).\(pad(ms, 3))Z"
    }

    /// `2026-11-23 09:46:54` in the machine's time zone (`TZ` applies), for people.
    public static func local(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday))) "
            + "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
    }

    /// The local calendar day, `2026-11-23`.
    public static func localDay(milliseconds: Int64) -> String {
        String(local(milliseconds: milliseconds).prefix(10))
    }

    /// Parses `2026-11-23`, `2026-11-23 09:30`, `2026-11-23T09:30:00`, (local time unless a
    /// trailing `Z`), or a number of milliseconds, into epoch milliseconds.
    public static func parse(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        var body = Substring(text)
        var utc = false
        if body.hasSuffix("Z") { utc = true; body = body.dropLast() }
        let fields = body.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == "T" || $0 == ":" })
        guard fields.count == 3 || fields.count == 5 || fields.count == 6 else { return nil }
        let numbers = fields.map { Int32($0) }
        guard numbers.allSatisfy({ $0 != nil }) else { return nil }
        let n = numbers.map { $0! }
        var parts = tm()
        parts.tm_year = n[0] - 1900
        parts.tm_mon = n[1] - 1
        parts.tm_mday = n[2]
        parts.tm_hour = n.count > 3 ? n[3] : 0
        parts.tm_min = n.count > 4 ? n[4] : 0
        parts.tm_sec = n.count > 5 ? n[5] : 0
        parts.tm_isdst = -1
        guard (1...12).contains(n[1]), (1...31).contains(n[2]) else { return nil }
        let seconds = utc ? timegm(&parts) : mktime(&parts)
        guard seconds != -1 else { return nil }
        return Int64(seconds) * 1000
    }

    static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
