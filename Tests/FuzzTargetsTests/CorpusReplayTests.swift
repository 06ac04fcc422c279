import Foundation
import Testing
import FuzzTargets

/// Every input the fuzzers keep (Fuzz/Corpus) and every crash they ever found (Fuzz/Crashes)
/// runs through the same targets on every `make test`: a crash found once stays fixed.
@Suite("Fuzz corpus and crash regressions")
struct CorpusReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz")
        .standardized.path

    static func files(_ kind: String) -> [String] {
        var result: [String] = []
        for dir in ["Corpus/\(kind)", "Crashes"] {
            let path = fuzz + "/" + dir
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            for name in names.sorted()
            where !name.hasPrefix(".") && (dir.hasPrefix("Corpus") || name.hasPrefix(kind + "-")) {
                result.append(path + "/" + name)
            }
        }
        return result
    }

    static func replay(_ kind: String, _ target: (UnsafeBufferPointer<UInt8>) -> Void) throws -> Int {
        let files = files(kind)
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            data.withUnsafeBytes { target($0.bindMemory(to: UInt8.self)) }
        }
        return files.count
    }

    @Test("decoder inputs") func decoder() throws { #expect(try Self.replay("decoder", FuzzTargets.decoder) > 0) }
    @Test("normaliser and detection inputs") func normalizer() throws {
        #expect(try Self.replay("normalizer", FuzzTargets.normalizer) > 0)
    }
    @Test("wordlist inputs") func wordlist() throws { #expect(try Self.replay("wordlist", FuzzTargets.wordlist) > 0) }
    @Test("configuration inputs") func config() throws { #expect(try Self.replay("config", FuzzTargets.config) > 0) }
    @Test("image inputs") func image() throws { #expect(try Self.replay("image", FuzzTargets.image) > 0) }
}
