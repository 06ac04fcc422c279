import Foundation
import Testing
import Support
import TestSupport

/// Two daemons, each following its own archive shard, writing one PostgreSQL store.
@Suite("End to end: several daemons on one PostgreSQL", .serialized)
struct SharedStoreTests {
    static let base: Int64 = 1_795_136_400_000
    /// The same advertisement, sent by one staff member to three customers archived on each host.
    static let advert = "新品上市欢迎到店体验，本周六下午两点开始，地址见海报，扫码报名送精美礼品一份"

    /// A shard's line `i`: staff and customer of this shard talking one-to-one, one message a
    /// second (the texts of ``ArchiveLines``, every fifth or so a violation).
    static func line(_ shard: String, _ i: Int) -> String {
        let text = ArchiveLines.texts[i % ArchiveLines.texts.count]
        let staff = "zhangwei" + shard, customer = "wmCustomer0000000000" + shard
        let (from, to) = i % 2 == 0 ? (staff, customer) : (customer, staff)
        return message("\(shard)\(i)", from: from, to: to, time: base + Int64(i) * 1000, text: text)
    }

    static func message(_ id: String, from: String, to: String, time: Int64, text: String) -> String {
        #"{"msgid":"\#(id)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(time),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    /// The blast's lines on a shard, sent just after line `i` (in time): shard a at 0, 2, 4 s
    /// past it, shard b at 1, 3, 5 s — five conversations are needed, each shard has three.
    static func blast(_ shard: String, after i: Int) -> String {
        (0..<3).map { k in
            let offset = Int64(2 * k + (shard == "a" ? 0 : 1)) * 1000 + 500
            return message(
                "blast-\(shard)\(k)", from: "lisi", to: "wmBlast\(shard)\(k)0000000000000",
                time: base + Int64(i) * 1000 + offset, text: advert) + "\n"
        }.joined()
    }

    func storeIDs(_ url: String) throws -> [String: [String: Any]] {
        let lines = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--store", url, "--format", "json", "--limit", "1000000"]).stdout)
        var byID: [String: [String: Any]] = [:]
        for alert in lines { byID[alert["id"] as! String] = alert }
        #expect(byID.count == lines.count, "alerts list repeated an alert")
        return byID
    }

    func messageCount(_ url: String) throws -> Int {
        let stats = try Binary.jsonLines(Binary.run(["stats", "--store", url, "--format", "json"]).stdout)
        return stats.first { $0["key"] as? String == "messages" }?["count"] as? Int ?? -1
    }

    @Test(
        "two daemons on two shards, one killed -9 again and again: no alert lost or doubled, the cross-shard blast found once"
    )
    func twoDaemonsOneKilled() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let url = try server.createDatabase()
        let seed =
            UInt64(ProcessInfo.processInfo.environment["CHATWARDEN_CRASH_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64.max)
        var rng = SplitMix(seed: seed)
        let state = StateDir()
        var written = ["a": 0, "b": 0]
        var rotations = ["a": 0, "b": 0]
        let total = 2400, blastAt = 1200
        for shard in ["a", "b"] {
            try FileManager.default.createDirectory(
                atPath: state.path + "/archive-\(shard)", withIntermediateDirectories: true)
        }

        /// Appends the next lines of a shard (the blast in its place), sometimes rotating.
        func writeSome(_ shard: String) {
            let directory = state.path + "/archive-\(shard)"
            var text = ""
            let start = written[shard]!
            let end = min(total, start + Int.random(in: 50...250, using: &rng))
            for i in start..<end {
                text += Self.line(shard, i) + "\n"
                if i == blastAt { text += Self.blast(shard, after: i) }
            }
            written[shard] = end
            ArchiveLines.append(directory + "/chat.jsonl", text)
            if Int.random(in: 0..<4, using: &rng) == 0 {
                rotations[shard]! += 1
                rename(directory + "/chat.jsonl", directory + "/chat.jsonl.\(rotations[shard]!)")
            }
        }

        func start(_ shard: String) throws -> DaemonProcess {
            try DaemonProcess(
                arguments: [
                    "--store", url, "--name", "shard-\(shard)", "--state-dir", state.path + "/daemon-\(shard)",
                    "--watch", state.path + "/archive-\(shard)/*.jsonl*",
                ],
                logPath: state.path + "/daemon-\(shard).log")
        }

        let b = try start("b")
        defer { if b.process.isRunning { b.signal(SIGKILL) } }
        var kills = 0
        while written["a"]! < total || written["b"]! < total {
            writeSome("b")
            writeSome("a")
            let a = try start("a")
            usleep(UInt32.random(in: 100_000...900_000, using: &rng))
            if Bool.random(using: &rng) { writeSome("a") }
            usleep(UInt32.random(in: 0...300_000, using: &rng))
            a.signal(SIGKILL)
            _ = a.wait()
            kills += 1
        }
        // The last daemon a catches up and both stop cleanly.
        let a = try start("a")
        let expectedMessages = 2 * total + 6
        var indexed = -1
        var lastProgress = Date()
        while Date().timeIntervalSince(lastProgress) < 60 && indexed != expectedMessages {
            let now = try messageCount(url)
            if now != indexed { lastProgress = Date() }
            indexed = now
            usleep(500_000)
        }
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.wait() == 0, "daemon a: \(a.log.suffix(2000))")
        #expect(b.wait() == 0, "daemon b: \(b.log.suffix(2000))")
        #expect(indexed == expectedMessages, "indexed \(indexed) of \(expectedMessages) messages (seed \(seed))")
        #expect(a.log.contains("daemon=shard-a"), "daemon a says which name it runs under")

        // Reference: each shard scanned on its own (SQLite), which cannot see the cross-shard blast.
        var reference = Set<String>()
        for shard in ["a", "b"] {
            let scanned = try Binary.jsonLines(
                Binary.run([
                    "scan", "--state-dir", state.path + "/reference-\(shard)", "--format", "json",
                    state.path + "/archive-\(shard)",
                ]).stdout)
            #expect(!scanned.contains { $0["rule"] as? String == "window.blast" }, "one shard alone holds no blast")
            reference.formUnion(scanned.map { $0["id"] as! String })
        }
        let stored = try storeIDs(url)
        let lost = reference.subtracting(stored.keys)
        let extra = Set(stored.keys).subtracting(reference)
        #expect(!reference.isEmpty)
        #expect(lost.isEmpty, "\(lost.count) of \(reference.count) alerts lost (seed \(seed), \(kills) kills)")
        // Exactly one alert more than the shards alone: the blast across them.
        #expect(extra.count == 1, "extra alerts: \(extra.map { stored[$0]?["rule"] ?? $0 }) (seed \(seed))")
        let blasts = stored.values.filter { $0["rule"] as? String == "window.blast" }
        #expect(blasts.count == 1)
        if let blast = blasts.first {
            let related = blast["related"] as? [String] ?? []
            #expect(
                related.contains { $0.hasPrefix("blast-a") } && related.contains { $0.hasPrefix("blast-b") },
                "\(related)")
            #expect(extra.contains(blast["id"] as! String))
        }

        // Each daemon's alert log holds each alert of its shard exactly once.
        for shard in ["a", "b"] {
            let logged = try Binary.jsonLines(
                String(contentsOfFile: state.path + "/daemon-\(shard)/alerts.jsonl", encoding: .utf8)
            )
            .map { $0["id"] as! String }
            #expect(logged.count == Set(logged).count, "shard \(shard): alert log lines repeated (seed \(seed))")
        }
        let loggedA = try Binary.jsonLines(
            String(contentsOfFile: state.path + "/daemon-a/alerts.jsonl", encoding: .utf8)
        ).map { $0["id"] as! String }
        let loggedB = try Binary.jsonLines(
            String(contentsOfFile: state.path + "/daemon-b/alerts.jsonl", encoding: .utf8)
        ).map { $0["id"] as! String }
        #expect(
            Set(loggedA).union(loggedB) == Set(stored.keys),
            "the two alert logs together hold every alert (seed \(seed))")
        #expect(Set(loggedA).isDisjoint(with: loggedB), "no alert is logged by both daemons (seed \(seed))")
        print(
            "shared store test: \(kills) kills of daemon a, \(expectedMessages) messages, \(stored.count) alerts, seed \(seed)"
        )
    }
}

