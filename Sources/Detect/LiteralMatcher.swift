import Normalize

/// Finds every occurrence of many literal words in one pass (Aho–Corasick over Unicode scalars).
///
/// Why not PCRE2 for wordlists: Debian's PCRE2 holds at most 64 KiB of compiled pattern, so a
/// 64k-word lexicon needs dozens of patterns, each a full pass over the text; and a regex reports
/// one match per position where a compliance reviewer needs every word (overlaps included).
/// PCRE2 stays the engine for patterns and detectors; `Benchmarks/` measures both designs on the
/// same lexicons (see the README).
///
/// Layout for speed (measured with `make bench BENCH=match`):
/// - scalars map to dense symbol numbers through a 64K-entry table (0 = a scalar no word uses,
///   which sends the automaton straight back to the root);
/// - symbols are numbered so that those occurring after the first character of some word come
///   first: for any other symbol no state but the root has a transition, so the automaton jumps
///   to the root's transition without a probe or a failure chain (in chat text most characters
///   are such "starters" or in no word at all);
/// - the root's transitions are a direct array; the others live in one open-addressing hash
///   table of 8-byte slots (key and target packed, so a probe touches one cache line), behind a
///   128-bit filter per symbol that answers most "no transition from this state" without it;
/// - states where some word ends are numbered last, so the common case, no word ending here,
///   is one comparison (`Transitions.outputFrom`).
public final class LiteralMatcher: Sendable {
    /// Symbols of supplementary scalars.
    private let otherSymbols: [UInt32: UInt16]
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
    /// The number of automaton states.
    public let stateCount: Int
    /// Bytes held by the automaton's tables.
    public let memoryBytes: Int

    /// The hot tables at fixed addresses (built once; the automaton is immutable and lives as
    /// long as its detector), read without bounds checks or reference counting.
    /// Symbol of each BMP scalar (0: not in any word).
    nonisolated(unsafe) let symbols: UnsafeMutablePointer<UInt16>
    /// Root transitions by symbol (0: none).
    nonisolated(unsafe) let root: UnsafeMutablePointer<Int32>
    /// Non-root transitions: `(state << 16 | symbol) << 24 | target`, `emptySlot` when free.
    nonisolated(unsafe) let slots: UnsafeMutablePointer<UInt64>
    nonisolated(unsafe) let fail: UnsafeMutablePointer<Int32>
    /// First word ending exactly at each state, or -1.
    nonisolated(unsafe) let terminal: UnsafeMutablePointer<Int32>
    /// Nearest proper suffix state with a terminal word, or -1.
    nonisolated(unsafe) let outputLink: UnsafeMutablePointer<Int32>
    /// The state itself when a word ends there, else its output link.
    nonisolated(unsafe) let firstOutput: UnsafeMutablePointer<Int32>
    /// Per follower symbol, 128 bits: bit `state & 127` is set when some state with that hash
    /// has a transition on the symbol. 32 KB for 2,000 symbols: stays in L1/L2 where the
    /// transition table (1 MiB at 10k words) does not, and it answers "no transition here" for
    /// most probes without touching that table.
    nonisolated(unsafe) let transitionFilter: UnsafeMutablePointer<UInt64>
    /// The tables ``next(_:_:)`` reads, as one value for hot loops.
    nonisolated(unsafe) let transitions: Transitions

    static let emptySlot = UInt64.max
    /// Targets are packed in 24 bits.
    static let maximumStates = 1 << 24

