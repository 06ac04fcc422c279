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
            let at =
                range.lowerBound < originalStart.count
                ? Int(originalStart[range.lowerBound]) : Int(originalEnd.last ?? 0)
            return at..<at
        }
        return Int(originalStart[range.lowerBound])..<Int(originalEnd[range.upperBound - 1])
    }
}

/// Writes one view through raw pointers (the arrays' own append is several times slower).
struct ViewWriter {
    var bytes: UnsafeMutablePointer<UInt8>
    var starts: UnsafeMutablePointer<Int32>
    var ends: UnsafeMutablePointer<Int32>
    var count = 0
    var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity)
        starts = .allocate(capacity: capacity)
        ends = .allocate(capacity: capacity)
    }

    func free() {
        bytes.deallocate()
        starts.deallocate()
        ends.deallocate()
    }

    /// Makes room for at least `minimum` bytes.
    mutating func reserve(_ minimum: Int) {
        while capacity < minimum { grow() }
    }

    func borrowed() -> BorrowedView {
        BorrowedView(bytes: UnsafeBufferPointer(start: bytes, count: count), starts: starts, ends: ends)
    }

    mutating func grow() {
        let newCapacity = max(capacity * 2, 64)
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        let s = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        let e = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        b.update(from: bytes, count: count)
        s.update(from: starts, count: count)
        e.update(from: ends, count: count)
        free()
        bytes = b
        starts = s
        ends = e
        capacity = newCapacity
    }

    @inline(__always)
    mutating func put(_ byte: UInt32, _ start: Int32, _ end: Int32) {
        bytes[count] = UInt8(truncatingIfNeeded: byte)
        starts[count] = start
        ends[count] = end
        count += 1
    }

    @inline(__always)
    mutating func append(_ value: UInt32, start: Int32, end: Int32) {
        if count + 4 > capacity { grow() }
        if value < 0x80 {
            put(value, start, end)
        } else if value < 0x800 {
            put(0xC0 | (value >> 6), start, end)
            put(0x80 | (value & 0x3F), start, end)
        } else if value < 0x10000 {
            put(0xE0 | (value >> 12), start, end)
            put(0x80 | ((value >> 6) & 0x3F), start, end)
            put(0x80 | (value & 0x3F), start, end)
        } else {
            put(0xF0 | (value >> 18), start, end)
            put(0x80 | ((value >> 12) & 0x3F), start, end)
            put(0x80 | ((value >> 6) & 0x3F), start, end)
            put(0x80 | (value & 0x3F), start, end)
        }
    }

    @inline(__always)
    mutating func extendLast(to end: Int32) {
        var i = count - 1
        guard i >= 0 else { return }
        let start = starts[i]
        while i >= 0 && starts[i] == start {
            ends[i] = end
            i -= 1
        }
    }

    func view() -> NormalizedView {
        var view = NormalizedView()
        view.utf8 = Array(UnsafeBufferPointer(start: bytes, count: count))
        view.originalStart = Array(UnsafeBufferPointer(start: starts, count: count))
        view.originalEnd = Array(UnsafeBufferPointer(start: ends, count: count))
        return view
    }
}

/// What one normalisation pass produced: the views asked for (the others are empty) and clues.
public struct NormalizedPass {
    public var light: BorrowedView
    public var dense: BorrowedView
    public var clues: Clues
}

/// Facts about a text that tell detectors whether they can match at all (most messages hold no
/// run of digits, no `@` and no `.`; running every contact pattern on them is wasted work).
public struct Clues: Sendable, Equatable {
    /// ASCII digits after normalisation (`①`, `１` and `一` count).
    public var digits = 0
    /// An `@` (or full-width `＠`).
    public var hasAt = false
    /// A `.` (or full-width `．`, `。` does not count).
    public var hasDot = false

    public init() {}
}

/// Reusable output buffers for ``Normalizer/normalize(utf8:into:)``. Not `Sendable`: one per task.
public final class NormalizationBuffers {
    /// The two writers (light, dense) in memory of their own: the hot loop works on them through
    /// a pointer, without the dynamic exclusivity checks every class property access costs.
    let writers: UnsafeMutablePointer<ViewWriter>

    public init() {
        writers = .allocate(capacity: 2)
        writers.initialize(to: ViewWriter(capacity: 256))
        (writers + 1).initialize(to: ViewWriter(capacity: 256))
    }

