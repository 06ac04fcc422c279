public import Rules
public import Normalize
public import Archive
import PCRE2

/// One thing a content rule found in one message.
public struct Finding: Sendable, Equatable {
    /// Rule id: the category id for wordlist hits, the detector id for contact detectors.
    public var rule: String
    /// Category id.
    public var category: String
    public var severity: Severity
    /// What matched in the rules: the word or pattern as written, or the detector's title.
    public var term: String
    /// Byte range of the evidence in the scanned text, as written.
    public var range: Range<Int>
    /// The evidence as written.
    public var matched: String
    /// The evidence after normalisation (what the rule actually saw).
    public var normalized: String
    public var view: TextView
    /// Where the rule was written (`file:line:column`), or `built-in`.
    public var origin: String
    /// Extra facts: the validated value of a detector, or why a match could not finish.
    public var detail: String
    /// Set when the pattern hit a PCRE2 resource limit on this message: the message was not fully
    /// checked by this rule.
    public var limitReached: Bool

    public init(
        rule: String, category: String, severity: Severity, term: String, range: Range<Int>, matched: String,
        normalized: String, view: TextView, origin: String, detail: String = "", limitReached: Bool = false
    ) {
        self.rule = rule
        self.category = category
        self.severity = severity
        self.term = term
        self.range = range
        self.matched = matched
        self.normalized = normalized
        self.view = view
        self.origin = origin
        self.detail = detail
        self.limitReached = limitReached
    }
}

/// A hit that an allowed phrase suppressed, kept for `rules test` to explain.
public struct SuppressedFinding: Sendable, Equatable {
    public var finding: Finding
    /// The allowed phrase as written, and where.
    public var allow: String
    public var allowOrigin: String
    /// The allowed phrase's evidence in the text.
    public var allowMatched: String
}

/// An allowed phrase that occurs in the text but covers no hit (so the hit stands), for explain.
public struct UnusedAllow: Sendable, Equatable {
    public var allow: String
    public var allowOrigin: String
    public var matched: String
    public var category: String
}

/// Everything content detection has to say about one text.
public struct Detection: Sendable {
    public var findings: [Finding] = []
    public var suppressed: [SuppressedFinding] = []
    public var unusedAllows: [UnusedAllow] = []
    /// Both normalised views, kept only when the scratch asks for them (`rules test`).
    public var normalized: NormalizedText?
}

/// Runs every content rule on a message: wordlists (literal matching on the dense view, allowed
/// phrases applied), regex entries and contact detectors (PCRE2 on the light or dense view).
///
/// Immutable after `init` and `Sendable`; per-call state (PCRE2 match data) lives in a
/// ``DetectorScratch`` that each task owns.
public final class ContentDetector: Sendable {
    public let rules: RuleSet
    public let detectors: [ContactDetector]
    public let normalizer: Normalizer
    /// Words and allowed phrases in one automaton: ids below `rules.words.count` are words.
    let lexicon: LiteralMatcher
    /// For each word, whether it is all-ASCII (it then needs word boundaries).
    let asciiWord: [Bool]
    /// Per scope combination: whether each category applies.
    let scopeTable: [[Bool]]
    /// Per scope combination: whether each detector applies.
    let detectorInScope: [[Bool]]
    /// Whether some regex entry runs on the light view (then it is built in the first pass).
    let needsLight: Bool

    /// Bytes held by the wordlist automaton (words and allowed phrases).
    public var lexiconMemoryBytes: Int { lexicon.memoryBytes }

    public init(rules: RuleSet, detectors: [ContactDetector], normalizer: Normalizer = .standard) {
        self.rules = rules
        var numbered = detectors
        for i in numbered.indices { numbered[i].index = i }
        self.detectors = numbered
        self.normalizer = normalizer
        self.lexicon = LiteralMatcher(words: rules.words.map(\.dense) + rules.allows.map(\.dense))
        self.asciiWord = rules.words.map { word in
            word.dense.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        }
        var scopeTable: [[Bool]] = []
        var detectorInScope: [[Bool]] = []
        for (kind, group) in ContentDetector.scopeCombinations {
            scopeTable.append(rules.categories.map { Self.inScope($0.scope, senderKind: kind, isGroup: group) })
            detectorInScope.append(numbered.map { Self.inScope($0.scope, senderKind: kind, isGroup: group) })
        }
        self.scopeTable = scopeTable
        self.detectorInScope = detectorInScope
        self.needsLight = rules.patterns.contains { $0.entry.view == .light }
    }

    /// Detects in a message's scannable text, honouring each rule's scope.
    public func detect(_ message: ArchiveMessage, scratch: DetectorScratch) -> Detection {
        detect(
            text: message.scannableText, senderKind: message.senderKind, isGroup: message.isGroup,
            sharedContent: message.isSharedContent, scratch: scratch)
    }

