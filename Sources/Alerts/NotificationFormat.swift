import Vocabulary
import Support

/// What a notification channel sends: the message body for a WeCom group robot (markdown or
/// text) or a generic JSON webhook, for one alert or a digest of several. Chat text is hostile:
/// in markdown it cannot open links or colour tags, in plain text it cannot start a line of its
/// own, so a message cannot pose as another alert.
public enum NotificationFormat {
    /// What a channel sends.
    public enum Kind: String, Sendable, Equatable {
        /// A WeCom group robot, `markdown` messages (at most 4,096 bytes each).
        case wecomMarkdown = "wecom-markdown"
        /// A WeCom group robot, `text` messages (at most 2,048 bytes each).
        case wecomText = "wecom-text"
        /// Any endpoint taking `{"digest": …, "alerts": [...]}` as JSON.
        case json

        /// The most bytes one message may hold.
        public var sizeLimit: Int { self == .wecomText ? 2048 : 4096 }
    }

    public static func payload(_ alerts: [Alert], kind: Kind, digest: Bool) -> String {
        switch kind {
        case .json:
            return JSONValue.object([
                ("digest", .bool(digest)), ("alerts", .array(alerts.map { $0.jsonObject() })),
            ]).jsonText
        case .wecomMarkdown:
            return JSONValue.object([
                ("msgtype", .string("markdown")),
                ("markdown", .object([("content", .string(body(alerts, kind: kind, digest: digest)))])),
            ]).jsonText
        case .wecomText:
            return JSONValue.object([
                ("msgtype", .string("text")),
                ("text", .object([("content", .string(body(alerts, kind: kind, digest: digest)))])),
            ]).jsonText
        }
    }

    /// The human text of a message: one alert, or a digest listing several.
    public static func body(_ alerts: [Alert], kind: Kind, digest: Bool) -> String {
        let markdown = kind == .wecomMarkdown
        var out = ""
        if digest {
            out += markdown ? "**chatwarden: \(alerts.count) alerts**\n" : "chatwarden: \(alerts.count) alerts\n"
        }
        for a in alerts {
            let evidence = a.matched.isEmpty ? a.term : a.matched
            if markdown {
                let colour = a.severity >= .high ? "warning" : "comment"
                let head =
                    "[\(a.severity.rawValue)] \(a.rule) · \(TimeFormat.local(milliseconds: a.msgtime)) · \(neutralize(a.from))"
                out +=
                    "> <font color=\"\(colour)\">\(head)</font>\n> \(neutralize(evidence)): \(neutralize(String(a.text.prefix(120))))\n> id \(a.id.prefix(12))\n"
            } else {
                let head =
                    "[\(a.severity.rawValue)] \(a.rule) · \(TimeFormat.local(milliseconds: a.msgtime)) · \(oneLine(a.from))"
                out += "\(head)\n\(oneLine(evidence)): \(oneLine(String(a.text.prefix(120))))\nid \(a.id.prefix(12))\n"
            }
        }
        return out
    }

    /// Chat text in a plain-text message stays on its line, so it cannot pose as another alert.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            if c == "\n" || c == "\r" {
                out += " "
            } else if c.value < 0x20 || c.value == 0x7F {
                continue
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Chat text inside WeCom markdown must not become markup (links, colour tags): the
    /// characters that open them are replaced by their full-width forms, and line breaks by spaces.
    static func neutralize(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "[": out += "［"
            case "]": out += "］"
            case "(": out += "（"
            case ")": out += "）"
            case "<": out += "＜"
            case ">": out += "＞"
            case "*": out += "＊"
            case "`": out += "｀"
            case "#": out += "＃"
            case "\n", "\r": out += " "
            default:
                if c.value < 0x20 || c.value == 0x7F { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