/// A daemon's name in a shared store is its own, even across a lost connection.
@Suite("End to end: daemon names in a shared store", .serialized)
struct DaemonNameTests {
    @Test("a second daemon under a taken name is refused; one that lost its connection and its name to another stops")
    func names() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let url = try server.createDatabase()
        let database = String(url.split(separator: "/").last!)
        let state = StateDir()
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        func start(_ log: String) throws -> DaemonProcess {
            try DaemonProcess(
                arguments: [
                    "--store", url, "--name", "host-1", "--state-dir", state.path + "/state", "--watch",
                    state.path + "/archive/*.jsonl",
                ],
                logPath: state.path + "/" + log)
        }
        let first = try start("first.log")
        defer { if first.process.isRunning { first.signal(SIGKILL) } }
        #expect(eventually { first.log.contains("chatwarden is running") }, "\(first.log)")
        // The same name again: refused after waiting for the holder to go.
        let twin = try start("twin.log")
        #expect(twin.wait(timeout: 30) == 2, "exit 2: \(twin.log)")
        #expect(twin.log.contains("another daemon named 'host-1'"), "\(twin.log)")

        // A connection that drops and comes back keeps the name: the daemon takes it again.
        _ = try server.psql(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        ArchiveLines.append(state.path + "/archive/chat.jsonl", ArchiveLines.line(0) + "\n")
        #expect(
            try eventually { try Binary.run(["context", "m0", "--store", url]).stdout.contains("m0") }, "\(first.log)")
        #expect(first.process.isRunning)

