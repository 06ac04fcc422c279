import Normalize

/// One slot of the transition hash table.
struct Slot: Sendable {
    var key: UInt64
    var target: Int32
}

/// Finds every occurrence of many literal words in one pass (Aho–Corasick over Unicode scalars).
///
/// Why not PCRE2 for wordlists: Debian's PCRE2 holds at most 64 KiB of compiled pattern, so a
/// 64k-word lexicon needs dozens of patterns, each a full pass over the text; and a regex reports
/// one match per position where a compliance reviewer needs every word (overlaps included).
/// PCRE2 stays the engine for patterns and detectors; `Benchmarks/` measures both designs on the
/// same lexicons (see the README).
///
/// Layout for speed: scalars map to dense symbol numbers through a 64K-entry table (0 = a scalar
/// no word uses, which sends the automaton straight back to the root); the root's transitions are
/// a direct array; other transitions live in one open-addressing hash table keyed by
/// (state, symbol). Output links chain the words that end at each state.
public final class LiteralMatcher: Sendable {
    /// Symbol of each BMP scalar (0: not in any word).
    private let bmpSymbols: [UInt16]
    /// Symbols of supplementary scalars.
    private let otherSymbols: [UInt32: UInt16]
    private let rootNext: [Int32]
    /// Non-root transitions: key (state << 16 | symbol) and target side by side, so a probe
    /// touches one cache line.
    private let slots: [Slot]
    private let hashMask: Int
    private let fail: [Int32]
    /// First word ending exactly at each state, or -1.
    private let terminal: [Int32]
    /// Nearest proper suffix state with a terminal word, or -1.
    private let outputLink: [Int32]
    /// Further words with the same text as a terminal word (a word in two categories).
    private let sameText: [Int32]
    /// Length in UTF-8 bytes of each word.
    private let byteLengths: [Int32]
    /// Length in characters of each word.
    let scalarLengths: [Int32]
    /// The longest word, in characters.
    public let longestWord: Int

    /// The number of words.
    public let count: Int

    /// The hot tables at fixed addresses (copied once at build; the automaton is immutable and
    /// lives as long as its detector), read without bounds checks or reference counting.
    nonisolated(unsafe) let symbolsPointer: UnsafeMutablePointer<UInt16>
    nonisolated(unsafe) let rootPointer: UnsafeMutablePointer<Int32>
    nonisolated(unsafe) let slotsPointer: UnsafeMutablePointer<Slot>
    nonisolated(unsafe) let failPointer: UnsafeMutablePointer<Int32>
    nonisolated(unsafe) let terminalPointer: UnsafeMutablePointer<Int32>
    nonisolated(unsafe) let outputPointer: UnsafeMutablePointer<Int32>

