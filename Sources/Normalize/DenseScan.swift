/// The normaliser's character table composed with a consumer's own numbering of dense
/// characters (the wordlist automaton's symbols), so that the hot loop of wordlist matching does
/// one table load per character instead of two (normalise, then number).
///
/// One 32-bit entry per BMP scalar of the *original* text: the code of the dense character it
/// normalises to (0: a character the consumer did not number) and the facts
/// ``Normalizer/scanDense(utf8:table:into:)`` needs (no dense character, digit, clue, trigger). Scalars that expand to several characters and supplementary scalars take a
/// slower path through the normaliser itself, so every character is treated exactly as
/// ``Normalizer/normalize(utf8:)`` treats it for the dense view.
public final class DenseCodeTable: Sendable {
    @inlinable static var codeMask: UInt32 { 0xFFFF }
    /// Not in the dense view (noise or dropped).
    @inlinable static var skipFlag: UInt32 { 1 << 16 }
    /// An ASCII digit: counted as a clue and never collapsed as a repeat.
    @inlinable static var digitFlag: UInt32 { 1 << 17 }
    /// One of the consumer's trigger characters.
    @inlinable static var triggerFlag: UInt32 { 1 << 18 }
    /// Expands to several characters: go through the normaliser.
    @inlinable static var slowFlag: UInt32 { 1 << 19 }
    @inlinable static var atFlag: UInt32 { 1 << 20 }
    @inlinable static var dotFlag: UInt32 { 1 << 21 }
    /// Every flag but the code: an entry without them is a plain dense character.
    @inlinable static var flagMask: UInt32 { 0x3F_0000 }

    /// Entries by original BMP scalar, at a fixed address for the hot loop.
    @usableFromInline nonisolated(unsafe) let entries: UnsafeMutablePointer<UInt32>
    /// The normaliser's expansion entries, composed (same indices).
    @usableFromInline nonisolated(unsafe) let composedExpansions: UnsafeMutablePointer<UInt32>
    /// The consumer's numbering, kept for characters that take the slow path.
    let code: @Sendable (UInt32) -> UInt16
    let trigger: @Sendable (UInt32) -> Bool
    let normalizer: Normalizer

    /// Composes `normalizer`'s table with `code` (the number of each normalised scalar, 0 for
    /// none; at most 0xFFFF) and `trigger` (normalised scalars the consumer wants to know about).
    public init(
        normalizer: Normalizer, code: @escaping @Sendable (UInt32) -> UInt16,
        trigger: @escaping @Sendable (UInt32) -> Bool
    ) {
        self.normalizer = normalizer
        self.code = code
        self.trigger = trigger
        entries = .allocate(capacity: 0x10000)
        let bmp = normalizer.table.bmpPointer
        for value in 0..<0x10000 {
            let entry = bmp[value]
            entries[value] =
                entry & CharacterTable.expansionFlag != 0 && entry & CharacterTable.dropFlag == 0
                ? Self.slowFlag : Self.compose(entry, code: code, trigger: trigger)
        }
        let expansions = normalizer.table.expansions
        composedExpansions = .allocate(capacity: max(1, expansions.count))
        for (k, entry) in expansions.enumerated() {
            composedExpansions[k] = Self.compose(entry, code: code, trigger: trigger)
        }
    }

    deinit {
        entries.deallocate()
        composedExpansions.deallocate()
    }

    /// The entry for one normaliser entry (not an expansion).
    func compose(_ entry: UInt32) -> UInt32 { Self.compose(entry, code: code, trigger: trigger) }

    static func compose(_ entry: UInt32, code: (UInt32) -> UInt16, trigger: (UInt32) -> Bool) -> UInt32 {
        if entry & CharacterTable.dropFlag != 0 { return Self.skipFlag }
        let value = entry & CharacterTable.scalarMask
        if entry & CharacterTable.noiseFlag != 0 {
            return Self.skipFlag | (value == 0x40 ? Self.atFlag : 0) | (value == 0x2E ? Self.dotFlag : 0)
        }
        return UInt32(code(value)) | (entry & CharacterTable.digitFlag != 0 ? Self.digitFlag : 0)
            | (trigger(value) ? Self.triggerFlag : 0)
    }

    /// The slow path (expansions and supplementary scalars): the composed entries of the
    /// characters `value` normalises to are ``composedExpansions``[first..<end], or `single` when
    /// the range is empty. Returns values, not a callback: a callback capturing the scan's state
    /// made Swift box that state on the heap once per message (seen in `perf`).
    @usableFromInline @inline(never)
    func slowEntries(_ value: UInt32) -> (first: Int, end: Int, single: UInt32) {
        let table = normalizer.table
        let entry = table.entry(value)
        if entry & CharacterTable.expansionFlag != 0 && entry & CharacterTable.dropFlag == 0 {
            let index = Int(entry & CharacterTable.scalarMask)
            return (Int(table.expansionStarts[index]), Int(table.expansionStarts[index + 1]), 0)
        }
        return (0, 0, compose(entry))
    }
}

