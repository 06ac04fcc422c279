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

    /// Parses a time a person typed, into epoch milliseconds:
    /// - `2026-11-23`, `2026-11-23 09:30`, `2026-11-23T09:30:00` (local time), with a trailing
    ///   `Z` (UTC) or an offset (`+08:00`, `+0800`, `-05:00`);
    /// - `now`, `today` and `yesterday` (local midnight);
    /// - a span back from now: `7d`, `24h`, `30m`, `2w`;
    /// - a number of milliseconds since 1970.
    public static func parse(_ text: String, now: Int64? = nil) -> Int64? {
        let now = now ?? Int64(time(nil)) * 1000
        let text = String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        if let ms = Int64(text) { return ms }
        switch text.lowercased() {
        case "now": return now
        case "today", "今天": return startOfLocalDay(now)
        case "yesterday", "昨天": return startOfLocalDay(startOfLocalDay(now) - 1)
        default: break
        }
        if let span = spanMilliseconds(text) { return now - span }
        var body = Substring(text)
        var offsetSeconds: Int? = nil
        if body.hasSuffix("Z") || body.hasSuffix("z") {
            offsetSeconds = 0
            body = body.dropLast()
        } else if let (rest, offset) = splitOffset(body) {
            offsetSeconds = offset
            body = rest
        }
        let fields = body.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == "T" || $0 == ":" || $0 == "/" })
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
        guard (1...12).contains(n[1]), (1...31).contains(n[2]), (0...23).contains(parts.tm_hour),
            (0...59).contains(parts.tm_min), (0...60).contains(parts.tm_sec)
        else { return nil }
        let seconds = offsetSeconds != nil ? timegm(&parts) : mktime(&parts)
        guard seconds != -1 else { return nil }
        return (Int64(seconds) - Int64(offsetSeconds ?? 0)) * 1000
    }

    /// `7d`, `24h`, `30m`, `2w` → milliseconds.
    static func spanMilliseconds(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0, count < 100_000 else { return nil }
        switch unit {
        case "m": return count * 60_000
        case "h": return count * 3_600_000
        case "d": return count * 86_400_000
        case "w": return count * 7 * 86_400_000
        default: return nil
        }
    }

    /// A trailing `+08:00`, `+0800` or `-05` after a time of day.
    static func splitOffset(_ body: Substring) -> (Substring, Int)? {
        guard let sign = body.lastIndex(where: { $0 == "+" || $0 == "-" }),
            body[..<sign].contains(where: { $0 == "T" || $0 == " " })
        else { return nil }
        let digits = body[body.index(after: sign)...].filter { $0 != ":" }
        guard digits.count == 2 || digits.count == 4, let value = Int(digits) else { return nil }
        let hours = digits.count == 2 ? value : value / 100, minutes = digits.count == 2 ? 0 : value % 100
        guard hours <= 14, minutes < 60 else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return (body[..<sign], body[sign] == "-" ? -seconds : seconds)
    }

    /// Local midnight of the day holding `milliseconds`.
    public static func startOfLocalDay(_ milliseconds: Int64) -> Int64 {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1
        return Int64(mktime(&parts)) * 1000
    }

    /// The local offset from UTC at `milliseconds`, as `+08:00`.
    public static func localOffset(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let offset = Int(parts.tm_gmtoff)
        let sign = offset < 0 ? "-" : "+"
        return sign + pad(abs(offset) / 3600) + ":" + pad(abs(offset) % 3600 / 60)
    }

    /// Whether `name` is a time zone this machine knows (its tz database file exists).
    public static func isKnownZone(_ name: String) -> Bool {
        guard !name.isEmpty, !name.contains(".."), !name.hasPrefix("/") else { return false }
        return access("/usr/share/zoneinfo/" + name, R_OK) == 0
    }

    /// Makes `name` the time zone of every local time this process prints or parses.
    public static func use(zone name: String) {
        setenv("TZ", name, 1)
        tzset()
    }

    static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
