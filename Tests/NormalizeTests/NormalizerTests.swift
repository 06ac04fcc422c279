import Testing
@testable import Normalize

@Suite("Normalisation")
struct NormalizerTests {
    let normalizer = Normalizer.standard

    func dense(_ text: String) -> String { normalizer.normalize(text).dense.text }
    func light(_ text: String) -> String { normalizer.normalize(text).light.text }

    @Test("full-width letters and digits fold to ASCII; case folds")
    func widthAndCase() {
        #expect(dense("ＷＥＣＨＡＴ１２３") == "wechat123")
        #expect(light("加ＶＸ：ａｂｃ") == "加vx:abc")
        #expect(dense("WeChat") == "wechat")
        // Half-width katakana widen to the standard form.
        #expect(light("ｶﾀｶﾅ") == "カタカナ")
    }

    @Test("traditional characters read as simplified (OpenCC)")
    func traditional() throws {
        try #require(normalizer.hasTraditionalToSimplified, "OpenCC's t2s dictionary is not installed (libopencc-data)")
        #expect(dense("加微信轉賬") == "加微信转账")
        #expect(dense("發財穩賺") == "发财稳赚")
        #expect(dense("法輪功") == "法轮功")
    }

    @Test("zero-width and invisible characters are removed from both views")
    func zeroWidth() {
        let text = "加\u{200B}微\u{200D}信\u{FEFF}\u{2060}号"
        #expect(light(text) == "加微信号")
        #expect(dense(text) == "加微信号")
        #expect(dense("傻\u{00AD}逼") == "傻逼")
    }

    @Test(
        "noise between the characters of a word is dropped from the dense view",
        arguments: [
            ("傻@#￥%逼", "傻逼"),
            ("傻 逼", "傻逼"),
            ("法✨轮功", "法轮功"),
            ("加 V 信", "加v信"),
            ("加-微-信", "加微信"),
            ("私😀下😀转😀账", "私下转账"),
            ("f.u.c.k", "fuck"),
        ])
    func noise(input: String, expected: String) {
        #expect(dense(input) == expected)
    }

    @Test(
        "digit variants become ASCII digits",
        arguments: [
            ("①2③4", "1234"),
            ("⑸㈤㊄", "555"),
            ("一二三", "123"),
            ("壹贰叁", "123"),
            ("幺三八", "138"),
            ("⓵❷➂", "123"),
            ("１３８", "138"),
            ("⑩", "10"),
        ])
    func digits(input: String, expected: String) {
        #expect(dense(input) == expected)
    }

    @Test(
        "letter variants become plain letters",
        arguments: [
            ("Ⓕⓤc⒦", "fuck"),
            ("𝐟𝐮𝐜𝐤", "fuck"),
            ("🅵🆄🅲🅺", "fuck"),
            ("🅐🅑", "ab"),
        ])
    func letters(input: String, expected: String) {
        #expect(dense(input) == expected)
    }

    @Test("repeats collapse in the dense view, so padded words match their collapsed form")
    func repeats() {
        // Both the text and the wordlist entry are normalised the same way: "asshole" stays a match.
        #expect(dense("asshole") == dense("assshoooole"))
        #expect(dense("asshole") == "ashole")
        #expect(dense("傻傻傻逼") == dense("傻逼"))
        // Digits are never collapsed: phone numbers repeat digits.
        #expect(dense("13800138000") == "13800138000")
        // The light view keeps repeats.
        #expect(light("assshole") == "assshole")
    }

    @Test("every normalised span maps back to the original bytes, including dropped characters inside it")
    func offsetMap() throws {
        let original = "你好 傻@#￥%逼 再见"
        let normalized = normalizer.normalize(original)
        let dense = normalized.dense
        let target = Array("傻逼".utf8)
        let bytes = dense.utf8
        let start = try #require(
            (0...(bytes.count - target.count)).first { Array(bytes[$0..<$0 + target.count]) == target })
        let range = dense.originalRange(of: start..<start + target.count)
        let originalBytes = Array(original.utf8)
        #expect(String(decoding: originalBytes[range], as: UTF8.self) == "傻@#￥%逼")
    }

    @Test("a collapsed repeat belongs to the evidence span")
    func repeatSpan() {
        let original = "说你傻傻傻逼"
        let dense = normalizer.normalize(original).dense
        #expect(dense.text == "说你傻逼")
        // "傻逼" starts at byte 6 of the dense text.
        let range = dense.originalRange(of: 6..<12)
        #expect(String(decoding: Array(original.utf8)[range], as: UTF8.self) == "傻傻傻逼")
    }

    @Test("expansions map each produced character back to the one original character")
    func expansionSpan() {
        let original = "电话⑩号"
        let light = normalizer.normalize(original).light
        #expect(light.text == "电话10号")
        let range = light.originalRange(of: 6..<8)
        #expect(String(decoding: Array(original.utf8)[range], as: UTF8.self) == "⑩")
    }

    @Test("empty and noise-only text normalise to empty views")
    func empty() {
        #expect(normalizer.normalize("").dense.utf8.isEmpty)
        #expect(normalizer.normalize("😀😀!!").dense.utf8.isEmpty)
        #expect(normalizer.normalize("😀😀!!").light.text == "😀😀!!")
    }
}
