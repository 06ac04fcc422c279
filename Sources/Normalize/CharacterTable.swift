internal import Foundation

/// What normalisation does to each Unicode scalar, computed once per process.
///
/// One 32-bit entry per BMP scalar (256 KiB) makes the per-character work of the hot loop one
/// array load: the mapped scalar plus flags. The few scalars that map to more than one scalar
/// (`⑩` → `10`, `㎏` → `kg`) point into an expansion table.
///
/// The mapping, in order: drop format and zero-width characters; NFKC (full-width → half-width,
/// circled and parenthesised letters and digits, ligatures, mathematical alphanumerics), with the
/// decoration of enclosed forms (`⑸` → `5`, not `(5)`) removed; lower case; traditional → simplified
/// (OpenCC's character dictionary, when installed); Chinese numerals → ASCII digits (`一二三`,
/// `壹贰`, `幺`). Characters that are not letters, digits or ideographs are flagged as noise: the
/// dense view drops them, so `傻@#￥%逼` and `加 V 信` read as `傻逼` and `加v信`.
final class CharacterTable: Sendable {
    static let scalarMask: UInt32 = 0x1F_FFFF
    /// Dropped from the dense view (punctuation, symbols, spaces, emoji).
    static let noiseFlag: UInt32 = 1 << 21
    /// Dropped from both views (zero-width, format, control, combining marks, variation selectors).
    static let dropFlag: UInt32 = 1 << 22
    /// An ASCII digit after mapping: never collapsed as a repeat (phone numbers repeat digits).
    static let digitFlag: UInt32 = 1 << 23
    /// The low bits index ``expansions`` instead of naming a scalar.
    static let expansionFlag: UInt32 = 1 << 24

    /// One entry per BMP scalar.
    let bmp: [UInt32]
    /// The same entries at a fixed address (the table lives as long as the process), so the hot
    /// loop reads them without a closure, bounds checks or reference counting.
    nonisolated(unsafe) let bmpPointer: UnsafePointer<UInt32>
    /// Entries for the supplementary ranges people use to write letters and digits in disguise
    /// (mathematical alphanumerics U+1D400–1D7FF, enclosed alphanumerics U+1F100–1F1FF).
    let mathAlphanumerics: [UInt32]
    let enclosedSupplement: [UInt32]
    /// Expansion `i` is `expansions[expansionStarts[i] ..< expansionStarts[i + 1]]`, each an entry.
    let expansions: [UInt32]
    let expansionStarts: [Int32]
    /// Whether OpenCC's traditional → simplified table was available.
    let hasTraditionalToSimplified: Bool

    static let shared = CharacterTable(t2s: TraditionalToSimplified.loadCharacterMap())

