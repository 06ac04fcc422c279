import Alerts
import Archive
import Config
import Console
import Rules
import Store
import Support
import Vocabulary

/// Alerts as a listing: the columns a reviewer scans (in the reader's language, names beside
/// ids), and every field in JSON (ids and raw values, for programs).
enum AlertRows {
    static func listing(_ alerts: [StoredAlert], labels: Labels = Labels(language: .en)) -> Listing {
        let l = labels.language
        var listing = Listing(columns: [
            Column(title: l.pick("告警ID", "ID"), maxWidth: 12), Column(title: l.pick("时间", "TIME"), typicalWidth: 19),
            Column(title: l.pick("级别", "SEVERITY"), typicalWidth: 8),
            Column(title: l.pick("规则", "RULE"), typicalWidth: 24),
            Column(title: l.pick("发送人", "FROM"), maxWidth: 24), Column(title: l.pick("会话", "CHAT"), maxWidth: 24),
            Column(title: l.pick("命中", "MATCH"), maxWidth: 24),
            Column(title: l.pick("状态", "STATUS"), typicalWidth: 9), Column(title: l.pick("内容", "TEXT"), maxWidth: 48),
        ])
        for stored in alerts {
            let alert = stored.alert
            let chat =
                alert.roomid.isEmpty
                ? "1:1 " + labels.person(alert.tolist.first ?? "") : l.pick("群 ", "group ") + alert.roomid
            let rule = l == .en ? alert.rule : "\(labels.rule(alert.rule)) \(alert.rule)"
            listing.append(
                [
                    String(alert.id.prefix(12)), TimeFormat.local(milliseconds: alert.msgtime), alert.severity.label(l),
                    rule, labels.person(alert.from), chat, alert.matched.isEmpty ? alert.term : alert.matched,
                    stored.status.label(l), alert.text,
                ],
                json: alert.jsonObject(extra: [
                    ("status", .string(stored.status.rawValue)), ("staff", .string(stored.staff)),
                    ("assignee", .string(stored.assignee)), ("rule_version", .string(stored.ruleVersion)),
                ]))
        }
        return listing
    }
}
