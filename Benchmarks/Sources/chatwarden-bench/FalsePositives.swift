import Detect
import Foundation
import Rules

/// The contact detectors over real conversation text, which holds (almost) no contact details:
/// every hit is a candidate false positive, printed with samples to be judged.
enum FalsePositives {
    static func run(data: String) throws {
        let files = [
            data + "/corpus/lccc/lccc_toy_utterances.despaced.txt",
            data + "/corpus/kdconv/kdconv_dev_test_utterances.txt",
            data + "/corpus/subtitles/dgk_subtitles_zh_lines.txt",
        ]
        let lines = files.flatMap(Bench.lines)
        let detector = ContentDetector(rules: RuleSet(), detectors: try ContactDetectors.make())
        let scratch = DetectorScratch()
        var hits: [String: [String]] = [:]
        var withDigits = 0
        for line in lines {
            if line.contains(where: { $0.isNumber }) { withDigits += 1 }
            for finding in detector.detect(text: line, senderKind: nil, isGroup: nil, scratch: scratch).findings {
                hits[finding.rule, default: []].append(line)
            }
        }
        print("contact detectors on \(lines.count) real conversation lines (\(withDigits) with a digit or numeral):")
        for id in ContactDetectors.allIDs {
            let found = hits[id] ?? []
            let rate = Double(found.count) / Double(lines.count) * 1_000_000
            print("  \(id): \(found.count) hits = \(Bench.f(rate)) per million lines")
            for sample in found.prefix(8) { print("      \(sample.prefix(80))") }
        }
    }
}
