import Foundation
import Testing

/// Issue 16: the daemon, `scan` and `rules test --file` run one batch path, so one input gives
/// one set of alerts, content rules and rules over time alike.
@Suite("End to end: one batch path", .serialized)
struct OnePathTests {
    @Test("the sample archive through the daemon, scan and rules test --file: the same alert ids")
    func threePaths() throws {
        let state = StateDir()
        // The sample archive as one file in time order, every line complete (the daemon waits
        // for a newline; the others would read a last line without one).
        var lines: [(Int64, String)] = []
        for name in ["msgarchive-2026-11-20.jsonl", "msgarchive-2026-11-21.jsonl"] {
            let text = try String(contentsOfFile: Binary.root + "/samples/archive/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let time =
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["msgtime"] as? Int64
                    ?? 0
                lines.append((time, String(line)))
            }
        }
        let ordered = lines.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(
            \.element.1)
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        let input = state.path + "/archive/one.jsonl"
        try (ordered.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)

        // scan
        let scanned = try Binary.run(["scan", "--state-dir", state.path + "/scan", "--format", "json", input])
        let byScan = Set(try Binary.jsonLines(scanned.stdout).map { $0["id"] as! String })
        #expect(byScan.count > 20, "\(scanned.stderr)")

        // rules test --file
        let tested = try Binary.run(["rules", "test", "--format", "json", "--file", input])
        let byTest = Set(
            try Binary.jsonLines(tested.stdout).filter { $0["kind"] as? String == "alert" }.map { $0["id"] as! String })

        // the daemon
        let config = try writeDaemonConfig(state, watch: input)
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        let env = ["CHATWARDEN_STATE_DIR": state.path + "/state"]
        #expect(
            try eventually(timeout: 60) {
                let stats = try Binary.jsonLines(Binary.run(["stats", "--format", "json"], environment: env).stdout)
                let messages = stats.first { $0["key"] as? String == "messages" }?["count"] as? Int ?? 0
                let quarantined = stats.first { $0["key"] as? String == "quarantined" }?["count"] as? Int ?? 0
                return messages + quarantined == ordered.count
            }, "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        let byDaemon = Set(
            try Binary.jsonLines(
                Binary.run(["alerts", "list", "--format", "json", "--limit", "100000"], environment: env).stdout
            ).map { $0["id"] as! String })

        #expect(
            byTest == byScan,
            "rules test --file: \(byTest.subtracting(byScan).count) extra, \(byScan.subtracting(byTest).count) missing")
        #expect(
            byDaemon == byScan,
            "daemon: \(byDaemon.subtracting(byScan).count) extra, \(byScan.subtracting(byDaemon).count) missing")
        let rules = Set(try Binary.jsonLines(scanned.stdout).map { $0["rule"] as! String })
        #expect(
            rules.contains { $0.hasPrefix("window.") } && rules.contains("luring"),
            "content rules and rules over time: \(rules)")
    }
}
