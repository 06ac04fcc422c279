import Archive
import Detect
import Rules
import Normalize
import Support
import Vocabulary
import Alerts

/// Prints what detection found in one text, and why, for `rules test`.
enum Explain {
    static func print(_ detection: Detection, label: String, text: String, format: OutputFormat) {
        let bytes = Array(text.utf8)
        func characters(_ range: Range<Int>) -> String {
            let start = String(decoding: bytes[0..<range.lowerBound], as: UTF8.self).unicodeScalars.count
            let length = String(decoding: bytes[range], as: UTF8.self).unicodeScalars.count
            return "\(start)..<\(start + length)"
        }
        if format == .json {
            var out = ""
            for f in detection.findings {
                finding(f, kind: "hit", label: label, span: characters(f.range)).write(to: &out)
                out += "\n"
            }
            for s in detection.suppressed {
                var object = finding(s.finding, kind: "suppressed", label: label, span: characters(s.finding.range))
                if case .object(var members) = object {
                    members.append(("allow", .string(s.allow)))
                    members.append(("allow_origin", .string(s.allowOrigin)))
                    members.append(("allow_matched", .string(s.allowMatched)))
                    object = .object(members)
                }
                object.write(to: &out)
                out += "\n"
            }
            for u in detection.unusedAllows {
                JSONValue.object([
                    ("kind", .string("allow-not-applied")), ("input", .string(label)), ("allow", .string(u.allow)),
                    ("allow_origin", .string(u.allowOrigin)), ("matched", .string(u.matched)),
                    ("category", .string(u.category)),
                ]).write(to: &out)
                out += "\n"
            }
            Swift.print(out, terminator: "")
            return
        }
        var out = Terminal.bold(label.isEmpty ? "text" : Terminal.escape(label)) + ": " + Terminal.escape(text) + "\n"
        if let normalized = detection.normalized {
            out += "  " + Terminal.dim("light: " + Terminal.escape(normalized.light.text)) + "\n"
            out += "  " + Terminal.dim("dense: " + Terminal.escape(normalized.dense.text)) + "\n"
        }
        if detection.findings.isEmpty && detection.suppressed.isEmpty {
            out += "  no hits\n"
        }
        for f in detection.findings {
            if f.limitReached {
                out += "  LIMIT  \(f.rule)  \(Terminal.escape(f.term))  \(f.detail)  (\(f.origin))\n"
                continue
            }
            out += "  HIT    \(f.rule)  [\(f.category), \(f.severity.rawValue)]  "
            out += Terminal.highlight(Terminal.escape(f.matched)) + " at characters \(characters(f.range))"
            out += "  normalised \(f.view.rawValue) \"\(Terminal.escape(f.normalized))\""
            out += "  term \(Terminal.escape(f.term))"
            if !f.detail.isEmpty && f.detail != f.normalized { out += "  value \(Terminal.escape(f.detail))" }
            out += "  (\(f.origin))\n"
            if !f.explanation.isEmpty {
                out += "         read as: " + f.explanation.map(Terminal.escape).joined(separator: " → ") + "\n"
            }
        }
        for s in detection.suppressed {
            out +=
                "  ALLOWED \(s.finding.rule)  \(Terminal.escape(s.finding.matched)) at characters \(characters(s.finding.range))"
            out += " is covered by the allowed phrase \"\(Terminal.escape(s.allow))\" (\(s.allowOrigin)),"
            out += " found as \"\(Terminal.escape(s.allowMatched))\": suppressed\n"
        }
        for u in detection.unusedAllows {
            out +=
                "  NOTE   allowed phrase \"\(Terminal.escape(u.allow))\" (\(u.allowOrigin)) occurs as \"\(Terminal.escape(u.matched))\""
            out += " but covers no \(u.category) hit, so it suppresses nothing\n"
        }
        Swift.print(out, terminator: "")
    }

    /// Violations split over the sender's last messages and this one.
    static func printSplits(_ alerts: [Alert], label: String, format: OutputFormat) {
        guard format != .json else { return }  // JSON: the "alert" rows carry them.
        for a in alerts {
            Swift.print(
                "  SPLIT  \(a.rule)  [\(a.category), \(a.severity.rawValue)]  \(Terminal.escape(a.details))  id \(a.id.prefix(12))"
            )
        }
    }

    /// What the rules over time raised on one replayed message.
    static func printWindows(_ alerts: [Alert], label: String, message: ArchiveMessage, format: OutputFormat) {
        var out = ""
        for a in alerts {
            if format == .json {
                JSONValue.object([
                    ("kind", .string("window")), ("input", .string(label)), ("rule", .string(a.rule)),
                    ("category", .string(a.category)),
                    ("severity", .string(a.severity.rawValue)), ("id", .string(a.id)),
                    ("msgtime", .integer(message.msgtime)),
                    ("summary", .string(a.details)), ("evidence", .string(a.text)),
                    ("related", .array(a.relatedMsgids.map(JSONValue.string))),
                ]).write(to: &out)
                out += "\n"
            } else {
                out += "  WINDOW \(a.rule)  [\(a.category), \(a.severity.rawValue)]  \(Terminal.escape(a.details))"
                if !a.relatedMsgids.isEmpty {
                    out += "  messages: \(a.relatedMsgids.map(Terminal.escape).joined(separator: " "))"
                }
                out += "  id \(a.id.prefix(12))\n"
            }
        }
        Swift.print(out, terminator: "")
    }

    static func finding(_ f: Finding, kind: String, label: String, span: String) -> JSONValue {
        .object([
            ("kind", .string(kind)), ("input", .string(label)), ("rule", .string(f.rule)),
            ("category", .string(f.category)),
            ("severity", .string(f.severity.rawValue)), ("matched", .string(f.matched)),
            ("span_bytes", .array([.integer(Int64(f.range.lowerBound)), .integer(Int64(f.range.upperBound))])),
            ("span_characters", .string(span)), ("normalized", .string(f.normalized)),
            ("view", .string(f.view.rawValue)),
            ("term", .string(f.term)), ("origin", .string(f.origin)), ("detail", .string(f.detail)),
            ("limit_reached", .bool(f.limitReached)), ("explanation", .array(f.explanation.map(JSONValue.string))),
        ])
    }
}

/// Reading a small text file for the CLI.
enum FileText {
    static func read(_ path: String) -> String? {
        guard let bytes = FileIO.readAll(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
