/// Reads numbers however people write them to slip past a filter, from the light view of a
/// message (where full-width, circled, styled and keycap digits and Chinese numerals such as
/// `一二三`, `壹贰` and `幺` are already ASCII digits).
///
/// On top of that view it reads:
/// - the other colloquial digit readings (the radio-operator and everyday ones: `两`/`俩` 2,
///   `洞`/`栋` 0, `拐` 7, `勾`/`钩` 9, `妖`/`腰` 1);
/// - English number words (`one` … `nine`, `zero`, `oh`);
/// - letters that look like digits (`o` 0, `l`/`i` 1) when they sit among digits;
/// - anything that is not a letter, digit or ideograph between the digits of one number
///   (spaces, dots, dashes, slashes, emoji).
///
/// A ``Run`` is one such number with the light-view byte range of each digit, so evidence is
/// shown as written, and the readings that were used, so a hit can say how it was read.
struct NumberReader {
    /// One number as written: its digits, where each came from, and how it was read.
    struct Run {
        var digits: [UInt8] = []
        /// Light-view byte range of each digit.
        var ranges: [Range<Int>] = []
        /// The readings used beyond plain digits (`colloquial digits`, `English number words`,
        /// `look-alike letters`), in the order met.
        var readings: [String] = []
        /// Positions of digits read from look-alike letters (at most a few are believed).
        var lookAlikePositions: [Int] = []
        var lookAlikes: Int { lookAlikePositions.count }

        var text: String { String(decoding: digits, as: UTF8.self) }
        var range: Range<Int> { (ranges.first?.lowerBound ?? 0)..<(ranges.last?.upperBound ?? 0) }

        mutating func add(_ digit: UInt8, _ range: Range<Int>, reading: String?) {
            digits.append(digit)
            ranges.append(range)
            if let reading, !readings.contains(reading) { readings.append(reading) }
        }
    }

    /// Colloquial readings of digits (those the normaliser does not fold, since in other words
    /// they mean something else: `两个`, `山洞`, `拐弯`).
    static let colloquial: [Unicode.Scalar: UInt8] = [
        "两": 2, "俩": 2, "洞": 0, "栋": 0, "拐": 7, "勾": 9, "钩": 9, "妖": 1, "腰": 1,
    ]

    static let englishWords: [(String, UInt8)] = [
        ("zero", 0), ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6), ("seven", 7),
        ("eight", 8),
        ("nine", 9), ("oh", 0),
    ]

    /// The numbers in `light` with at least `minimumDigits` digits.
    static func runs(in light: UnsafeBufferPointer<UInt8>, minimumDigits: Int = 3) -> [Run] {
        var runs: [Run] = []
        var current = Run()
        /// Separators seen since the last digit: too many, and the number has ended.
        var gap = 0
        func finish() {
            // Look-alike letters at the ends are letters, not digits.
            while !current.digits.isEmpty, current.lookAlikePositions.last == current.digits.count - 1 {
                current.dropLast()
            }
            if current.digits.count >= minimumDigits && current.lookAlikes <= 3
                && current.lookAlikes * 3 < current.digits.count
            {
                runs.append(current)
            }
            current = Run()
            gap = 0
        }
        var i = 0
        let count = light.count
        while i < count {
            let (scalar, width) = decode(light, at: i)
            let value = scalar.value
            // Plain digits.
            if value >= 0x30 && value <= 0x39 {
                current.add(UInt8(value), i..<(i + width), reading: nil)
                gap = 0
                i += width
                continue
            }
            // Colloquial readings.
            if let digit = colloquial[scalar] {
                current.add(0x30 + digit, i..<(i + width), reading: "colloquial digits")
                gap = 0
                i += width
                continue
            }
            // English number words (whole words only), and look-alike letters among digits.
            if value >= 0x61 && value <= 0x7A {
                if let (word, digit) = englishWord(light, at: i) {
                    current.add(0x30 + digit, i..<(i + word), reading: "English number words")
                    gap = 0
                    i += word
                    continue
                }
                let lookAlike: UInt8? = value == 0x6F ? 0x30 : (value == 0x6C || value == 0x69) ? 0x31 : nil
                if let lookAlike, !current.digits.isEmpty || nextIsDigit(light, after: i + width) {
                    current.add(lookAlike, i..<(i + width), reading: "look-alike letters")
                    current.markLookAlike()
                    gap = 0
                    i += width
                    continue
                }
                finish()
                i += width
                continue
            }
            // Letters of other scripts and ideographs end a number; anything else separates digits.
            if isWordCharacter(scalar) {
                finish()
            } else if !current.digits.isEmpty {
                gap += 1
                if gap > 3 { finish() }
            }
            i += width
        }
        finish()
        return runs
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        var iterator = UnsafeBufferPointer(rebasing: bytes[i..<min(i + 4, bytes.count)]).makeIterator()
        var utf8 = UTF8()
        if case .scalarValue(let s) = utf8.decode(&iterator) { return (s, UTF8.width(s)) }
        return (Unicode.Scalar(0xFFFD)!, 1)
    }

    /// An English number word starting at `i` that stands as a whole word: its length and digit.
    private static func englishWord(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, UInt8)? {
        if i > 0, isASCIILetter(bytes[i - 1]) { return nil }
        for (word, digit) in englishWords {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count else { continue }
            var same = true
            for k in 0..<w.count where bytes[i + k] != w[k] {
                same = false
                break
            }
            if same && (i + w.count == bytes.count || !isASCIILetter(bytes[i + w.count])) { return (w.count, digit) }
        }
        return nil
    }

    private static func nextIsDigit(_ bytes: UnsafeBufferPointer<UInt8>, after i: Int) -> Bool {
        i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39
    }

    private static func isASCIILetter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) }

    /// Letters (other than ASCII, handled above) and ideographs: they end a number.
    private static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.isIdeographic
    }
}

extension NumberReader.Run {
    fileprivate mutating func markLookAlike() { lookAlikePositions.append(digits.count - 1) }

    fileprivate mutating func dropLast() {
        if lookAlikePositions.last == digits.count - 1 { lookAlikePositions.removeLast() }
        digits.removeLast()
        ranges.removeLast()
    }
}
