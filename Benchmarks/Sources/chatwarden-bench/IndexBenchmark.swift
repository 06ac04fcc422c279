import Alerts
import Archive
import Foundation
import Rules
import Store

/// The archive index and the review queries on a generated archive of real lines: index build
/// rate, search and context latency, alert listing on 100k alerts, database size.
enum IndexBenchmark {
    static func run(data: String, messages total: Int = 1_000_000) throws {
        let archive = try BenchArchive(data: data, total: total)
        let corpus = archive.corpus, staff = archive.staff, categories = BenchArchive.categories
        var rng = SystemRandomNumberGenerator()
        let dir = NSTemporaryDirectory() + "cw-index-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ChatStore(path: dir + "/chatwarden.db")
        print("index: \(total) messages made from \(corpus.count) real lines")
        let (built, alertTime) = try archive.fill(store)
        let batchSize = BenchArchive.batchSize
        let size =
            (try FileManager.default.attributesOfItem(atPath: dir + "/chatwarden.db")[.size] as? NSNumber)?.intValue
            ?? 0
        let walSize =
            (try? FileManager.default.attributesOfItem(atPath: dir + "/chatwarden.db-wal")[.size] as? NSNumber)?
            .intValue ?? 0

        // Queries.
        func timed(_ count: Int, _ body: (Int) throws -> Void) rethrows -> [Double] {
            var times: [Double] = []
            for k in 0..<count {
                let start = Bench.now()
                try body(k)
                times.append((Bench.now() - start) * 1000)
            }
            return times.sorted()
        }
        func substring(_ length: Int) -> String {
            while true {
                let line = Array(corpus[Int.random(in: 0..<corpus.count, using: &rng)])
                guard line.count > length else { continue }
                let start = Int.random(in: 0...(line.count - length), using: &rng)
                let s = String(line[start..<start + length])
                if s.allSatisfy({ !$0.isWhitespace && !$0.isPunctuation }) { return s }
            }
        }
        let queries3 = (0..<200).map { _ in substring(3) }
        let queries4 = (0..<200).map { _ in substring(4) }
        let queries2 = (0..<30).map { _ in substring(2) }
        let filter = AlertFilter(limit: 50)
        let search3 = try timed(queries3.count) { _ = try store.search(queries3[$0], filter: filter) }
        let search4 = try timed(queries4.count) { _ = try store.search(queries4[$0], filter: filter) }
        let search2 = try timed(queries2.count) { _ = try store.search(queries2[$0], filter: filter) }
        let context = try timed(200) { _ in
            _ = try store.context(msgid: "bench-\(Int.random(in: 0..<total, using: &rng))", before: 10, after: 10)
        }
        let list = try timed(200) { _ in _ = try store.alerts(AlertFilter(limit: 100)) }
        let listFiltered = try timed(200) { k in
            _ = try store.alerts(
                AlertFilter(
                    category: categories[k % categories.count], minimumSeverity: .high, status: .new, limit: 100))
        }
        let listSender = try timed(200) { _ in
            _ = try store.alerts(AlertFilter(sender: staff[Int.random(in: 0..<staff.count, using: &rng)], limit: 100))
        }

        func row(_ name: String, _ t: [Double], _ aim: String) -> [String] {
            [name, Bench.f(Bench.percentile(t, 50), 2), Bench.f(Bench.percentile(t, 99), 2), aim]
        }
        Bench.table(
            ["query", "p50 ms", "p99 ms", "aim"],
            [
                row("search, 3-character Chinese substrings (bigram index: a phrase)", search3, "< 200 ms"),
                row("search, 4-character Chinese substrings", search4, "< 200 ms"),
                row("search, 2-character substrings (bigram index: one token)", search2, "< 200 ms"),
                row("context, 10 before and 10 after", context, "< 20 ms"),
                row("alerts list (100 newest of 100k)", list, "< 50 ms"),
                row("alerts list --category --severity high --status new", listFiltered, "< 50 ms"),
                row("alerts list --sender", listSender, "< 50 ms"),
            ])
        print(
            "index build: \(Bench.f(Double(total) / built, 0)) messages/s (aim 50,000), \(total) messages in \(Bench.f(built)) s, batches of \(batchSize)"
        )
        print("alerts: \(Bench.f(100_000 / alertTime, 0)) alerts/s written")
        print(
            "database: \(Bench.f(Bench.mb(size))) MB (+ \(Bench.f(Bench.mb(walSize))) MB WAL) for \(total) messages and 100k alerts; \(Bench.f(Double(size) / Double(total))) bytes per message"
        )
    }
}
