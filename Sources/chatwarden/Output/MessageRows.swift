import Alerts
import Archive
import Store
import Support
import Vocabulary

/// Archive messages as listings.
enum MessageRows {
    /// What to show for a message: its text, or its type for messages without text.
    static func body(_ m: StoredMessage) -> String {
        if let recalled = m.recalls { return "[recall of \(recalled)]" }
        if m.text.isEmpty { return "[\(m.msgtype.isEmpty ? m.action : m.msgtype)]" }
        return m.text
    }

    static func json(
        _ m: StoredMessage, recalledBy: String? = nil, otherVersions: [(text: String, file: String, line: Int)] = []
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("msgid", .string(m.msgid)), ("msgtime", .integer(m.msgtime)),
            ("time", .string(TimeFormat.iso8601UTC(milliseconds: m.msgtime))), ("action", .string(m.action)),
            ("msgtype", .string(m.msgtype)), ("from", .string(m.sender)),
            ("sender_kind", .string(m.senderKind.rawValue)),
            ("tolist", .array(m.tolist.map(JSONValue.string))), ("roomid", .string(m.roomid)),
            ("conversation", .string(m.conversation)), ("text", .string(m.text)), ("file", .string(m.file)),
            ("line", .integer(Int64(m.line))), ("offset", .integer(m.offset)),
        ]
        if let recalls = m.recalls { members.append(("recalls", .string(recalls))) }
        if let recalledBy { members.append(("recalled_by", .string(recalledBy))) }
        if let repair = m.repair { members.append(("repair", .string(repair))) }
        if !otherVersions.isEmpty {
            members.append(
                (
                    "other_versions",
                    .array(
                        otherVersions.map { v in
                            .object([
                                ("text", .string(v.text)), ("file", .string(v.file)), ("line", .integer(Int64(v.line))),
                            ])
                        })
                ))
        }
        return .object(members)
    }

    static func listing(
        _ messages: [StoredMessage], highlights: [[Range<Int>]]? = nil, marked: String? = nil
    ) -> Listing {
        var listing = Listing(columns: [
            Column(title: "TIME"), Column(title: "FROM", maxWidth: 20), Column(title: "CHAT", maxWidth: 20),
            Column(title: "MSGID", maxWidth: 22), Column(title: "TEXT", maxWidth: 70),
        ])
        for (index, m) in messages.enumerated() {
            let chat = m.roomid.isEmpty ? "1:1 " + (m.tolist.first ?? "") : m.roomid
            var text = body(m)
            if m.msgid == marked { text = "▶ " + text }
            var object = json(m)
            if let ranges = highlights?[index], case .object(var members) = object {
                members.append(
                    (
                        "matches",
                        .array(ranges.map { .array([.integer(Int64($0.lowerBound)), .integer(Int64($0.upperBound))]) })
                    ))
                object = .object(members)
            }
            listing.append([TimeFormat.local(milliseconds: m.msgtime), m.sender, chat, m.msgid, text], json: object)
        }
        return listing
    }
}

/// Review trail entries as JSON.
enum ReviewRows {
    static func json(_ r: ReviewRecord) -> JSONValue {
        .object([
            ("alert", .string(r.alertID)), ("action", .string(r.action.rawValue)),
            ("status", .string(r.status.rawValue)),
            ("reviewer", .string(r.reviewer)), ("note", .string(r.note)),
            ("at", .string(TimeFormat.iso8601UTC(milliseconds: r.at))),
        ])
    }
}
