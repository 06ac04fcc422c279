import Foundation

/// State shared with the log-reader thread, under its lock.
final class Shared: @unchecked Sendable {
    let lock = NSLock()
    var seen: [String: Double] = [:]
    var stop = false
}

/// The daemon end to end: append-to-alert latency at a steady 2,000 messages per second, and the
/// highest rate it keeps up with (a burst appended at once, timed until every alert is logged).
enum DaemonBenchmark {
    static func run(binary: String, seconds: Int = 20, rate: Int = 2_000, burst: Int = 200_000) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no chatwarden binary at \(binary) (make release first, or set CHATWARDEN_BIN)")
        }
        let dir = NSTemporaryDirectory() + "cw-daemon-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/archive", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = try Bench.daemon(binary: binary, directory: dir)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let logPath = dir + "/state/alerts.jsonl"
        let archive = dir + "/archive/chat.jsonl"
        _ = FileManager.default.createFile(atPath: archive, contents: nil)
        let writer = FileHandle(forWritingAtPath: archive)!
        usleep(500_000)

        func line(_ i: Int, _ prefix: String) -> String {
            // Every message raises one alert (luring): latency is measured per message.
            #"{"msgid":"\#(prefix)\#(i)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i)),"msgtype":"text","text":{"content":"亲，这边说话不方便，加我微信详聊，第\#(i)号"}}"#
                + "\n"
        }

        // Phase 1: steady rate, in 10 ms ticks; a reader thread timestamps alerts as they land.
        var written: [String: Double] = [:]
        let shared = Shared()
        let lock = shared.lock
        let reader = Bench.alertLogReader(path: logPath, shared: shared)
        reader.start()
        let total = seconds * rate
        let perTick = rate / 100
        let start = Bench.now()
        var i = 0
        while i < total {
            let tickStart = start + Double(i / perTick) * 0.01
            let wait = tickStart - Bench.now()
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            var chunk = ""
            for k in i..<min(i + perTick, total) { chunk += line(k, "s") }
            writer.write(Data(chunk.utf8))
            let t = Bench.now()
            lock.lock()
            for k in i..<min(i + perTick, total) { written["s\(k)"] = t }
            lock.unlock()
            i += perTick
        }
        let deadline = Bench.now() + 30
        while Bench.now() < deadline {
            lock.lock()
            let count = shared.seen.count
            lock.unlock()
            if count >= total { break }
            usleep(20_000)
        }
        lock.lock()
        let latencies = written.compactMap { id, t in shared.seen[id].map { ($0 - t) * 1000 } }.sorted()
        let received = shared.seen.count
        shared.seen.removeAll()
        lock.unlock()

        // Phase 2: a burst, all at once; how fast does the daemon work through it?
        var burstText = ""
        burstText.reserveCapacity(burst * 230)
        for k in 0..<burst { burstText += line(k, "b") }
        let burstStart = Bench.now()
        writer.write(Data(burstText.utf8))
        var burstDone = Double.nan
        let burstDeadline = Bench.now() + 600
        while Bench.now() < burstDeadline {
            lock.lock()
            let count = shared.seen.count
            lock.unlock()
            if count >= burst {
                burstDone = Bench.now() - burstStart
                break
            }
            usleep(20_000)
        }
        lock.lock()
        shared.stop = true
        lock.unlock()
        writer.closeFile()

        print("steady \(rate) messages/s for \(seconds) s: \(received) of \(total) alerts logged")
        print(
            "append-to-alert latency: p50 \(Bench.f(Bench.percentile(latencies, 50))) ms, p99 \(Bench.f(Bench.percentile(latencies, 99))) ms, max \(Bench.f(latencies.last ?? .nan)) ms"
        )
        print(
            "burst of \(burst) messages appended at once: all alerts logged in \(Bench.f(burstDone)) s = \(Bench.f(Double(burst) / burstDone, 0)) messages/s sustained (decode, normalise, detect, index, alert, checkpoint)"
        )
    }
}
