/// A normalised form of a text, with a map from every byte back to the original text.
///
/// Detection runs on normalised text; evidence is shown as it was written. For every UTF-8 byte
/// of the normalised text, ``originalStart`` and ``originalEnd`` give the byte range of the
/// original character(s) it came from, so a hit's span maps back exactly
/// (``originalRange(of:)``), including characters that were dropped inside it.
public struct NormalizedView: Sendable, Equatable {
    /// The normalised text as UTF-8.
    public var utf8: [UInt8]
    /// For each byte of ``utf8``: the original byte offset where its source character starts.
    public var originalStart: [Int32]
    /// For each byte of ``utf8``: the original byte offset where its source character(s) end.
    public var originalEnd: [Int32]

    public init() {
        utf8 = []
        originalStart = []
        originalEnd = []
    }

    /// The normalised text as a `String`.
    public var text: String { String(decoding: utf8, as: UTF8.self) }

    /// The original byte range a normalised byte range came from.
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty, range.upperBound <= utf8.count else {
            let at = range.lowerBound < originalStart.count ? Int(originalStart[range.lowerBound]) : Int(originalEnd.last ?? 0)
            return at..<at
        }
        return Int(originalStart[range.lowerBound])..<Int(originalEnd[range.upperBound - 1])
    }

    mutating func reserve(_ capacity: Int) {
        utf8.reserveCapacity(capacity)
        originalStart.reserveCapacity(capacity)
        originalEnd.reserveCapacity(capacity)
    }

    /// Appends one scalar's UTF-8, every byte mapped to `start..<end` in the original.
    @inline(__always)
    mutating func append(_ value: UInt32, start: Int32, end: Int32) {
        if value < 0x80 {
            utf8.append(UInt8(value))
            originalStart.append(start)
            originalEnd.append(end)
        } else if value < 0x800 {
            utf8.append(UInt8(0xC0 | (value >> 6)))
            utf8.append(UInt8(0x80 | (value & 0x3F)))
            for _ in 0..<2 { originalStart.append(start); originalEnd.append(end) }
        } else if value < 0x10000 {
            utf8.append(UInt8(0xE0 | (value >> 12)))
            utf8.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            utf8.append(UInt8(0x80 | (value & 0x3F)))
            for _ in 0..<3 { originalStart.append(start); originalEnd.append(end) }
        } else {
            utf8.append(UInt8(0xF0 | (value >> 18)))
            utf8.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            utf8.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            utf8.append(UInt8(0x80 | (value & 0x3F)))
            for _ in 0..<4 { originalStart.append(start); originalEnd.append(end) }
        }
    }

    /// Stretches the last character's original span to `end` (a collapsed repeat or dropped
    /// noise after it belongs to its evidence).
    @inline(__always)
    mutating func extendLast(to end: Int32) {
        var i = originalEnd.count - 1
        let start = i >= 0 ? originalStart[i] : 0
        while i >= 0 && originalStart[i] == start {
            originalEnd[i] = end
            i -= 1
        }
    }
}

/// Both normalised views of one text.
public struct NormalizedText: Sendable, Equatable {
    /// Width, case, traditional → simplified, digit variants and Chinese numerals folded;
    /// invisible characters removed; punctuation and spacing kept. Contact detectors and regex
    /// rules that need punctuation (`@`, `.`, `://`) run here.
    public var light: NormalizedView
    /// The light view without noise (punctuation, symbols, spaces, emoji) and with runs of a
    /// repeated letter or ideograph collapsed to one (digits are never collapsed). Wordlists run
    /// here, so `傻@#￥%逼`, `傻 逼`, `法✨轮功` and `加 V 信` read as the words they hide.
    public var dense: NormalizedView
}

/// Evasion-resistant normalisation of chat text. Immutable and `Sendable`: one per process.
public struct Normalizer: Sendable {
    let table: CharacterTable
    /// Collapse runs of the same letter or ideograph in the dense view.
    public var collapseRepeats: Bool

