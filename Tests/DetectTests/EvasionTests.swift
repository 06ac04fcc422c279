import Foundation
import Normalize
import Testing
import Vocabulary
@testable import Detect
@testable import Rules

/// The mechanisms that read what people write to get past a wordlist (issue 17): numbers in any
/// script, sound-alikes, handles after nicknames, and the context that tells a violation from a
/// warning. Each is tested on synthetic lists (the mechanism) and, where it matters, on the
/// shipped lists (what a user gets).
@Suite("Evasions")
struct EvasionTests {
    let scratch = DetectorScratch()

    func hits(_ detector: ContentDetector, _ text: String, sender: ParticipantKind? = .staff) -> [String] {
        detector.detect(text: text, senderKind: sender, isGroup: nil, scratch: scratch).findings.map {
            "\($0.rule)=\($0.detail.isEmpty ? $0.matched : $0.detail)"
        }
    }

    // MARK: - Numbers

    @Test(
        "a mobile number however its digits are written",
        arguments: [
            "电话幺三八零零幺三八零零零",  // colloquial and Chinese numerals
            "打我 壹叁捌 零零壹叁 捌零零零",  // formal numerals, spaced
            "one three eight 0013 8000",  // English words and digits mixed
            "1️⃣3️⃣8️⃣0️⃣0️⃣1️⃣3️⃣8️⃣0️⃣0️⃣0️⃣",  // keycaps
            "𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎",  // mathematical bold
            "１３８–００１３–８０００",  // full width with dashes
            "电话 l38001380O0",  // a few letters that look like digits, among digits
            "尾号8000，前面是138 0013",  // two pieces, tail first
        ])
    func mobileForms(_ text: String) throws {
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        #expect(hits(detector, text).contains("contact.phone=13800138000"), "\(text)")
    }

    @Test(
        "numbers that are not a person's number are left alone",
        arguments: [
            "订单号13800138000", "快递单号：13800138000", "发票号码 13800138000", "交易流水 13800138000",
            "价格¥13800138000", "客服热线400-820-8820", "会员号13800138000",
        ])
    func references(_ text: String) throws {
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        #expect(!hits(detector, text).contains { $0.hasPrefix("contact.phone") }, "\(text)")
    }

    @Test("QQ numbers after the names people use for QQ, in any digits")
    func qqAfterSlang() throws {
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        #expect(hits(detector, "扣扣 九八七六五四三二一").contains("contact.qq=987654321"))
        #expect(hits(detector, "企鹅号：9 8 7 6 5 4 3 2 1").contains("contact.qq=987654321"))
        #expect(!hits(detector, "一共九八七六五四三二一件").contains { $0.hasPrefix("contact.qq") })
    }

