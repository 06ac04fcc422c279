public import Vocabulary
/// Where a message came from: the archive file and the byte offset of its line, so a reviewer
/// (and a rescan) can go back to the exact evidence.
public struct SourcePosition: Sendable, Hashable, Codable {
    /// The archive file's path as given to the source.
    public var file: String
    /// 1-based line number within the file, counted from where reading started (0 when unknown).
    public var line: Int
    /// Byte offset of the line's first byte in the file.
    public var offset: Int64
    /// Length of the line in bytes, without the newline.
    public var length: Int

    public init(file: String, line: Int, offset: Int64, length: Int) {
        self.file = file
        self.line = line
        self.offset = offset
        self.length = length
    }
}

/// What a message record does (the archive's `action`).
public enum MessageAction: Sendable, Hashable {
    /// An ordinary message.
    case send
    /// A recall: the sender withdrew an earlier message (`revoke.pre_msgid` names it).
    case recall
    /// The staff member switched enterprise (a `switch` record: `time`, `user`, no `msgtype`).
    case switchEnterprise
    /// An action this version does not know; kept as written.
    case other(String)

    public init(_ text: String) {
        switch text {
        case "send": self = .send
        case "recall": self = .recall
        case "switch": self = .switchEnterprise
        default: self = .other(text)
        }
    }

    public var text: String {
        switch self {
        case .send: return "send"
        case .recall: return "recall"
        case .switchEnterprise: return "switch"
        case .other(let t): return t
        }
    }
}

/// The typed payload of a message (the object under the key named by `msgtype`).
public enum MessageContent: Sendable, Equatable {
    case text(String)
    /// A recall notice naming the withdrawn message.
    case revoke(preMsgid: String)
    /// An image: its checksum, size and the archive SDK's file id (what archivers name the
    /// downloaded file after).
    case image(md5: String, size: Int64, sdkfileid: String = "")
    case voice(md5: String, seconds: Int64)
    case video(md5: String, seconds: Int64)
    case emotion(md5: String)
    case file(name: String, ext: String, size: Int64)
    /// A shared business card: staff sharing contacts of other people.
    case card(corpName: String, userID: String)
    case link(title: String, description: String, url: String)
    /// A mini-program.
    case weapp(title: String, description: String, appName: String)
    case location(title: String, address: String)
    /// A red packet (`redpacket` and `external_redpacket`), amounts in cents.
    case redPacket(wish: String, totalCount: Int64, totalAmountCents: Int64)
    /// A forwarded chat record (its items' text joined).
    case chatRecord(title: String, text: String)
    /// Markdown, to-do, calendar and other types whose text is worth scanning.
    case richText(String)
    /// Agree / disagree to conversation archiving.
    case consent(agreed: Bool, userID: String)
    /// A `switch` record: no payload.
    case none
    /// A type this version does not decode: the payload is kept as JSON, never dropped.
    case other(rawJSON: String)
}

/// One decoded archive record.
public struct ArchiveMessage: Sendable, Equatable {
    public var msgid: String
    public var action: MessageAction
    /// Sender id (for a `switch` record, the `user`).
    public var from: String
    public var tolist: [String]
    /// Group chat id; empty for one-to-one conversations.
    public var roomid: String
    /// Event time in milliseconds since the epoch (the archive's `msgtime`; `time` for `switch`).
    public var msgtime: Int64
    /// The archive's `msgtype` (empty for `switch`).
    public var msgtype: String
    public var content: MessageContent
    /// Where the record is in the archive.
    public var source: SourcePosition
    /// How the record was repaired to be read at all (invalid UTF-8 replaced, a text too long
    /// cut), in words for the reviewer; nil for a record read as written. The original bytes
    /// stay in the archive file at ``source``.
    public var repair: String? = nil

    public init(
        msgid: String, action: MessageAction, from: String, tolist: [String], roomid: String,
        msgtime: Int64, msgtype: String, content: MessageContent, source: SourcePosition
    ) {
        self.msgid = msgid
        self.action = action
        self.from = from
        self.tolist = tolist
        self.roomid = roomid
        self.msgtime = msgtime
        self.msgtype = msgtype
        self.content = content
        self.source = source
    }

    /// Whether this is a group chat message.
    public var isGroup: Bool { !roomid.isEmpty }

    /// The sender's kind, from the shape of the id.
    public var senderKind: ParticipantKind { ParticipantKind(id: from) }

    /// A stable key for the conversation: the room id, or for one-to-one chats the two
    /// participants in sorted order (so both directions are one conversation).
    public var conversationKey: String {
        if !roomid.isEmpty { return roomid }
        let peer = tolist.first ?? ""
        return from < peer ? "\(from)|\(peer)" : "\(peer)|\(from)"
    }

    /// The text content rules look at: the words a person wrote or shared.
    public var scannableText: String {
        switch content {
        case .text(let s), .richText(let s): return s
        case .link(let title, let description, let url): return Self.join(title, description, url)
        case .weapp(let title, let description, let app): return Self.join(title, description, app)
        case .file(let name, _, _): return name
        case .card(let corp, let user): return Self.join(corp, user)
        case .location(let title, let address): return Self.join(title, address)
        case .redPacket(let wish, _, _): return wish
        case .chatRecord(let title, let text): return Self.join(title, text)
        case .revoke, .image, .voice, .video, .emotion, .consent, .none, .other: return ""
        }
    }

    /// Whether the text is shared content (a link card, mini-program, file name, business card,
    /// location) rather than words the sender typed.
    public var isSharedContent: Bool {
        switch content {
        case .link, .weapp, .file, .card, .location: return true
        default: return false
        }
    }

    /// This message with its text cut to at most `maxBytes` bytes of UTF-8 (at a character
    /// boundary), or nil when it is not longer than that. Only free text can be that long: typed
    /// text, rich text and forwarded chat records.
    public func cutting(textTo maxBytes: Int) -> ArchiveMessage? {
        func cut(_ s: String) -> String {
            var end = s.utf8.index(s.utf8.startIndex, offsetBy: maxBytes)
            while end > s.utf8.startIndex && UTF8.isContinuation(s.utf8[end]) {
                end = s.utf8.index(before: end)
            }
            return String(s[..<end])
        }
        guard scannableText.utf8.count > maxBytes else { return nil }
        var copy = self
        switch content {
        case .text(let s): copy.content = .text(cut(s))
        case .richText(let s): copy.content = .richText(cut(s))
        case .chatRecord(let title, let text): copy.content = .chatRecord(title: title, text: cut(text))
        default: return nil
        }
        return copy
    }

    private static func join(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: "\n")
    }
}
