public import Rules
public import Normalize
public import Archive
import PCRE2
public import Vocabulary

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
    /// The word is a violation only in its category's context (`?word`, `@needs`).
    public var needsContext = false
    /// Set when the pattern hit a PCRE2 resource limit on this message: the message was not fully
    /// checked by this rule.
    public var limitReached: Bool
    /// How the evidence was read when it was written to hide, step by step, for the reviewer
    /// (`幺三八… → colloquial digits → 138…`, `威信 → wei xin → 微信`, `across 3 messages`); empty
    /// when it was read as written.
    public var explanation: [String] = []

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
    /// What was found. Empty for most messages: all four parts live in one box that exists only
    /// when something was found or explained, so a clean message's detection is one nil
    /// reference to make and drop (measured with `make bench BENCH=profile-detect`: three empty
    /// arrays and an optional cost ~10 ns per message in reference counting).
    public var findings: [Finding] {
        get { box?.findings ?? [] }
        _modify { yield &unique().findings }
        set { unique().findings = newValue }
    }
    public var suppressed: [SuppressedFinding] {
        get { box?.suppressed ?? [] }
        _modify { yield &unique().suppressed }
        set { unique().suppressed = newValue }
    }
    public var unusedAllows: [UnusedAllow] {
        get { box?.unusedAllows ?? [] }
        _modify { yield &unique().unusedAllows }
        set { unique().unusedAllows = newValue }
    }
    /// Both normalised views, kept only when the scratch asks for them (`rules test`).
    public var normalized: NormalizedText? {
        get { box?.normalized }
        set { unique().normalized = newValue }
    }

    private var box: Box?

    public init() {}

    /// The box, made or copied so that this value alone owns it (value semantics).
    private mutating func unique() -> Box {
        // No `if let` here: a second reference would make the box look shared.
        if box != nil && isKnownUniquelyReferenced(&box!) { return box! }
        let fresh = box?.copy() ?? Box()
        box = fresh
        return fresh
    }

    /// Mutable, but only ever changed through `unique()`: a box shared by two values is copied
    /// before either changes it, so sharing one across tasks is safe.
    final class Box: @unchecked Sendable {
        var findings: [Finding] = []
        var suppressed: [SuppressedFinding] = []
        var unusedAllows: [UnusedAllow] = []
        var normalized: NormalizedText?

        func copy() -> Box {
            let copy = Box()
            (copy.findings, copy.suppressed, copy.unusedAllows, copy.normalized) = (
                findings, suppressed, unusedAllows, normalized
            )
            return copy
        }
    }
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
    /// For each word, whether it starts (bit 0) or ends (bit 1) with an ASCII letter or digit:
    /// there it must stand at a word boundary (`sb` is not in `USB`, `v我` is not in `MV我`).
    let asciiEdges: [UInt8]
    /// Per scope combination: whether each detector applies.
    let detectorInScope: [[Bool]]
    /// The characters a dense-view pattern can start with: the dense view is built, and those
    /// patterns run, only when one of them occurs in the message.
    let denseTrigger: FirstCharacters
    /// Whether any regex entry runs on the light view (those run on every message), or on the dense one.
    let hasLightPatterns: Bool
    let hasDensePatterns: Bool
    /// The normaliser's table composed with the automaton's symbols and the dense triggers:
    /// one load per character in the hot loop.
    let denseCodes: DenseCodeTable
    /// The category of each word, at a fixed address for the hot loop.
    nonisolated(unsafe) let wordCategories: UnsafeMutablePointer<Int32>
    let wordCount: Int
    /// Per scope combination (sender kind or unknown × group, private or unknown; index with
    /// ``scopeIndex(_:_:)``), whether each category applies: `[scopeIndex * categories + category]`,
    /// computed once, at a fixed address for the hot loop.
    nonisolated(unsafe) let categoryScopes: UnsafeMutablePointer<Bool>

    /// Words marked `~`, by pinyin.
    let soundAlike: SoundAlikeLexicon
    /// The company's own channels: contact details that are never flagged.
    public let company: CompanyChannels

    /// Category index by id, and whether a category has allowed patterns (for the context step).
    let categoryIndexByID: [String: Int]
    let hasAllowPatterns: [Bool]
    /// Whether any category declares a warning context or allowed patterns at all.
    let hasContextRules: Bool

    /// Bytes held by the wordlist automaton (words and allowed phrases).
    public var lexiconMemoryBytes: Int { lexicon.memoryBytes }

    public init(
        rules: RuleSet, detectors: [ContactDetector], normalizer: Normalizer = .standard,
        company: CompanyChannels = CompanyChannels()
    ) {
        let rules = SoundAlikeLexicon.withInitials(rules, normalizer: normalizer)
        self.rules = rules
        self.company = company
        var numbered = detectors
        for i in numbered.indices { numbered[i].index = i }
        self.detectors = numbered
        self.normalizer = normalizer
        self.lexicon = LiteralMatcher(words: rules.words.map(\.dense) + rules.allows.map(\.dense))
        // All-ASCII words need boundaries at both ends (letters and digits); a word that mixes
        // scripts needs one where it begins or ends with an ASCII letter.
        func isASCIILetter(_ s: Unicode.Scalar?) -> Bool { s.map { $0.isASCII && $0.properties.isAlphabetic } ?? false }
        self.asciiEdges = rules.words.map { word in
            let scalars = word.dense.unicodeScalars
            if scalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                return 3
            }
            return (isASCIILetter(scalars.first) ? 1 : 0) | (isASCIILetter(scalars.last) ? 2 : 0)
        }
        var scopeTable: [[Bool]] = []
        var detectorInScope: [[Bool]] = []
        for (kind, group) in ContentDetector.scopeCombinations {
            scopeTable.append(rules.categories.map { Self.inScope($0.scope, senderKind: kind, isGroup: group) })
            detectorInScope.append(numbered.map { Self.inScope($0.scope, senderKind: kind, isGroup: group) })
        }
        self.detectorInScope = detectorInScope
        let trigger = FirstCharacters(patterns: rules.patterns.filter { $0.entry.view == .dense }.map(\.entry.pattern))
        self.denseTrigger = trigger
        self.hasLightPatterns = rules.patterns.contains { $0.entry.view == .light }
        self.hasDensePatterns = rules.patterns.contains { $0.entry.view == .dense }
        let lexicon = self.lexicon
        let soundAlike = SoundAlikeLexicon(
            words: rules.words.enumerated().map {
                .init(index: $0.offset, dense: $0.element.dense, soundAlike: $0.element.soundAlike)
            })
        self.soundAlike = soundAlike
        self.denseCodes = DenseCodeTable(
            normalizer: normalizer, code: { UInt16(lexicon.symbol($0)) },
            trigger: { trigger.contains($0) || soundAlike.triggers.contains($0) })
        var byID: [String: Int] = [:]
        for (index, category) in rules.categories.enumerated() { byID[category.id] = index }
        self.categoryIndexByID = byID
        self.hasAllowPatterns = rules.categories.indices.map { index in
            rules.allowPatterns.contains { $0.category == index }
        }
        // Context also guards two- and three-character words against spanning two ordinary
        // words (确保|本地 is not 保本), so it runs whenever a rule set has words.
        self.hasContextRules =
            !rules.allowPatterns.isEmpty || !rules.words.isEmpty
            || rules.categories.contains { !$0.notAfter.isEmpty || !$0.notBefore.isEmpty || !$0.needs.isEmpty }
        self.wordCategories = LiteralMatcher.copy(rules.words.map { Int32($0.category) })
        self.wordCount = rules.words.count
        self.categoryScopes = LiteralMatcher.copy(scopeTable.flatMap { $0 })
    }

    deinit {
        wordCategories.deallocate()
        categoryScopes.deallocate()
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
        text: String, senderKind: ParticipantKind?, isGroup: Bool?, sharedContent: Bool = false,
        scratch: DetectorScratch
    ) -> Detection {
        // A native string lends its UTF-8 without a copy (or the retain a `var` copy would cost).
        if let result = text.utf8.withContiguousStorageIfAvailable({ bytes in
            detect(
                utf8: bytes, senderKind: senderKind, isGroup: isGroup, sharedContent: sharedContent, scratch: scratch)
        }) {
            return result
        }
        var original = text
        return original.withUTF8 { bytes in
            detect(
                utf8: bytes, senderKind: senderKind, isGroup: isGroup, sharedContent: sharedContent, scratch: scratch)
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

    /// The hot path: every message of every batch comes through here, measured by
    /// `make bench BENCH=match` (and split into its costs by `BENCH=profile-detect`). It is kept
    /// as one function, over the ~80-line guide, so that its state (hit buffers, the early return
    /// for a message without hits) stays local across its phases; it has not been split and
    /// measured since, so a split must be benchmarked before it lands.
    func detect(
        utf8 original: UnsafeBufferPointer<UInt8>, senderKind: ParticipantKind?, isGroup: Bool?, sharedContent: Bool,
        scratch: DetectorScratch
    ) -> Detection {
        var result = Detection()
        if scratch.keepNormalized {
            let both = normalizer.normalize(utf8: original, into: scratch.normalization, light: true, dense: true)
            result.normalized = NormalizedText(light: both.light.copy(), dense: both.dense.copy())
        }
        guard !original.isEmpty else { return result }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: original[range]), as: UTF8.self)
        }
        let categoryInScope = categoryScopes + ContentDetector.scopeIndex(senderKind, isGroup) * rules.categories.count

        // 1. One pass over the dense stream: the wordlist automaton, the clues detectors need,
        //    and whether a dense-view pattern could start anywhere. Only the original offsets of
        //    each dense character are kept (to map hits back); no view is built.
        scratch.offsets.reserve(original.count + 8)
        let spans = scratch.offsets.spans
        let (hitCount, summary) = scanWords(original, scope: categoryInScope, spans: spans, hits: scratch.hits)
        let clues = summary.clues
        // A pattern whose first characters are unknown may match anywhere.
        let patternMayMatch = denseTrigger.alwaysRun || summary.triggered
        // A character that starts a sound-alike of a `~` word.
        let soundAlikeMayMatch = !soundAlike.isEmpty && summary.triggered
        // Most messages end here: no word, and no pattern or detector that could match.
        // Numbers written to hide (colloquial, mixed, in pieces) need a few digits to start from,
        // or English number words: a message with a dozen ASCII letters is read too.
        let numbersMayMatch = !detectors.isEmpty && (clues.digits >= 3 || Self.asciiLetters(original, atLeast: 12))
        if hitCount == 0 && !hasLightPatterns && !(hasDensePatterns && patternMayMatch)
            && !numbersMayMatch && !soundAlikeMayMatch && !detectors.contains(where: { $0.mayMatch(clues) })
        {
            return result
        }
        var wordHits: [(id: Int, first: Int, last: Int)] = []
        var allowHits: [(id: Int, first: Int, last: Int)] = []
        for k in 0..<hitCount {
            let hit = scratch.hits.hits[k]
            if Int(hit.id) < wordCount {
                wordHits.append((Int(hit.id), Int(hit.first), Int(hit.last)))
            } else {
                allowHits.append((Int(hit.id) - wordCount, Int(hit.first), Int(hit.last)))
            }
        }
        func originalRange(_ first: Int, _ last: Int) -> Range<Int> { Int(spans[first].start)..<Int(spans[last].end) }
        let categories = rules.categories
        if !wordHits.isEmpty {
            var usedAllows: [Int] = []
            for hit in wordHits {
                let word = rules.words[hit.id]
                let range = originalRange(hit.first, hit.last)
                if asciiEdges[hit.id] != 0 && !hasWordBoundaries(original, range, edges: asciiEdges[hit.id]) {
                    continue
                }
                let category = categories[word.category]
                var finding = Finding(
                    rule: category.id, category: category.id, severity: category.severity, term: word.text,
                    range: range, matched: text(range), normalized: word.dense, view: .dense,
                    origin: word.location.description)
                finding.needsContext = word.needsContext
                if !word.derivation.isEmpty {
                    finding.term = "~" + word.text
                    finding.explanation = [finding.matched, word.derivation, word.text]
                }
                if let allowHit = allowHits.first(where: { allow in
                    rules.allows[allow.id].category == word.category && allow.first <= hit.first
                        && allow.last >= hit.last
                }) {
                    usedAllows.append(allowHit.id)
                    let allow = rules.allows[allowHit.id]
                    result.suppressed.append(
                        SuppressedFinding(
                            finding: finding, allow: allow.text, allowOrigin: allow.location.description,
                            allowMatched: text(originalRange(allowHit.first, allowHit.last))))
                    continue
                }
                result.findings.append(finding)
            }
            for allowHit in allowHits where !usedAllows.contains(allowHit.id) {
                let allow = rules.allows[allowHit.id]
                result.unusedAllows.append(
                    UnusedAllow(
                        allow: allow.text, allowOrigin: allow.location.description,
                        matched: text(originalRange(allowHit.first, allowHit.last)),
                        category: categories[allow.category].id))
            }
        } else if !allowHits.isEmpty && scratch.keepNormalized {
            for allowHit in allowHits {
                let allow = rules.allows[allowHit.id]
                result.unusedAllows.append(
                    UnusedAllow(
                        allow: allow.text, allowOrigin: allow.location.description,
                        matched: text(originalRange(allowHit.first, allowHit.last)),
                        category: categories[allow.category].id))
            }
        }

        // The views patterns and detectors run on, built only when something needs them.
        var dense: BorrowedView? = nil
        var light: BorrowedView? = nil
        func denseView() -> BorrowedView {
            if let dense { return dense }
            let view = normalizer.normalize(utf8: original, into: scratch.normalization, light: false, dense: true)
                .dense
            dense = view
            return view
        }
        func lightView() -> BorrowedView {
            if let light { return light }
            let view = normalizer.normalize(utf8: original, into: scratch.lightOnly, light: true, dense: false).light
            light = view
            return view
        }

        // 2. Regex entries on their view.
        for pattern in rules.patterns {
            let category = categories[pattern.entry.category]
            guard categoryInScope[pattern.entry.category] else { continue }
            if pattern.entry.view == .dense && !patternMayMatch { continue }
            let view = pattern.entry.view == .dense ? denseView() : lightView()
            run(pattern.regex, on: view, scratch: scratch) { range, viewRange, _ in
                result.findings.append(
                    Finding(
                        rule: category.id, category: category.id, severity: category.severity,
                        term: "re:" + pattern.entry.pattern,
                        range: range, matched: text(range), normalized: view.text(viewRange),
                        view: pattern.entry.view, origin: pattern.entry.location.description))
            } limit: { error in
                result.findings.append(
                    Self.limitFinding(
                        rule: category.id, term: "re:" + pattern.entry.pattern,
                        origin: pattern.entry.location.description,
                        error: error, text: text(0..<original.count)))
            }
        }

        // 3. Contact detectors on the light view, each only when the text could hold its kind of value.
        if !detectors.isEmpty {
            for detector in detectors
            where detectorInScope[ContentDetector.scopeIndex(senderKind, isGroup)][detector.index] {
                if detector.typedTextOnly && sharedContent { continue }
                if !detector.mayMatch(clues) { continue }
                let light = lightView()
                run(detector.regex, on: light, scratch: scratch) { range, viewRange, match in
                    let valueRange = detector.group == 0 ? viewRange : (match.groups[detector.group - 1] ?? viewRange)
                    let value = light.text(valueRange)
                    let before = light.text(0..<viewRange.lowerBound)
                    guard let validated = detector.validate(value, Substring(before)) else { return }
                    let evidence = light.originalRange(of: valueRange)
                    var finding = Finding(
                        rule: detector.id, category: ContactDetectors.categoryID, severity: detector.severity,
                        term: detector.title, range: evidence, matched: text(evidence), normalized: value,
                        view: .light,
                        origin: "built-in", detail: detector.reportsValue ? validated : "")
                    // Written otherwise than it was read (幺三八, １３８, ①③⑧): say how, for the reviewer.
                    if detector.reportsValue, let forms = Self.digitForms(finding.matched) {
                        let shown =
                            finding.matched.count > 14 ? String(finding.matched.prefix(12)) + "…" : finding.matched
                        finding.explanation = [shown, forms, validated]
                    }
                    result.findings.append(finding)
                } limit: { error in
                    result.findings.append(
                        Self.limitFinding(
                            rule: detector.id, term: detector.title, origin: "built-in", error: error,
                            text: text(0..<original.count)))
                }
            }
        }
        // 3b. Numbers however written, where the detectors' own patterns could not read them.
        if numbersMayMatch && detectorInScope[ContentDetector.scopeIndex(senderKind, isGroup)].contains(true) {
            readNumbers(&result, light: lightView(), text: text)
        }
        // 3b'. Messenger handles after nicknames or sound-alikes of the app's name.
        if !detectors.isEmpty && Self.asciiLetters(original, atLeast: 1) {
            readHandles(&result, light: lightView(), text: text)
        }
        // 3c. Words written with characters that sound the same.
        if soundAlikeMayMatch {
            soundAlikes(&result, dense: denseView(), text: text, categoryInScope: categoryInScope)
        }
        if result.findings.count > 1 { result.findings = Self.withoutNestedHits(result.findings) }
        // The company's own channels (its hotline, domain, 对公 account) are not a lure.
        if !company.isEmpty {
            result.findings.removeAll { $0.category == ContactDetectors.categoryID && company.covers($0) }
        }
        // 4. Context: warnings and refusals, names and ordinals (only for messages with hits).
        if hasContextRules && !result.findings.isEmpty {
            suppressByContext(&result, original: text(0..<original.count), light: lightView, scratch: scratch)
        }
        return result
    }

    /// The hot loop: one pass over the dense stream runs the wordlist automaton, counts the clues
    /// detectors need and notes whether a dense-view pattern could start anywhere. Only the
    /// original offsets of each dense character (`spans`) and the hits are written (into the
    /// scratch buffers: no array is made for a message without hits); returns the hit count and
    /// what the scan learnt (clues, triggers).
    private func scanWords(
        _ original: UnsafeBufferPointer<UInt8>, scope categoryInScope: UnsafeMutablePointer<Bool>,
        spans: UnsafeMutablePointer<(start: Int32, end: Int32)>, hits: HitBuffer
    ) -> (hitCount: Int, summary: DenseScanSummary) {
        var sink = WordSink(
            transitions: lexicon.transitions, matcher: lexicon, spans: spans, hits: hits, wordCount: wordCount,
            wordCategory: wordCategories, categoryInScope: categoryInScope)
        let summary = normalizer.scanDense(utf8: original, table: denseCodes, into: &sink)
        return (sink.hitCount, summary)
    }

    /// Runs the automaton over the dense characters of a scan, keeping each one's original span
    /// and the hits.
    struct WordSink: DenseSink {
        let transitions: Transitions
        unowned(unsafe) let matcher: LiteralMatcher
        let spans: UnsafeMutablePointer<(start: Int32, end: Int32)>
        unowned(unsafe) let hits: HitBuffer
        let wordCount: Int
        let wordCategory: UnsafeMutablePointer<Int32>
        let categoryInScope: UnsafeMutablePointer<Bool>
        var state: Int32 = 0
        var count = 0
        var hitCount = 0

        @inline(__always)
        mutating func character(_ code: Int, start: Int32, end: Int32) {
            // Characters in no word (code 0) take a slot too and send the automaton to the
            // root: no branch on them in the loop.
            spans[count] = (start, end)
            count &+= 1
            state = transitions.next(state, code)
            guard state >= transitions.outputFrom else { return }
            let (count, wordCount, wordCategory, categoryInScope, hits) = (
                count, wordCount, wordCategory, categoryInScope, hits
            )
            var hitCount = self.hitCount
            matcher.forEachWord(endingAt: state) { id, length in
                // Words of categories out of scope are dropped here; allowed phrases are kept.
                if id >= wordCount || categoryInScope[Int(wordCategory[id])] {
                    hits.append(at: &hitCount, id: id, first: count - length, last: count - 1)
                }
            }
            self.hitCount = hitCount
        }

        @inline(__always)
        mutating func repeatOfLast(end: Int32) {
            spans[count &- 1].end = end
        }
    }

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

    static let scopeCombinations: [(ParticipantKind?, Bool?)] = [nil, ParticipantKind.staff, .customer, .robot].flatMap
    { kind in
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
    /// Whether `bytes` hold at least `n` ASCII letters (a cheap look before reading English
    /// number words).
    static func asciiLetters(_ bytes: UnsafeBufferPointer<UInt8>, atLeast n: Int) -> Bool {
        guard bytes.count >= n else { return false }
        var count = 0
        for b in bytes where (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A {
            count += 1
            if count >= n { return true }
        }
        return false
    }

    func run(
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
    private func hasWordBoundaries(_ original: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, edges: UInt8) -> Bool {
        // Characters normalisation removes (a variation selector after `㎏`, a zero-width space)
        // stand between nothing: the neighbour is the next character that is read.
        if edges & 1 != 0 {
            var end = range.lowerBound
            while end > 0 {
                var i = end - 1
                while i > 0 && original[i] & 0xC0 == 0x80 { i -= 1 }
                if normalizer.isDropped(original, at: i) {
                    end = i
                    continue
                }
                if normalizer.isASCIIAlphanumeric(original, at: i, lastOfExpansion: true) { return false }
                break
            }
        }
        if edges & 2 != 0 {
            var i = range.upperBound
            while i < original.count && normalizer.isDropped(original, at: i) {
                i += 1
                while i < original.count && original[i] & 0xC0 == 0x80 { i += 1 }
            }
            if i < original.count && normalizer.isASCIIAlphanumeric(original, at: i) { return false }
        }
        return true
    }
}

/// The original byte range of each dense character of the message being examined (start and
/// end side by side: the hot loop writes both with one store).
final class OffsetMap {
    @exclusivity(unchecked) private(set) var spans: UnsafeMutablePointer<(start: Int32, end: Int32)>
    @exclusivity(unchecked) private var capacity = 256

    init() {
        spans = .allocate(capacity: 256)
    }

    func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        while capacity < minimum { capacity *= 2 }
        spans.deallocate()
        spans = .allocate(capacity: capacity)
    }

    deinit {
        spans.deallocate()
    }
}

/// The wordlist hits of the message being examined (word or allowed-phrase id, first and last
/// dense character), in a buffer reused across messages.
final class HitBuffer {
    @exclusivity(unchecked) private(set) var hits: UnsafeMutablePointer<(id: Int32, first: Int32, last: Int32)>
    @exclusivity(unchecked) private var capacity = 64

    init() {
        hits = .allocate(capacity: 64)
    }

    @inline(__always)
    func append(at count: inout Int, id: Int, first: Int, last: Int) {
        if count == capacity { grow() }
        hits[count] = (Int32(id), Int32(first), Int32(last))
        count += 1
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<(id: Int32, first: Int32, last: Int32)>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: hits, count: capacity)
        hits.deallocate()
        hits = bigger
        capacity *= 2
    }

    deinit {
        hits.deallocate()
    }
}

