public import Support
/// Decodes JSON lines of another shape through a field mapping (dotted paths), for archives
/// written by other tools. Every mapped message is a `send` of type `text` unless the mapping
/// names fields for the action and the type.
public struct FieldMapping: Sendable, Equatable {
    public var msgid: String
    public var from: String
    public var text: String
    public var msgtime: String
    public var tolist: String?
    public var roomid: String?
    public var action: String?
    public var msgtype: String?
    /// `revoke.pre_msgid`'s equivalent, for recalls.
    public var recalledMsgid: String?
    /// Whether `msgtime` is in seconds (converted to milliseconds) rather than milliseconds.
    public var timeInSeconds: Bool

    public init(
        msgid: String = "id", from: String = "from", text: String = "text", msgtime: String = "time",
        tolist: String? = "to", roomid: String? = "room", action: String? = nil, msgtype: String? = nil,
        recalledMsgid: String? = nil, timeInSeconds: Bool = false
    ) {
        self.msgid = msgid
        self.from = from
        self.text = text
        self.msgtime = msgtime
        self.tolist = tolist
        self.roomid = roomid
        self.action = action
        self.msgtype = msgtype
        self.recalledMsgid = recalledMsgid
        self.timeInSeconds = timeInSeconds
    }
}

/// A ``MessageDecoder`` for generic JSON lines through a ``FieldMapping``.
public struct MappedDecoder: MessageDecoder {
    public var mapping: FieldMapping
    public var maxDepth: Int

    public init(mapping: FieldMapping, maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.mapping = mapping
        self.maxDepth = maxDepth
    }

    public func decode(
        _ line: UnsafeBufferPointer<UInt8>, at position: SourcePosition
    ) -> Result<ArchiveMessage, DecodeError> {
        let object: JSONValue
        switch parseObjectLine(line, maxDepth: maxDepth) {
        case .failure(let error): return .failure(error)
        case .success(let value): object = value
        }
        let m = mapping
        guard let msgid = Self.scalarText(object.value(atPath: m.msgid)), !msgid.isEmpty else {
            return .failure(DecodeError(reason: "missing or empty message id", field: m.msgid))
        }
        guard let from = Self.scalarText(object.value(atPath: m.from)) else {
            return .failure(DecodeError(reason: "missing sender", field: m.from))
        }
        guard var time = object.value(atPath: m.msgtime)?.int64Value, time >= 0 else {
            return .failure(DecodeError(reason: "missing or non-numeric message time", field: m.msgtime))
        }
        if m.timeInSeconds { time *= 1000 }
        let action = MessageAction(m.action.flatMap { object.value(atPath: $0)?.stringValue } ?? "send")
        let msgtype =
            m.msgtype.flatMap { object.value(atPath: $0)?.stringValue } ?? (action == .recall ? "revoke" : "text")
        var tolist: [String] = []
        if let path = m.tolist, let value = object.value(atPath: path) {
            if let array = value.arrayValue {
                tolist = array.compactMap(Self.scalarText)
            } else if let one = Self.scalarText(value) {
                tolist = [one]
            }
        }
        let roomid = m.roomid.flatMap { Self.scalarText(object.value(atPath: $0)) } ?? ""
        let content: MessageContent
        if action == .recall || msgtype == "revoke" {
            let pre = m.recalledMsgid.flatMap { Self.scalarText(object.value(atPath: $0)) } ?? ""
            content = .revoke(preMsgid: pre)
        } else if let text = object.value(atPath: m.text)?.stringValue {
            content = .text(text)
        } else {
            content = .other(rawJSON: object.jsonText)
        }
        return .success(
            ArchiveMessage(
                msgid: msgid, action: action, from: from, tolist: tolist, roomid: roomid,
                msgtime: time, msgtype: msgtype, content: content, source: position))
    }

    /// Strings as they are, integers as their digits (ids are often numbers in other formats).
    static func scalarText(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }
}
