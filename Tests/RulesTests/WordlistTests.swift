import Foundation
import Testing
import Vocabulary
@testable import Rules

@Suite("Wordlist loading")
struct WordlistTests {
    func load(_ text: String, file: String = "test.txt") -> RuleSet {
        var set = RuleSet()
        WordlistLoader().load(bytes: Array(text.utf8), file: file, into: &set)
        return set
    }

    @Test("header directives, words, patterns and allowed phrases load with their places")
    func format() throws {
        let set = load(
            """
            # a comment
            @id luring
            @title 引导私下联系
            @severity high
            @action Check it.
            @scope sender=staff chat=group
            @view dense
            加微信
              私聊
            re:加\\s*v
            allow:加企业微信
            """)
        #expect(set.errors.isEmpty)
        let category = try #require(set.categories.first)
        #expect(category.id == "luring")
        #expect(category.title == "引导私下联系")
        #expect(category.severity == .high)
        #expect(category.action == "Check it.")
        #expect(category.scope == Scope(sender: .staff, chat: .group))
        #expect(set.words.map(\.text) == ["加微信", "私聊"])
        #expect(set.words[1].location == SourceLocation(file: "test.txt", line: 9, column: 3))
        #expect(set.patterns.map(\.entry.pattern) == ["加\\s*v"])
        #expect(set.patterns[0].entry.view == .dense)
        #expect(set.allows.map(\.text) == ["加企业微信"])
    }

    @Test("a file without @id takes its category from the file name, medium severity")
    func defaults() {
        let set = load("傻逼\n", file: "/x/abuse.txt")
        #expect(set.categories.first?.id == "abuse")
        #expect(set.categories.first?.severity == .medium)
    }

    @Test("a bad pattern is an error at its file, line and column (in characters)")
    func badPattern() throws {
        let set = load("@id x\n中文\n  re:加(微信\n")
        let error = try #require(set.errors.first)
        #expect(error.code == .badPattern)
        #expect(error.location.line == 3)
        // "  re:" puts the pattern at column 6; PCRE2 stops at the end (byte 10 = character 4).
        #expect(error.location.column == 10)
        #expect(error.message.contains("missing closing parenthesis"))
    }

    @Test(
        "bad directives are errors that say what is allowed",
        arguments: [
            "@severity urgent", "@scope sender=boss", "@scope chat=everywhere", "@colour red", "@id has space",
            "@view bright",
        ])
    func badDirective(line: String) throws {
        let set = load(line + "\n")
        let error = try #require(set.errors.first)
        #expect(error.code == .badDirective)
        #expect(error.location.line == 1)
    }

    @Test("control characters and invalid UTF-8 are warnings with file:line:column, never a crash")
    func badLines() {
        var bytes = Array("好词\n坏\u{07}词\n".utf8)
        bytes += [0x41, 0xFF, 0x0A]
        bytes += Array("最后\n".utf8)
        var set = RuleSet()
        WordlistLoader().load(bytes: bytes, file: "lex.txt", into: &set)
        #expect(set.words.map(\.text) == ["好词", "最后"])
        #expect(set.warnings.count == 2)
        #expect(set.warnings[0].code == .controlCharacter)
        #expect(set.warnings[0].location == SourceLocation(file: "lex.txt", line: 2, column: 2))
        #expect(set.warnings[1].code == .invalidUTF8)
        #expect(set.warnings[1].location == SourceLocation(file: "lex.txt", line: 3, column: 2))
    }

    @Test("entries that normalise to nothing or to one repeated character are skipped with a warning")
    func degenerate() {
        let set = load("!!!\n哈哈\n哈\n")
        #expect(set.words.map(\.text) == ["哈"])
        #expect(set.warnings.map(\.code) == [.emptyAfterNormalisation, .tooBroad])
    }

    @Test("nested quantifiers are flagged as risky")
    func risky() {
        let set = load("re:(a+)+$\nre:(?:x|y*)*z\nre:ab+c\n")
        #expect(set.warnings.filter { $0.code == .riskyPattern }.count == 2)
        #expect(PatternRisk.nestedQuantifier(in: "(a+)+$") == 0)
        #expect(PatternRisk.nestedQuantifier(in: "[(a+)+]") == nil)
        #expect(PatternRisk.nestedQuantifier(in: "\\d{3}-\\d{4}") == nil)
    }

    @Test("a category declared twice is an error naming the first file")
    func duplicateCategory() {
        var set = RuleSet()
        WordlistLoader().load(bytes: Array("@id a\nx1\n".utf8), file: "one.txt", into: &set)
        WordlistLoader().load(bytes: Array("@id a\nx2\n".utf8), file: "two.txt", into: &set)
        #expect(set.errors.first?.code == .duplicateCategory)
        #expect(set.errors.first?.message.contains("one.txt") == true)
    }

    @Test("the shipped wordlists load without errors")
    func shipped() {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../wordlists")
            .standardized.path
        let set = WordlistLoader().load(paths: [dir])
        #expect(set.errors.isEmpty, "\(set.errors)")
        #expect(set.categories.count >= 6)
        #expect(set.words.count > 100)
    }
}

@Suite("Lexicon import")
struct LexiconImportTests {
    @Test("one word per line, with BOM, CRLF, duplicates and control characters")
    func plain() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("加微信\r\n加微信\r\n坏\u{01}行\r\n！！\r\n稳赚\r\n@id evil\r\n".utf8)
        let result = LexiconImport.parse(bytes: bytes, file: "lex.txt", tags: nil)
        #expect(result.words == ["加微信", "稳赚"])
        #expect(result.duplicates == 1)
        #expect(result.warnings.count == 3)
        #expect(result.warnings[0].hasPrefix("lex.txt:3:2:"))
    }

    @Test("`word tag[,tag]` lines are filtered by tag")
    func tagged() {
        let bytes = Array("赌博网站 3\n毒品 1\n色情 2,3\n无标签\n".utf8)
        let result = LexiconImport.parse(bytes: bytes, file: "tags.txt", tags: ["3"])
        #expect(result.words == ["赌博网站", "色情"])
    }
}

@Suite("Pattern first characters")
struct FirstCharacterTests {
    @Test(
        "read off literals and groups of alternatives; nil when the start is not fixed",
        arguments: [
            ("(?:加|添加)(?:我)?v", Set("加添".unicodeScalars.map(\.value))),
            ("转(?:到|给)?我", Set("转".unicodeScalars.map(\.value))),
            ("(v|wx)信", Set("vVwW".unicodeScalars.map(\.value))),
            ("^abc", Set("aA".unicodeScalars.map(\.value))),
        ])
    func fixed(pattern: String, expected: Set<UInt32>) {
        #expect(PatternRisk.firstCharacters(of: pattern) == expected)
    }

    @Test("unknown starts", arguments: ["\\d+", "[abc]x", "(?:a|)b", "a?b", "(?:x|y)?z", ".x", "(?=a)b", "(?:a|\\d)"])
    func unknown(pattern: String) {
        #expect(PatternRisk.firstCharacters(of: pattern) == nil)
    }
}