    var light: ViewWriter { writers[0] }
    var dense: ViewWriter { writers[1] }

    deinit {
        writers[0].free()
        writers[1].free()
        writers.deinitialize(count: 2)
        writers.deallocate()
    }
}

@available(*, unavailable)
extension NormalizationBuffers: Sendable {}

/// A normalised view that borrows ``NormalizationBuffers``: valid until they are reused.
public struct BorrowedView {
    /// The normalised text as UTF-8.
    public let bytes: UnsafeBufferPointer<UInt8>
    let starts: UnsafeMutablePointer<Int32>
    let ends: UnsafeMutablePointer<Int32>

    /// The original byte range a normalised byte range came from.
    @inline(__always)
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty, range.upperBound <= bytes.count else {
            let at =
                range.lowerBound < bytes.count
                ? Int(starts[range.lowerBound]) : (bytes.count > 0 ? Int(ends[bytes.count - 1]) : 0)
            return at..<at
        }
        return Int(starts[range.lowerBound])..<Int(ends[range.upperBound - 1])
    }

    /// The normalised text of a byte range, as a `String`.
    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// An owning copy.
    public func copy() -> NormalizedView {
        var view = NormalizedView()
        view.utf8 = Array(bytes)
        view.originalStart = Array(UnsafeBufferPointer(start: starts, count: bytes.count))
        view.originalEnd = Array(UnsafeBufferPointer(start: ends, count: bytes.count))
        return view
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

    public init(light: NormalizedView, dense: NormalizedView) {
        self.light = light
        self.dense = dense
    }
}

/// Evasion-resistant normalisation of chat text. Immutable and `Sendable`: one per process.
public final class Normalizer: Sendable {
    let table: CharacterTable
    /// Collapse runs of the same letter or ideograph in the dense view.
    public let collapseRepeats: Bool

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
    ///
    /// The hot path: one pass over the bytes, one table load per character, output written
    /// through raw pointers into buffers sized for the common case (grown on the rare expansion
    /// that would overflow them), then copied once into the views' arrays.
    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> NormalizedText {
        let buffers = NormalizationBuffers()
        _ = normalize(utf8: bytes, into: buffers)
        return NormalizedText(light: buffers.light.view(), dense: buffers.dense.view())
    }

    /// Normalises valid UTF-8 into reusable buffers: no allocation once they are large enough.
    /// The views returned borrow the buffers and are valid until they are used again.
    public func normalize(
        utf8 bytes: UnsafeBufferPointer<UInt8>, into buffers: NormalizationBuffers
    ) -> (light: BorrowedView, dense: BorrowedView) {
        let pass = normalize(utf8: bytes, into: buffers, light: true, dense: true)
        return (pass.light, pass.dense)
    }

    /// Normalises into reusable buffers only the views asked for (each costs a share of the
    /// pass), and counts the clues detectors use to decide whether to run at all.
    public func normalize(
        utf8 bytes: UnsafeBufferPointer<UInt8>, into buffers: NormalizationBuffers, light wantLight: Bool,
        dense wantDense: Bool
    ) -> NormalizedPass {
        let writers = buffers.writers
        writers[0].count = 0
        writers[1].count = 0
        if wantLight { writers[0].reserve(bytes.count + 16) }
        if wantDense { writers[1].reserve(bytes.count + 16) }
        var light = writers[0]
        var dense = writers[1]
        defer {
            writers[0] = light
            writers[1] = dense
        }
        var lastDense: UInt32 = 0xFFFF_FFFF
        var clues = Clues()
        let collapse = collapseRepeats
        forEachEntry(bytes) { entry, s, e in
            Self.emit(entry, s, e, &light, &dense, &lastDense, collapse, wantLight, wantDense, &clues)
        }
        return NormalizedPass(light: light.borrowed(), dense: dense.borrowed(), clues: clues)
    }

