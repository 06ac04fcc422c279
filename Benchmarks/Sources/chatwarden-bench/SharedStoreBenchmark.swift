import Foundation
import Store
import TestSupport

/// Several daemons writing one PostgreSQL store: messages indexed and alerts written per second
/// with 1, 2 and 4 daemons, each following its own shard of one archive (a backlog read as fast
/// as it goes), against a PostgreSQL server started for the run (Debian's `postgresql`, the same
/// harness as the tests). One daemon on SQLite is the baseline.
enum SharedStoreBenchmark {
    static func run(binary: String, data: String, messages total: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no chatwarden binary at \(binary) (make release first, or set CHATWARDEN_BIN)")
        }
        guard let server = PostgresServer.shared else {
            throw BenchError("PostgreSQL: \(PostgresServer.failure ?? "")")
        }
        let corpus = [
            data + "/corpus/lccc/lccc_toy_utterances.despaced.txt",
            data + "/corpus/kdconv/kdconv_dev_test_utterances.txt",
        ]
        .flatMap(Bench.lines)
        guard !corpus.isEmpty else { throw BenchError("no corpus under \(data)") }
        let dir = NSTemporaryDirectory() + "cw-shared-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        print(
            "shared store: \(total) messages of real chat lines (one in five a planted violation), PostgreSQL \(server.version) on loopback, fsync off"
        )

        var rows: [[String]] = []
        for (label, daemons, postgres) in [
            ("SQLite, 1 daemon", 1, false), ("PostgreSQL, 1 daemon", 1, true),
            ("PostgreSQL, 2 daemons", 2, true), ("PostgreSQL, 4 daemons", 4, true),
        ] {
            let run = dir + "/\(daemons)-\(postgres)"
            let store = postgres ? try server.createDatabase() : run + "/store.db"
            // The archive, split into one shard per daemon (each shard its own staff and customers).
            for shard in 0..<daemons {
                try FileManager.default.createDirectory(
                    atPath: run + "/shard\(shard)", withIntermediateDirectories: true)
                var text = ""
                text.reserveCapacity(total / daemons * 250)
                for i in stride(from: shard, to: total, by: daemons) { text += line(i, shard: shard, corpus: corpus) }
                try text.write(toFile: run + "/shard\(shard)/chat.jsonl", atomically: false, encoding: .utf8)
            }
            let start = Bench.now()
            let processes = try (0..<daemons).map { shard in
                try Bench.daemon(
                    binary: binary,
                    [
                        "--store", store, "--name", "bench\(shard)", "--state-dir", run + "/state\(shard)",
                        "--watch", run + "/shard\(shard)/*.jsonl",
                    ])
            }
            defer { for p in processes where p.isRunning { p.terminate(); p.waitUntilExit() } }
            var counts = (messages: 0, alerts: 0)
            var reader: ChatStore? = nil
            defer { reader?.close() }
            let deadline = start + 1800
            while Bench.now() < deadline {
                usleep(250_000)
                counts = count(store, reader: &reader)
                if counts.messages >= total { break }
            }
            let seconds = Bench.now() - start
            guard counts.messages >= total else {
                throw BenchError("\(label): \(counts.messages) of \(total) indexed in 30 min")
            }
            rows.append([
                label, Bench.f(seconds), "\(Int(Double(counts.messages) / seconds))",
                "\(Int(Double(counts.alerts) / seconds))",
                "\(counts.alerts)",
            ])
            print("  \(label): \(Bench.f(seconds)) s")
        }
        Bench.table(["store", "seconds", "messages indexed/s", "alerts written/s", "alerts"], rows)
        print("(time from the daemons' start until every message is in the store, start-up included)")
    }

    static let base: Int64 = 1_795_136_400_000
    static let violations = ["亲，这边说话不方便，加我微信详聊", "保本保息，稳赚不赔，私下转账给我", "我手机 138 0013 8000 打给我"]

    static func line(_ i: Int, shard: Int, corpus: [String]) -> String {
        let text = i % 5 == 0 ? violations[i / 5 % violations.count] + "，第\(i)号" : corpus[i % corpus.count]
        let staff = "staff\(shard)x\(i / 7 % 50)"
        let customer = "wmCustomer" + String(format: "%02d%010d", shard, i / 3 % 5_000) + "0000000000"
        let (from, to) = i % 2 == 0 ? (staff, customer) : (customer, staff)
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return
            #"{"msgid":"s\#(shard)-\#(i)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(base + Int64(i) * 100),"msgtype":"text","text":{"content":"\#(escaped)"}}"#
            + "\n"
    }

    /// Messages and alerts in the store now (opened once the daemon has created it).
    static func count(_ location: String, reader: inout ChatStore?) -> (messages: Int, alerts: Int) {
        if reader == nil && (location.hasPrefix("postgres") || FileManager.default.fileExists(atPath: location)) {
            reader = try? ChatStore(path: location, daemon: "bench-reader")
        }
        guard let counts = try? reader?.counts() else { return (0, 0) }
        return (counts.messages, counts.alerts)
    }
}
