public import Archive
public import Detect
public import Vocabulary

/// An alert: something a reviewer must look at, with its evidence.
///
/// The id is deterministic, derived from what the alert is about (rule + message id for content
/// rules; rule + window key + window start for frequency rules), so replaying any input, a crash
/// and restart, or a rescan can never create a second alert for the same thing.
public struct Alert: Sendable, Equatable {
    public var id: String
    public var rule: String
    public var category: String
    public var severity: Severity
    /// The message the alert is about (for window rules: the message that completed the window).
    public var msgid: String
    public var msgtime: Int64
    public var roomid: String
    public var conversation: String
    public var from: String
    public var tolist: [String]
    /// The evidence as written, and the rule entry that matched.
    public var matched: String
    public var term: String
    /// Byte range of `matched` within `text`.
    public var spanStart: Int
    public var spanEnd: Int
    /// The whole message text as written.
    public var text: String
    public var file: String
    public var line: Int
    public var offset: Int64
    /// Further facts (all hits of the rule in the message, validated values, window details).
    public var details: String
    /// Other messages that are part of the evidence (window rules, recalls).
    public var relatedMsgids: [String]
    /// The id an earlier release gave this alert (empty: none), so that a store made by it does
    /// not get the same alert twice under two ids. Not stored, not in the JSON.
    public var legacyID = ""

    public init(
        id: String, rule: String, category: String, severity: Severity, msgid: String, msgtime: Int64,
        roomid: String, conversation: String, from: String, tolist: [String], matched: String, term: String,
        spanStart: Int, spanEnd: Int, text: String, file: String, line: Int, offset: Int64, details: String,
        relatedMsgids: [String] = []
    ) {
        self.id = id
        self.rule = rule
        self.category = category
        self.severity = severity
        self.msgid = msgid
        self.msgtime = msgtime
        self.roomid = roomid
        self.conversation = conversation
        self.from = from
        self.tolist = tolist
        self.matched = matched
        self.term = term
        self.spanStart = spanStart
        self.spanEnd = spanEnd
        self.text = text
        self.file = file
        self.line = line
        self.offset = offset
        self.details = details
        self.relatedMsgids = relatedMsgids
    }

    /// The id of the alert a content rule raises on a message.
    public static func contentID(rule: String, msgid: String) -> String {
        AlertIDs.content(rule: rule, msgid: msgid)
    }

    /// The id of the alert a window rule raises for one window.
    public static func windowID(rule: String, key: String, windowStart: Int64) -> String {
        AlertIDs.window(rule: rule, key: key, start: windowStart)
    }

    /// The alert for what a rule over time raised on `message`.
    public static func fromWindow(_ finding: WindowFinding, message: ArchiveMessage) -> Alert {
        var alert = Alert(
            id: AlertIDs.id(rule: finding.rule, subject: finding.subject), rule: finding.rule,
            category: finding.category, severity: finding.severity,
            msgid: message.msgid, msgtime: message.msgtime, roomid: message.roomid,
            conversation: message.conversationKey,
            from: message.from, tolist: message.tolist, matched: "", term: finding.summary, spanStart: 0, spanEnd: 0,
            text: finding.evidence, file: message.source.file, line: message.source.line, offset: message.source.offset,
            details: finding.summary, relatedMsgids: finding.related)
        alert.legacyID = AlertIDs.legacy(rule: finding.rule, subject: finding.subject)
        return alert
    }

    /// Whether this alert is a note about the engine (a pattern stopped at its limit) or the
    /// archive (a message id reused) rather than about what someone wrote or did: notes are not
    /// what rules over time count (repeated hits, recall after a hit). The one definition the
    /// pipeline and the store share.
    public var isNote: Bool { category == AlertCategory.engine || category == AlertCategory.integrity }

