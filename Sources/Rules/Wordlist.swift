public import PCRE2
public import Normalize
import Support
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A compiled regular-expression entry.
public struct CompiledPattern: Sendable {
    public var entry: PatternEntry
    public var regex: Regex
}

/// Everything the content detector needs: categories with their words, patterns and allowed
/// phrases, loaded from wordlist files, plus what was wrong with them.
public struct RuleSet: Sendable {
    public var categories: [Category] = []
    public var words: [WordEntry] = []
    public var patterns: [CompiledPattern] = []
    public var allows: [AllowEntry] = []
    public var allowPatterns: [CompiledAllowPattern] = []
    /// Errors and warnings, in file order.
    public var diagnostics: [RuleDiagnostic] = []

    public init() {}

    public var errors: [RuleDiagnostic] { diagnostics.filter { $0.level == .error } }
    public var warnings: [RuleDiagnostic] { diagnostics.filter { $0.level == .warning } }

    /// The index of the category with `id`, if loaded.
    public func categoryIndex(_ id: String) -> Int? { categories.firstIndex { $0.id == id } }
}

/// Loads wordlist files (the format is documented in `wordlists/README.md`).
///
/// ```
/// # comment
/// @id        luring                      category id, used as the rule id of its alerts
/// @title     引导客户私下联系
/// @severity  high                        low | medium | high | critical
/// @action    What a reviewer should do.
/// @scope     sender=staff chat=any       sender: any|staff|customer, chat: any|group|private
/// @view      light                       the view re: patterns run on (default light)
/// 加微信                                  a word (matched after normalisation)
/// re:加\s*v\s*x                           a PCRE2 pattern
/// allow:加微信群                          an allowed phrase: hits it covers are suppressed
/// ```
public struct WordlistLoader {
    public var normalizer: Normalizer
    public var limits: Limits
    public var jit: JITMode

    public init(normalizer: Normalizer = .standard, limits: Limits = .default, jit: JITMode = .automatic) {
        self.normalizer = normalizer
        self.limits = limits
        self.jit = jit
    }

