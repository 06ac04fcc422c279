@testable import Alerts
import Foundation
import Testing
import Vocabulary

/// What a notification says, and that chat text cannot change what it looks like.
@Suite("Notification messages")
struct NotificationFormatTests {
    func pending(text: String, from: String = "zhangsan", matched: String = "加我微信", severity: Severity = .high) -> Alert
    {
        let alert = Alert(
            id: "0123456789abcdef0123456789abcdef", rule: "contact.wechat", category: "contact", severity: severity,
            msgid: "m1", msgtime: 1_700_000_000_000, roomid: "", conversation: "a|b", from: from, tolist: ["b"],
            matched: matched, term: matched, spanStart: 0, spanEnd: matched.utf8.count, text: text,
            file: "/srv/a.jsonl", line: 3, offset: 120, details: "")
        return alert
    }

    @Test("WeCom markdown: chat text cannot open links, colour tags or new quoted lines")
    func markdownNeutralised() throws {
        let hostile = "点[这里](http://evil.example)<font color=\"info\">已处理</font>\n> [low] fake alert"
        let payload = NotificationFormat.payload([pending(text: hostile)], kind: .wecomMarkdown, digest: false)
        let json = try #require(try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        #expect(json["msgtype"] as? String == "markdown")
        let content = try #require((json["markdown"] as? [String: Any])?["content"] as? String)
        #expect(content.contains("【高】微信号 contact.wechat"), "robot messages are in Chinese by default")
        #expect(content.contains("点［这里］（http://evil.example）＜font color=\"info\"＞已处理"))
        #expect(!content.contains("](http"))
        #expect(!content.contains("<font color=\"info\">"))
        // One alert: a header line, an evidence line and an id line, nothing injected between.
        #expect(content.split(separator: "\n").count == 3, "\(content)")
        #expect(content.contains("告警 0123456789ab"))
    }

    @Test("WeCom text: the message stays on its lines, control characters dropped")
    func textOneLine() throws {
        let payload = NotificationFormat.payload(
            [pending(text: "hello\n[critical] fake\u{1B}[2J", from: "x\ny")], kind: .wecomText, digest: false)
        let json = try #require(try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        let content = try #require((json["text"] as? [String: Any])?["content"] as? String)
        #expect(content.split(separator: "\n").count == 3, "\(content)")
        #expect(content.contains("hello [critical] fake[2J"))
        #expect(content.contains("· x y"))
        #expect(!content.unicodeScalars.contains { $0.value == 0x1B })
    }

    @Test("titles, guidance and display names come from the wordlists and the names file")
    func wording() throws {
        var alert = pending(text: "加我微信 abc123")
        alert.rule = "luring"
        alert.category = "luring"
        let wording = NotificationWording(
            titles: ["luring": "引导私下联系 / Luring a customer off-platform"],
            guidance: ["luring": "核实员工是否引导客户离开企业微信 / Check whether the staff member moved the customer"],
            names: ["zhangsan": "张三"])
        let text = NotificationFormat.body([alert], kind: .wecomText, digest: false, wording: wording)
        #expect(text.contains("【高】引导私下联系 luring"), "\(text)")
        #expect(text.contains("张三(zhangsan)"))
        #expect(text.contains("建议：核实员工是否引导客户离开企业微信"))
        #expect(!text.contains("Check whether"))
    }

    @Test("a digest counts its alerts; JSON webhooks get the alerts as the alert log writes them")
    func digestAndJSON() throws {
        let items = [pending(text: "一"), pending(text: "二", severity: .critical)]
        let digest = NotificationFormat.body(items, kind: .wecomMarkdown, digest: true)
        #expect(digest.hasPrefix("**chatwarden：2 条告警**\n"))
        let english = NotificationFormat.body(
            items, kind: .wecomMarkdown, digest: true, wording: NotificationWording(language: .en))
        #expect(english.hasPrefix("**chatwarden: 2 alerts**\n"))
        #expect(english.contains("[critical] WeChat id contact.wechat"), "\(english)")
        let payload = NotificationFormat.payload(items, kind: .json, digest: true)
        let json = try #require(try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        #expect(json["digest"] as? Bool == true)
        let alerts = try #require(json["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2)
        #expect(alerts.map { $0["severity"] as? String } == ["high", "critical"])
        #expect(alerts.first?["text"] as? String == "一")
    }
}
