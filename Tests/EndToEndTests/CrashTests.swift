import Foundation
import Testing
import Support

/// Kill -9 at random moments while several archive files grow at once (their message times
/// interleave, as when archivers write one file per conversation), rotate (rename) and are
/// copy-truncated; then compare with a clean scan of the same files, content alerts and rules
/// over time alike.
///
/// `CHATWARDEN_CRASH_KILLS` sets the number of kills (default 50; `make crash-test` runs 500).
@Suite("End to end: crash safety", .serialized)
struct CrashTests {
    /// One conversation per file: staff zhangwei and customer k; every fifth text a violation.
    static func line(_ i: Int, file k: Int) -> String {
        let text = ArchiveLines.texts[i % ArchiveLines.texts.count]
        let customer = "wmCrashCustomer0000000000000000\(k)"
        let (from, to) = i % 2 == 0 ? ("zhangwei", customer) : (customer, "zhangwei")
        // 200 ms apart: a burst written while the daemon reads stays well inside the allowed
        // lateness (60 s), as an archiver writing messages as they come does.
        return
            #"{"msgid":"c\#(i)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i) * 200),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    @Test(
        "SIGKILL at random moments, several files written at once, rotations and copytruncate: the same alerts as a clean scan"
    )
    func killNine() throws {
        let kills = Int(ProcessInfo.processInfo.environment["CHATWARDEN_CRASH_KILLS"] ?? "") ?? 50
        let seed =
            UInt64(ProcessInfo.processInfo.environment["CHATWARDEN_CRASH_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64.max)
        var rng = SplitMix(seed: seed)
        let state = StateDir()
        let archive = state.path + "/archive"
        let daemonState = state.path + "/daemon"
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let fileCount = 5
        func current(_ k: Int) -> String { archive + "/chat\(k).jsonl" }
        var written = 0
        var rotations = 0
        var truncations = 0
        var partial = Array(repeating: "", count: fileCount)

        func writeSome() {
            // First the lines left half-written at the end of the last burst.
            for k in 0..<fileCount where !partial[k].isEmpty {
                ArchiveLines.append(current(k), partial[k])
                partial[k] = ""
            }
            // A burst of lines spread over the files, each appended as it is "received".
            for _ in 0..<Int.random(in: 20...300, using: &rng) {
                let k = Int.random(in: 0..<fileCount, using: &rng)
                ArchiveLines.append(current(k), Self.line(written, file: k) + "\n")
                written += 1
            }
            // Sometimes the burst's last line is left half-written until the next burst.
            if Bool.random(using: &rng) {
                let k = Int.random(in: 0..<fileCount, using: &rng)
                let line = Self.line(written, file: k) + "\n"
                written += 1
                let cut = line.index(line.startIndex, offsetBy: Int.random(in: 1..<line.count - 1, using: &rng))
                ArchiveLines.append(current(k), String(line[..<cut]))
                partial[k] = String(line[cut...])
            }
            let k = Int.random(in: 0..<fileCount, using: &rng)
            guard partial[k].isEmpty else { return }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0:
                rotations += 1
                rename(current(k), archive + "/chat\(k).jsonl.\(rotations + truncations)")
            case 1:
                // copytruncate: a copy under a rotated name, then the original emptied in place.
                truncations += 1
                let bytes = FileManager.default.contents(atPath: current(k)) ?? Data()
                FileManager.default.createFile(
                    atPath: archive + "/chat\(k).jsonl.\(rotations + truncations)", contents: bytes)
                truncate(current(k), 0)
            default: break
            }
        }

        // The recommended pattern covers rotated names too, so even a file born and rotated away
        // while the daemon was down is read.
        let arguments = ["--state-dir", daemonState, "--watch", archive + "/*.jsonl*"]
        let log = state.path + "/daemon.log"
        for _ in 0..<kills {
            writeSome()
            let daemon = try DaemonProcess(arguments: arguments, logPath: log)
            usleep(UInt32.random(in: 0...350_000, using: &rng))
            if Bool.random(using: &rng) { writeSome() }
            usleep(UInt32.random(in: 0...150_000, using: &rng))
            daemon.signal(SIGKILL)
            _ = daemon.wait()
        }
        // Finish the archive, let a daemon catch up, stop it cleanly.
        for k in 0..<fileCount where !partial[k].isEmpty { ArchiveLines.append(current(k), partial[k]) }
        let final = try DaemonProcess(arguments: arguments, logPath: log)
        let env = ["CHATWARDEN_STATE_DIR": daemonState]
        // Wait while the daemon makes progress (a long run leaves a long backlog for the debug build).
        var indexed = -1
        var caughtUp = false
        var lastProgress = Date()
        while Date().timeIntervalSince(lastProgress) < 30 {
            let stats = try Binary.jsonLines(Binary.run(["stats", "--format", "json"], environment: env).stdout)
            let now = stats.first { $0["key"] as? String == "messages" }?["count"] as? Int ?? 0
            if now != indexed { lastProgress = Date() }
            indexed = now
            if indexed == written {
                caughtUp = true
                break
            }
            usleep(500_000)
        }
        // Rotated files are let go once quiet: give the daemon its grace period before stopping.
        Thread.sleep(forTimeInterval: 2.5)
        final.signal(SIGTERM)
        #expect(final.wait() == 0)
        #expect(caughtUp, "the daemon indexed \(indexed) of \(written) messages (seed \(seed)); log \(log)")

        // A clean scan of the same files is the reference.
        let reference = try Binary.run(["scan", "--state-dir", state.path + "/reference", "--format", "json", archive])
        func ids(_ rows: [[String: Any]]) -> [String: String] {
            Dictionary(rows.map { ($0["id"] as! String, $0["rule"] as! String) }, uniquingKeysWith: { a, _ in a })
        }
        let expected = ids(try Binary.jsonLines(reference.stdout))
        let stored = ids(
            try Binary.jsonLines(
                Binary.run(["alerts", "list", "--format", "json", "--limit", "1000000"], environment: env).stdout))
        let logged = try Binary.jsonLines(String(contentsOfFile: daemonState + "/alerts.jsonl", encoding: .utf8)).map {
            $0["id"] as! String
        }

        // Compared by rule family: content rules, and the rules over time.
        var summary: [String] = []
        for (family, isFamily) in [
            ("content", { (rule: String) in !rule.hasPrefix("window.") }), ("window", { $0.hasPrefix("window.") }),
        ] {
            let want = Set(expected.filter { isFamily($0.value) }.keys)
            let got = Set(stored.filter { isFamily($0.value) }.keys)
            let lost = want.subtracting(got), extra = got.subtracting(want)
            #expect(
                lost.isEmpty && extra.isEmpty,
                """
                \(family) alerts, store vs clean scan (seed \(seed)): \(lost.count) lost (\(lost.compactMap { expected[$0] }.sorted().prefix(5))), \
                \(extra.count) extra (\(extra.compactMap { stored[$0] }.sorted().prefix(5))) of \(want.count)
                """)
            summary.append("\(want.count) \(family)")
        }
        #expect(expected.values.contains { $0.hasPrefix("window.") }, "the archive raises rules over time")
        let repeated = logged.count - Set(logged).count, missing = Set(expected.keys).subtracting(logged).count
        #expect(repeated == 0, "alert log lines repeated: \(repeated) (seed \(seed))")
        #expect(missing == 0, "alert log lines missing: \(missing) of \(expected.count) (seed \(seed))")
        let quarantine = try Binary.run(["quarantine", "--format", "json"], environment: env).stdout
        #expect(quarantine.isEmpty, "no line was cut by a kill: \(quarantine.prefix(500)) (seed \(seed))")
        print(
            """
            crash test: \(kills) kills, \(fileCount) files written at once, \(written) messages, \(rotations) rotations, \
            \(truncations) copytruncates, alerts \(summary.joined(separator: " + ")), seed \(seed)
            """)
    }
}

/// A seeded generator, so a failing run can be repeated with CHATWARDEN_CRASH_SEED.
typealias SplitMix = SeededGenerator
