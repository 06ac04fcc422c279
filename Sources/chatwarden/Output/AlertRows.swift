import Alerts
import Archive
import Rules
import Support
import Vocabulary

/// Alerts as a listing: the columns a reviewer scans, and every field in JSON.
enum AlertRows {
    static func listing(_ alerts: [Alert], statuses: [String: String] = [:]) -> Listing {
        var listing = Listing(columns: [
            Column(title: "ID", maxWidth: 12), Column(title: "TIME", typicalWidth: 19),
            Column(title: "SEVERITY", typicalWidth: 8), Column(title: "RULE", typicalWidth: 24),
            Column(title: "FROM", maxWidth: 20), Column(title: "CHAT", maxWidth: 20),
            Column(title: "MATCH", maxWidth: 24),
            Column(title: "STATUS", typicalWidth: 9), Column(title: "TEXT", maxWidth: 48),
        ])
        for alert in alerts {
            let status = statuses[alert.id] ?? "new"
            let chat = alert.roomid.isEmpty ? "1:1 " + (alert.tolist.first ?? "") : alert.roomid
            listing.append(
                [
                    String(alert.id.prefix(12)), TimeFormat.local(milliseconds: alert.msgtime), alert.severity.rawValue,
                    alert.rule, alert.from, chat, alert.matched.isEmpty ? alert.term : alert.matched, status,
                    alert.text,
                ],
                json: alert.jsonObject(extra: [("status", .string(status))]))
        }
        return listing
    }
}
