import Alerts
import Vocabulary
import Foundation

/// The conversation-archive index: messages, their conversation, other versions, recalls, search.
extension ChatStore {
    // MARK: - Archive index

    static func storedMessage(from row: SQLRow) -> StoredMessage {
        StoredMessage(
            msgid: row.string("msgid"), msgtime: row.int64("msgtime"), action: row.string("action"),
            msgtype: row.string("msgtype"),
            sender: row.string("sender"),
            senderKind: ParticipantKind(rawValue: row.string("sender_kind"))
                ?? ParticipantKind(id: row.string("sender")), tolist: stringArray(row.optionalString("tolist")),
            roomid: row.string("roomid"), conversation: row.string("conversation"), text: row.string("text"),
            file: row.string("file"),
            line: row.int("line"), offset: row.int64("offset"), recalls: row.optionalString("recalls"),
            repair: row.optionalString("repair"))
    }

    /// One message by id.
    public func message(msgid: String) throws(StoreError) -> StoredMessage? {
        try read { db in
            try db.one("SELECT * FROM messages WHERE msgid = ?", [.text(msgid)]).map(Self.storedMessage(from:))
        }
    }

    /// Other records that came with `msgid` but a different text (the index holds the first), in
    /// the order they were seen: text, where it is in the archive.
    public func otherVersions(msgid: String) throws(StoreError) -> [(text: String, file: String, line: Int)] {
        try read { db in
            try db.query(
                "SELECT text, file, line FROM message_versions WHERE msgid = ? ORDER BY seen_at, file, \"offset\"",
                [.text(msgid)]
            )
            .map { ($0.string("text"), $0.string("file"), $0.int("line")) }
        }
    }

    /// The conversation around a message: up to `before` earlier and `after` later messages of the
    /// same conversation, in time order, the message itself included.
    public func context(msgid: String, before: Int, after: Int) throws(StoreError) -> [StoredMessage]? {
        try read { db in
            guard let row = try db.one("SELECT * FROM messages WHERE msgid = ?", [.text(msgid)]) else { return nil }
            let center = Self.storedMessage(from: row)
            let position: [SQLValue] = [.text(center.conversation), .integer(center.msgtime), row["rowid"]]
            let earlier = try db.query(
                """
                SELECT * FROM messages WHERE conversation = ? AND (msgtime, rowid) < (?, ?)
                ORDER BY msgtime DESC, rowid DESC LIMIT ?
                """,
                position + [SQLValue(before)]
            ).map(Self.storedMessage(from:)).reversed()
            let later = try db.query(
                """
                SELECT * FROM messages WHERE conversation = ? AND (msgtime, rowid) > (?, ?)
                ORDER BY msgtime, rowid LIMIT ?
                """,
                position + [SQLValue(after)]
            ).map(Self.storedMessage(from:))
            return Array(earlier) + [center] + later
        }
    }

    /// The recall records that withdrew any of `msgids`: msgid → the recall's msgid.
    public func recalls(of msgids: [String]) throws(StoreError) -> [String: String] {
        guard !msgids.isEmpty else { return [:] }
        return try read { db in
            var result: [String: String] = [:]
            for row in try db.query(
                "SELECT msgid, recalls FROM messages WHERE recalls IN (\(Self.marks(msgids.count)))",
                msgids.map(SQLValue.text))
            {
                result[row.string("recalls")] = row.string("msgid")
            }
            return result
        }
    }
}
