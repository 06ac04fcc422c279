import Foundation
import Testing
@testable import Alerts
import Archive
import Detect
import Rules
import Vocabulary

private func message(_ id: String, _ text: String, repair: String? = nil) -> ArchiveMessage {
    var m = ArchiveMessage(
        msgid: id, action: .send, from: "zhangwei", tolist: ["wmCustomer0000000000001"], roomid: "",
        msgtime: 1_795_136_400_000,
        msgtype: "text", content: .text(text), source: SourcePosition(file: "a.jsonl", line: 3, offset: 120, length: 40)
    )
    m.repair = repair
    return m
}

private func finding(
    _ rule: String, _ term: String, _ range: Range<Int>, severity: Severity = .high, limit: Bool = false
) -> Finding {
    Finding(
        rule: rule, category: rule, severity: severity, term: term, range: range, matched: term, normalized: term,
        view: .dense,
        origin: "\(rule).txt:1", limitReached: limit)
}

@Suite("Alerts")
struct AlertTests {
    @Test("ids are deterministic: the rule and the message (or window) they are about, nothing else")
    func deterministic() {
        #expect(AlertIDs.content(rule: "luring", msgid: "m1") == AlertIDs.content(rule: "luring", msgid: "m1"))
        #expect(AlertIDs.content(rule: "luring", msgid: "m1") != AlertIDs.content(rule: "luring", msgid: "m2"))
        #expect(AlertIDs.content(rule: "luring", msgid: "m1") != AlertIDs.content(rule: "abuse", msgid: "m1"))
        // Parts are separated: ("ab", "c") is not ("a", "bc").
        #expect(AlertIDs.content(rule: "ab", msgid: "c") != AlertIDs.content(rule: "a", msgid: "bc"))
        #expect(
            AlertIDs.window(rule: "window.flood", key: "f|x", start: 1)
                != AlertIDs.window(rule: "window.flood", key: "f|x", start: 2))
        let id = AlertIDs.content(rule: "luring", msgid: "m1")
        #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // Pinned: a changed id would make every existing store raise its alerts again.
        #expect(id == "\(AlertIDs.digest(["content", "luring", "m1"]))")
        #expect(AlertIDs.legacyContent(rule: "luring", msgid: "m1") == AlertIDs.fnv128(["content", "luring", "m1"]))
    }

    @Test(
        "sequential message ids: 8-digit prefixes as distinct as chance allows over 100,000 alerts; the old ids were not"
    )
    func prefixesMix() {
        let ids = (0..<100_000).map { AlertIDs.content(rule: "offplatform-money", msgid: "msg\($0)") }
        let eight = Set(ids.map { $0.prefix(8) }).count
        // 100,000 uniform 32-bit values collide about n²/2³³ ≈ 1.2 times: no hash does better.
        #expect(eight >= 99_995, "\(100_000 - eight) collisions among 8-digit prefixes")
        #expect(Set(ids.map { $0.prefix(10) }).count == 100_000, "10-digit prefixes are unique")
        let legacy = (0..<3_000).map { AlertIDs.legacyContent(rule: "offplatform-money", msgid: "msg\($0)") }
        #expect(
            Set(legacy.map { $0.prefix(8) }).count < 1_000,
            "the old scheme's prefixes did not mix (the defect of issue 22)")
    }

    @Test(
        "a message's findings become one alert per rule: the first hit as evidence, every hit in the details, the repair noted"
    )
    func fromFindings() {
        let m = message("m1", "加我微信，再加微信", repair: "invalid UTF-8 replaced")
        let alerts = Alert.fromFindings(
            [
                finding("luring", "加微信", 0..<12), finding("luring", "加微信", 15..<24),
                finding("abuse", "x", 3..<4, severity: .low),
            ], message: m)
        #expect(alerts.map(\.rule) == ["luring", "abuse"])
        let luring = alerts[0]
        #expect(luring.id == Alert.contentID(rule: "luring", msgid: "m1"))
        #expect(luring.legacyID == AlertIDs.legacyContent(rule: "luring", msgid: "m1"))
        #expect(luring.spanStart == 0 && luring.spanEnd == 12 && luring.text == "加我微信，再加微信")
        #expect(luring.details.components(separatedBy: "加微信 → 加微信").count == 3, "\(luring.details)")
        #expect(luring.details.hasSuffix("record repaired: invalid UTF-8 replaced"))
        #expect(luring.file == "a.jsonl" && luring.line == 3 && luring.offset == 120)
        #expect(luring.conversation == m.conversationKey)
    }

    @Test("the JSON line: every key, escaped so one alert stays one line, and it parses back")
    func jsonLine() throws {
        let m = message("m\u{2028}1", "line one\nline two \u{1B}[31m\"quoted\"")
        let alert = Alert.fromFindings([finding("luring", "x", 0..<4)], message: m)[0]
        let line = alert.jsonLine
        #expect(!line.contains("\n") && !line.contains("\u{2028}") && !line.contains("\u{1B}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "rule", "category", "severity", "msgid", "msgtime", "time", "roomid", "conversation", "from",
                "tolist", "matched",
                "term", "span", "text", "file", "line", "offset", "details", "related",
            ])
        #expect(object["text"] as? String == "line one\nline two \u{1B}[31m\"quoted\"")
        #expect(object["msgid"] as? String == "m\u{2028}1")
        #expect(object["time"] as? String == "2026-11-20T01:00:00.000Z")
        #expect(object["span"] as? [Int] == [0, 4])
    }

    @Test("notes about the engine or the archive are not what rules over time count; hits on what was written are")
    func notes() {
        let m = message("m1", "x")
        #expect(!Alert.fromFindings([finding("luring", "x", 0..<1)], message: m)[0].isNote)
        #expect(Alert.conflictingRecord(m, indexedText: "y").isNote)
        let engine = Alert.fromFindings([finding("slow", "t", 0..<0, severity: .low, limit: true)], message: m)[0]
        #expect(engine.category == AlertCategory.engine && engine.isNote)
    }
}
