import Alerts
public import Store
import Support
import Config
import Vocabulary

/// Alerts with their review trail as CSV for Excel: a byte-order mark, local times with their
/// offset, names beside ids, labels in the reader's language; the same for the CLI's
/// `export` and the console's download.
public enum AlertExport {
    public static func csv(_ alerts: [StoredAlert], trails: [String: [ReviewRecord]], labels: Labels) -> String {
        let l = labels.language
        var out = CSV.byteOrderMark
        out += CSV.row([
            l.pick("告警ID", "id"), l.pick("时间", "time"), l.pick("级别", "severity"), l.pick("类别", "category"),
            l.pick("规则", "rule"), l.pick("规则ID", "rule id"), l.pick("状态", "status"), l.pick("处理人", "assignee"),
            l.pick("员工", "staff"), l.pick("员工ID", "staff id"), l.pick("发送人", "sender"), l.pick("发送人ID", "sender id"),
            l.pick("群ID", "room id"), l.pick("会话", "conversation"), l.pick("消息ID", "msgid"), l.pick("命中", "matched"),
            l.pick("消息内容", "text"), l.pick("说明", "details"), l.pick("文件", "file"), l.pick("行", "line"),
            l.pick("审查记录", "review trail"),
        ])
        for s in alerts {
            let a = s.alert
            let trail = (trails[a.id] ?? []).map { r in
                "\(time(r.at)) \(r.reviewer)\(r.actor.isEmpty ? "" : "(" + r.actor + ")") \(r.action.label(l))\(r.note.isEmpty ? "" : ": " + r.note)"
            }
            out += CSV.row([
                a.id, time(a.msgtime), a.severity.label(l), labels.category(a.category), labels.rule(a.rule), a.rule,
                s.status.label(l), s.assignee, labels.names.short(s.staff), s.staff, labels.names.short(a.from), a.from,
                a.roomid, a.conversation, a.msgid, a.matched, a.text, a.details, a.file, String(a.line),
                trail.joined(separator: " | "),
            ])
        }
        return out
    }

    /// `2026-11-20 09:30:00 +08:00`: local, with the offset so a reader elsewhere is not misled.
    static func time(_ ms: Int64) -> String {
        TimeFormat.local(milliseconds: ms) + " " + TimeFormat.localOffset(milliseconds: ms)
    }
}