    init(t2s: [UInt32: UInt32]?) {
        var expansions: [UInt32] = []
        var starts: [Int32] = [0]
        func entry(for scalar: Unicode.Scalar) -> UInt32 {
            let mapped = CharacterTable.map(scalar, t2s: t2s)
            if mapped.isEmpty { return CharacterTable.dropFlag }
            if mapped.count == 1 { return CharacterTable.classify(mapped[0]) }
            let index = UInt32(starts.count - 1)
            expansions.append(contentsOf: mapped.map(CharacterTable.classify))
            starts.append(Int32(expansions.count))
            return CharacterTable.expansionFlag | index
        }
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        for value in 0..<0x10000 {
            if let scalar = Unicode.Scalar(value) {
                bmp[value] = entry(for: scalar)
            } else {
                bmp[value] = CharacterTable.dropFlag  // surrogate code points cannot occur in a String
            }
        }
        self.bmp = bmp
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: 0x10000)
        pointer.initialize(from: bmp, count: 0x10000)
        self.bmpPointer = UnsafePointer(pointer)
        self.mathAlphanumerics = (0x1D400..<0x1D800).map { entry(for: Unicode.Scalar($0)!) }
        self.enclosedSupplement = (0x1F100..<0x1F200).map { entry(for: Unicode.Scalar($0)!) }
        self.expansions = expansions
        self.expansionStarts = starts
        self.hasTraditionalToSimplified = t2s != nil
    }

    /// The entry for any scalar (out of line: supplementary scalars are rare, and inlining this
    /// would put Unicode-property set-up on every call of the hot loop).
    @inline(never)
    func entry(_ value: UInt32) -> UInt32 {
        if value < 0x10000 { return bmp[Int(value)] }
        if value >= 0x1D400 && value < 0x1D800 { return mathAlphanumerics[Int(value - 0x1D400)] }
        if value >= 0x1F100 && value < 0x1F200 { return enclosedSupplement[Int(value - 0x1F100)] }
        return CharacterTable.supplementaryEntry(value)
    }

    /// Supplementary scalars outside the tabled ranges: ideographs (CJK extensions) are kept,
    /// tag characters and variation selectors dropped, everything else (emoji above all) is noise.
    static func supplementaryEntry(_ value: UInt32) -> UInt32 {
        if (0xE0000...0xE0FFF).contains(value) { return dropFlag }  // tags, variation selectors supplement
        if (0x20000...0x3FFFF).contains(value) { return value }  // CJK extensions B–H
        guard let scalar = Unicode.Scalar(value) else { return dropFlag }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return value
        case .format, .control, .nonspacingMark, .enclosingMark: return dropFlag
        default: return value | noiseFlag
        }
    }

    /// Flags for a mapped scalar.
    static func classify(_ scalar: Unicode.Scalar) -> UInt32 {
        let value = scalar.value
        if value >= 0x30 && value <= 0x39 { return value | digitFlag }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return value
        case .decimalNumber, .letterNumber, .otherNumber:
            return value
        case .format, .control, .nonspacingMark, .enclosingMark, .surrogate, .unassigned:
            // Tab and newline survive in the light view (they separate words there).
            if value == 0x09 || value == 0x0A { return value | noiseFlag }
            return dropFlag
        default:
            return value | noiseFlag
        }
    }

    /// The scalars `scalar` normalises to (empty: drop it).
    static func map(_ scalar: Unicode.Scalar, t2s: [UInt32: UInt32]?) -> [Unicode.Scalar] {
        let value = scalar.value
        // Zero-width and invisible characters used to split words: always dropped.
        switch value {
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x206F, 0xFEFF, 0x00AD, 0x034F, 0x180E, 0xFE00...0xFE0F:
            return []
        default: break
        }
        switch scalar.properties.generalCategory {
        case .format, .nonspacingMark, .enclosingMark: return []
        case .control where value != 0x09 && value != 0x0A: return []
        default: break
        }
        var scalars = Array(String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars)
        if isEnclosedForm(value) {
            // ⑸ → (5), ⒌ → 5., ㈤ → (五): keep what is inside the decoration.
            let stripped = scalars.filter { $0 != "(" && $0 != ")" && $0 != "." }
            if !stripped.isEmpty { scalars = stripped }
        }
        if scalars.count == 1, scalars[0] == scalar, let digit = enclosedDigitValue(scalar) {
            // ⓵ ❶ ➀ and friends have no NFKC decomposition but are digits all the same.
            scalars = Array(String(digit).unicodeScalars)
        }
        if scalars.count == 1, scalars[0] == scalar, let letter = negativeEnclosedLetter(value) {
            scalars = [letter]
        }
        var result: [Unicode.Scalar] = []
        for s in scalars {
            for lower in s.properties.lowercaseMapping.unicodeScalars {
                var v = lower.value
                if let simplified = t2s?[v] { v = simplified }
                if let digit = chineseNumeral(v) { v = digit }
                result.append(Unicode.Scalar(v)!)
            }
        }
        return result
    }

    /// Enclosed alphanumerics, dingbat circled digits and enclosed CJK: their NFKC carries
    /// decoration (parentheses, full stops) around the character that matters.
    static func isEnclosedForm(_ value: UInt32) -> Bool {
        (0x2460...0x24FF).contains(value) || (0x2776...0x2793).contains(value)
            || (0x3200...0x32FF).contains(value) || (0x1F100...0x1F1FF).contains(value)
    }

    static func enclosedDigitValue(_ scalar: Unicode.Scalar) -> Int? {
        guard isEnclosedForm(scalar.value), let number = scalar.properties.numericValue,
            number >= 0, number <= 20, number.rounded() == number
        else { return nil }
        return Int(number)
    }

    /// 🅐–🅩 (negative circled) and 🅰–🆉 (negative squared) have no decomposition.
    static func negativeEnclosedLetter(_ value: UInt32) -> Unicode.Scalar? {
        if (0x1F150...0x1F169).contains(value) { return Unicode.Scalar(0x61 + value - 0x1F150) }
        if (0x1F170...0x1F189).contains(value) { return Unicode.Scalar(0x61 + value - 0x1F170) }
        return nil
    }

    /// Chinese numerals, everyday and financial (大写), as ASCII digits. `十`, `百` and `两` are
    /// left alone: they are positional or everyday words, not digits someone spells a number with.
    static func chineseNumeral(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x96F6, 0x3007: return 0x30  // 零 〇
        case 0x4E00, 0x58F9, 0x5E7A: return 0x31  // 一 壹 幺
        case 0x4E8C, 0x8D30, 0x8CB3: return 0x32  // 二 贰 貳
        case 0x4E09, 0x53C1, 0x53C3: return 0x33  // 三 叁 參
        case 0x56DB, 0x8086: return 0x34  // 四 肆
        case 0x4E94, 0x4F0D: return 0x35  // 五 伍
        case 0x516D, 0x9646, 0x9678: return 0x36  // 六 陆 陸
        case 0x4E03, 0x67D2: return 0x37  // 七 柒
        case 0x516B, 0x634C: return 0x38  // 八 捌
        case 0x4E5D, 0x7396: return 0x39  // 九 玖
        default: return nil
        }
    }
}