    static func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
        p.initialize(from: array, count: array.count)
        return p
    }

    deinit {
        for p in [rootPointer, failPointer, terminalPointer, outputPointer] { p.deallocate() }
        symbolsPointer.deallocate()
        slotsPointer.deallocate()
    }
    /// The number of automaton states.
    public var stateCount: Int { fail.count }

    /// Bytes held by the automaton's tables.
    public var memoryBytes: Int {
        bmpSymbols.count * 2 + otherSymbols.count * 16 + rootNext.count * 4 + slots.count * MemoryLayout<Slot>.stride
            + (fail.count + terminal.count + outputLink.count + sameText.count + byteLengths.count) * 4
    }

    /// Builds the automaton. `words[i]` is reported as id `i`. Empty words are ignored.
    public init(words: [String]) {
        var bmpSymbols = [UInt16](repeating: 0, count: 0x10000)
        var otherSymbols: [UInt32: UInt16] = [:]
        var symbolCount = 0
        func symbol(_ value: UInt32, create: Bool) -> Int {
            if value < 0x10000 {
                let s = bmpSymbols[Int(value)]
                if s != 0 || !create { return Int(s) }
                symbolCount += 1
                precondition(symbolCount < 0xFFFF, "more than 65,534 distinct characters in a lexicon")
                bmpSymbols[Int(value)] = UInt16(symbolCount)
                return symbolCount
            }
            if let s = otherSymbols[value] { return Int(s) }
            if !create { return 0 }
            symbolCount += 1
            precondition(symbolCount < 0xFFFF, "more than 65,534 distinct characters in a lexicon")
            otherSymbols[value] = UInt16(symbolCount)
            return symbolCount
        }

        // 1. The trie, with transitions in a dictionary while building.
        var edges: [[(Int, Int32)]] = [[]]
        var terminal: [Int32] = [-1]
        var sameText = [Int32](repeating: -1, count: words.count)
        var byteLengths = [Int32](repeating: 0, count: words.count)
        var scalarLengths = [Int32](repeating: 0, count: words.count)
        var trieIndex: [UInt64: Int32] = [:]
        for (id, word) in words.enumerated() {
            byteLengths[id] = Int32(word.utf8.count)
            scalarLengths[id] = Int32(word.unicodeScalars.count)
            guard !word.isEmpty else { continue }
            var state: Int32 = 0
            for scalar in word.unicodeScalars {
                let sym = symbol(scalar.value, create: true)
                let key = UInt64(state) << 16 | UInt64(sym)
                if let next = trieIndex[key] {
                    state = next
                } else {
                    let next = Int32(edges.count)
                    edges.append([])
                    terminal.append(-1)
                    edges[Int(state)].append((sym, next))
                    trieIndex[key] = next
                    state = next
                }
            }
            if terminal[Int(state)] == -1 {
                terminal[Int(state)] = Int32(id)
            } else {
                // Same text twice: chain it behind the first.
                var last = terminal[Int(state)]
                while sameText[Int(last)] != -1 { last = sameText[Int(last)] }
                sameText[Int(last)] = Int32(id)
            }
        }

        // 2. Failure and output links, breadth first.
        let stateCount = edges.count
        var fail = [Int32](repeating: 0, count: stateCount)
        var outputLink = [Int32](repeating: -1, count: stateCount)
        var rootNext = [Int32](repeating: 0, count: symbolCount + 1)
        var queue: [Int32] = []
        queue.reserveCapacity(stateCount)
        for (sym, child) in edges[0] {
            rootNext[sym] = child
            queue.append(child)
        }
        func goto(_ state: Int32, _ sym: Int) -> Int32? {
            if state == 0 { return rootNext[sym] == 0 ? nil : rootNext[sym] }
            return trieIndex[UInt64(state) << 16 | UInt64(sym)]
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for (sym, child) in edges[Int(state)] {
                queue.append(child)
                var f = fail[Int(state)]
                var target: Int32 = 0
                while true {
                    if let next = goto(f, sym), next != child {
                        target = next
                        break
                    }
                    if f == 0 { break }
                    f = fail[Int(f)]
                }
                fail[Int(child)] = target
                outputLink[Int(child)] = terminal[Int(target)] != -1 ? target : outputLink[Int(target)]
            }
        }

        // 3. Non-root transitions into one open-addressing table (load factor <= 0.5).
        var capacity = 16
        while capacity < (stateCount * 2) { capacity <<= 1 }
        var slots = [Slot](repeating: Slot(key: UInt64.max, target: 0), count: capacity)
        let mask = capacity - 1
        for state in 1..<max(1, stateCount) {
            for (sym, child) in edges[state] {
                let key = UInt64(state) << 16 | UInt64(sym)
                var slot = LiteralMatcher.hash(key) & mask
                while slots[slot].key != UInt64.max { slot = (slot + 1) & mask }
                slots[slot] = Slot(key: key, target: child)
            }
        }

        self.bmpSymbols = bmpSymbols
        self.otherSymbols = otherSymbols
        self.rootNext = rootNext
        self.slots = slots
        self.hashMask = mask
        self.fail = fail
        self.terminal = terminal
        self.outputLink = outputLink
        self.sameText = sameText
        self.byteLengths = byteLengths
        self.scalarLengths = scalarLengths
        self.longestWord = Int(scalarLengths.max() ?? 0)
        self.count = words.count
        self.symbolsPointer = Self.copy(bmpSymbols)
        self.rootPointer = Self.copy(rootNext)
        self.slotsPointer = Self.copy(slots)
        self.failPointer = Self.copy(fail)
        self.terminalPointer = Self.copy(terminal)
        self.outputPointer = Self.copy(outputLink)
    }

    @inline(__always)
    private static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29)
    }

    /// Calls `body(wordID, byteRange)` for every occurrence of every word in `utf8` (which must be
    /// valid UTF-8), in order of the occurrence's end, overlapping occurrences included.
    public func forEachMatch(in utf8: UnsafeBufferPointer<UInt8>, _ body: (Int, Range<Int>) -> Void) {
        var state: Int32 = 0
        var i = 0
        let n = utf8.count
        bmpSymbols.withUnsafeBufferPointer { symbols in
            rootNext.withUnsafeBufferPointer { root in
                slots.withUnsafeBufferPointer { slots in
                        fail.withUnsafeBufferPointer { fail in
                            while i < n {
                                let value = UTF8Scalar.decode(utf8.baseAddress!, &i)
                                let sym: Int
                                if value < 0x10000 {
                                    sym = Int(symbols[Int(value)])
                                } else {
                                    sym = Int(otherSymbols[value] ?? 0)
                                }
                                if sym == 0 {
                                    state = 0
                                    continue
                                }
                                // Follow failure links until a transition exists (or the root).
                                while true {
                                    if state == 0 {
                                        state = root[sym]
                                        break
                                    }
                                    let key = UInt64(state) << 16 | UInt64(sym)
                                    var slot = LiteralMatcher.hash(key) & hashMask
                                    var found: Int32 = -1
                                    while true {
                                        let k = slots[slot].key
                                        if k == key { found = slots[slot].target; break }
                                        if k == UInt64.max { break }
                                        slot = (slot + 1) & hashMask
                                    }
                                    if found >= 0 {
                                        state = found
                                        break
                                    }
                                    state = fail[Int(state)]
                                }
                                if state == 0 { continue }
                                // Report every word ending here.
                                var out = terminal[Int(state)] != -1 ? state : outputLink[Int(state)]
                                while out != -1 {
                                    var word = terminal[Int(out)]
                                    while word != -1 {
                                        body(Int(word), (i - Int(byteLengths[Int(word)]))..<i)
                                        word = sameText[Int(word)]
                                    }
                                    out = outputLink[Int(out)]
                                }
                            }
                        }
                    }
                }
            }
    }

    /// A stepper over a stream of scalars (the fused normalise-and-match path): feed each
    /// character, get the words that end there.
    struct Stepper {
        let matcher: LiteralMatcher
        var state: Int32 = 0

        /// Advances by one scalar; calls `found(wordID, lengthInScalars)` for each word ending here.
        @inline(__always)
        mutating func step(_ value: UInt32, _ found: (Int, Int) -> Void) {
            let m = matcher
            let sym: Int
            if value < 0x10000 {
                sym = Int(m.symbolsPointer[Int(value)])
            } else {
                sym = Int(m.otherSymbols[value] ?? 0)
            }
            if sym == 0 {
                state = 0
                return
            }
            let slots = m.slotsPointer
            let mask = m.hashMask
            while true {
                if state == 0 {
                    state = m.rootPointer[sym]
                    break
                }
                let key = UInt64(state) << 16 | UInt64(sym)
                var slot = LiteralMatcher.hash(key) & mask
                var next: Int32 = -1
                while true {
                    let k = slots[slot].key
                    if k == key { next = slots[slot].target; break }
                    if k == UInt64.max { break }
                    slot = (slot + 1) & mask
                }
                if next >= 0 {
                    state = next
                    break
                }
                state = m.failPointer[Int(state)]
            }
            if state == 0 { return }
            var out = m.terminalPointer[Int(state)] != -1 ? state : m.outputPointer[Int(state)]
            while out != -1 {
                var word = m.terminalPointer[Int(out)]
                while word != -1 {
                    found(Int(word), Int(m.scalarLengths[Int(word)]))
                    word = m.sameText[Int(word)]
                }
                out = m.outputPointer[Int(out)]
            }
        }
    }

    /// Every occurrence in `text` (for tests and tools).
    public func matches(in text: String) -> [(word: Int, range: Range<Int>)] {
        var result: [(Int, Range<Int>)] = []
        var copy = text
        copy.withUTF8 { bytes in forEachMatch(in: bytes) { result.append(($0, $1)) } }
        return result
    }
}
