import Normalize
import Rules

/// Words written with other characters that sound the same (`威信` for `微信`): words marked `~`
/// in a wordlist are also matched by their pinyin (``SoundAlikeLexicon``), on the dense view, so
/// every other evasion (spaces, noise, full width, traditional, zero-width) still applies.
///
/// Runs only for messages that hold a character starting such a word (the dense scan's trigger),
/// and believes a sound-alike that is itself a common word, or part of one (`他很有威信`, `作为新人`),
/// only in a luring context: a luring verb just before it, or contact details in the message.
extension ContentDetector {
    /// Characters that, just before a sound-alike, make it a lure (`加威信`, `+薇芯`).
    static let lureVerbs: Set<UInt32> = Set("加+找搜私联添扫留发".unicodeScalars.map(\.value))

    func soundAlikes(
        _ result: inout Detection, dense: BorrowedView, text: (Range<Int>) -> String,
        categoryInScope: UnsafeMutablePointer<Bool>
    ) {
        let pronunciation = Pronunciation.shared
        var scalars: [(value: UInt32, range: Range<Int>, syllable: UInt16)] = []
        var iterator = dense.bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while case .scalarValue(let s) = decoder.decode(&iterator) {
            let width = UTF8.width(s)
            scalars.append((s.value, offset..<(offset + width), pronunciation.syllable(s.value)))
            offset += width
        }
        let hasContact = result.findings.contains { $0.category == ContactDetectors.categoryID }
        for i in scalars.indices {
            guard let candidates = soundAlike.byFirst[scalars[i].syllable] else { continue }
            for candidate in candidates {
                let end = i + candidate.syllables.count
                guard end <= scalars.count,
                    (0..<candidate.syllables.count).allSatisfy({ scalars[i + $0].syllable == candidate.syllables[$0] })
                else { continue }
                let word = rules.words[candidate.index]
                guard categoryInScope[word.category] else { continue }
                let matched = scalars[i..<end].map(\.value)
                let written = word.dense.unicodeScalars.map(\.value)
                // Written as the word itself: the word's own hit already says so.
                if matched == written { continue }
                // A character that differs from the word but makes a common word with its
                // neighbour (`威信`, `作为`) is more likely an ordinary word than an evasion. The
                // neighbour must be written next to it (`亲，家` is not `亲家`); within a match of
                // three or more syllables a common word is no excuse (`佳威信` sounds out the
                // whole phrase).
                func isWord(_ a: Int, _ b: Int) -> Bool {
                    if candidate.syllables.count >= 3 && a >= i && b < end { return false }
                    guard
                        dense.originalRange(of: scalars[a].range).upperBound
                            == dense.originalRange(of: scalars[b].range).lowerBound
                    else { return false }
                    return pronunciation.isCommonWord(scalars[a].value, scalars[b].value)
                }
                let accidental = (0..<matched.count).contains { k in
                    guard matched[k] != written[k] else { return false }
                    let at = i + k
                    return (at > 0 && isWord(at - 1, at)) || (at + 1 < scalars.count && isWord(at, at + 1))
                }
                let lured =
                    hasContact || scalars[max(0, i - 2)..<end].contains { Self.lureVerbs.contains($0.value) }
                if accidental && !lured { continue }
                let denseRange = scalars[i].range.lowerBound..<scalars[end - 1].range.upperBound
                let range = dense.originalRange(of: denseRange)
                let category = rules.categories[word.category]
                var finding = Finding(
                    rule: category.id, category: category.id, severity: category.severity, term: "~" + word.text,
                    range: range,
                    matched: text(range), normalized: dense.text(denseRange), view: .dense,
                    origin: word.location.description)
                finding.explanation = [dense.text(denseRange), pronunciation.describe(candidate.syllables), word.text]
                // A shorter hit inside it (`加我`) is dropped with the other nested hits.
                if !result.findings.contains(where: { $0.rule == finding.rule && $0.range == range }) {
                    result.findings.append(finding)
                }
            }
        }
    }
}
