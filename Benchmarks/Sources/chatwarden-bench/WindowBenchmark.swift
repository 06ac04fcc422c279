import Archive
import Detect
import Foundation

/// The rules over time: window updates per second, and memory with a million active keys.
enum WindowBenchmark {
    static func run(data: String) {
        var settings = WindowSettings()
        settings.maxKeys = 2_000_000
        let engine = WindowEngine(settings: settings)
        func message(_ i: Int, sender: Int, text: String = "有人吗", room: Int = 0) -> ArchiveMessage {
            ArchiveMessage(
                msgid: "w\(i)", action: .send, from: "wmSender\(sender)", tolist: ["zhangwei"], roomid: "wrRoom\(room)",
                msgtime: 1_795_136_400_000 + Int64(i), msgtype: "text", content: .text(text),
                source: SourcePosition(file: "b", line: 0, offset: 0, length: 0))
        }
        let rssBefore = Bench.rss()
        // 1M distinct senders in 1,000 group chats: each message touches its flood key and its
        // new-member key.
        var start = Bench.now()
        for i in 0..<1_000_000 { _ = engine.process(message(i, sender: i, room: i % 1000), contentRules: []) }
        let fill = Bench.now() - start
        let keys = engine.keyCount
        let rss = Bench.rss() - rssBefore
        // Steady state: 2M more messages over the same million senders.
        start = Bench.now()
        for i in 0..<2_000_000 {
            _ = engine.process(message(1_000_000 + i, sender: i % 1_000_000, room: i % 1000), contentRules: [])
        }
        let steady = Bench.now() - start
        // Blast fingerprints on real ad texts (the costly rule: normalisation + MinHash).
        let ads =
            (try? FileManager.default.contentsOfDirectory(atPath: data + "/spam/categorised"))?.flatMap { file in
                Bench.lines(data + "/spam/categorised/" + file).compactMap { line in
                    line.split(separator: "\t", maxSplits: 2).last.map(String.init)
                }
            } ?? []
        let blastEngine = WindowEngine(settings: settings)
        start = Bench.now()
        var n = 0
        for (i, ad) in ads.enumerated() {
            _ = blastEngine.process(message(i, sender: i % 500, text: ad, room: i % 2000), contentRules: [])
            n += 1
        }
        let blast = Bench.now() - start
        print(
            "window rules: 1M distinct senders (one flood key each) added at \(Bench.f(1_000_000 / fill, 0)) messages/s"
        )
        print(
            "  \(keys) keys held; resident memory +\(Bench.f(Bench.mb(rss))) MB (\(Bench.f(Double(rss) / Double(max(keys, 1)), 0)) bytes per key)"
        )
        print(
            "  steady state over 1M active senders: \(Bench.f(2_000_000 / steady, 0)) messages/s (flood and new-member windows)"
        )
        print("  with blast fingerprints on \(n) real ads: \(Bench.f(Double(n) / blast, 0)) messages/s")
    }
}
