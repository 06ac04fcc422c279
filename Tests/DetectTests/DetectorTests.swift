import Testing
@testable import Archive
@testable import Detect
@testable import Rules
import Normalize
import PCRE2
import Vocabulary

/// Builds a detector from wordlist text (and all contact detectors).
func makeDetector(_ wordlists: [String: String], detectors: [String]? = nil) throws -> ContentDetector {
    var set = RuleSet()
    for (name, text) in wordlists.sorted(by: { $0.key < $1.key }) {
        WordlistLoader().load(bytes: Array(text.utf8), file: name, into: &set)
    }
    #expect(set.errors.isEmpty, "\(set.errors)")
    return ContentDetector(rules: set, detectors: try ContactDetectors.make(ids: detectors ?? []))
}

@Suite("Literal matching (Aho–Corasick)")
struct LiteralMatcherTests {
    @Test("every occurrence of every word, overlaps included, with byte ranges")
    func allOccurrences() {
        let matcher = LiteralMatcher(words: ["he", "she", "his", "hers", "加微信", "微信"])
        let text = "ushers 加微信"
        let found = matcher.matches(in: text).map { ($0.word, $0.range) }
        let bytes = Array(text.utf8)
        let words = found.map { String(decoding: bytes[$0.1], as: UTF8.self) }
        #expect(Set(words) == ["she", "he", "hers", "加微信", "微信"])
        #expect(found.count == 5)
    }

    @Test("the same word in two lists is reported for both")
    func duplicates() {
        let matcher = LiteralMatcher(words: ["返现", "返现"])
        #expect(matcher.matches(in: "返现").map(\.word).sorted() == [0, 1])
    }

    @Test("characters outside every word reset the automaton")
    func reset() {
        let matcher = LiteralMatcher(words: ["abc"])
        #expect(matcher.matches(in: "abXabc").count == 1)
        #expect(matcher.matches(in: "ab😀c").isEmpty)
        #expect(matcher.matches(in: "").isEmpty)
    }

    @Test("agrees with a naive search on many random texts")
    func naiveAgreement() {
        checkAgainstNaiveSearch(alphabet: "加微信私聊转账ab", words: 40, longest: 4, texts: 200, textLength: 30)
    }

    @Test("agrees with a naive search with thousands of words (states share transition-filter bits)")
    func naiveAgreementLarge() {
        let matcher = checkAgainstNaiveSearch(
            alphabet: "加微信私聊转账返现飞单回扣保本稳赚ab1", words: 3_000, longest: 5, texts: 100, textLength: 40)
        #expect(matcher.stateCount > 1_000)
    }