    /// Calls `body(entry, start, end)` for every table entry the text maps to, with the original
    /// byte range of the character it came from (an expansion gives several entries, one range).
    /// The decoding loop of the materialising pass; the wordlist scan (`scanDense`) decodes through
    /// its composed table instead.
    @inline(__always)
    func forEachEntry(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32, Int32, Int32) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        let bmp = table.bmpPointer
        var i = 0
        while i < n {
            let start = i
            let value = UTF8Scalar.decode(base, &i)
            let entry = value < 0x10000 ? bmp[Int(value)] : table.entry(value)
            let s = Int32(start), e = Int32(i)
            if entry & CharacterTable.expansionFlag != 0 && entry & CharacterTable.dropFlag == 0 {
                let index = Int(entry & CharacterTable.scalarMask)
                for k in Int(table.expansionStarts[index])..<Int(table.expansionStarts[index + 1]) {
                    body(table.expansions[k], s, e)
                }
            } else {
                body(entry, s, e)
            }
        }
    }

    @inline(__always)
    static func emit(
        _ entry: UInt32, _ start: Int32, _ end: Int32, _ light: inout ViewWriter, _ dense: inout ViewWriter,
        _ lastDense: inout UInt32, _ collapse: Bool, _ wantLight: Bool, _ wantDense: Bool, _ clues: inout Clues
    ) {
        if entry & CharacterTable.dropFlag != 0 { return }
        let value = entry & CharacterTable.scalarMask
        if wantLight { light.append(value, start: start, end: end) }
        if entry & CharacterTable.digitFlag != 0 {
            clues.digits += 1
        } else if value == 0x40 {
            clues.hasAt = true
        } else if value == 0x2E {
            clues.hasDot = true
        }
        if entry & CharacterTable.noiseFlag != 0 || !wantDense { return }
        if collapse && value == lastDense && entry & CharacterTable.digitFlag == 0 {
            dense.extendLast(to: end)
            return
        }
        dense.append(value, start: start, end: end)
        lastDense = value
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
    /// ASCII letter or digit (so `ｃ` and `Ⓒ` count as letters when checking word boundaries);
    /// for a character that expands (`㎏` → `kg`), its first scalar, or its last when `lastOfExpansion`.
    public func isASCIIAlphanumeric(
        _ bytes: UnsafeBufferPointer<UInt8>, at index: Int, lastOfExpansion: Bool = false
    ) -> Bool {
        guard var entry = entry(bytes, at: index) else { return false }
        if entry & CharacterTable.dropFlag != 0 { return false }
        if entry & CharacterTable.expansionFlag != 0 {
            let expansion = Int(entry & CharacterTable.scalarMask)
            let at =
                lastOfExpansion
                ? Int(table.expansionStarts[expansion + 1]) - 1 : Int(table.expansionStarts[expansion])
            entry = table.expansions[at]
        }
        let mapped = entry & CharacterTable.scalarMask
        return (0x30...0x39).contains(mapped) || (0x61...0x7A).contains(mapped)
    }

    /// Whether the character starting at byte `index` is removed by normalisation (zero-width
    /// and format characters, variation selectors, the keycap mark).
    public func isDropped(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard let entry = entry(bytes, at: index) else { return false }
        return entry & CharacterTable.dropFlag != 0
    }

    private func entry(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32? {
        guard index >= 0, index < bytes.count else { return nil }
        let lead = bytes[index]
        let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + width <= bytes.count, let base = bytes.baseAddress else { return nil }
        var at = index
        return table.entry(UTF8Scalar.decode(base, &at))
    }
}

/// Decoding UTF-8 that is known to be valid (it came from a Swift `String` or from our own
/// normalisation), one scalar at a time, for the hot loops.
public enum UTF8Scalar {
    /// The scalar starting at `i`; advances `i` past it.
    @inlinable @inline(__always)
    public static func decode(_ base: UnsafePointer<UInt8>, _ i: inout Int) -> UInt32 {
        let b0 = UInt32(base[i])
        if b0 < 0x80 {
            i += 1
            return b0
        }
        if b0 < 0xE0 {
            defer { i += 2 }
            return (b0 & 0x1F) << 6 | UInt32(base[i + 1] & 0x3F)
        }
        if b0 < 0xF0 {
            defer { i += 3 }
            return (b0 & 0x0F) << 12 | UInt32(base[i + 1] & 0x3F) << 6 | UInt32(base[i + 2] & 0x3F)
        }
        defer { i += 4 }
        return (b0 & 0x07) << 18 | UInt32(base[i + 1] & 0x3F) << 12 | UInt32(base[i + 2] & 0x3F) << 6
            | UInt32(base[i + 3] & 0x3F)
    }
}