    static func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
        p.initialize(from: array, count: array.count)
        return p
    }

    deinit {
        for p in [root, fail, terminal, outputLink, firstOutput] { p.deallocate() }
        symbols.deallocate()
        slots.deallocate()
        transitionFilter.deallocate()
    }

    /// Builds the automaton. `words[i]` is reported as id `i`. Empty words are ignored.
    ///
    /// One function in numbered steps (symbols, trie, failure links, outputs, the dense tables):
    /// each step fills the unsafe buffers the next reads, and the whole build is measured in
    /// `make bench BENCH=match` (compile column: 62–99 ms for 10k words, 286–570 ms for 64k).
    public init(words: [String]) {
        // 0. Symbol numbers: characters that follow another in some word first.
        var bmpSymbols = [UInt16](repeating: 0, count: 0x10000)
        var otherSymbols: [UInt32: UInt16] = [:]
        var symbolCount = 0
        func number(_ value: UInt32) {
            if value < 0x10000 {
                guard bmpSymbols[Int(value)] == 0 else { return }
            } else {
                guard otherSymbols[value] == nil else { return }
            }
            symbolCount += 1
            precondition(symbolCount < 0xFFFF, "more than 65,534 distinct characters in a lexicon")
            if value < 0x10000 {
                bmpSymbols[Int(value)] = UInt16(symbolCount)
            } else {
                otherSymbols[value] = UInt16(symbolCount)
            }
        }
        for word in words { for scalar in word.unicodeScalars.dropFirst() { number(scalar.value) } }
        let followerLimit = symbolCount
        for word in words { if let first = word.unicodeScalars.first { number(first.value) } }
        func symbol(_ value: UInt32) -> Int {
            value < 0x10000 ? Int(bmpSymbols[Int(value)]) : Int(otherSymbols[value] ?? 0)
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
                let sym = symbol(scalar.value)
                let key = UInt64(state) << 16 | UInt64(sym)
                if let next = trieIndex[key] {
                    state = next
                } else {
                    let next = Int32(edges.count)
                    precondition(
                        edges.count < LiteralMatcher.maximumStates, "a lexicon too large for one automaton (16M states)"
                    )
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
        // 2b. Renumber the states so that those where some word ends (there or through an
        //     output link) come last: "does a word end here?" becomes one comparison instead of
        //     a load on every character. The root stays 0.
        let endsWord = (0..<stateCount).map { terminal[$0] != -1 || outputLink[$0] != -1 }
        let outputFrom = stateCount - endsWord.filter { $0 }.count
        var renumbered = [Int32](repeating: 0, count: stateCount)
        var plain: Int32 = 0
        var withOutput = Int32(outputFrom)
        for old in 0..<stateCount {
            if endsWord[old] {
                renumbered[old] = withOutput
                withOutput += 1
            } else {
                renumbered[old] = plain
                plain += 1
            }
        }
        func new(_ old: Int32) -> Int32 { old == -1 ? -1 : renumbered[Int(old)] }
        var newEdges = [[(Int, Int32)]](repeating: [], count: stateCount)
        var newFail = fail, newOutputLink = outputLink, newTerminal = terminal
        for old in 0..<stateCount {
            let n = Int(renumbered[old])
            newEdges[n] = edges[old].map { ($0.0, new($0.1)) }
            newFail[n] = new(fail[old])
            newOutputLink[n] = new(outputLink[old])
            newTerminal[n] = terminal[old]
        }
        (edges, fail, outputLink, terminal) = (newEdges, newFail, newOutputLink, newTerminal)
        for sym in rootNext.indices { rootNext[sym] = new(rootNext[sym]) }
        let firstOutput = (0..<stateCount).map { terminal[$0] != -1 ? Int32($0) : outputLink[$0] }

        // 3. Non-root transitions into one open-addressing table (load factor <= 0.5).
        var capacity = 16
        while capacity < (stateCount * 2) { capacity <<= 1 }
        var slots = [UInt64](repeating: LiteralMatcher.emptySlot, count: capacity)
        var filter = [UInt64](repeating: 0, count: (followerLimit + 1) * 2)
        let mask = capacity - 1
        for state in 1..<max(1, stateCount) {
            for (sym, child) in edges[state] {
                let bit = state & 127
                filter[sym * 2 + bit >> 6] |= 1 << UInt64(bit & 63)
                let key = UInt64(state) << 16 | UInt64(sym)
                var slot = LiteralMatcher.hash(key) & mask
                while slots[slot] != LiteralMatcher.emptySlot { slot = (slot + 1) & mask }
                slots[slot] = key << 24 | UInt64(child)
            }
        }

        self.otherSymbols = otherSymbols
        self.sameText = sameText
        self.byteLengths = byteLengths
        self.scalarLengths = scalarLengths
        self.longestWord = Int(scalarLengths.max() ?? 0)
        self.count = words.count
        self.stateCount = stateCount
        self.memoryBytes =
            bmpSymbols.count * 2 + otherSymbols.count * 16 + rootNext.count * 4 + slots.count * 8 + filter.count * 8
            + stateCount * 4 * 4 + (sameText.count + byteLengths.count + scalarLengths.count) * 4
        self.symbols = Self.copy(bmpSymbols)
        self.root = Self.copy(rootNext)
        self.slots = Self.copy(slots)
        self.fail = Self.copy(fail)
        self.terminal = Self.copy(terminal)
        self.outputLink = Self.copy(outputLink)
        self.firstOutput = Self.copy(firstOutput)
        self.transitionFilter = Self.copy(filter)
        self.transitions = Transitions(
            root: root, slots: self.slots, fail: self.fail, filter: transitionFilter, hashMask: mask,
            followerLimit: followerLimit, outputFrom: Int32(outputFrom))
    }

    @inline(__always)
    static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29)
    }

    /// The symbol of a scalar (0: in no word).
    @inline(__always)
    func symbol(_ value: UInt32) -> Int {
        value < 0x10000 ? Int(symbols[Int(value)]) : Int(otherSymbols[value] ?? 0)
    }

    /// Calls `found(wordID, lengthInScalars)` for each word ending at `state`.
    @inline(__always)
    func forEachWord(endingAt state: Int32, _ found: (Int, Int) -> Void) {
        var out = firstOutput[Int(state)]
        while out != -1 {
            var word = terminal[Int(out)]
            while word != -1 {
                found(Int(word), Int(scalarLengths[Int(word)]))
                word = sameText[Int(word)]
            }
            out = outputLink[Int(out)]
        }
    }

    /// Calls `body(wordID, byteRange)` for every occurrence of every word in `utf8` (which must be
    /// valid UTF-8), in order of the occurrence's end, overlapping occurrences included.
    public func forEachMatch(in utf8: UnsafeBufferPointer<UInt8>, _ body: (Int, Range<Int>) -> Void) {
        guard let base = utf8.baseAddress else { return }
        let transitions = self.transitions
        var state: Int32 = 0
        var i = 0
        while i < utf8.count {
            let value = UTF8Scalar.decode(base, &i)
            state = transitions.next(state, symbol(value))
            if state >= transitions.outputFrom {
                forEachWord(endingAt: state) { word, _ in body(word, (i - Int(byteLengths[word]))..<i) }
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

/// The transition tables of a ``LiteralMatcher`` as plain values (pointers and limits): a hot
/// loop copies it into locals once, so nothing is reloaded from the matcher object, or retained,
/// per character.
struct Transitions {
    let root: UnsafeMutablePointer<Int32>
    let slots: UnsafeMutablePointer<UInt64>
    let fail: UnsafeMutablePointer<Int32>
    let filter: UnsafeMutablePointer<UInt64>
    let hashMask: Int
    let followerLimit: Int
    /// States from this number on are those where some word ends.
    let outputFrom: Int32

    /// The state after `state` reads symbol `sym`, failure links followed (symbol 0, a
    /// character in no word, leads to the root).
    @inline(__always)
    func next(_ state: Int32, _ sym: Int) -> Int32 {
        // Symbol 0 and symbols that never follow another character: only the root moves on
        // them (one unsigned comparison covers both).
        if state == 0 || UInt(bitPattern: sym &- 1) >= UInt(followerLimit) { return root[sym] }
        var state = state
        let bits = filter + sym * 2
        while state != 0 {
            let bit = Int(state) & 127
            if bits[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
                state = fail[Int(state)]
                continue
            }
            let key = UInt64(state) << 16 | UInt64(sym)
            var slot = LiteralMatcher.hash(key) & hashMask
            while true {
                let entry = slots[slot]
                if entry >> 24 == key { return Int32(truncatingIfNeeded: entry & 0xFF_FFFF) }
                if entry == LiteralMatcher.emptySlot { break }
                slot = (slot + 1) & hashMask
            }
            state = fail[Int(state)]
        }
        return root[sym]
    }
}
