import Foundation
import Testing

/// Dry runs (issue 20) on the built binary: a draft with one added word lists exactly the alerts
/// that word creates on the sample archive, and nothing is written to the store.
@Suite("End to end: rules diff", .serialized)
struct RulesDiffTests {
    @Test("an added word: exactly its alerts are new; a removed category: its alerts are gone; the store untouched")
    func dryRun() throws {
        let state = StateDir()
        let draft = state.path + "/draft"
        try FileManager.default.copyItem(atPath: Binary.root + "/wordlists", toPath: draft)
        let luring = draft + "/luring.txt"
        try (try String(contentsOfFile: luring, encoding: .utf8) + "\n售后同事\n").write(
            toFile: luring, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: draft + "/abuse.txt")

        // What the word must catch: every sample message whose text holds it.
        var expected = Set<String>()
        for file in ["msgarchive-2026-11-20.jsonl", "msgarchive-2026-11-21.jsonl"] {
            let text = try String(contentsOfFile: Binary.root + "/samples/archive/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let content = (object["text"] as? [String: Any])?["content"] as? String, content.contains("售后同事")
                else { continue }
                expected.insert(object["msgid"] as! String)
            }
        }
        #expect(!expected.isEmpty)

        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let result = try Binary.run(
            ["rules", "diff", "--draft", draft, "--format", "json", "samples/"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let changes = try Binary.jsonLines(result.stdout)
        let new = changes.filter { $0["change"] as? String == "new" }
        #expect(Set(new.compactMap { $0["msgid"] as? String }) == expected)
        #expect(new.allSatisfy { $0["rule"] as? String == "luring" })
        let gone = changes.filter { $0["change"] as? String == "gone" }
        #expect(!gone.isEmpty && gone.allSatisfy { $0["category"] as? String == "abuse" }, "\(gone)")
        #expect(!FileManager.default.fileExists(atPath: state.path + "/chatwarden.db"), "nothing was written")

        let table = try Binary.run(["rules", "diff", "--draft", draft, "samples/"], environment: env)
        #expect(table.stdout.contains("\(expected.count) alert(s) new, \(gone.count) gone"), "\(table.stdout)")
    }
}
