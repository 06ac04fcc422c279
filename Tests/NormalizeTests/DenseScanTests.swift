import Foundation
import Testing
@testable import Normalize

/// The wordlist scan streams the dense view through a composed table: it must report exactly the
/// characters, spans and clues the materialised dense view holds.
@Suite("Dense scan (composed table)")
struct DenseScanTests {
    let normalizer = Normalizer.standard
    /// Numbers every BMP character by its own value (supplementary characters get 0).
    static let identity = DenseCodeTable(
        normalizer: .standard, code: { $0 < 0xFFFF ? UInt16($0) : 0 }, trigger: { $0 == 0x5FAE })

    struct Scanned: Equatable {
        var characters: [(code: Int, start: Int32, end: Int32)] = []
        var clues = Clues()
        var triggered = false
        static func == (a: Scanned, b: Scanned) -> Bool {
            a.comparable == b.comparable && a.clues == b.clues && a.triggered == b.triggered
        }
        /// Characters of code 0 (not numbered, here: supplementary ones) are never reported as
        /// repeats, by design, while the view collapses them: runs of them compare as one span.
        var comparable: [[Int]] {
            var result: [[Int]] = []
            for c in characters {
                if c.code == 0, let last = result.last, last[0] == 0 {
                    result[result.count - 1][2] = Int(c.end)
                } else {
                    result.append([c.code, Int(c.start), Int(c.end)])
                }
            }
            return result
        }
    }

    struct Collector: DenseSink {
        var characters: [(code: Int, start: Int32, end: Int32)] = []
        mutating func character(_ code: Int, start: Int32, end: Int32) { characters.append((code, start, end)) }
        mutating func repeatOfLast(end: Int32) { characters[characters.count - 1].end = end }
    }

    func scan(_ text: String) -> Scanned {
        var result = Scanned()
        var copy = text
        var sink = Collector()
        copy.withUTF8 { utf8 in
            let summary = normalizer.scanDense(utf8: utf8, table: Self.identity, into: &sink)
            result.clues = summary.clues
            result.triggered = summary.triggered
        }
        result.characters = sink.characters
        return result
    }

    /// What the materialised dense view says, in the same shape.
    func expected(_ text: String) -> Scanned {
        var result = Scanned()
        var copy = text
        let buffers = NormalizationBuffers()  // the views borrow it: it must outlive them
        copy.withUTF8 { utf8 in
            let pass = normalizer.normalize(utf8: utf8, into: buffers, light: true, dense: true)
            result.clues = pass.clues
            let dense = pass.dense
            var i = 0
            while i < dense.bytes.count {
                let start = i
                let value = UTF8Scalar.decode(dense.bytes.baseAddress!, &i)
                let range = dense.originalRange(of: start..<i)
                result.characters.append(
                    (value < 0xFFFF ? Int(value) : 0, Int32(range.lowerBound), Int32(range.upperBound)))
                if value == 0x5FAE { result.triggered = true }
            }
        }
        return result
    }

    @Test(
        "agrees with the dense view on evasions, expansions, digits, repeats and clues",
        arguments: [
            "", "😀😀!!", "傻@#￥%逼", "傻 逼", "法✨轮功", "加 V 信", "加\u{200B}微\u{200D}信\u{FEFF}号",
            "①2③4", "⑸㈤㊄", "一二三", "壹贰", "Ⓕⓤc⒦", "asshole", "说你傻傻傻逼", "电话⑩号 ㎏", "🅰🅱 𝐀𝐁",
            "加微信轉賬", "ＷＥＣＨＡＴ１２３", "1111 2222", "me@example.com.", "𠀀𠀀𠀁", "a\u{0301}b", "\t\n",
        ])
    func agrees(text: String) {
        #expect(scan(text) == expected(text), "\(text)")
    }

    @Test("agrees with the dense view on random mixes of tricky characters")
    func random() {
        let pieces = Array("加微信vV①⑩㎏一二1１@.。 ，!😀\u{200B}傻傻𠀀轉ＡaÅ") + ["\u{FE0F}", "🅰"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in pieces.randomElement(using: &rng)! })
            #expect(scan(text) == expected(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("agrees with the dense view on real conversation lines in ../shared/data")
    func realLines() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/corpus/lccc/lccc_toy_utterances.despaced.txt").standardized
            .path
        guard let content = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("skipped: \(path) is missing (../shared/data is not beside this clone)")
            return
        }
        var checked = 0
        for line in content.split(separator: "\n").prefix(5_000) {
            let text = String(line)
            #expect(scan(text) == expected(text), "\(text)")
            checked += 1
        }
        #expect(checked == 5_000)
    }
}
