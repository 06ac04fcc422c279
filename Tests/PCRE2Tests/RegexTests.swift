import Testing
@testable import PCRE2

@Suite("PCRE2 wrapper")
struct RegexTests {
    @Test("matches report UTF-8 byte offsets, not character counts")
    func multibyteOffsets() throws {
        let regex = try Regex("加微信")
        let text = "你好，请加微信abc"
        let match = try #require(try regex.firstMatch(in: text))
        // "你好，请" is 4 characters of 3 bytes each.
        #expect(match.range == 12..<21)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[match.range], as: UTF8.self) == "加微信")
    }

    @Test("all matches are found in order, with capture groups")
    func iteration() throws {
        let regex = try Regex("(\\d+)元")
        let matches = try regex.allMatches(in: "返现50元，再返😀100元")
        #expect(matches.count == 2)
        let bytes = Array("返现50元，再返😀100元".utf8)
        #expect(matches.map { String(decoding: bytes[$0.groups[0]!], as: UTF8.self) } == ["50", "100"])
        #expect(matches[0].range.upperBound <= matches[1].range.lowerBound)
    }

    @Test("an empty match advances by one whole character, never inside a multi-byte one")
    func emptyMatchAdvance() throws {
        let regex = try Regex("x*")
        let text = "中😀a"
        let matches = try regex.allMatches(in: text)
        // Empty matches at 0 (中), 3 (😀), 7 (a), 8 (end).
        #expect(matches.map(\.range.lowerBound) == [0, 3, 7, 8])
        #expect(matches.allSatisfy { $0.range.isEmpty })
    }

    @Test("UCP: \\w and \\d understand Chinese and full-width text")
    func unicodeProperties() throws {
        let word = try Regex("^\\w+$")
        #expect(try word.matches("微信号abc"))
        let digits = try Regex("^\\d+$")
        #expect(try digits.matches("１２３"))  // full-width digits are \d under UCP
    }

    @Test("caseless matching folds Unicode case")
    func caseless() throws {
        let regex = try Regex("wechat", options: .caseless)
        #expect(try regex.matches("加我WeChat"))
        #expect(try !Regex("wechat").matches("加我WeChat"))
    }

    @Test("a compile error names PCRE2's message and the offset in the pattern")
    func compileErrorOffset() throws {
        do {
            _ = try Regex("abc(def")
            Issue.record("an unclosed group must not compile")
        } catch {
            #expect(error.code == .badPattern)
            #expect(error.patternOffset == 7)
            #expect(error.message.contains("missing closing parenthesis"))
        }
        do {
            _ = try Regex("中文[z-a]")
            Issue.record("a reversed range must not compile")
        } catch {
            // The offset is in bytes: 中文 is 6 bytes, so the 'a' ending the range is at 9, not 5.
            #expect(error.code == .badPattern)
            #expect(error.patternOffset == 9)
        }
    }

    @Test(
        "catastrophic backtracking is stopped by the match limit and reported",
        arguments: [JITMode.automatic, .disabled])
    func matchLimit(jit: JITMode) throws {
        let regex = try Regex("(a+)+$", limits: Limits(matchLimit: 100_000), jit: jit)
        let subject = String(repeating: "a", count: 40) + "!"
        do {
            _ = try regex.firstMatch(in: subject)
            Issue.record("(a+)+$ on 40 a's and a '!' must hit the match limit")
        } catch {
            #expect(error.code == .matchLimit)
            #expect(error.isLimit)
        }
        // The same pattern still works on subjects it can finish.
        #expect(try regex.matches("aaaa"))
    }

    @Test("the depth and heap limits stop the interpreter")
    func depthAndHeapLimits() throws {
        // The 'c' at the end defeats PCRE2's required-character shortcut, so the group really
        // recurses 2,000 levels before failing at '!'.
        let subject = String(repeating: "ab", count: 1_000) + "!c"
        let deep = try Regex("(?:(a)|b)*c", limits: Limits(depthLimit: 10), jit: .disabled)
        do {
            _ = try deep.firstMatch(in: subject)
            Issue.record("a depth limit of 10 must stop this match")
        } catch {
            #expect(error.code == .depthLimit)
        }
        let heap = try Regex("(?:(a)|b)*c", limits: Limits(heapLimitKiB: 1), jit: .disabled)
        do {
            _ = try heap.firstMatch(in: subject)
            Issue.record("a 1 KiB heap limit must stop this match")
        } catch {
            #expect(error.code == .heapLimit)
        }
        // With the default limits the same match completes (and finds nothing).
        #expect(
            try Regex("(?:(a)|b)*c", jit: .disabled).firstMatch(in: subject)?.range == subject.utf8.count
                - 1..<subject.utf8.count)
    }

    @Test("the interpreter path gives the same matches as the JIT")
    func jitOffPath() throws {
        let pattern = "(?:微信|vx|v信)[:：\\s]*([a-zA-Z][-_a-zA-Z0-9]{5,19})"
        let jit = try Regex(pattern, options: .caseless)
        let interpreted = try Regex(pattern, options: .caseless, jit: .disabled)
        #expect(!interpreted.isJITCompiled)
        if JITMode.isAvailable { #expect(jit.isJITCompiled) }
        let text = "加我VX: wxid_abc123 或者微信：Zhang_san88 谢谢"
        #expect(try jit.allMatches(in: text) == interpreted.allMatches(in: text))
        #expect(try interpreted.allMatches(in: text).count == 2)
    }

    @Test("a pattern too large for this PCRE2 build says so clearly")
    func patternTooLarge() throws {
        // Several thousand 3-character words in one alternation exceed 64 KiB compiled.
        var words: [String] = []
        for i in 0..<12_000 {
            let a = Character(Unicode.Scalar(0x4E00 + (i % 2000))!)
            let b = Character(Unicode.Scalar(0x5E00 + (i / 2000) * 7 + i % 5)!)
            words.append("\(a)\(b)\(i)")
        }
        do {
            _ = try Regex(words.joined(separator: "|"))
            Issue.record("a 12,000-word alternation should not fit in a link-size-2 PCRE2")
        } catch {
            #expect(error.code == .patternTooLarge)
            #expect(error.message.contains("64 KiB"))
        }
    }

    @Test("one compiled pattern is used from many tasks at once with identical results")
    func concurrentUse() async throws {
        let regex = try Regex("1[3-9]\\d{9}")
        let lines = (0..<200).map {
            "客户\($0) 电话 1380013\(String(format: "%04d", $0)) 还有 159\(String(format: "%08d", $0 * 7))"
        }
        let expected = try lines.map { try regex.allMatches(in: $0) }
        let results = try await withThrowingTaskGroup(of: (Int, [[Match]]).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var out: [[Match]] = []
                    for _ in 0..<20 {
                        out = try lines.map { try regex.allMatches(in: $0) }
                    }
                    return (worker, out)
                }
            }
            var all: [[[Match]]] = []
            for try await (_, out) in group { all.append(out) }
            return all
        }
        #expect(results.count == 8)
        for result in results { #expect(result == expected) }
        #expect(expected.allSatisfy { $0.count == 2 })
    }

    @Test("invalid UTF-8 bytes are rejected when not trusted")
    func invalidSubject() throws {
        let regex = try Regex("a")
        let bytes: [UInt8] = [0x61, 0xFF, 0x61]
        let scratch = MatchScratch()
        #expect(throws: PCRE2Error.self) {
            try bytes.withUnsafeBufferPointer { buffer in
                _ = try regex.match(buffer, from: 0, scratch: scratch, trustedUTF8: false)
            }
        }
    }
}

import Foundation
