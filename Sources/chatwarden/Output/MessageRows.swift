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
        m.jsonObject(recalledBy: recalledBy, otherVersions: otherVersions)
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
    static func json(_ r: ReviewRecord) -> JSONValue { r.jsonObject }
}