    /// Random words over `alphabet`, random texts: every occurrence of every word the automaton
    /// reports must be exactly what a naive byte search finds.
    @discardableResult
    func checkAgainstNaiveSearch(
        alphabet: String, words count: Int, longest: Int, texts: Int, textLength: Int
    ) -> LiteralMatcher {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(alphabet)
        let words = (0..<count).map { _ in
            String((0..<Int.random(in: 1...longest, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        }
        let matcher = LiteralMatcher(words: words)
        for _ in 0..<texts {
            let text = String(
                (0..<Int.random(in: 0...textLength, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let bytes = Array(text.utf8)
            var expected: [String] = []
            for (id, word) in words.enumerated() {
                let w = Array(word.utf8)
                guard !w.isEmpty, w.count <= bytes.count else { continue }
                for start in 0...(bytes.count - w.count) where Array(bytes[start..<start + w.count]) == w {
                    expected.append("\(id)@\(start)")
                }
            }
            let actual = matcher.matches(in: text).map { "\($0.word)@\($0.range.lowerBound)" }
            #expect(actual.sorted() == expected.sorted(), "text \(text)")
        }
        return matcher
    }
}

@Suite("Fused wordlist scan")
struct FusedScanTests {
    /// The detector normalises and matches in one pass through a composed table; the reference
    /// materialises the dense view, runs the automaton over it and maps hits back. They must
    /// report the same words at the same original spans. (ASCII words, which also need word
    /// boundaries, are tested on their own; a word that begins with an ASCII letter, `v信`, needs
    /// one where it begins: the reference applies that rule too.)
    @Test("one-pass detection agrees with matching the materialised dense view")
    func agreesWithTwoSteps() throws {
        let words = ["加微信", "微信", "私聊", "傻逼", "转账", "v信", "返现", "回扣", "稳赚", "信1"]
        let detector = try makeDetector(["w.txt": "@id w\n" + words.joined(separator: "\n") + "\n"])
        let matcher = LiteralMatcher(words: detector.rules.words.map(\.dense))
        let scratch = DetectorScratch()
        let pieces = Array("加微信私聊傻逼转账返现回扣稳赚穩賺vV信①⑩㎏一二1２ AB@.。，!😀\u{200B}傻傻𠀀轉賬") + ["🅰", "\u{FE0F}"]
        var rng = SystemRandomNumberGenerator()
        // Texts that once disagreed (a variation selector or a zero-width space between a letter
        // or digit and v信), then random ones.
        let found = ["V傻賺信㎏️v信𠀀二聊聊⑩", "２\u{200B}v信 稳私賬Vv𠀀", "转信返🅰现赚①1\u{200B}v信逼穩扣，🅰"]
        for round in 0..<1_000 {
            let text =
                round < found.count
                ? found[round]
                : String((0..<Int.random(in: 0...20, using: &rng)).map { _ in pieces.randomElement(using: &rng)! })
            let dense = Normalizer.standard.normalize(text).dense
            var reference: [(term: String, range: Range<Int>)] = []
            dense.utf8.withUnsafeBufferPointer { bytes in
                matcher.forEachMatch(in: bytes) { id, range in
                    reference.append((detector.rules.words[id].text, dense.originalRange(of: range)))
                }
            }
            // A word beginning with an ASCII letter does not begin inside a run of letters or digits.
            reference.removeAll { hit in
                guard let first = hit.term.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic,
                    hit.range.lowerBound > 0
                else { return false }
                let before = String(decoding: Array(text.utf8)[..<hit.range.lowerBound], as: UTF8.self)
                // What is read before it: characters normalisation removes do not separate.
                let light = Normalizer.standard.normalize(before).light.text
                return light.unicodeScalars.last.map {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
                } ?? false
            }
            // The detector keeps the longer of two nested hits of one rule; so does the reference.
            let kept = reference.filter { hit in
                !reference.contains { other in
                    other.range != hit.range && other.range.lowerBound <= hit.range.lowerBound
                        && other.range.upperBound >= hit.range.upperBound
                }
            }
            // What the scan matched, before context: a hit straddling two ordinary words (回信|一一
            // is not 信1) is matched, then set aside, and the reference knows no words.
            let detection = detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: scratch)
            let found = detection.findings + detection.suppressed.map(\.finding)
            #expect(detection.suppressed.allSatisfy { $0.allow == "spans two ordinary words" })
            #expect(
                Set(found.map { "\($0.term)@\($0.range)" }) == Set(kept.map { "\($0.term)@\($0.range)" }), "\(text)")
        }
    }
}

@Suite("Detection value")
struct DetectionValueTests {
    @Test("a detection is a value: changing a copy leaves the original as it was")
    func valueSemantics() throws {
        let detector = try makeDetector(["w.txt": "@id w\n返现\n"])
        let found = detector.detect(text: "有返现吗", senderKind: nil, isGroup: nil, scratch: DetectorScratch())
        #expect(found.findings.count == 1)
        var copy = found
        copy.findings.append(found.findings[0])
        copy.unusedAllows = []
        #expect(copy.findings.count == 2)
        #expect(found.findings.count == 1, "the original changed with its copy")
        var empty = Detection()
        #expect(empty.findings.isEmpty && empty.suppressed.isEmpty && empty.normalized == nil)
        empty.findings = found.findings
        #expect(empty.findings == found.findings)
    }
}

@Suite("Content detection")
struct ContentDetectorTests {
    let scratch = DetectorScratch()

    func rules(_ text: String, in result: Detection) -> [String] { result.findings.map(\.rule) }

    @Test(
        "allowed phrases suppress only the hits they cover",
        arguments: [
            ("路口交通很方便", false),
            ("他说口交", true),
            ("路口交通，还有口交", true),
        ])
    func allowCovers(text: String, hit: Bool) throws {
        let detector = try makeDetector(["sex.txt": "@id sex\n口交\nallow:路口交通\n"])
        let result = detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(!result.findings.isEmpty == hit)
        if text.hasPrefix("路口交通") {
            #expect(result.suppressed.count == 1)
            #expect(result.suppressed[0].allow == "路口交通")
        }
    }

    @Test("第一次 does not raise the absolute term 第一, but 第一 elsewhere does")
    func absoluteTerms() throws {
        let detector = try makeDetector(["abs.txt": "@id absolute\n第一\nallow:第一次\n"])
        #expect(detector.detect(text: "这是我们第一次合作", senderKind: nil, isGroup: nil, scratch: scratch).findings.isEmpty)
        let both = detector.detect(text: "第一次合作，我们销量第一", senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(both.findings.count == 1)
        #expect(both.findings.first?.matched == "第一")
        #expect(both.findings.first?.range == 30..<36)
    }

    @Test(
        "evidence is the original text, as written, for each evasion",
        arguments: [
            ("傻@#￥%逼", "傻@#￥%逼"),
            ("你是傻 逼", "傻 逼"),
            ("傻\u{200B}逼", "傻\u{200B}逼"),
            ("傻傻傻逼", "傻傻傻逼"),
            ("ＳＢ", "ＳＢ"),
            ("Ⓕⓤc⒦ you", "Ⓕⓤc⒦"),
            ("what an asssshole", "asssshole"),
        ])
    func evasions(text: String, evidence: String) throws {
        let detector = try makeDetector(["abuse.txt": "@id abuse\n傻逼\nsb\nfuck\nasshole\n"])
        let result = detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(result.findings.map(\.matched) == [evidence])
    }

    @Test("ASCII words need word boundaries: 'sb' is not found in 'usb', 'ass' not in 'class'")
    func boundaries() throws {
        let detector = try makeDetector(["abuse.txt": "@id abuse\nsb\nass\n"])
        #expect(detector.detect(text: "USB接口坏了", senderKind: nil, isGroup: nil, scratch: scratch).findings.isEmpty)
        #expect(detector.detect(text: "first class", senderKind: nil, isGroup: nil, scratch: scratch).findings.isEmpty)
        #expect(detector.detect(text: "你个SB", senderKind: nil, isGroup: nil, scratch: scratch).findings.count == 1)
    }

    @Test("scopes: a staff-only rule ignores customers, a group-only rule ignores one-to-one chats")
    func scopes() throws {
        let detector = try makeDetector([
            "a.txt": "@id staffonly\n@scope sender=staff\n保本\n",
            "b.txt": "@id grouponly\n@scope chat=group\n私聊\n",
        ])
        func rulesFor(_ text: String, _ kind: ParticipantKind, _ group: Bool) -> [String] {
            detector.detect(text: text, senderKind: kind, isGroup: group, scratch: scratch).findings.map(\.rule)
        }
        #expect(rulesFor("保本", .staff, false) == ["staffonly"])
        #expect(rulesFor("保本", .customer, false).isEmpty)
        #expect(rulesFor("私聊", .customer, true) == ["grouponly"])
        #expect(rulesFor("私聊", .customer, false).isEmpty)
    }

    @Test("a nested hit of the same rule gives way to the longer one")
    func nested() throws {
        let detector = try makeDetector(["l.txt": "@id luring\n加我\n加我微信\n"])
        let result = detector.detect(text: "加我微信吧", senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(result.findings.map(\.matched) == ["加我微信"])
    }

    @Test("regex entries run on their view and map back to the original")
    func regexEntry() throws {
        let detector = try makeDetector(["m.txt": "@id money\n@view dense\nre:转(?:到|给)?我(?:的)?支付宝\n"])
        let result = detector.detect(text: "钱转 到我的 支付宝！", senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(result.findings.map(\.matched) == ["转 到我的 支付宝"])
    }

    @Test("a dense-view pattern whose first character cannot be read off runs on every message")
    func denseAlwaysRuns() throws {
        // `[...]` hides the first character from the trigger table: the pattern must still run.
        let detector = try makeDetector(["m.txt": "@id money\n@view dense\nre:[转轉]账给我\n"])
        let result = detector.detect(text: "钱 转账 给我吧", senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(result.findings.map(\.matched) == ["转账 给我"])
    }

    @Test("a pattern that hits the match limit is reported as limit reached, naming the rule")
    func limitReached() throws {
        var set = RuleSet()
        WordlistLoader(limits: .init(matchLimit: 10_000)).load(
            bytes: Array("@id slow\nre:(a+)+$\n".utf8), file: "slow.txt", into: &set)
        let detector = ContentDetector(rules: set, detectors: [])
        let text = String(repeating: "a", count: 40) + "!"
        let result = detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: scratch)
        let finding = try #require(result.findings.first)
        #expect(finding.limitReached)
        #expect(finding.rule == "slow")
        #expect(finding.detail.contains("limit reached"))
        #expect(finding.origin == "slow.txt:2:4")
    }
}

@Suite("Contact detectors")
struct ContactDetectorTests {
    let scratch = DetectorScratch()
    let detector: ContentDetector

    init() throws {
        detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
    }

    func found(_ text: String) -> [String] {
        detector.detect(text: text, senderKind: nil, isGroup: nil, scratch: scratch).findings.map {
            "\($0.rule)=\($0.matched)"
        }
    }

    @Test(
        "mobile numbers in their disguises",
        arguments: [
            ("电话13800138000", "13800138000"),
            ("+86 138-0013-8000", "138-0013-8000"),
            ("打 138 0013 8000", "138 0013 8000"),
            ("①③⑧00138000", "①③⑧00138000"),
            ("１３８００１３８０００", "１３８００１３８０００"),
            ("一三八零零一三八零零零", "一三八零零一三八零零零"),
            ("幺三八 零零幺三 八零零零", "幺三八 零零幺三 八零零零"),
        ])
    func phones(text: String, evidence: String) {
        #expect(found(text) == ["contact.phone=\(evidence)"])
    }

    @Test(
        "ordinary numbers are not phones",
        arguments: [
            "订单号 13800138000", "价格1380元", "2026-11-20 13:38", "编号：13912345678", "共138001380001件", "0.13800138000",
        ])
    func notPhones(text: String) {
        #expect(!found(text).contains { $0.hasPrefix("contact.phone") })
    }

    @Test("WeChat ids after the words that announce them")
    func wechat() {
        #expect(found("加我微信 zhang_wei1988") == ["contact.wechat=zhang_wei1988"])
        #expect(found("vx：abc12345") == ["contact.wechat=abc12345"])
        #expect(found("V 信号是 wxid_k9f2m1") == ["contact.wechat=wxid_k9f2m1"])
        #expect(found("薇信 Lucy_2020") == ["contact.wechat=Lucy_2020"])
        #expect(found("微信支付就可以").isEmpty)
    }

    @Test("QQ numbers in context")
    func qq() {
        #expect(found("QQ：12345678") == ["contact.qq=12345678"])
        #expect(found("扣扣 987654321") == ["contact.qq=987654321"])
        #expect(found("我有12345678个QQ").isEmpty)
    }

    @Test("bank cards need a valid Luhn check digit")
    func bankCards() {
        #expect(ContactDetectors.luhnValid("4111111111111111"))
        #expect(!ContactDetectors.luhnValid("4111111111111112"))
        #expect(found("卡号 4111 1111 1111 1111") == ["contact.bankcard=4111 1111 1111 1111"])
        #expect(found("卡号 4111 1111 1111 1112").isEmpty)
        #expect(found("订单号 4111111111111111").isEmpty)
    }

    @Test("resident ID numbers need a valid check character")
    func residentID() {
        #expect(ContactDetectors.residentIDValid("11010519491231002X"))
        #expect(!ContactDetectors.residentIDValid("110105194912310021"))
        #expect(found("身份证11010519491231002X") == ["contact.idcard=11010519491231002X"])
        #expect(found("身份证110105194912310021").isEmpty)
    }

    @Test("email addresses, URLs and short links")
    func addresses() {
        #expect(found("发到 hr.zhang@example.com 谢谢") == ["contact.email=hr.zhang@example.com"])
        #expect(found("看这个 https://t.cn/A6abcdEf 吧") == ["contact.url=https://t.cn/A6abcdEf"])
        #expect(found("www.example.com/a") == ["contact.url=www.example.com/a"])
        #expect(found("t.cn/A6x9") == ["contact.url=t.cn/A6x9"])
    }

    @Test("a shared link card's URL is not typed text")
    func sharedLink() {
        let result = detector.detect(
            text: "新品 https://shop.example.com/1", senderKind: nil, isGroup: nil, sharedContent: true, scratch: scratch)
        #expect(result.findings.isEmpty)
    }
}
