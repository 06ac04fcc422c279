internal import COpenCC

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Traditional → simplified, character by character, from OpenCC's dictionaries.
///
/// OpenCC is the field's standard source (Debian's `libopencc-data`). Normalisation needs a
/// one-character-to-one-character map (so every hit keeps its span in the original text), so at
/// start-up we run every CJK character through OpenCC's `t2s` conversion once and keep the
/// characters that change. Phrase-level conversions (which can change length) are not used.
enum TraditionalToSimplified {
    /// The ranges converted: CJK unified ideographs, extension A, compatibility ideographs.
    static let ranges: [ClosedRange<UInt32>] = [0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF]

    /// The character map, or `nil` when OpenCC's `t2s.json` cannot be opened (then normalisation
    /// works without it, and `rules check` says so). `CHATWARDEN_OPENCC=0` disables it.
    static func loadCharacterMap(config: String = "t2s.json") -> [UInt32: UInt32]? {
        if let flag = getenv("CHATWARDEN_OPENCC"), String(cString: flag) == "0" { return nil }
        guard let converter = opencc_open(config), Int(bitPattern: converter) != -1 else { return nil }
        defer { opencc_close(converter) }
        var input: [UInt8] = []
        var originals: [UInt32] = []
        for range in ranges {
            for value in range {
                guard let scalar = Unicode.Scalar(value) else { continue }
                originals.append(value)
                input.append(contentsOf: String(scalar).utf8)
                input.append(0x0A)
            }
        }
        let converted: String? = input.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let out = opencc_convert_utf8(converter, chars.baseAddress, chars.count) else { return nil }
                defer { opencc_convert_utf8_free(out) }
                return String(cString: out)
            }
        }
        guard let converted else { return nil }
        let lines = converted.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= originals.count else { return nil }
        var map: [UInt32: UInt32] = [:]
        for (original, line) in zip(originals, lines) {
            let scalars = line.unicodeScalars
            guard scalars.count == 1, let simplified = scalars.first?.value, simplified != original else { continue }
            map[original] = simplified
        }
        return map
    }
}
