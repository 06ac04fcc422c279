public import Normalize
import Support
public import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turns a third-party lexicon into a wordlist file of one category.
///
/// Accepts the two common formats: one word per line, and `word<space>tag[,tag]` (as in
/// houbb/sensitive-word's tag file). Real lexicons carry junk: lines with control characters,
/// invalid UTF-8, a BOM, CRLF endings, entries that are only punctuation. Each bad line is skipped
/// with a warning naming file:line (and column), never a crash.
public enum LexiconImport {
    public struct Result: Sendable {
        public var path: String
        public var words: Int
        public var duplicates: Int
        public var warnings: [String]
    }

    public struct ImportError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses a lexicon's lines into words (optionally filtered by tags), with warnings.
    public static func parse(
        bytes: [UInt8], file: String, tags: Set<String>?, normalizer: Normalizer = .standard
    ) -> (words: [String], duplicates: Int, warnings: [String]) {
        var words: [String] = []
        var seen = Set<String>()
        var duplicates = 0
        var warnings: [String] = []
        for (number, raw) in WordlistLoader.lines(bytes) {
            guard let line = String(validating: raw, as: UTF8.self) else {
                warnings.append(
                    "\(file):\(number):\(WordlistLoader.invalidUTF8Column(raw)): invalid UTF-8; line skipped")
                continue
            }
            var text = WordlistLoader.trim(line)
            if text.isEmpty || text.hasPrefix("#") { continue }
            // `word tag[,tag]`: the last space-separated field is tags when it looks like them.
            if let space = text.lastIndex(where: { $0 == " " || $0 == "\t" }) {
                let tagField = text[text.index(after: space)...]
                let looksLikeTags =
                    !tagField.isEmpty
                    && tagField.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLetter || $0 == "," || $0 == "_") }
                if looksLikeTags {
                    let lineTags = Set(tagField.split(separator: ",").map(String.init))
                    if let tags, lineTags.isDisjoint(with: tags) { continue }
                    text = WordlistLoader.trim(String(text[..<space]))
                } else if tags != nil {
                    continue
                }
            } else if tags != nil {
                continue
            }
            if let bad = WordlistLoader.firstControlCharacter(text) {
                warnings.append(
                    "\(file):\(number):\(bad.offset + 1): control character U+\(WordlistLoader.hex(bad.value)); line skipped"
                )
                continue
            }
            // A lexicon line must not turn into a directive, pattern or allow entry.
            if text.hasPrefix("@") || text.hasPrefix("re:") || text.hasPrefix("allow:") || text.hasPrefix("#") {
                warnings.append("\(file):\(number):1: entry '\(text)' looks like wordlist syntax; line skipped")
                continue
            }
            let dense = normalizer.denseForm(text)
            if dense.isEmpty {
                warnings.append("\(file):\(number):1: '\(text)' is only punctuation or symbols; line skipped")
                continue
            }
            if !seen.insert(dense).inserted {
                duplicates += 1
                continue
            }
            words.append(text)
        }
        return (words, duplicates, warnings)
    }

    /// Writes `<directory>/<category>.txt`.
    public static func run(
        file: String, category: String, title: String, severity: Severity, action: String, tags: Set<String>?,
        directory: String, replace: Bool
    ) throws(ImportError) -> Result {
        guard let bytes = FileIO.readAll(file) else {
            throw ImportError(description: "\(file): cannot read: \(FileIO.lastError)")
        }
        let parsed = parse(bytes: bytes, file: file, tags: tags)
        guard !parsed.words.isEmpty else {
            // Never a wordlist of nothing: say why, and the usual cause.
            let notUTF8 = String(validating: bytes, as: UTF8.self) == nil
            throw ImportError(
                description: """
                    \(file): no words imported (\(parsed.warnings.count) line(s) skipped\(tags.map { ", tags \($0.sorted().joined(separator: ","))" } ?? "")); \
                    \(notUTF8
                    ? "the file is not UTF-8: Chinese lexicons are often GBK, convert it first: iconv -f gbk -t utf-8 \(file) > lexicon.utf8.txt"
                    : "is it one word per line (or `word tag[,tag]`), and do the --tags match?")
                    """)
        }
        let path = directory.hasSuffix("/") ? directory + category + ".txt" : directory + "/" + category + ".txt"
        if !replace && access(path, F_OK) == 0 {
            throw ImportError(description: "\(path) exists; pass --force to replace it")
        }
        var text = "# Imported by `chatwarden rules import` from \(file)\n"
        text += "@id \(category)\n@title \(title)\n@severity \(severity.rawValue)\n"
        if !action.isEmpty { text += "@action \(action)\n" }
        text += "\n"
        for word in parsed.words { text += word + "\n" }
        guard FileIO.writeAtomically(Array(text.utf8), to: path) else {
            throw ImportError(description: "\(path): cannot write: \(FileIO.lastError)")
        }
        return Result(path: path, words: parsed.words.count, duplicates: parsed.duplicates, warnings: parsed.warnings)
    }
}
