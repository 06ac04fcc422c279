public import Support
/// Why one archive line could not be decoded. Goes to the quarantine with the line's position;
/// the scan carries on.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words a person can act on.
    public let reason: String
    /// The JSON field at fault, when there is one (dotted path).
    public let field: String?
    /// 1-based byte column in the line, when known.
    public let column: Int?

    public init(reason: String, field: String? = nil, column: Int? = nil) {
        self.reason = reason
        self.field = field
        self.column = column
    }

    public var description: String {
        var text = reason
        if let field { text += " (field \(field))" }
        if let column { text += " at column \(column)" }
        return text
    }
}

/// Turns one archive line into an ``ArchiveMessage``.
public protocol MessageDecoder: Sendable {
    /// Decodes the line's bytes (without the newline). `position` is attached to the message.
    func decode(_ line: UnsafeBufferPointer<UInt8>, at position: SourcePosition) -> Result<ArchiveMessage, DecodeError>
}

extension MessageDecoder {
    /// Convenience for tests and tools.
    public func decode(_ line: String, at position: SourcePosition) -> Result<ArchiveMessage, DecodeError> {
        var copy = line
        return copy.withUTF8 { decode($0, at: position) }
    }
}

/// Parses a line as one JSON object, mapping parse failures to a ``DecodeError`` with its column.
func parseObjectLine(_ line: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, DecodeError> {
    do {
        let value = try JSONParser.parse(line, maxDepth: maxDepth)
        guard case .object = value else {
            return .failure(DecodeError(reason: "the line is JSON but not an object", column: 1))
        }
        return .success(value)
    } catch {
        return .failure(DecodeError(reason: "invalid JSON: \(error.message)", column: error.offset + 1))
    }
}

/// Decodes the WeCom conversation-archive format as archivers of the Finance SDK write it after
/// decryption: one JSON object per line with `msgid`, `action`, `from`, `tolist`, `roomid`,
/// `msgtime` (ms), `msgtype` and the payload under the key named by the type.
public struct WeComDecoder: MessageDecoder {
    public var maxDepth: Int

    public init(maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    public func decode(
        _ line: UnsafeBufferPointer<UInt8>, at position: SourcePosition
    ) -> Result<ArchiveMessage, DecodeError> {
        switch parseObjectLine(line, maxDepth: maxDepth) {
        case .failure(let error): return .failure(error)
        case .success(let object): return decode(object: object, at: position)
        }
    }

    public func decode(object: JSONValue, at position: SourcePosition) -> Result<ArchiveMessage, DecodeError> {
        // A record as the archive API hands it out (with its msgid and seq) but still encrypted:
        // the archiver must decrypt it first; nothing in it can be read here.
        if object["encrypt_chat_msg"] != nil || object["encrypt_random_key"] != nil {
            return .failure(
                DecodeError(
                    reason:
                        "encrypted archive record: the archiver must decrypt it (WeCom Finance SDK DecryptData with the "
                        + "private key of publickey_ver) before writing it to the archive",
                    field: object["encrypt_chat_msg"] != nil ? "encrypt_chat_msg" : "encrypt_random_key"))
        }
        guard let msgid = object["msgid"]?.stringValue, !msgid.isEmpty else {
            return .failure(DecodeError(reason: "missing or empty message id", field: "msgid"))
        }
        let action = MessageAction(object["action"]?.stringValue ?? "send")

        if action == .switchEnterprise {
            guard let time = object["time"]?.int64Value else {
                return .failure(DecodeError(reason: "a switch record needs a numeric time", field: "time"))
            }
            return .success(
                ArchiveMessage(
                    msgid: msgid, action: action, from: object["user"]?.stringValue ?? "", tolist: [], roomid: "",
                    msgtime: time, msgtype: "", content: .none, source: position))
        }

        guard let from = object["from"]?.stringValue else {
            return .failure(DecodeError(reason: "missing sender", field: "from"))
        }
        guard let msgtimeValue = object["msgtime"] else {
            return .failure(DecodeError(reason: "missing message time", field: "msgtime"))
        }
        guard let msgtime = msgtimeValue.int64Value, msgtime >= 0 else {
            return .failure(DecodeError(reason: "message time is not a number of milliseconds", field: "msgtime"))
        }
        var tolist: [String] = []
        if let list = object["tolist"] {
            guard let array = list.arrayValue else {
                return .failure(DecodeError(reason: "recipients are not a list", field: "tolist"))
            }
            tolist = array.compactMap(\.stringValue)
        }
        let roomid = object["roomid"]?.stringValue ?? ""
        guard let msgtype = object["msgtype"]?.stringValue else {
            return .failure(DecodeError(reason: "missing message type", field: "msgtype"))
        }
        let content: MessageContent
        switch Self.content(type: msgtype, payload: object[msgtype], object: object) {
        case .success(let c): content = c
        case .failure(let e): return .failure(e)
        }
        return .success(
            ArchiveMessage(
                msgid: msgid, action: action, from: from, tolist: tolist, roomid: roomid,
                msgtime: msgtime, msgtype: msgtype, content: content, source: position))
    }

    /// The payload for `type`. Known types are decoded; unknown ones keep their JSON.
    static func content(type: String, payload: JSONValue?, object: JSONValue) -> Result<MessageContent, DecodeError> {
        func string(_ key: String) -> String { payload?[key]?.stringValue ?? "" }
        func int(_ key: String) -> Int64 { payload?[key]?.int64Value ?? 0 }
        switch type {
        case "text":
            guard let text = payload?["content"]?.stringValue else {
                return .failure(DecodeError(reason: "a text message needs text.content", field: "text.content"))
            }
            return .success(.text(text))
        case "revoke":
            guard let pre = payload?["pre_msgid"]?.stringValue else {
                return .failure(
                    DecodeError(reason: "a revoke message needs revoke.pre_msgid", field: "revoke.pre_msgid"))
            }
            return .success(.revoke(preMsgid: pre))
        case "image":
            return .success(.image(md5: string("md5sum"), size: int("filesize"), sdkfileid: string("sdkfileid")))
        case "voice": return .success(.voice(md5: string("md5sum"), seconds: int("play_length")))
        case "video": return .success(.video(md5: string("md5sum"), seconds: int("play_length")))
        case "emotion": return .success(.emotion(md5: string("md5sum")))
        case "file": return .success(.file(name: string("filename"), ext: string("fileext"), size: int("filesize")))
        case "card": return .success(.card(corpName: string("corpname"), userID: string("userid")))
        case "link":
            return .success(.link(title: string("title"), description: string("description"), url: string("link_url")))
        case "weapp":
            return .success(
                .weapp(title: string("title"), description: string("description"), appName: string("displayname")))
        case "location": return .success(.location(title: string("title"), address: string("address")))
        case "redpacket", "external_redpacket":
            return .success(
                .redPacket(wish: string("wish"), totalCount: int("totalcnt"), totalAmountCents: int("totalamount")))
        case "chatrecord":
            let items = payload?["item"]?.arrayValue ?? []
            let text = items.compactMap { item -> String? in
                guard let content = item["content"]?.stringValue else { return nil }
                // Items carry their own JSON-encoded payload; keep its text when it has one.
                if let inner = try? JSONParser.parse(content), let t = inner["content"]?.stringValue { return t }
                return content
            }.joined(separator: "\n")
            return .success(.chatRecord(title: string("title"), text: text))
        case "markdown", "news", "calendar", "todo":
            // Markdown and news carry their text under `info`; to-do and calendar under their type.
            let body = object["info"] ?? payload
            let parts = ["title", "content", "description"].compactMap { body?[$0]?.stringValue }
            return .success(.richText(parts.joined(separator: "\n")))
        case "agree", "disagree":
            return .success(.consent(agreed: type == "agree", userID: string("userid")))
        default:
            return .success(.other(rawJSON: (payload ?? object).jsonText))
        }
    }
}
