public import Vocabulary
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

    public static func payload(
        _ alerts: [Alert], kind: Kind, digest: Bool, wording: NotificationWording = NotificationWording()
    ) -> String {
        switch kind {
        case .json:
            return JSONValue.object([
                ("digest", .bool(digest)), ("alerts", .array(alerts.map { $0.jsonObject() })),
            ]).jsonText
        case .wecomMarkdown:
            return JSONValue.object([
                ("msgtype", .string("markdown")),
                (
                    "markdown",
                    .object([("content", .string(body(alerts, kind: kind, digest: digest, wording: wording)))])
                ),
            ]).jsonText
        case .wecomText:
            return JSONValue.object([
                ("msgtype", .string("text")),
                ("text", .object([("content", .string(body(alerts, kind: kind, digest: digest, wording: wording)))])),
            ]).jsonText
        }
    }

    /// The human text of a message: one alert, or a digest listing several, in the wording's
    /// language (Chinese by default) with the wordlists' titles and guidance and display names.
    public static func body(
        _ alerts: [Alert], kind: Kind, digest: Bool, wording: NotificationWording = NotificationWording()
    ) -> String {
        let markdown = kind == .wecomMarkdown
        let l = wording.language
        var out = ""
        if digest {
            let head = l.pick("chatwarden：\(alerts.count) 条告警", "chatwarden: \(alerts.count) alerts")
            out += markdown ? "**\(head)**\n" : "\(head)\n"
        }
        func clean(_ text: String) -> String { markdown ? neutralize(text) : oneLine(text) }
        let quote = markdown ? "> " : ""
        for a in alerts {
            let evidence = a.matched.isEmpty ? a.term : a.matched
            let head =
                "\(l.pick("【\(a.severity.label(l))】", "[\(a.severity.rawValue)] "))\(clean(wording.title(of: a))) · "
                + "\(TimeFormat.local(milliseconds: a.msgtime)) · \(clean(wording.person(a.from)))"
            if markdown {
                let colour = a.severity >= .high ? "warning" : "comment"
                out += "> <font color=\"\(colour)\">\(head)</font>\n"
            } else {
                out += head + "\n"
            }
            out += "\(quote)\(clean(evidence))\(l.pick("：", ": "))\(clean(String(a.text.prefix(120))))\n"
            if let guidance = wording.guidance(of: a) {
                out += "\(quote)\(l.pick("建议：", "what to do: "))\(clean(guidance))\n"
            }
            out += "\(quote)\(l.pick("告警", "id")) \(a.id.prefix(12))\n"
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

/// How robot messages name things: their language, the wordlists' titles and guidance by
/// category, display names by id.
public struct NotificationWording: Sendable {
    public var language: Language
    /// Category id → its wordlist's (bilingual) title.
    public var titles: [String: String]
    /// Category id → what a reviewer should do.
    public var guidance: [String: String]
    /// Staff or customer id → display name.
    public var names: [String: String]

    public init(
        language: Language = .zh, titles: [String: String] = [:], guidance: [String: String] = [:],
        names: [String: String] = [:]
    ) {
        self.language = language
        self.titles = titles
        self.guidance = guidance
        self.names = names
    }

    /// `微信号 contact.wechat`, `引导私下联系 luring`: the name in the language, then the rule id.
    func title(of alert: Alert) -> String {
        let name =
            BuiltInNames.rule(alert.rule, language) ?? titles[alert.category].map(language.part(ofBilingual:))
            ?? BuiltInNames.category(alert.category, language)
        guard let name, name != alert.rule else { return alert.rule }
        return "\(name) \(alert.rule)"
    }

    func person(_ id: String) -> String {
        guard let name = names[id], !name.isEmpty else { return id }
        return "\(name)(\(id))"
    }

    func guidance(of alert: Alert) -> String? {
        guidance[alert.category].map(language.part(ofBilingual:))
    }
}
