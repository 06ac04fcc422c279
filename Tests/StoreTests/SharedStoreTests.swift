import Foundation
import Testing
@testable import Alerts
@testable import Archive
@testable import Store
import Ingest
import TestSupport
import Synchronization
import Detect

/// What only a store shared by several daemons (PostgreSQL) has to get right.
@Suite("Store: shared by several daemons")
struct SharedStoreTests {
    /// A second store object on the same database, as another daemon would open it.
    func another(_ temp: TempStore, daemon: String) throws -> ChatStore {
        try ChatStore(path: temp.location, daemon: daemon)
    }

    @Test("URLs: user, password, host, port, database, socket directory, sslmode; the password never printed")
    func urls() throws {
        let full = try PostgresLocation(
            url: "postgres://cw:s%40cret@db.example.com:6543/archive?sslmode=require", environment: [:])
        #expect(full.user == "cw" && full.password == "s@cret" && full.host == "db.example.com" && full.port == 6543)
        #expect(full.database == "archive" && full.sslMode == "require" && full.socketPath == nil)
        #expect(full.redacted == "postgres://cw:***@db.example.com:6543/archive")
        #expect(!full.redacted.contains("cret"))

        // Defaults: user from PGUSER, password from PGPASSWORD, database named after the user,
        // TLS preferred off the loopback and off on it.
        let bare = try PostgresLocation(
            url: "postgresql://db.internal", environment: ["PGUSER": "audit", "PGPASSWORD": "pw"])
        #expect(
            bare.user == "audit" && bare.password == "pw" && bare.database == "audit" && bare.port == 5432
                && bare.sslMode == "prefer")
        #expect(try PostgresLocation(url: "postgres://u@127.0.0.1/db", environment: [:]).sslMode == "disable")

        let socket = try PostgresLocation(url: "postgres://u@localhost/db?host=/run/postgresql", environment: [:])
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(socket.redacted == "postgres://u@localhost:5432/db?host=/run/postgresql")