    /// Detects in `text` as if sent by a sender of `senderKind` (nil: every scope applies).
    /// `sharedContent`: the text comes from a shared link card, mini-program or file rather
    /// than typed text (detectors marked typed-text-only skip it).
    public func detect(
        text: String, senderKind: ParticipantKind?, isGroup: Bool?, sharedContent: Bool = false, scratch: DetectorScratch
    ) -> Detection {
        var original = text
        return original.withUTF8 { bytes in
            detect(utf8: bytes, senderKind: senderKind, isGroup: isGroup, sharedContent: sharedContent, scratch: scratch)
        }
    }

    static func inScope(_ scope: Scope, senderKind: ParticipantKind?, isGroup: Bool?) -> Bool {
        switch (senderKind, isGroup) {
        case let (kind?, group?): return scope.includes(senderKind: kind, isGroup: group)
        case let (kind?, nil): return scope.includes(senderKind: kind, isGroup: scope.chat == .group)
        case let (nil, group?): return scope.chat == .any || (scope.chat == .group) == group
        case (nil, nil): return true
        }
    }

    func detect(
        utf8 original: UnsafeBufferPointer<UInt8>, senderKind: ParticipantKind?, isGroup: Bool?, sharedContent: Bool,
        scratch: DetectorScratch
    ) -> Detection {
        // The dense view always (wordlists); the light view in the same pass only when patterns
        // need it, else later and only if the clues say a contact detector could match.
        let first = normalizer.normalize(
            utf8: original, into: scratch.normalization, light: needsLight || scratch.keepNormalized, dense: true)
        let dense = first.dense
        var light = first.light
        var lightReady = needsLight || scratch.keepNormalized
        var result = Detection(
            normalized: scratch.keepNormalized ? NormalizedText(light: light.copy(), dense: dense.copy()) : nil)
        guard !original.isEmpty else { return result }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: original[range]), as: UTF8.self)
        }
        let categories = rules.categories
        let categoryInScope = scopeTable[ContentDetector.scopeIndex(senderKind, isGroup)]

        // 1. Wordlists on the dense view.
        if !rules.words.isEmpty, !dense.bytes.isEmpty {
            // Local arrays: they allocate only when there is a hit, which is rare.
            var wordHits: [(Int, Range<Int>)] = []
            var allowHits: [(Int, Range<Int>)] = []
            let wordCount = rules.words.count
            let words = rules.words
            lexicon.forEachMatch(in: dense.bytes) { id, range in
                if id < wordCount {
                    if categoryInScope[words[id].category] { wordHits.append((id, range)) }
                } else {
                    allowHits.append((id - wordCount, range))
                }
            }
            var usedAllows: [Int] = []
            for (id, range) in wordHits {
                let word = rules.words[id]
                let originalRange = dense.originalRange(of: range)
                if asciiWord[id] && !hasWordBoundaries(original, originalRange) { continue }
                let category = categories[word.category]
                let finding = Finding(
                    rule: category.id, category: category.id, severity: category.severity, term: word.text,
                    range: originalRange, matched: text(originalRange), normalized: dense.text(range), view: .dense,
                    origin: word.location.description)
                if let (allowIndex, allowRange) = allowHits.first(where: { allow, allowRange in
                    rules.allows[allow].category == word.category && allowRange.lowerBound <= range.lowerBound
                        && allowRange.upperBound >= range.upperBound
                }) {
                    usedAllows.append(allowIndex)
                    let allow = rules.allows[allowIndex]
                    result.suppressed.append(SuppressedFinding(
                        finding: finding, allow: allow.text, allowOrigin: allow.location.description,
                        allowMatched: text(dense.originalRange(of: allowRange))))
                    continue
                }
                result.findings.append(finding)
            }
            for (allowIndex, allowRange) in allowHits where !usedAllows.contains(allowIndex) {
                let allow = rules.allows[allowIndex]
                result.unusedAllows.append(UnusedAllow(
                    allow: allow.text, allowOrigin: allow.location.description,
                    matched: text(dense.originalRange(of: allowRange)), category: categories[allow.category].id))
            }
        }

        // 2. Regex entries on their view.
        for pattern in rules.patterns {
            let category = categories[pattern.entry.category]
            guard categoryInScope[pattern.entry.category] else { continue }
            let view = pattern.entry.view == .dense ? dense : light
            run(pattern.regex, on: view, scratch: scratch) { range, viewRange, _ in
                result.findings.append(Finding(
                    rule: category.id, category: category.id, severity: category.severity, term: "re:" + pattern.entry.pattern,
                    range: range, matched: text(range), normalized: view.text(viewRange),
                    view: pattern.entry.view, origin: pattern.entry.location.description))
            } limit: { error in
                result.findings.append(Self.limitFinding(
                    rule: category.id, term: "re:" + pattern.entry.pattern, origin: pattern.entry.location.description,
                    error: error, text: text(0..<original.count)))
            }
        }

        // 3. Contact detectors on the light view, each only when the text could hold its kind of value.
        if !detectors.isEmpty {
            let clues = first.clues
            for detector in detectors where detectorInScope[ContentDetector.scopeIndex(senderKind, isGroup)][detector.index] {
                if detector.typedTextOnly && sharedContent { continue }
                if !detector.mayMatch(clues) { continue }
                if !lightReady {
                    // A second pass for the light view alone; the dense view stays valid (its
                    // buffer is not touched when only the light view is asked for).
                    light = normalizer.normalize(utf8: original, into: scratch.lightOnly, light: true, dense: false).light
                    lightReady = true
                }
                run(detector.regex, on: light, scratch: scratch) { range, viewRange, match in
                    let valueRange = detector.group == 0 ? viewRange : (match.groups[detector.group - 1] ?? viewRange)
                    let value = light.text(valueRange)
                    let before = light.text(0..<viewRange.lowerBound)
                    guard let validated = detector.validate(value, Substring(before)) else { return }
                    let evidence = light.originalRange(of: valueRange)
                    result.findings.append(Finding(
                        rule: detector.id, category: ContactDetectors.categoryID, severity: detector.severity,
                        term: detector.title, range: evidence, matched: text(evidence), normalized: value, view: .light,
                        origin: "built-in", detail: detector.reportsValue ? validated : ""))
                } limit: { error in
                    result.findings.append(Self.limitFinding(
                        rule: detector.id, term: detector.title, origin: "built-in", error: error, text: text(0..<original.count)))
                }
            }
        }
        if result.findings.count > 1 { result.findings = Self.withoutNestedHits(result.findings) }
        return result
    }

    /// Scope decisions for the 3 × 3 combinations of (sender kind or unknown) × (group, private or
    /// unknown), computed once: index with ``scopeIndex(_:_:)``.
    static func scopeIndex(_ kind: ParticipantKind?, _ group: Bool?) -> Int {
        let k: Int
        switch kind {
        case nil: k = 0
        case .staff?: k = 1
        case .customer?: k = 2
        case .robot?: k = 3
        }
        let g = group == nil ? 0 : (group! ? 1 : 2)
        return k * 3 + g
    }

    static let scopeCombinations: [(ParticipantKind?, Bool?)] = [nil, ParticipantKind.staff, .customer, .robot].flatMap { kind in
        [nil, true, false].map { (kind, $0) }
    }

    /// Drops a hit whose span lies inside another hit of the same rule ("加我" inside "加我微信"):
    /// the longer one is the better evidence, and the alert lists each thing found once.
    static func withoutNestedHits(_ findings: [Finding]) -> [Finding] {
        guard findings.count > 1 else { return findings }
        return findings.enumerated().filter { index, finding in
            !findings.enumerated().contains { other, candidate in
                other != index && candidate.rule == finding.rule && !finding.limitReached
                    && candidate.range.lowerBound <= finding.range.lowerBound
                    && candidate.range.upperBound >= finding.range.upperBound
                    && (candidate.range != finding.range || other < index)
            }
        }.map(\.1)
    }

    /// Runs `regex` over a view, mapping each match back to the original text.
    private func run(
        _ regex: Regex, on view: BorrowedView, scratch: DetectorScratch,
        _ found: (Range<Int>, Range<Int>, Match) -> Void, limit: (PCRE2Error) -> Void
    ) {
        guard !view.bytes.isEmpty else { return }
        do {
            try regex.forEachMatch(in: view.bytes, scratch: scratch.match, trustedUTF8: true) { match in
                if !match.range.isEmpty {
                    found(view.originalRange(of: match.range), match.range, match)
                }
                return true
            }
        } catch {
            limit(error)
        }
    }

    static func limitFinding(rule: String, term: String, origin: String, error: PCRE2Error, text: String) -> Finding {
        Finding(
            rule: rule, category: "engine", severity: .low, term: term, range: 0..<0, matched: "",
            normalized: "", view: .light, origin: origin,
            detail: "limit reached: \(error.message) (\(error.code)); this rule did not finish on this message",
            limitReached: true)
    }

    /// For all-ASCII words: the hit must not start or end inside a longer ASCII word of the
    /// original text ("ass" in "class"). Letters written in disguise count as letters.
    private func hasWordBoundaries(_ original: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if range.lowerBound > 0 {
            var i = range.lowerBound - 1
            while i > 0 && original[i] & 0xC0 == 0x80 { i -= 1 }
            if normalizer.isASCIIAlphanumeric(original, at: i) { return false }
        }
        if range.upperBound < original.count, normalizer.isASCIIAlphanumeric(original, at: range.upperBound) {
            return false
        }
        return true
    }
}

/// Per-task scratch space for detection (PCRE2 match data). Not `Sendable`: one per task.
public final class DetectorScratch {
    let match = MatchScratch(captureCount: 4)
    let normalization = NormalizationBuffers()
    let lightOnly = NormalizationBuffers()
    /// Keep a copy of both normalised views in each ``Detection`` (for explaining).
    public let keepNormalized: Bool

    public init(keepNormalized: Bool = false) {
        self.keepNormalized = keepNormalized
    }
}

@available(*, unavailable)
extension DetectorScratch: Sendable {}