    /// Loads every `*.txt` file under the given files and directories (sorted, so the order of
    /// categories is stable) into one rule set.
    public func load(paths: [String]) -> RuleSet {
        var set = RuleSet()
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .error, code: .unreadable, location: SourceLocation(file: path, line: 0),
                        message: "cannot read: \(String(cString: strerror(errno)))"))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                for file in Self.wordlistFiles(in: path) { load(file: file, into: &set) }
            } else {
                load(file: path, into: &set)
            }
        }
        return set
    }

    static func wordlistFiles(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var files: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasSuffix(".txt"), !name.hasPrefix(".") else { continue }
            files.append(directory.hasSuffix("/") ? directory + name : directory + "/" + name)
        }
        return files.sorted()
    }

    /// Loads one wordlist file into `set`.
    public func load(file: String, into set: inout RuleSet) {
        guard let bytes = FileIO.readAll(file) else {
            set.diagnostics.append(
                RuleDiagnostic(
                    level: .error, code: .unreadable, location: SourceLocation(file: file, line: 0),
                    message: "cannot read: \(String(cString: strerror(errno)))"))
            return
        }
        load(bytes: bytes, file: file, into: &set)
    }

    /// Parses wordlist text (for tests and for files already read): its lines, then its category,
    /// then each entry compiled into the set.
    public func load(bytes: [UInt8], file: String, into set: inout RuleSet) {
        let (header, entries) = readLines(bytes, file: file, into: &set)
        let id = header.id ?? Self.baseName(file)
        if let existing = set.categoryIndex(id) {
            set.diagnostics.append(
                RuleDiagnostic(
                    level: .error, code: .duplicateCategory,
                    location: header.idLocation ?? SourceLocation(file: file, line: 1),
                    message: "category '\(id)' is already declared in \(set.categories[existing].file)"))
            return
        }
        let categoryIndex = set.categories.count
        var category = Category(
            id: id, title: header.title ?? id, severity: header.severity ?? .medium,
            action: header.action ?? "", scope: header.scope, file: file)
        category.notAfter = header.notAfter.compactMap { phrase($0.0, $0.1) }
        category.notBefore = header.notBefore.compactMap { phrase($0.0, $0.1) }
        category.needs = header.needs.compactMap { phrase($0.0, $0.1) }
        set.categories.append(category)
        for entry in entries {
            add(entry, category: categoryIndex, view: header.view, file: file, into: &set)
        }
    }

    typealias Entry = (kind: EntryKind, text: String, location: SourceLocation)

    /// The header directives and the entries of a wordlist, each entry with its kind and where
    /// its text begins; lines that cannot be entries are reported and skipped.
    private func readLines(_ bytes: [UInt8], file: String, into set: inout RuleSet) -> (Header, [Entry]) {
        var header = Header(file: file)
        var entries: [Entry] = []
        for (number, raw) in Self.lines(bytes) {
            guard let line = String(validating: raw, as: UTF8.self) else {
                let column = Self.invalidUTF8Column(raw)
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .warning, code: .invalidUTF8,
                        location: SourceLocation(file: file, line: number, column: column),
                        message: "invalid UTF-8; line skipped"))
                continue
            }
            let trimmed = Self.trim(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let column = Self.leadingColumn(line)
            let location = SourceLocation(file: file, line: number, column: column)
            if trimmed.hasPrefix("@") {
                if let problem = header.apply(trimmed, at: location) { set.diagnostics.append(problem) }
                continue
            }
            var kind = EntryKind.word
            var text = trimmed
            var textColumn = column
            if trimmed.hasPrefix("re:") {
                kind = .pattern
                text = Self.trim(String(trimmed.dropFirst(3)))
                textColumn = column + 3 + Self.leadingColumn(String(trimmed.dropFirst(3))) - 1
            } else if trimmed.hasPrefix("allow-re:") {
                kind = .allowPattern
                text = Self.trim(String(trimmed.dropFirst(9)))
                textColumn = column + 9 + Self.leadingColumn(String(trimmed.dropFirst(9))) - 1
            } else if trimmed.hasPrefix("allow:") {
                kind = .allow
                text = Self.trim(String(trimmed.dropFirst(6)))
                textColumn = column + 6 + Self.leadingColumn(String(trimmed.dropFirst(6))) - 1
            }
            if let bad = Self.firstControlCharacter(text) {
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .warning, code: .controlCharacter,
                        location: SourceLocation(file: file, line: number, column: textColumn + bad.offset),
                        message: "control character U+\(Self.hex(bad.value)) in entry; line skipped"))
                continue
            }
            if text.isEmpty { continue }
            entries.append((kind, text, SourceLocation(file: file, line: number, column: textColumn)))
        }
        return (header, entries)
    }

    /// Compiles one entry of category `categoryIndex` into the set (words normalised, patterns
    /// compiled under the limits), reporting what cannot be used.
    private func add(_ entry: Entry, category categoryIndex: Int, view: TextView, file: String, into set: inout RuleSet)
    {
        let (kind, written, location) = entry
        // `~word`: the word, and what sounds like it; `?word`: the word, in its category's context.
        let soundAlike = kind == .word && written.hasPrefix("~") && written.count > 1
        let needsContext = kind == .word && written.hasPrefix("?") && written.count > 1
        let text = soundAlike || needsContext ? String(written.dropFirst()) : written
        switch kind {
        case .word, .allow:
            let dense = normalizer.denseForm(text)
            if dense.isEmpty {
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .warning, code: .emptyAfterNormalisation, location: location,
                        message: "'\(text)' is only punctuation or symbols after normalisation; skipped"))
                return
            }
            if kind == .allow {
                set.allows.append(AllowEntry(text: text, dense: dense, category: categoryIndex, location: location))
                return
            }
            if dense.unicodeScalars.count == 1 && text.unicodeScalars.count > 1 {
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .warning, code: .tooBroad, location: location,
                        message:
                            "'\(text)' normalises to the single character '\(dense)' and would match far too much; skipped"
                    ))
                return
            }
            set.words.append(
                WordEntry(
                    text: text, dense: dense, category: categoryIndex, location: location, soundAlike: soundAlike,
                    needsContext: needsContext))
        case .allowPattern:
            do {
                let regex = try Regex(text, options: .caseless, limits: limits, jit: jit)
                set.allowPatterns.append(
                    CompiledAllowPattern(pattern: text, regex: regex, category: categoryIndex, location: location))
            } catch {
                let column = location.column + Self.characterCount(text, bytes: error.patternOffset ?? 0)
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .error, code: .badPattern,
                        location: SourceLocation(file: file, line: location.line, column: column),
                        message: "allowed pattern does not compile: \(error.message)"))
            }
        case .pattern:
            do {
                let regex = try Regex(text, options: .caseless, limits: limits, jit: jit)
                let entry = PatternEntry(
                    pattern: text, category: categoryIndex, view: view, location: location)
                set.patterns.append(CompiledPattern(entry: entry, regex: regex))
                if let risk = PatternRisk.nestedQuantifier(in: text) {
                    set.diagnostics.append(
                        RuleDiagnostic(
                            level: .warning, code: .riskyPattern,
                            location: SourceLocation(
                                file: file, line: location.line, column: location.column + risk),
                            message: "nested quantifier: this pattern can backtrack catastrophically; "
                                + "matches stop at the match limit (\(limits.matchLimit)) and are reported as limit reached"
                        ))
                }
            } catch {
                let column = location.column + Self.characterCount(text, bytes: error.patternOffset ?? 0)
                set.diagnostics.append(
                    RuleDiagnostic(
                        level: .error, code: error.code == .patternTooLarge ? .patternTooLarge : .badPattern,
                        location: SourceLocation(file: file, line: location.line, column: column),
                        message: "pattern does not compile: \(error.message)"))
            }
        }
    }

    enum EntryKind { case word, pattern, allow, allowPattern }

    /// A context phrase in its dense form (nil when nothing is left of it).
    func phrase(_ text: String, _ location: SourceLocation) -> ContextPhrase? {
        let dense = normalizer.denseForm(text)
        return dense.isEmpty ? nil : ContextPhrase(text: text, dense: dense, location: location)
    }

    /// The category header of one file.
    struct Header {
        let file: String
        var id: String?
        var idLocation: SourceLocation?
        var title: String?
        var severity: Severity?
        var action: String?
        var scope = Scope()
        var view = TextView.light
        var notAfter: [(String, SourceLocation)] = []
        var notBefore: [(String, SourceLocation)] = []
        var needs: [(String, SourceLocation)] = []

        init(file: String) { self.file = file }

        mutating func apply(_ line: String, at location: SourceLocation) -> RuleDiagnostic? {
            let body = line.dropFirst()
            let name = String(body.prefix { !$0.isWhitespace })
            let value = WordlistLoader.trim(String(body.dropFirst(name.count)))
            func bad(_ message: String) -> RuleDiagnostic {
                RuleDiagnostic(level: .error, code: .badDirective, location: location, message: message)
            }
            switch name {
            case "id":
                guard !value.isEmpty,
                    value.allSatisfy({
                        $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".")
                    })
                else {
                    return bad("@id needs a name of ASCII letters, digits, '-', '_' or '.', got '\(value)'")
                }
                id = value
                idLocation = location
            case "title": title = value
            case "action": action = value
            case "severity":
                guard let s = Severity(rawValue: value.lowercased()) else {
                    return bad("@severity must be low, medium, high or critical, got '\(value)'")
                }
                severity = s
            case "view":
                guard let v = TextView(rawValue: value.lowercased()) else {
                    return bad("@view must be light or dense, got '\(value)'")
                }
                view = v
            case "scope":
                for part in value.split(whereSeparator: { $0.isWhitespace }) {
                    let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                    guard pair.count == 2 else { return bad("@scope takes sender=... and chat=..., got '\(part)'") }
                    switch pair[0] {
                    case "sender":
                        guard let s = SenderScope(rawValue: pair[1]) else {
                            return bad("@scope sender must be any, staff or customer, got '\(pair[1])'")
                        }
                        scope.sender = s
                    case "chat":
                        guard let c = ChatScope(rawValue: pair[1]) else {
                            return bad("@scope chat must be any, group or private, got '\(pair[1])'")
                        }
                        scope.chat = c
                    default: return bad("@scope knows sender and chat, not '\(pair[0])'")
                    }
                }
            case "not-after", "not-before", "needs":
                let phrases = value.split(whereSeparator: { $0.isWhitespace }).map(String.init)
                guard !phrases.isEmpty else { return bad("@\(name) needs phrases separated by spaces") }
                for phrase in phrases {
                    switch name {
                    case "not-after": notAfter.append((phrase, location))
                    case "not-before": notBefore.append((phrase, location))
                    default: needs.append((phrase, location))
                    }
                }
            default:
                return bad(
                    "unknown directive '@\(name)' (known: @id @title @severity @action @scope @view @not-after @not-before @needs)"
                )
            }
            return nil
        }
    }

    // MARK: - Text helpers

    /// Lines of a file: 1-based numbers, without line endings, a leading BOM removed.
    static func lines(_ bytes: [UInt8]) -> [(Int, ArraySlice<UInt8>)] {
        var result: [(Int, ArraySlice<UInt8>)] = []
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var number = 1
        var i = start
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                var end = i
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                if i < bytes.count || end > start { result.append((number, bytes[start..<end])) }
                number += 1
                start = i + 1
            }
            i += 1
        }
        return result
    }

    static func trim(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// 1-based column of the first non-space character.
    static func leadingColumn(_ text: String) -> Int {
        (text.unicodeScalars.firstIndex { !$0.properties.isWhitespace }.map {
            text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0)
        } ?? 0) + 1
    }

    static func firstControlCharacter(_ text: String) -> (offset: Int, value: UInt32)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let v = scalar.value
            if (v < 0x20 && v != 0x09) || v == 0x7F || (0x80...0x9F).contains(v) { return (offset, v) }
        }
        return nil
    }

    static func invalidUTF8Column(_ bytes: ArraySlice<UInt8>) -> Int {
        var column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case .scalarValue = decoder.decode(&iterator) { column += 1 }
        return column
    }

    /// The number of characters in the first `bytes` UTF-8 bytes of `text`.
    static func characterCount(_ text: String, bytes: Int) -> Int {
        var count = 0
        var used = 0
        for scalar in text.unicodeScalars {
            if used >= bytes { break }
            used += UTF8.width(scalar)
            count += 1
        }
        return count
    }

    static func baseName(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = name.lastIndex(of: ".") { return String(name[..<dot]) }
        return name
    }

    static func hex(_ value: UInt32) -> String {
        let h = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}