/// The first characters a set of patterns can match at, as a bitmap over the BMP; patterns
/// whose first character cannot be read off their text make the set "always".
struct FirstCharacters: Sendable {
    let bitmap: [UInt64]
    let alwaysRun: Bool
    let isEmpty: Bool

    init(patterns: [String]) {
        var bitmap = [UInt64](repeating: 0, count: 1024)
        var always = false
        for pattern in patterns {
            guard let first = PatternRisk.firstCharacters(of: pattern) else {
                always = true
                continue
            }
            for c in first where c < 0x10000 { bitmap[Int(c >> 6)] |= 1 << UInt64(c & 63) }
            if first.contains(where: { $0 >= 0x10000 }) { always = true }
        }
        self.bitmap = bitmap
        self.alwaysRun = always
        self.isEmpty = patterns.isEmpty
    }

    @inline(__always)
    func contains(_ value: UInt32) -> Bool {
        value < 0x10000 && bitmap[Int(value >> 6)] & (1 << UInt64(value & 63)) != 0
    }
}

/// Per-task scratch space for detection (PCRE2 match data). Not `Sendable`: one per task.
public final class DetectorScratch {
    let match = MatchScratch(captureCount: 4)
    let normalization = NormalizationBuffers()
    let lightOnly = NormalizationBuffers()
    let offsets = OffsetMap()
    let hits = HitBuffer()
    /// Keep a copy of both normalised views in each ``Detection`` (for explaining).
    public let keepNormalized: Bool

    public init(keepNormalized: Bool = false) {
        self.keepNormalized = keepNormalized
    }
}

@available(*, unavailable)
extension DetectorScratch: Sendable {}