    /// The process-wide normaliser (the character table is built on first use, in about 50 ms).
    public static let standard = Normalizer(table: .shared, collapseRepeats: true)

    init(table: CharacterTable, collapseRepeats: Bool) {
        self.table = table
        self.collapseRepeats = collapseRepeats
    }

    /// Whether traditional → simplified conversion is active (OpenCC's dictionary was found).
    public var hasTraditionalToSimplified: Bool { table.hasTraditionalToSimplified }

    /// Normalises `text` into both views.
    public func normalize(_ text: String) -> NormalizedText {
        var copy = text
        return copy.withUTF8 { normalize(utf8: $0) }
    }

    /// Normalises valid UTF-8.
    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> NormalizedText {
        var light = NormalizedView()
        var dense = NormalizedView()
        light.reserve(bytes.count + 8)
        dense.reserve(bytes.count + 8)
        var lastDense: UInt32 = 0xFFFF_FFFF
        var i = 0
        let n = bytes.count
        let table = self.table
        let collapse = collapseRepeats

        @inline(__always)
        func emit(_ entry: UInt32, start: Int32, end: Int32) {
            if entry & CharacterTable.dropFlag != 0 { return }
            let value = entry & CharacterTable.scalarMask
            light.append(value, start: start, end: end)
            if entry & CharacterTable.noiseFlag != 0 { return }
            if collapse && value == lastDense && entry & CharacterTable.digitFlag == 0 {
                dense.extendLast(to: end)
                return
            }
            dense.append(value, start: start, end: end)
            lastDense = value
        }

        while i < n {
            let start = i
            let b0 = UInt32(bytes[i])
            var value: UInt32
            if b0 < 0x80 {
                value = b0
                i += 1
            } else if b0 < 0xE0 {
                value = (b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                i += 2
            } else if b0 < 0xF0 {
                value = (b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                i += 3
            } else {
                value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                    | UInt32(bytes[i + 3] & 0x3F)
                i += 4
            }
            let entry = table.entry(value)
            let s = Int32(start), e = Int32(i)
            if entry & CharacterTable.expansionFlag != 0 && entry & CharacterTable.dropFlag == 0 {
                let index = Int(entry & CharacterTable.scalarMask)
                for k in Int(table.expansionStarts[index])..<Int(table.expansionStarts[index + 1]) {
                    emit(table.expansions[k], start: s, end: e)
                }
            } else {
                emit(entry, start: s, end: e)
            }
        }
        return NormalizedText(light: light, dense: dense)
    }

    /// The dense form of a word, as wordlist entries are compared against the dense view.
    public func denseForm(_ word: String) -> String {
        normalize(word).dense.text
    }

    /// The light form of a phrase.
    public func lightForm(_ text: String) -> String {
        normalize(text).light.text
    }
}

extension Normalizer {
    /// Whether the character starting at byte `index` of valid UTF-8 `bytes` normalises to an
    /// ASCII letter or digit (so `ｃ` and `Ⓒ` count as letters when checking word boundaries).
    public func isASCIIAlphanumeric(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index >= 0, index < bytes.count else { return false }
        let b0 = UInt32(bytes[index])
        var value: UInt32
        if b0 < 0x80 {
            value = b0
        } else if b0 < 0xE0, index + 1 < bytes.count {
            value = (b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
        } else if b0 < 0xF0, index + 2 < bytes.count {
            value = (b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
        } else if index + 3 < bytes.count {
            value = (b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                | UInt32(bytes[index + 3] & 0x3F)
        } else {
            return false
        }
        var entry = table.entry(value)
        if entry & CharacterTable.dropFlag != 0 { return false }
        if entry & CharacterTable.expansionFlag != 0 {
            entry = table.expansions[Int(table.expansionStarts[Int(entry & CharacterTable.scalarMask)])]
        }
        let mapped = entry & CharacterTable.scalarMask
        return (0x30...0x39).contains(mapped) || (0x61...0x7A).contains(mapped)
    }
}