/// Heuristics for patterns that can backtrack catastrophically.
public enum PatternRisk {
    /// The 0-based character offset of a group that holds a quantifier and is itself quantified
    /// (`(a+)+`, `(a|b*)*`, `(?:x+y?)+`), or `nil`.
    public static func nestedQuantifier(in pattern: String) -> Int? {
        let chars = Array(pattern)
        // For each open group: its start offset and whether it contains a quantifier.
        var stack: [(start: Int, quantified: Bool)] = []
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" { i += 2; continue }
            if inClass {
                if c == "]" { inClass = false }
                i += 1
                continue
            }
            switch c {
            case "[": inClass = true
            case "(": stack.append((i, false))
            case ")":
                guard let group = stack.popLast() else { break }
                let next = i + 1 < chars.count ? chars[i + 1] : " "
                let groupQuantified = next == "+" || next == "*" || (next == "{" && isOpenRepeat(chars, from: i + 1))
                if group.quantified && groupQuantified { return group.start }
                if group.quantified, !stack.isEmpty { stack[stack.count - 1].quantified = true }
                if groupQuantified, !stack.isEmpty { stack[stack.count - 1].quantified = true }
            case "+", "*":
                if !stack.isEmpty { stack[stack.count - 1].quantified = true }
            case "{":
                if isOpenRepeat(chars, from: i), !stack.isEmpty { stack[stack.count - 1].quantified = true }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The characters (scalar values, lower and upper case for ASCII letters) the pattern's
    /// match must begin with, when they can be read off its text: a literal character, or a
    /// group of alternatives that each begin with one. `nil` when the pattern could begin with
    /// anything else (an escape, a class, an optional first item, ...).
    public static func firstCharacters(of pattern: String) -> Set<UInt32>? {
        let chars = Array(pattern.unicodeScalars)
        var i = 0
        if i < chars.count && chars[i] == "^" { i += 1 }
        guard i < chars.count else { return nil }
        let meta: Set<Unicode.Scalar> = ["\\", "[", "]", "(", ")", "{", "}", ".", "*", "+", "?", "|", "^", "$"]
        func withCases(_ c: Unicode.Scalar) -> [UInt32] {
            let v = c.value
            if (0x41...0x5A).contains(v) { return [v, v + 32] }
            if (0x61...0x7A).contains(v) { return [v, v - 32] }
            return [v]
        }
        func quantifiedToZero(at j: Int) -> Bool {
            guard j < chars.count else { return false }
            if chars[j] == "?" || chars[j] == "*" { return true }
            if chars[j] == "{" { return j + 1 < chars.count && chars[j + 1] == "0" }
            return false
        }
        if !meta.contains(chars[i]) {
            return quantifiedToZero(at: i + 1) ? nil : Set(withCases(chars[i]))
        }
        // A group of alternatives: (?:a...|b...) or (a...|b...).
        guard chars[i] == "(" else { return nil }
        var j = i + 1
        if j + 1 < chars.count && chars[j] == "?" && chars[j + 1] == ":" {
            j += 2
        } else if j < chars.count && chars[j] == "?" {
            return nil
        }
        var result = Set<UInt32>()
        var depth = 0
        var atAlternativeStart = true
        while j < chars.count {
            let c = chars[j]
            if atAlternativeStart {
                if meta.contains(c) { return nil }
                result.formUnion(withCases(c))
                // The first literal of an alternative must not be optional.
                if quantifiedToZero(at: j + 1) { return nil }
                atAlternativeStart = false
                j += 1
                continue
            }
            if c == "\\" { j += 2; continue }
            if c == "[" {
                while j < chars.count && chars[j] != "]" { j += 1 }
                j += 1
                continue
            }
            if c == "(" {
                depth += 1
            } else if c == ")" {
                if depth == 0 {
                    return quantifiedToZero(at: j + 1) || result.isEmpty ? nil : result
                }
                depth -= 1
            } else if c == "|" && depth == 0 {
                atAlternativeStart = true
            }
            j += 1
        }
        return nil
    }

    /// `{n,}` or `{n,m}` with a large or open upper bound.
    static func isOpenRepeat(_ chars: [Character], from start: Int) -> Bool {
        guard start < chars.count, chars[start] == "{" else { return false }
        var j = start + 1
        var text = ""
        while j < chars.count, chars[j] != "}" { text.append(chars[j]); j += 1 }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        if parts[1].isEmpty { return true }
        return (Int(parts[1]) ?? 0) > 10
    }
}