/// Receives the characters of a dense scan (``Normalizer/scanDense(utf8:table:into:)``).
///
/// A protocol rather than a closure: the scan is specialised for the concrete sink and inlined
/// into its caller, and the consumer's state (the automaton's state, counters, buffers) is one
/// struct rather than variables captured from its function.
public protocol DenseSink {
    /// The next dense character: its code and the original byte range it came from.
    mutating func character(_ code: Int, start: Int32, end: Int32)
    /// A collapsed repeat of the last character reported, which now extends to `end`.
    mutating func repeatOfLast(end: Int32)
}

/// What a dense scan learnt besides the characters.
public struct DenseScanSummary {
    /// The clues ``Normalizer/normalize(utf8:into:light:dense:)`` counts.
    public var clues = Clues()
    /// Whether one of the table's trigger characters occurred.
    public var triggered = false

    @inlinable
    public init() {}
}

extension Normalizer {
    /// Streams the dense view of valid UTF-8 as `table`'s codes into `sink`, without writing it
    /// anywhere, exactly as ``normalize(utf8:into:light:dense:)`` builds that view (noise and
    /// invisible characters left out, repeats collapsed, digits never collapsed). Characters
    /// with code 0 are never reported as repeats.
    ///
    /// The hot path of wordlist matching (most messages hold no word, and then nothing is
    /// materialised at all).
    @inlinable @inline(__always)
    public func scanDense<Sink: DenseSink>(
        utf8 bytes: UnsafeBufferPointer<UInt8>, table: DenseCodeTable, into sink: inout Sink
    ) -> DenseScanSummary {
        var summary = DenseScanSummary()
        guard let base = bytes.baseAddress else { return summary }
        let n = bytes.count
        // Offsets are 32-bit (messages are at most 1 MiB); checked once here, not per character.
        precondition(n < Int(Int32.max), "text longer than 2 GiB")
        let entries = table.entries
        let collapse = collapseRepeats
        var last: UInt32 = 0
        var i = 0
        while i < n {
            let s = Int32(truncatingIfNeeded: i)
            let value = UTF8Scalar.decode(base, &i)
            let e = Int32(truncatingIfNeeded: i)
            let entry = value < 0x10000 ? entries[Int(value)] : DenseCodeTable.slowFlag
            if entry & DenseCodeTable.flagMask == 0 {
                // The common case, decided by one branch: a plain character (no noise, clue,
                // trigger or expansion). Measured: 13% faster than testing for expansions first.
                Self.takePlain(entry, s, e, collapse, &last, &sink)
            } else if entry & DenseCodeTable.slowFlag == 0 {
                Self.take(entry, s, e, collapse, &last, &summary, &sink)
            } else {
                let slow = table.slowEntries(value)
                if slow.first == slow.end {
                    Self.take(slow.single, s, e, collapse, &last, &summary, &sink)
                } else {
                    for k in slow.first..<slow.end {
                        Self.take(table.composedExpansions[k], s, e, collapse, &last, &summary, &sink)
                    }
                }
            }
        }
        return summary
    }

    /// One composed entry of the scan: noise and clues, repeats, the character.
    @inlinable @inline(__always)
    static func take<Sink: DenseSink>(
        _ entry: UInt32, _ s: Int32, _ e: Int32, _ collapse: Bool, _ last: inout UInt32,
        _ summary: inout DenseScanSummary,
        _ sink: inout Sink
    ) {
        if entry & DenseCodeTable.flagMask != 0 {
            if entry & DenseCodeTable.skipFlag != 0 {
                if entry & DenseCodeTable.atFlag != 0 { summary.clues.hasAt = true }
                if entry & DenseCodeTable.dotFlag != 0 { summary.clues.hasDot = true }
                return
            }
            if entry & DenseCodeTable.triggerFlag != 0 { summary.triggered = true }
            if entry & DenseCodeTable.digitFlag != 0 {
                summary.clues.digits &+= 1
                last = 0
                sink.character(Int(entry & DenseCodeTable.codeMask), start: s, end: e)
                return
            }
        }
        takePlain(entry, s, e, collapse, &last, &sink)
    }

    /// A character that is neither noise nor a digit: a repeat of the last one, or the next dense
    /// character.
    @inlinable @inline(__always)
    static func takePlain<Sink: DenseSink>(
        _ entry: UInt32, _ s: Int32, _ e: Int32, _ collapse: Bool, _ last: inout UInt32, _ sink: inout Sink
    ) {
        let code = entry & DenseCodeTable.codeMask
        if collapse && code == last && code != 0 {
            sink.repeatOfLast(end: e)
            return
        }
        last = code
        sink.character(Int(code), start: s, end: e)
    }
}
