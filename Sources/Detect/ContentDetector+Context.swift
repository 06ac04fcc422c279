import Foundation
import Normalize
import Rules
import Support

/// Precision after detection: a hit is a claim or a violation only in the right context.
///
/// - A hit inside a warning or a refusal is not a violation: `请勿私下转账`, `我们不承诺保本`,
///   `私下转账一律无效`. Each category lists the phrases that, right before the hit in the same
///   clause (`@not-after`) or right after it (`@not-before`), make it one.
/// - A hit that an allowed pattern of its category covers is not one either: an award's name
///   (`最佳男演员奖`), an ordinal (`第一次`, `第11届`) (`allow-re:` lines).
///
/// Both only run for messages that already have hits (most have none), and both say why they
/// suppressed a hit (`rules test` shows it).
extension ContentDetector {
    /// How far before (or after) a hit, in dense characters of its clause, a warning phrase counts.
    static let contextReach = 10

    /// Clause boundaries: a warning in the previous sentence or clause does not reach a hit.
    static let clauseBreaks: Set<Unicode.Scalar> = [
        "。", "！", "？", "!", "?", "；", ";", "，", ",", "\n", "\r", "…", "~", "～",
    ]

    /// Moves the findings that a warning context or an allowed pattern of their category covers
    /// from `result.findings` to `result.suppressed`, saying which phrase or pattern did it.
    func suppressByContext(
        _ result: inout Detection, original: String, light: () -> BorrowedView, scratch: DetectorScratch
    ) {
        let categories = rules.categories
        var allowMatches: [Int: [(range: Range<Int>, pattern: CompiledAllowPattern, matched: String)]]? = nil
        var messageDense: String? = nil
        var kept: [Finding] = []
        for finding in result.findings {
            guard let index = categoryIndexByID[finding.category], !finding.limitReached else {
                kept.append(finding)
                continue
            }
            let category = categories[index]
            if finding.needsContext && !category.needs.isEmpty {
                if messageDense == nil { messageDense = normalizer.denseForm(original) }
                if !category.needs.contains(where: { messageDense!.utf8Contains($0.dense) }) {
                    result.suppressed.append(
                        SuppressedFinding(
                            finding: finding, allow: "no claim context (@needs: none of its phrases in the message)",
                            allowOrigin: category.needs[0].location.description, allowMatched: ""))
                    continue
                }
            }
            if finding.view == .dense, !finding.term.hasPrefix("re:"),
                let words = Self.spansTwoWords(finding.range, in: original)
            {
                result.suppressed.append(
                    SuppressedFinding(
                        finding: finding, allow: "spans two ordinary words", allowOrigin: "common-word data",
                        allowMatched: words))
                continue
            }
            if let (phrase, evidence) = warningContext(finding.range, original: original, category: category) {
                result.suppressed.append(
                    SuppressedFinding(
                        finding: finding, allow: "warning context: " + phrase.text,
                        allowOrigin: phrase.location.description,
                        allowMatched: evidence))
                continue
            }
            if hasAllowPatterns[index] {
                if allowMatches == nil { allowMatches = allowPatternMatches(light(), scratch: scratch) }
                if let cover = allowMatches?[index]?.first(where: { $0.range.contains(finding.range) }) {
                    result.suppressed.append(
                        SuppressedFinding(
                            finding: finding, allow: "re:" + cover.pattern.pattern,
                            allowOrigin: cover.pattern.location.description,
                            allowMatched: cover.matched))
                    continue
                }
            }
            kept.append(finding)
        }
        result.findings = kept
    }

    /// For a hit of two or three ideographs: the two ordinary words it straddles, when both its
    /// first character with the one before it and its last character with the one after it are
    /// frequent words (`确保|本地` is not `保本`, `重返|现场` is not `返现`).
    static func spansTwoWords(_ range: Range<Int>, in original: String) -> String? {
        let utf8 = original.utf8
        guard let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound, limitedBy: utf8.endIndex),
            let end = utf8.index(utf8.startIndex, offsetBy: range.upperBound, limitedBy: utf8.endIndex)
        else { return nil }
        let hit = Array(original.unicodeScalars[start..<end])
        guard (2...3).contains(hit.count), hit.allSatisfy({ $0.properties.isIdeographic }),
            let before = original.unicodeScalars[..<start].last, let after = original.unicodeScalars[end...].first
        else { return nil }
        let pronunciation = Pronunciation.shared
        guard pronunciation.isCommonWord(before.value, hit[0].value),
            pronunciation.isCommonWord(hit[hit.count - 1].value, after.value)
        else { return nil }
        return "\(before)\(hit[0])|\(String(String.UnicodeScalarView(hit.dropFirst())))\(after)"
    }

    /// The warning phrase of `category` right before or after `range` in its clause, with the
    /// text it was found in.
    func warningContext(_ range: Range<Int>, original: String, category: Category) -> (ContextPhrase, String)? {
        guard !category.notAfter.isEmpty || !category.notBefore.isEmpty else { return nil }
        let utf8 = original.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let end = utf8.index(utf8.startIndex, offsetBy: range.upperBound)
        if !category.notAfter.isEmpty {
            let before = Self.clauseTail(original[..<start])
            let dense = normalizer.denseForm(String(before))
            let window = String(dense.unicodeScalars.suffix(Self.contextReach + 8))
            for phrase in category.notAfter {
                // The phrase must end within reach of the hit.
                if let r = window.utf8Range(of: phrase.dense, backwards: true),
                    Self.scalarCount(window.utf8.dropFirst(r.upperBound)) <= Self.contextReach
                {
                    return (phrase, String(before))
                }
            }
        }
        if !category.notBefore.isEmpty {
            let after = Self.clauseHead(original[end...])
            let dense = normalizer.denseForm(String(after))
            let window = String(dense.unicodeScalars.prefix(Self.contextReach + 8))
            for phrase in category.notBefore {
                if let r = window.utf8Range(of: phrase.dense),
                    Self.scalarCount(window.utf8.prefix(r.lowerBound)) <= Self.contextReach
                {
                    return (phrase, String(after))
                }
            }
        }
        return nil
    }

    /// Unicode scalars in a run of UTF-8 bytes (those that do not continue a sequence).
    static func scalarCount<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int {
        bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    /// The end of a text from its last clause break.
    static func clauseTail(_ text: Substring) -> Substring {
        guard let cut = text.unicodeScalars.lastIndex(where: { clauseBreaks.contains($0) }) else { return text }
        return text[text.unicodeScalars.index(after: cut)...]
    }

    /// The start of a text up to its first clause break.
    static func clauseHead(_ text: Substring) -> Substring {
        guard let cut = text.unicodeScalars.firstIndex(where: { clauseBreaks.contains($0) }) else { return text }
        return text[..<cut]
    }

    /// Every allowed-pattern match in the light view, by category, as original ranges.
    func allowPatternMatches(
        _ light: BorrowedView, scratch: DetectorScratch
    ) -> [Int: [(range: Range<Int>, pattern: CompiledAllowPattern, matched: String)]] {
        var matches: [Int: [(range: Range<Int>, pattern: CompiledAllowPattern, matched: String)]] = [:]
        for pattern in rules.allowPatterns {
            run(pattern.regex, on: light, scratch: scratch) { _, viewRange, _ in
                matches[pattern.category, default: []].append(
                    (light.originalRange(of: viewRange), pattern, light.text(viewRange)))
            } limit: { _ in
            }
        }
        return matches
    }
}
