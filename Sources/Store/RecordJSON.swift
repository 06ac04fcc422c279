import Alerts
public import Support
import Vocabulary

/// Stored messages and review records as JSON objects: what `--format json`, exports and
/// evidence bundles write, spelled once.
extension StoredMessage {
    public func jsonObject(
        recalledBy: String? = nil, otherVersions: [(text: String, file: String, line: Int)] = []
    ) -> JSONValue {
        let m = self
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

}

extension ReviewRecord {
    public var jsonObject: JSONValue {
        var members: [(String, JSONValue)] = [
            ("alert", .string(alertID)), ("action", .string(action.rawValue)), ("status", .string(status.rawValue)),
            ("reviewer", .string(reviewer)), ("note", .string(note)),
            ("at", .string(TimeFormat.iso8601UTC(milliseconds: at))),
        ]
        if !actor.isEmpty { members.append(("recorded_by", .string(actor))) }
        return .object(members)
    }
}

extension AccessRecord {
    public var jsonObject: JSONValue {
        .object([
            ("account", .string(account)), ("action", .string(action)), ("ref", .string(ref)),
            ("detail", .string(detail)), ("at", .string(TimeFormat.iso8601UTC(milliseconds: at))),
        ])
    }
}
