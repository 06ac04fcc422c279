import Foundation
import Testing

/// Issue 15, part 1: the daemon lost its writes once a review command ran beside it.
///
/// With a notification channel the daemon opened its own database file a second time (the
/// notifier's store, and an open/close to create the file with its mode). Closing that second
/// descriptor dropped the POSIX locks SQLite held for the daemon's writing connection, so the next
/// review command's close believed it was the last user and deleted the WAL: every later commit
/// went into a deleted file, alerts were in the alert log but not in the store, and after a
/// restart they were logged and delivered twice.
@Suite("End to end: one owner of the store file", .serialized)
struct StoreOwnershipTests {
    func line(_ id: String, _ text: String, _ t: Int) -> String {
        #"{"msgid":"\#(id)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + t * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    /// Five messages that each raise one critical alert (and no other rule).
    func burst(_ round: Int) -> String {
        (0..<5).map { line("r\(round)-\($0)", "货款可以私下转账给我 第\(round)轮第\($0)笔", round * 100 + $0) }.joined(
            separator: "\n") + "\n"
    }

    func logIDs(_ state: StateDir) -> [String] {
        let text = (try? String(contentsOfFile: state.path + "/state/alerts.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        }
    }

    func storeIDs(_ config: String) throws -> [String] {
        let listed = try Binary.run(["alerts", "list", "--config", config, "--format", "json", "--limit", "1000"])
        guard listed.status == 0 else { return [] }
        return try Binary.jsonLines(listed.stdout).compactMap { $0["id"] as? String }
    }

    /// Alert ids in the bodies the webhook received (json channels send each alert's log line).
    func deliveredIDs(_ server: RecordingServer) -> [String] {
        server.requests.flatMap { request -> [String] in
            guard let object = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                let alerts = object["alerts"] as? [[String: Any]]
            else { return [] }
            return alerts.compactMap { $0["id"] as? String }
        }
    }

    /// Descriptors of the daemon that point at a deleted file of its store.
    func deletedStoreFiles(_ pid: Int32) -> [String] {
        let dir = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + $0) }
            .filter { $0.contains("chatwarden.db") && $0.hasSuffix("(deleted)") }
    }

    @Test(
        "daemon with a notification channel, review commands beside it, more input, restart: nothing lost, nothing twice"
    )
    func reviewBesideTheDaemon() throws {
        let server = try RecordingServer()
        let state = StateDir()
        let config = try writeDaemonConfig(
            state, watch: state.path + "/archive/*.jsonl",
            extra: recordingChannel)
        let env = ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(server.port)/hook"]
        let archive = state.path + "/archive/a.jsonl"
        var daemon = try DaemonProcess(
            arguments: ["--config", config], environment: env, logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }

        ArchiveLines.append(archive, burst(1))
        #expect(eventually(timeout: 30) { logIDs(state).count >= 5 }, "first burst logged: \(daemon.log)")
        // Review commands from other processes while the daemon runs (each opens and closes the store).
        for command in [["stats"], ["alerts", "list"], ["search", "私下转账"], ["stats"], ["quarantine"]] {
            let output = try Binary.run(command + ["--config", config])
            #expect(output.status == 0, "\(command): \(output.stderr)")
        }
        #expect(
            deletedStoreFiles(daemon.pid).isEmpty,
            "the daemon writes into a deleted file: \(deletedStoreFiles(daemon.pid))")
        #expect(
            FileManager.default.fileExists(atPath: state.path + "/state/chatwarden.db-wal"), "the WAL is still there")

        // More input after the review commands: it must reach the store, not only the log.
        ArchiveLines.append(archive, burst(2))
        #expect(eventually(timeout: 30) { logIDs(state).count >= 10 })
        #expect(
            try eventually(timeout: 15) { try Set(storeIDs(config)) == Set(logIDs(state)) },
            "the second burst's alerts are in the store")
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)

        // Restart: nothing read again, nothing logged or delivered twice.
        daemon = try DaemonProcess(
            arguments: ["--config", config], environment: env, logPath: state.path + "/daemon.log")
        ArchiveLines.append(archive, burst(3))
        #expect(eventually(timeout: 30) { logIDs(state).count >= 15 })
        #expect(eventually(timeout: 30) { Set(deliveredIDs(server)) == Set(logIDs(state)) })
        Thread.sleep(forTimeInterval: 2)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)

        // 15 critical content alerts, plus the repeated-hits escalations they cause.
        let logged = logIDs(state)
        let stored = try storeIDs(config)
        let delivered = deliveredIDs(server)
        #expect(Set(logged).count >= 15)
        #expect(
            logged.count == Set(logged).count,
            "the alert log holds each id once: \(logged.count) lines, \(Set(logged).count) ids")
        #expect(
            Set(stored) == Set(logged) && stored.count == logged.count,
            "the store holds every logged alert (\(stored.count) in the store)")
        #expect(
            delivered.count == logged.count && Set(delivered) == Set(logged),
            "each alert delivered once: \(delivered.count) deliveries")
    }
}
