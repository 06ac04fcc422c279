import Foundation
import Store

/// Issue 18: a rescan and a first scan of real messages as WeCom JSON lines, beside what the
/// same machine does with the same file in the same run — `jq` only extracting the text, and
/// SQLite alone (rows + an FTS5 trigram index, from Python, scripts/sqlite-baseline.py) — then
/// search latency by query length on the store the scan built, and the scan's peak memory.
enum RescanBenchmark {
    static func run(binary: String, data: String, large: Int) throws {
        let spam = spamTexts(data)
        guard !spam.isEmpty else { throw BenchError("no spam corpus under \(data)/spam") }
        let corpus =
            spam
            + [
                data + "/corpus/lccc/lccc_toy_utterances.despaced.txt",
                data + "/corpus/kdconv/kdconv_dev_test_utterances.txt",
                data + "/corpus/subtitles/dgk_subtitles_zh_lines.txt",
            ].flatMap(Bench.lines)
        let dir = NSTemporaryDirectory() + "cw-rescan-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, texts, count) in [
            ("the spam corpus", spam, spam.count), ("real lines, repeated", corpus, large),
        ] {
            let file = dir + "/archive-\(count).jsonl"
            try write(texts, count: count, to: file)
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
            print("\n\(count) messages (\(name)), \(Bench.f(Bench.mb(size))) MB of WeCom JSON lines")
            try measure(binary: binary, file: file, count: count, texts: texts, state: dir + "/state-\(count)")
        }
    }

    static func measure(binary: String, file: String, count: Int, texts: [String], state: String) throws {
        let jq = Bench.shell("jq -r .text.content '\(file)' > /dev/null")
        let baselineOutput = Bench.output("python3 scripts/sqlite-baseline.py '\(file)' 2>&1")
        let baseline = baselineOutput.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
        if baseline.count != 3 { print("SQLite alone failed: \(baselineOutput)") }
        let scan = "'\(binary)' scan --quiet --state-dir '\(state)' '\(file)'"
        let first = timedWithPeakMemory(scan)
        let again = timedWithPeakMemory(scan)
        func rate(_ seconds: Double) -> String { Bench.f(Double(count) / seconds, 0) }
        func ratio(_ seconds: Double, _ other: Double) -> String { Bench.f(other / seconds, 2) + "×" }
        var rows: [[String]] = []
        if jq.1 == 0 {
            rows.append(["jq -r .text.content (only extracting the text)", Bench.f(jq.0, 2), rate(jq.0), "", ""])
        }
        let sqlite = baseline.count == 3 ? baseline[1] : Double.nan
        rows.append([
            "SQLite alone: rows + FTS5 trigram index, 2,000 per transaction", Bench.f(sqlite, 2), rate(sqlite), "", "",
        ])
        rows.append([
            "chatwarden scan, first time (decode, detect, alerts, index)", Bench.f(first.seconds, 2),
            rate(first.seconds), ratio(first.seconds, sqlite) + " SQLite alone", "\(first.peakMB) MB",
        ])
        rows.append([
            "chatwarden scan again (everything already indexed)", Bench.f(again.seconds, 2), rate(again.seconds),
            (jq.1 == 0 ? ratio(again.seconds, jq.0) + " jq" : "jq missing"), "\(again.peakMB) MB",
        ])
        Bench.table(["run", "seconds", "messages/s", "relative", "peak memory"], rows)

        // Search on the store the scan built, by query length: substrings of the messages' text.
        let store = try ChatStore(path: state + "/chatwarden.db")
        var rng = SystemRandomNumberGenerator()
        var searchRows: [[String]] = []
        for length in 1...6 {
            var times: [Double] = []
            var found = 0
            for _ in 0..<(length <= 2 ? 200 : 100) {
                guard let query = substring(of: texts, length: length, using: &rng) else { continue }
                let start = Bench.now()
                found += try store.search(query, filter: AlertFilter(limit: 50)).count
                times.append((Bench.now() - start) * 1000)
            }
            times.sort()
            searchRows.append([
                "\(length)", "\(times.count)", Bench.f(Bench.percentile(times, 50), 2),
                Bench.f(Bench.percentile(times, 99), 2), Bench.f(Double(found) / Double(max(times.count, 1)), 1),
            ])
        }
        Bench.table(["query characters", "queries", "p50 ms", "p99 ms", "results per query (limit 50)"], searchRows)
    }

    /// The spam corpus's texts (the second column of its labelled TSV).
    static func spamTexts(_ data: String) -> [String] {
        Bench.lines(data + "/spam/merged_unique_labelled.tsv").compactMap { line in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            return String(line[line.index(after: tab)...])
        }
    }

    /// `count` WeCom archive lines, one text each (cycled), 200 staff and 20,000 customers, one
    /// message every 200 ms.
    static func write(_ texts: [String], count: Int, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = ""
        let base: Int64 = 1_795_136_400_000
        for i in 0..<count {
            let staff = "staff\(i % 200)"
            let customer = "wmCustomer" + String(format: "%012d", i % 20_000) + "0000000000"
            let (from, to) = i % 2 == 0 ? (staff, customer) : (customer, staff)
            let text = String(
                data: try JSONSerialization.data(withJSONObject: [texts[i % texts.count]]), encoding: .utf8)!
            chunk +=
                "{\"msgid\":\"bench-\(i)\",\"action\":\"send\",\"from\":\"\(from)\",\"tolist\":[\"\(to)\"],\"roomid\":\"\","
                + "\"msgtime\":\(base + Int64(i) * 200),\"msgtype\":\"text\",\"text\":{\"content\":\(text.dropFirst().dropLast())}}\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(chunk.data(using: .utf8)!)
                chunk = ""
            }
        }
        handle.write(chunk.data(using: .utf8)!)
    }

    /// A random run of `length` letters or digits from one of `texts`.
    static func substring(of texts: [String], length: Int, using rng: inout SystemRandomNumberGenerator) -> String? {
        for _ in 0..<1000 {
            let scalars = Array(texts[Int.random(in: 0..<texts.count, using: &rng)].unicodeScalars).filter {
                $0.properties.isAlphabetic || $0.properties.numericType != nil
            }
            guard scalars.count >= length else { continue }
            let start = Int.random(in: 0...(scalars.count - length), using: &rng)
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[start..<start + length])
            return String(out)
        }
        return nil
    }

    /// Runs `command` through the shell; its wall time and the peak resident memory of the
    /// process it ran (from Python's getrusage of its children, in MB).
    static func timedWithPeakMemory(_ command: String) -> (seconds: Double, peakMB: Int) {
        let wrapper =
            "import resource, subprocess, sys; subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL, "
            + "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        let start = Bench.now()
        let out = Bench.output("python3 -c '\(wrapper)' \"\(command.replacingOccurrences(of: "\"", with: "\\\""))\"")
        return (Bench.now() - start, (Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) / 1024)
    }
}
