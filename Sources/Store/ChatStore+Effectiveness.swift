import Alerts
import Vocabulary

/// How a term or a rule fared with the reviewers (issue 20).
public struct TermEffectiveness: Sendable, Equatable {
    public var rule: String
    public var category: String
    /// The word or pattern as written (`re:…`); "" for a rule's total.
    public var term: String
    public var raised = 0
    /// Decided: acknowledged, escalated or dismissed (a pending dismissal is not decided yet).
    public var reviewed = 0
    public var dismissed = 0
    public var escalated = 0

    /// Of the reviewed, the share not dismissed: precision as reviewers judged it (nil: none reviewed).
    public var precision: Double? { reviewed == 0 ? nil : Double(reviewed - dismissed) / Double(reviewed) }
}

extension ChatStore {
    /// Per rule and term since `since`: raised, reviewed, dismissed, escalated. Window rules,
    /// whose terms are descriptions, are counted per rule only (`term` "").
    public func effectiveness(since: Int64?) throws(StoreError) -> [TermEffectiveness] {
        let rows: [SQLRow] = try read { db in
            try db.query(
                """
                SELECT rule, category, CASE WHEN rule LIKE 'window.%' OR rule LIKE 'group.%' OR rule LIKE 'money.%' OR rule LIKE 'contact.%' THEN '' ELSE term END AS t,
                       status, count(*) AS n
                FROM alerts WHERE msgtime >= ? GROUP BY rule, category, t, status
                """, [.integer(since ?? Int64.min)])
        }
        var stats: [String: TermEffectiveness] = [:]
        for row in rows {
            let key = row.string("rule") + "\u{1}" + row.string("t")
            var s =
                stats[key]
                ?? TermEffectiveness(rule: row.string("rule"), category: row.string("category"), term: row.string("t"))
            let n = row.int("n")
            s.raised += n
            switch AlertStatus(rawValue: row.string("status")) {
            case .acknowledged?: s.reviewed += n
            case .escalated?: s.reviewed += n; s.escalated += n
            case .dismissed?: s.reviewed += n; s.dismissed += n
            default: break
            }
            stats[key] = s
        }
        return stats.values.sorted { ($1.raised, $0.rule, $0.term) < ($0.raised, $1.rule, $1.term) }
    }

    /// The dismissed hits of `term` (text and the matched span), newest first, for the words
    /// around them.
    public func dismissedHits(
        rule: String, term: String, limit: Int = 500
    ) throws(StoreError) -> [(text: String, span: Range<Int>)] {
        try read { db in
            try db.query(
                "SELECT text, span_start, span_end FROM alerts WHERE rule = ? AND term = ? AND status = 'dismissed' ORDER BY msgtime DESC LIMIT ?",
                [.text(rule), .text(term), .integer(Int64(limit))]
            ).map { row in
                let start = row.int("span_start")
                return (row.string("text"), start..<max(start, row.int("span_end")))
            }
        }
    }

    /// For each term reviewers dismissed at least `minDismissals` times and at least half the
    /// time, the phrases its dismissed hits suggest (``ContextSuggestions``); terms with none left out.
    public func contextSuggestions(
        _ stats: [TermEffectiveness], minDismissals: Int
    ) throws(StoreError)
        -> [(TermEffectiveness, [ContextSuggestions.Suggestion])]
    {
        var suggestions: [(TermEffectiveness, [ContextSuggestions.Suggestion])] = []
        for s in stats where !s.term.isEmpty && s.dismissed >= minDismissals && s.dismissed * 2 >= s.reviewed {
            let offered = ContextSuggestions.suggest(try dismissedHits(rule: s.rule, term: s.term))
            if !offered.isEmpty { suggestions.append((s, offered)) }
        }
        return suggestions
    }

    /// Terms (as written) that raised an alert since `since`, per rule.
    public func firedTerms(since: Int64) throws(StoreError) -> Set<String> {
        try read { db in
            Set(
                try db.query("SELECT DISTINCT rule, term FROM alerts WHERE msgtime >= ?", [.integer(since)]).map {
                    $0.string("rule") + "\u{1}" + $0.string("term")
                })
        }
    }
}

/// Phrases to offer for a term that reviewers keep dismissing: the characters most often right
/// before the hit (a `@not-after` phrase), right after it (`@not-before`), and the hit with its
/// neighbours (an `allow:` phrase), in the dismissed messages' own words.
public enum ContextSuggestions {
    public struct Suggestion: Sendable, Equatable {
        public var kind: String  // not-after, not-before, allow
        public var phrase: String
        public var count: Int
    }

    public static func suggest(_ hits: [(text: String, span: Range<Int>)], top: Int = 3) -> [Suggestion] {
        var before: [String: Int] = [:], after: [String: Int] = [:], around: [String: Int] = [:]
        for hit in hits {
            let bytes = Array(hit.text.utf8)
            guard hit.span.lowerBound >= 0, hit.span.upperBound <= bytes.count else { continue }
            let head = Array(String(decoding: bytes[..<hit.span.lowerBound], as: UTF8.self))
            let tail = Array(String(decoding: bytes[hit.span.upperBound...], as: UTF8.self))
            let matched = String(decoding: bytes[hit.span], as: UTF8.self)
            // Two characters on each side, where they are letters (not punctuation or spaces).
            let left = String(head.suffix(2)), right = String(tail.prefix(2))
            if left.count == 2, left.allSatisfy({ $0.isLetter || $0.isNumber }) { before[left, default: 0] += 1 }
            if right.count == 2, right.allSatisfy({ $0.isLetter || $0.isNumber }) { after[right, default: 0] += 1 }
            let phrase =
                String(head.suffix(2).filter { $0.isLetter }) + matched + String(tail.prefix(2).filter { $0.isLetter })
            if phrase != matched { around[phrase, default: 0] += 1 }
        }
        func best(_ counts: [String: Int], _ kind: String) -> [Suggestion] {
            counts.filter { $0.value >= 2 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(top).map {
                Suggestion(kind: kind, phrase: $0.key, count: $0.value)
            }
        }
        return best(before, "not-after") + best(after, "not-before") + best(around, "allow")
    }
}