    @Test("how a number was read is explained for the reviewer")
    func numberExplained() throws {
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        let finding = try #require(
            detector.detect(text: "one three eight 0013 8000", senderKind: nil, isGroup: nil, scratch: scratch)
                .findings.first { $0.rule == "contact.phone" })
        #expect(finding.explanation.last == "13800138000")
        #expect(finding.explanation.contains { $0.contains("English") })
    }

    // MARK: - Sound-alikes

    @Test("a ~word is caught written with any characters of the same sound, and says how it was read")
    func soundAlike() throws {
        let detector = try makeDetector(["l.txt": "@id l\n~加微信\n"])
        // Characters chosen from the pronunciation table, not from any list: every reading of
        // jia-wei-xin in common characters is the word.
        let pronunciation = Pronunciation.shared
        let jia = "加家佳嘉夹".unicodeScalars, wei = "微威薇维围为".unicodeScalars, xin = "信新心芯欣辛".unicodeScalars
        var tried = 0
        for a in jia {
            for b in wei {
                for c in xin {
                    let text = "亲，\(a)\(b)\(c) abc_12345"
                    #expect(pronunciation.syllable(b.value) == pronunciation.syllable("微".unicodeScalars.first!.value))
                    #expect(hits(detector, text).contains { $0.hasPrefix("l=") }, "\(text)")
                    tried += 1
                }
            }
        }
        #expect(tried == 180)
        // The neighbour that makes an ordinary word must be written next to it: 亲，家 is not 亲家.
        #expect(hits(detector, "亲家来了").isEmpty)
        let finding = try #require(
            detector.detect(text: "加薇芯", senderKind: nil, isGroup: nil, scratch: scratch).findings.first)
        #expect(finding.explanation == ["加薇芯", "jia wei xin", "加微信"])
    }

    @Test("a sound-alike that is an ordinary word counts only in a luring context")
    func soundAlikeNeedsLure() throws {
        let detector = try makeDetector(["l.txt": "@id l\n~微信\n"], detectors: ["contact.wechat"])
        #expect(hits(detector, "他在公司很有威信").isEmpty)
        #expect(hits(detector, "作为新人要多学习").isEmpty)
        #expect(hits(detector, "加威信聊").contains { $0.hasPrefix("l=") })
        #expect(hits(detector, "威信 zhang_san88").contains { $0.hasPrefix("l=") }, "a handle in the message")
    }

    @Test("a word without ~ is not matched by sound")
    func plainWordIsLiteral() throws {
        let detector = try makeDetector(["l.txt": "@id l\n加微信\n"])
        #expect(hits(detector, "加薇芯").isEmpty)
        #expect(hits(detector, "加微信") == ["l=加微信"])
    }

    @Test("a ~word typed in pinyin initials, whole or after its first characters, says how it was read")
    func initials() throws {
        let detector = try makeDetector(["l.txt": "@id l\n~加微信\n~私下联系\n"])
        #expect(hits(detector, "加wx") == ["l=加wx"])
        #expect(hits(detector, "sxlx吧") == ["l=sxlx"])
        #expect(hits(detector, "私下lx") == ["l=私下lx"])
        // Letters of a longer ASCII word are not initials; two initials alone are not the word.
        #expect(hits(detector, "加wxyz").isEmpty)
        #expect(hits(detector, "sx").isEmpty)
        let finding = try #require(
            detector.detect(text: "sxlx", senderKind: nil, isGroup: nil, scratch: scratch).findings.first)
        #expect(finding.term == "~私下联系")
        #expect(finding.explanation == ["sxlx", "pinyin initials: si xia lian xi → s x l x", "私下联系"])
    }

    // MARK: - Handles

    @Test("messenger handles after the nicknames of the apps")
    func handlesAfterNicknames() throws {
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        #expect(hits(detector, "绿泡泡 zhangsan_88").contains("contact.wechat=zhangsan_88"))
        #expect(hits(detector, "飞机：@coin_vip888").contains("contact.telegram=coin_vip888"))
        #expect(hits(detector, "tg: @zhangsan_bot 联系").contains("contact.telegram=zhangsan_bot"))
        #expect(hits(detector, "今天坐飞机去上海").isEmpty)
    }

    // MARK: - Context

    @Test("a hit inside a warning is suppressed, with the phrase shown; the violation itself is not")
    func warningContext() throws {
        let detector = try makeDetector([
            "m.txt": "@id m\n@not-after 请勿 不要\n@not-before 一律无效\n私下转账\n"
        ])
        #expect(hits(detector, "请勿私下转账给任何人").isEmpty)
        #expect(hits(detector, "私下转账一律无效").isEmpty)
        #expect(hits(detector, "私下转账给我") == ["m=私下转账"])
        // A warning in the previous clause does not reach the hit.
        #expect(hits(detector, "不要着急，私下转账给我就行") == ["m=私下转账"])
        let detection = detector.detect(text: "请勿私下转账", senderKind: nil, isGroup: nil, scratch: scratch)
        #expect(detection.suppressed.first?.allow == "warning context: 请勿")
    }

    @Test("?words count only with a claim phrase (@needs) in the message")
    func claimContext() throws {
        let detector = try makeDetector(["a.txt": "@id a\n@needs 产品 效果\n?最好\n国家级\n"])
        #expect(hits(detector, "你最好早点来").isEmpty)
        #expect(hits(detector, "这个产品效果最好") == ["a=最好"])
        #expect(hits(detector, "国家级") == ["a=国家级"], "a plain word needs no context")
    }

    @Test("allowed patterns (allow-re:) cover what they match")
    func allowPattern() throws {
        let detector = try makeDetector(["a.txt": "@id a\n第一\nallow-re:第\\d+[次届名]\n"])
        #expect(hits(detector, "第1届冠军").isEmpty)
        #expect(hits(detector, "销量第一") == ["a=第一"])
    }

    @Test("a short hit straddling two ordinary words is not the word")
    func straddle() throws {
        let detector = try makeDetector(["p.txt": "@id p\n保本\n返现\n"])
        #expect(hits(detector, "确保本地发货").isEmpty)
        #expect(hits(detector, "重返现场").isEmpty)
        #expect(hits(detector, "这个产品保本") == ["p=保本"])
        #expect(hits(detector, "下单返现五十") == ["p=返现"])
    }

    @Test("a word beginning or ending with an ASCII letter needs a boundary there")
    func asciiEdges() throws {
        let detector = try makeDetector(["l.txt": "@id l\nv我\n"])
        #expect(hits(detector, "我们的MV我很喜欢").isEmpty)
        #expect(hits(detector, "v我50") == ["l=v我"])
    }

    @Test(
        "forms a probe written after the detector first missed (kept as a regression set)",
        arguments: [
            ("wei xin: abc_123", "contact.wechat"), ("微信同号", "luring"), ("vx同号", "luring"),
            ("这个渠道百分百回本", "promised-returns"), ("加下我的小号", "luring"), ("私下找我买更便宜", "luring"),
            ("你可以直接找我，别在这里说", "luring"),
            // A rate in Chinese numerals (read from a screenshot, issue 21): 二十 folds to 2十.
            ("保证年化收益百分之二十", "promised-returns"), ("年化百分之十五，稳稳的", "promised-returns"),
            ("收益率百分之二十五", "promised-returns"),
        ])
    func probeForms(_ text: String, _ rule: String) throws {
        #expect(hits(try shippedDetector(), text).contains { $0.hasPrefix(rule + "=") }, "\(text)")
    }

    @Test("a staff warning about a rate in words is not a promise", arguments: ["请勿相信年化百分之二十的承诺", "我们不承诺收益百分之二十"])
    func rateWarnings(_ text: String) throws {
        #expect(!hits(try shippedDetector(), text).contains { $0.hasPrefix("promised-returns=") }, "\(text)")
    }

    // MARK: - The company's own channels

    @Test("the company's own phone, domain, e-mail, account and handle are never flagged")
    func companyChannels() throws {
        var company = CompanyChannels()
        company.phones = ["4008208820", "13900139000"]
        company.domains = ["example.com"]
        company.emails = ["service@partner.cn"]
        company.handles = ["acme_official"]
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make(), company: company)
        #expect(hits(detector, "售后请拨 139 0013 9000").isEmpty)
        #expect(hits(detector, "官网 https://shop.example.com/item/1").isEmpty)
        #expect(hits(detector, "邮件发 service@partner.cn").isEmpty)
        #expect(hits(detector, "公众号微信号：acme_official").isEmpty)
        #expect(hits(detector, "加我 13800138000") == ["contact.phone=13800138000"])
        #expect(hits(detector, "https://example.org/x").contains { $0.hasPrefix("contact.url") })
    }

    // MARK: - Shipped lists on real conversation text

    @Test("the shipped lists flag few ordinary messages of the real corpora")
    func ordinaryMessages() throws {
        let path = sharedData + "/corpus/lccc/lccc_toy_utterances.despaced.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("skipped: \(path) is missing (../shared/data is not beside this clone)")
            return
        }
        let detector = try shippedDetector()
        let lines = text.split(separator: "\n").prefix(20_000)
        var flagged: [String] = []
        for line in lines {
            // Customers and staff both: staff-only categories (claims) apply to staff.
            if !hits(detector, String(line), sender: .staff).isEmpty { flagged.append(String(line)) }
        }
        let rate = Double(flagged.count) / Double(lines.count)
        print("ordinary LCCC lines flagged: \(flagged.count)/\(lines.count) = \(rate); first: \(flagged.prefix(5))")
        #expect(lines.count == 20_000)
        #expect(rate < 0.01)
    }
}