        // Frozen (a long GC pause, a hung NFS read) while its connection dies, the daemon finds
        // on waking that a replacement has taken its name.
        first.signal(SIGSTOP)
        _ = try server.psql(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        let second = try start("second.log")
        defer { if second.process.isRunning { second.signal(SIGKILL) } }
        #expect(eventually { second.log.contains("chatwarden is running") }, "\(second.log)")
        first.signal(SIGCONT)
        // The first notices on its next round and stops with status 1, saying why.
        #expect(first.wait(timeout: 30) == 1, "\(first.log)")
        #expect(first.log.contains("another daemon took this daemon's name"), "\(first.log)")
        #expect(second.process.isRunning)
        second.signal(SIGTERM)
        #expect(second.wait() == 0)
    }
}

/// Notifications from several daemons sharing a store: each channel is delivered by one of them.
@Suite("End to end: notifications from several daemons", .serialized)
struct SharedNotificationTests {
    @Test("two daemons with the same channel: every alert of either shard is delivered exactly once")
    func onceAcrossDaemons() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let url = try server.createDatabase()
        let robot = try RecordingServer()
        let state = StateDir()
        let config = try writeDaemonConfig(
            state, watch: state.path + "/unused/*.jsonl",
            extra: recordingChannel)
        let env = ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(robot.port)/hook"]
        let daemons = try ["a", "b"].map { shard in
            try FileManager.default.createDirectory(
                atPath: state.path + "/archive-\(shard)", withIntermediateDirectories: true)
            return try DaemonProcess(
                arguments: [
                    "--config", config, "--store", url, "--name", "notify-\(shard)", "--state-dir",
                    state.path + "/state-\(shard)",
                    "--watch", state.path + "/archive-\(shard)/*.jsonl",
                ],
                environment: env, logPath: state.path + "/daemon-\(shard).log")
        }
        defer { for d in daemons where d.process.isRunning { d.signal(SIGKILL) } }
        for shard in ["a", "b"] {
            ArchiveLines.append(
                state.path + "/archive-\(shard)/chat.jsonl",
                (0..<40).map { SharedStoreTests.line(shard, $0) }.joined(separator: "\n") + "\n")
        }
        func delivered() -> [String] {
            robot.requests.flatMap { request -> [String] in
                guard let object = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                    let alerts = object["alerts"] as? [[String: Any]]
                else { return [] }
                return alerts.compactMap { $0["id"] as? String }
            }
        }
        #expect(
            eventually(timeout: 30) {
                let ids =
                    (try? Binary.jsonLines(
                        Binary.run(["alerts", "list", "--store", url, "--format", "json", "--limit", "100000"]).stdout))
                    ?? []
                return ids.count >= 2 * 16 && Set(delivered()).count >= ids.count
            }, "delivered \(delivered().count) of the alerts; \(daemons[0].log.suffix(1000))")
        Thread.sleep(forTimeInterval: 2)
        let all = Set(
            try Binary.jsonLines(
                Binary.run(["alerts", "list", "--store", url, "--format", "json", "--limit", "100000"]).stdout
            )
            .map { $0["id"] as! String })
        let ids = delivered()
        #expect(all.count >= 32)
        #expect(Set(ids) == all, "every alert delivered")
        #expect(ids.count == Set(ids).count, "none twice: \(ids.count) deliveries of \(Set(ids).count) alerts")
        for d in daemons { d.signal(SIGTERM) }
        for d in daemons { #expect(d.wait() == 0) }
    }
}