        for bad in [
            "postgres://u@h/db?sslmode=sometimes", "postgres://u@h/db?application=x", "postgres://u:pw@h:notaport/db",
        ] {
            do {
                _ = try PostgresLocation(url: bad, environment: [:])
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.description.contains(":pw@"), "the password is not repeated in errors: \(error)")
            }
        }
    }

    @Test("a server that is not there: a clear error naming the store, without the password")
    func unreachable() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        // A port nothing listens on: the test server's port plus one is very likely free, and if
        // not the database name does not exist either.
        let url = "postgres://chatwarden:topsecret@127.0.0.1:\(server.port + 1)/nowhere"
        do {
            _ = try ChatStore(path: url, daemon: "x")
            Issue.record("opened a store on a closed port")
        } catch {
            #expect(error.description.contains("127.0.0.1:\(server.port + 1)/nowhere"), "\(error)")
            #expect(!error.description.contains("topsecret"))
        }
    }

    @Test(
        "a database whose LC_CTYPE ignores Chinese characters is reported (pg_trgm would have no trigrams); searches still work"
    )
    func characterClassification() throws {
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        let good = try ChatStore(path: try server.createDatabase(), daemon: "a")
        defer { good.close() }
        #expect(good.setupWarnings().isEmpty)
        let plainC = try ChatStore(path: try server.createDatabase(ctype: "C"), daemon: "a")
        defer { plainC.close() }
        let warnings = plainC.setupWarnings()
        #expect(warnings.count == 1 && warnings[0].contains("LC_CTYPE"), "\(warnings)")
        var batch = RecordBatch()
        batch.messages = [message("m1", "加我微信详聊", time: 1)]
        try plainC.record(batch)
        #expect(try plainC.search("微信详", filter: AlertFilter()).map(\.message.msgid) == ["m1"])
        #expect(try TempStore(.sqlite).store.setupWarnings().isEmpty)
    }

    @Test("checkpoints, window state and unlogged alerts are each daemon's own")
    func perDaemon() throws {
        let temp = try TempStore(.postgres, daemon: "host-a")
        let b = try another(temp, daemon: "host-b")
        defer { b.close() }
        var batchA = RecordBatch()
        batchA.checkpoints = [
            Checkpoint(
                source: "chat", path: "/a/chat.jsonl", device: 1, inode: 2, fingerprint: "fa", offset: 10, line: 1)
        ]
        batchA.windowUpserts = [WindowStateRow(key: "f|x|zhangwei", data: "{}", lastTouched: 0)]
        let m = message("a1", "加微信", time: 1000)
        batchA.messages = [m]
        batchA.alerts = [alert(for: m)]
        try temp.store.record(batchA)
        var batchB = RecordBatch()
        batchB.checkpoints = [
            Checkpoint(
                source: "chat", path: "/b/chat.jsonl", device: 3, inode: 4, fingerprint: "fb", offset: 77, line: 9)
        ]
        try b.record(batchB)

        // The same source name on two hosts: two checkpoints.
        #expect(try temp.store.checkpoints().map(\.offset) == [10])
        #expect(try b.checkpoints().map(\.offset) == [77])
        #expect(try temp.store.windowState().map(\.0) == ["f|x|zhangwei"])
        #expect(try b.windowState().isEmpty)
        // Each daemon confirms its own alerts in its own alert log.
        #expect(try temp.store.unloggedAlerts().map(\.id) == [alert(for: m).id])
        #expect(try b.unloggedAlerts().isEmpty)
        // Removing b's checkpoint leaves a's.
        var removal = RecordBatch()
        removal.removedCheckpoints = ["chat"]
        try b.record(removal)
        #expect(try temp.store.checkpoints().count == 1)
    }

    @Test("a named lock is held by one store object at a time and released when it closes")
    func locks() throws {
        let temp = try TempStore(.postgres, daemon: "host-a")
        let second = try another(temp, daemon: "host-a")
        #expect(try temp.store.tryLock("chatwarden-daemon:host-a"))
        #expect(try temp.store.tryLock("chatwarden-daemon:host-a"), "taking a lock one holds again is fine")
        #expect(try !second.tryLock("chatwarden-daemon:host-a"))
        #expect(try second.tryLock("chatwarden-daemon:host-b"))
        temp.store.close()
        #expect(try eventuallyTrue { try second.tryLock("chatwarden-daemon:host-a") })
        second.close()
    }

    @Test("concurrent writers recording the same alerts: each alert is new to exactly one of them")
    func racingWriters() throws {
        let temp = try TempStore(.postgres, daemon: "host-a")
        let stores = [temp.store] + (try (0..<3).map { try another(temp, daemon: "host-\($0)") })
        defer { stores.dropFirst().forEach { $0.close() } }
        let messages = (0..<400).map { message("r\($0)", "加微信 \($0)", time: 1000 + Int64($0)) }
        let results = Mutex<[[String]]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { i in
            var inserted: [String] = []
            // Each writer replays the whole set in its own order of batches of 50.
            let order = Array(stride(from: 0, to: messages.count, by: 50)).shuffled()
            for start in order {
                var batch = RecordBatch()
                batch.messages = Array(messages[start..<start + 50])
                batch.alerts = batch.messages.map { alert(for: $0) }
                inserted += (try? stores[i].record(batch).map(\.id)) ?? ["failed"]
            }
            results.withLock { $0.append(inserted) }
        }
        let all = results.withLock { $0 }.flatMap { $0 }
        #expect(!all.contains("failed"))
        #expect(all.count == messages.count, "each alert reported new once in all: \(all.count)")
        #expect(Set(all).count == messages.count)
        let counts = try temp.store.counts()
        #expect(counts.messages == messages.count && counts.alerts == messages.count)
    }

    @Test("shared window keys: created, locked and handed over in the transaction; another writer waits its turn")
    func sharedWindowKeys() throws {
        let temp = try TempStore(.postgres, daemon: "host-a")
        let b = try another(temp, daemon: "host-b")
        defer { b.close() }
        // First writer: no state yet.
        try temp.store.record(sharedKeys: ["b|1", "b|2"]) { states in
            #expect(states.map(\.0) == ["b|1", "b|2"] && states.allSatisfy { $0.1.isEmpty })
            var batch = RecordBatch()
            batch.sharedWindowUpserts = [WindowStateRow(key: "b|1", data: #"{"l":5}"#, lastTouched: 5)]
            return batch
        }
        // A second writer sees it; while it holds the keys, a third waits for them.
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let seenByThird = Mutex<[(String, String)]>([])
        DispatchQueue.global().async {
            _ = try? b.record(sharedKeys: ["b|1"]) { states in
                #expect(states.first?.1 == #"{"l":5}"#)
                entered.signal()
                release.wait()
                var batch = RecordBatch()
                batch.sharedWindowUpserts = [WindowStateRow(key: "b|1", data: #"{"l":9}"#, lastTouched: 9)]
                return batch
            }
        }
        entered.wait()
        let third = try another(temp, daemon: "host-c")
        defer { third.close() }
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? third.record(sharedKeys: ["b|1"]) { states in
                seenByThird.withLock { $0 = states }
                return RecordBatch()
            }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.5) == .timedOut, "the third writer waits for the key")
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seenByThird.withLock { $0.first?.1 } == #"{"l":9}"#, "and then sees what the second committed")
        // Local window state is untouched by shared keys, and old shared state expires.
        #expect(try temp.store.windowState().isEmpty)
        try temp.store.expireSharedWindows(before: 7)
        try temp.store.record(sharedKeys: ["b|1", "b|2"]) { states in
            #expect(states.first { $0.0 == "b|1" }?.1 == #"{"l":9}"#, "9 is not before 7: kept")
            #expect(states.first { $0.0 == "b|2" }?.1 == "", "the empty row was dropped and is created again")
            return RecordBatch()
        }
    }
}

/// Polls `condition` for up to five seconds (a closed connection's locks go when the server
/// notices).
func eventuallyTrue(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<100 {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