    /// The alert for a violation split over consecutive messages of one sender (`parts`, oldest
    /// first, the last being `message`), found in their `joined` text. Its id names every part,
    /// so the same split is one alert however often it is read.
    public static func acrossMessages(
        _ finding: Finding, parts: [String], joined: String, message: ArchiveMessage, start: Int64
    ) -> Alert {
        let key = "split|" + parts.joined(separator: "+")
        let how =
            (finding.explanation.isEmpty ? [] : [finding.explanation.joined(separator: " → ")]) + [
                "across \(parts.count) messages"
            ]
        var alert = Alert(
            id: AlertIDs.id(rule: finding.rule, subject: .window(key: key, start: start)), rule: finding.rule,
            category: finding.category, severity: finding.severity, msgid: message.msgid, msgtime: message.msgtime,
            roomid: message.roomid, conversation: message.conversationKey, from: message.from, tolist: message.tolist,
            matched: finding.matched, term: finding.term, spanStart: finding.range.lowerBound,
            spanEnd: finding.range.upperBound,
            text: joined, file: message.source.file, line: message.source.line, offset: message.source.offset,
            details: "\(finding.term) → \(finding.matched)"
                + (finding.detail.isEmpty || finding.detail == finding.matched ? "" : " [\(finding.detail)]")
                + " (read as: " + how.joined(separator: "; ") + "): messages " + parts.joined(separator: ", "),
            relatedMsgids: Array(parts.dropLast()))
        alert.legacyID = ""
        return alert
    }

    /// The rule of the alert raised when a record reuses an indexed message's id with a
    /// different text (the index keeps the first; the other is kept beside it).
    public static let conflictingRecordRule = "integrity.msgid-conflict"

    /// The alert for a record that reuses `message.msgid`, whose indexed text is `indexedText`:
    /// one per record (the id names the record's place in the archive).
    public static func conflictingRecord(_ message: ArchiveMessage, indexedText: String) -> Alert {
        let place = "\(message.source.file):\(message.source.offset)"
        let summary = "another record with message id \(message.msgid) has a different text; the index keeps the first"
        return Alert(
            id: contentID(rule: conflictingRecordRule, msgid: message.msgid + "@" + place), rule: conflictingRecordRule,
            category: AlertCategory.integrity, severity: .high, msgid: message.msgid, msgtime: message.msgtime,
            roomid: message.roomid,
            conversation: message.conversationKey, from: message.from, tolist: message.tolist, matched: "",
            term: summary,
            spanStart: 0, spanEnd: 0, text: message.scannableText, file: message.source.file, line: message.source.line,
            offset: message.source.offset, details: summary + "; indexed text: " + indexedText)
    }

    /// Groups a message's findings into alerts: one per rule per message, the first hit as the
    /// evidence and every hit listed in the details.
    public static func fromFindings(_ findings: [Finding], message: ArchiveMessage) -> [Alert] {
        var order: [String] = []
        var byRule: [String: [Finding]] = [:]
        for finding in findings {
            let key = finding.limitReached ? "engine.limit" : finding.rule
            if byRule[key] == nil { order.append(key) }
            byRule[key, default: []].append(finding)
        }
        let text = message.scannableText
        return order.map { rule in
            let hits = byRule[rule]!
            let first = hits[0]
            var details: String
            if first.limitReached {
                details = hits.map { "\($0.rule) (\($0.origin)): \($0.detail)" }.joined(separator: "; ")
            } else {
                details = hits.map { hit in
                    var d = "\(hit.term) → \(hit.matched)"
                    if !hit.detail.isEmpty && hit.detail != hit.matched { d += " [\(hit.detail)]" }
                    if !hit.explanation.isEmpty { d += " (read as: " + hit.explanation.joined(separator: " → ") + ")" }
                    return d
                }.joined(separator: "; ")
            }
            // Evidence read from a repaired record says so (the original bytes are in the file).
            if let repair = message.repair { details += "; record repaired: " + repair }
            var alert = Alert(
                id: contentID(rule: rule, msgid: message.msgid), rule: rule,
                category: first.limitReached ? AlertCategory.engine : first.category,
                severity: hits.map(\.severity).max() ?? first.severity,
                msgid: message.msgid, msgtime: message.msgtime, roomid: message.roomid,
                conversation: message.conversationKey, from: message.from, tolist: message.tolist,
                matched: first.matched, term: first.limitReached ? first.rule : first.term,
                spanStart: first.range.lowerBound, spanEnd: first.range.upperBound, text: text,
                file: message.source.file, line: message.source.line, offset: message.source.offset, details: details)
            alert.legacyID = AlertIDs.legacyContent(rule: rule, msgid: message.msgid)
            return alert
        }
    }
}