/// The review commands read a PostgreSQL store exactly as they read SQLite.
@Suite("End to end: the review CLI on PostgreSQL", .serialized)
struct ReviewOnPostgresTests {
    @Test("a rescan writes no message again and search reads the normalised text, on SQLite and PostgreSQL")
    func rescanAndSearch() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let state = StateDir()
        for store in [
            ["--state-dir", state.path + "/sqlite"],
            ["--store", try server.createDatabase(), "--state-dir", state.path + "/postgres"],
        ] {
            let first = try Binary.run(["scan", "--quiet"] + store + ["samples/"])
            #expect(first.stderr.contains("442 messages (442 new to the index)"), "\(first.stderr)")
            let again = try Binary.run(["scan", "--quiet"] + store + ["samples/"])
            #expect(again.stderr.contains("442 messages (0 new to the index)"), "\(again.stderr)")
            #expect(again.stderr.contains("(0 new)"), "\(again.stderr)")
            // The sample's one cut line is quarantined once, however often it is scanned.
            let quarantined = try Binary.jsonLines(Binary.run(["quarantine", "--format", "json"] + store).stdout)
            #expect(quarantined.count == 1, "\(quarantined)")
            // The sample that hid 私下转账 with zero-width spaces.
            let hidden = try Binary.jsonLines(Binary.run(["search", "私下转账", "--format", "json"] + store).stdout)
            #expect(hidden.contains { ($0["text"] as? String) == "私\u{200B}下\u{200B}转\u{200B}账更划算" })
        }
    }

    @Test(
        "scan into PostgreSQL, then list, show, search, context, stats, quarantine, export and report: the same answers as SQLite"
    )
    func sameAnswers() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let url = try server.createDatabase()
        let state = StateDir()
        let sqliteStore = ["--state-dir", state.path + "/sqlite"]
        let postgres = ["--store", url]
        for store in [sqliteStore, postgres + ["--state-dir", state.path + "/postgres-scan"]] {
            let scan = try Binary.run(["scan", "--quiet"] + store + ["samples/"])
            #expect(scan.status == 0 || scan.status == 1, "\(scan.stderr)")
        }

        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--limit", "100000"] + sqliteStore).stdout)
        #expect(alerts.count > 10)
        let msgid =
            try Binary.jsonLines(Binary.run(["search", "私人微信", "--format", "json"] + sqliteStore).stdout).first?[
                "msgid"] as? String
        let queries: [[String]] = [
            ["alerts", "list", "--format", "json", "--limit", "100000"],
            ["alerts", "list", "--category", "contact", "--severity", "high"],
            ["alerts", "list", "--format", "csv", "--sender", "zhangwei"],
            ["alerts", "show", alerts[0]["id"] as! String],
            ["search", "私人微信", "--format", "json"],
            ["search", "微信"],
            ["search", "100%"],
            ["context", msgid ?? "none", "--before", "3", "--after", "3", "--format", "json"],
            ["stats", "--format", "json"],
            ["stats"],
            ["quarantine", "--format", "json"],
            ["export"],
        ]
        for query in queries {
            let a = try Binary.run(query + sqliteStore), b = try Binary.run(query + postgres)
            #expect(
                a.status == b.status, "\(query): exit \(a.status) on SQLite, \(b.status) on PostgreSQL: \(b.stderr)")
            #expect(
                !b.stdout.isEmpty || query.contains("quarantine") || query.contains("100%"), "\(query) printed nothing")
            #expect(
                a.stdout == b.stdout,
                "\(query) differs:\nSQLite:\n\(a.stdout.prefix(1500))\nPostgreSQL:\n\(b.stdout.prefix(1500))")
        }

        // The HTML report: the same page apart from the moment it was generated.
        var pages: [String] = []
        for store in [sqliteStore, postgres] {
            let out = state.path + "/report-\(pages.count).html"
            let report = try Binary.run(
                ["report", "--out", out, "--since", "2026-11-01", "--until", "2026-12-01"] + store)
            #expect(report.status == 0, "\(report.stderr)")
            let page = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            pages.append(
                page.replacingOccurrences(
                    of: #"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?( UTC| \+\d{4}| CST)?"#, with: "<time>",
                    options: .regularExpression))
        }
        #expect(pages[0].contains("zhangwei") && pages[0].contains("<svg"), "the report has its staff table and charts")
        #expect(pages[0] == pages[1], "the report differs between SQLite and PostgreSQL")

        // Review actions and their trail.
        let id = alerts[0]["id"] as! String
        let ack = try Binary.run(
            ["alerts", "ack", String(id.prefix(8)), "--note", "called the customer"] + postgres)
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(ack.stdout.contains("new → acknowledged"))
        let show = try Binary.run(["alerts", "show", String(id.prefix(8))] + postgres).stdout
        #expect(show.contains("status: acknowledged") && show.contains("called the customer"))
        let acknowledged = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--status", "acknowledged", "--format", "json"] + postgres).stdout)
        #expect(acknowledged.map { $0["id"] as! String } == [id])
        // The environment variable points the CLI at the store too.
        let viaEnv = try Binary.run(
            ["alerts", "list", "--status", "acknowledged", "--format", "json"], environment: ["CHATWARDEN_STORE": url])
        #expect(try Binary.jsonLines(viaEnv.stdout).map { $0["id"] as! String } == [id])
        // Full-text mode is SQLite's FTS5: on PostgreSQL the trigram index serves plain search.
        let fts = try Binary.run(["search", "--fts", "微信"] + postgres)
        #expect(fts.status != 0 && fts.stderr.contains("PostgreSQL"), "\(fts.stderr)")
    }
}
