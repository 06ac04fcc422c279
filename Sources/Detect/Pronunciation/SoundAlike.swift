import Normalize
import Rules

/// The pronunciation layer: which ideographs sound alike, from the pinyin data generated at build
/// time (`scripts/generate-pinyin.py`, see `THIRD-PARTY.md`).
final class Pronunciation: Sendable {
    static let shared = Pronunciation()

    /// Syllables, numbered from 1.
    let syllables: [String]
    /// The syllable number of each ideograph U+4E00–U+9FFF (0: none).
    let readings: [UInt16]
    /// Frequent two-character words, each as its two scalars.
    let commonWords: Set<UInt64>

    private init() {
        syllables = [""] + PronunciationData.syllables.split(separator: " ").map(String.init)
        readings = PronunciationData.readings.unicodeScalars.map { UInt16($0.value - 0x100) }
        var words = Set<UInt64>()
        var scalars = PronunciationData.commonWords.unicodeScalars.makeIterator()
        while let a = scalars.next(), let b = scalars.next() { words.insert(Self.pair(a.value, b.value)) }
        commonWords = words
    }

    static func pair(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    /// The syllable of an ideograph (0 for anything else).
    func syllable(_ scalar: UInt32) -> UInt16 {
        scalar >= 0x4E00 && scalar < 0xA000 ? readings[Int(scalar - 0x4E00)] : 0
    }

    func isCommonWord(_ a: UInt32, _ b: UInt32) -> Bool { commonWords.contains(Self.pair(a, b)) }

    /// A word's syllables (`微信` → `wei xin`), or nil when a character has none.
    func spell(_ dense: String) -> [UInt16]? {
        let spelled = dense.unicodeScalars.map { syllable($0.value) }
        return spelled.contains(0) || spelled.isEmpty ? nil : spelled
    }

    func describe(_ spelled: [UInt16]) -> String { spelled.map { syllables[Int($0)] }.joined(separator: " ") }
}

/// The words of a rule set marked `~` (sound-alike), by their first syllable, and the characters
/// that can start one (the scan's triggers: only messages holding one are looked at again).
struct SoundAlikeLexicon: Sendable {
    struct Word: Sendable {
        /// Index in `RuleSet.words`.
        let index: Int
        let syllables: [UInt16]
    }

    let byFirst: [UInt16: [Word]]
    /// Ideographs whose syllable starts a sound-alike word.
    let triggers: Set<UInt32>

    var isEmpty: Bool { byFirst.isEmpty }

    init(words: [WordEntryView]) {
        let pronunciation = Pronunciation.shared
        var byFirst: [UInt16: [Word]] = [:]
        for word in words where word.soundAlike {
            guard let spelled = pronunciation.spell(word.dense), spelled.count >= 2 else { continue }
            byFirst[spelled[0], default: []].append(Word(index: word.index, syllables: spelled))
        }
        self.byFirst = byFirst
        var triggers = Set<UInt32>()
        if !byFirst.isEmpty {
            for value in UInt32(0x4E00)..<UInt32(0xA000) where byFirst[pronunciation.syllable(value)] != nil {
                triggers.insert(value)
            }
        }
        self.triggers = triggers
    }

    /// What the lexicon needs of a rule-set word.
    struct WordEntryView {
        let index: Int
        let dense: String
        let soundAlike: Bool
    }
}

extension SoundAlikeLexicon {
    /// `rules` with the forms people type for a `~` word in pinyin initials added as words of its
    /// category: the word's first characters kept and the rest as initials (`加wx`, `加我wx`,
    /// `微信lx` for `微信联系`), and, for three syllables or more, all initials (`jwwx`, `sxlx`).
    /// Two initials alone (`sl` for `私聊`) are too common to mean the word; where a pair is known
    /// (`wx`, `vx`) the lists say so. Derived forms go into the one automaton with the written
    /// words, so they cost nothing per message; like every ASCII-edged word they need a word
    /// boundary where they begin or end with a letter (`加wx` is not in `加wxyz`).
    static func withInitials(_ rules: RuleSet, normalizer: Normalizer) -> RuleSet {
        let pronunciation = Pronunciation.shared
        var result = rules
        var known = Set(rules.words.map(\.dense))
        for word in rules.words where word.soundAlike {
            guard let spelled = pronunciation.spell(word.dense), spelled.count >= 2 else { continue }
            let characters = Array(word.dense.unicodeScalars)
            let initials = spelled.map { pronunciation.syllables[Int($0)].prefix(1) }
            for kept in (spelled.count >= 3 ? 0 : 1)..<spelled.count {
                let form =
                    String(String.UnicodeScalarView(characters[..<kept])) + initials[kept...].joined()
                let dense = normalizer.denseForm(form)
                guard !dense.isEmpty, known.insert(dense).inserted else { continue }
                var derived = word
                derived.dense = dense
                derived.soundAlike = false
                derived.derivation =
                    "pinyin initials: " + pronunciation.describe(Array(spelled[kept...]))
                    + " → " + initials[kept...].joined(separator: " ")
                result.words.append(derived)
            }
        }
        return result
    }
}
