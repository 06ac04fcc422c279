import Alerts
import Archive
import Foundation
import Store

/// A generated archive of real lines for the store benchmarks (index, web): `total` messages
/// among 200 staff, 20,000 customers and 2,000 group chats, 200 ms apart, and 100k alerts over
/// them, written in batches of 5,000 as the pipeline commits.
struct BenchArchive {
    let corpus: [String]
    let total: Int
    let staff = (0..<200).map { "staff\($0)" }
    let customers = (0..<20_000).map { "wmCustomer" + String(format: "%012d", $0) + "0000000000" }
    let rooms = (0..<2_000).map { "wrRoom" + String(format: "%08d", $0) + "AAAAAAAAAAAAAAAA" }
    static let base: Int64 = 1_795_136_400_000
    static let categories = ["luring", "offplatform-money", "promised-returns", "absolute-terms", "abuse", "contact"]
    static let batchSize = 5_000
    static let alerts = 100_000

    init(data: String, total: Int) throws {
        corpus = [
            data + "/corpus/lccc/lccc_toy_utterances.despaced.txt",
            data + "/corpus/kdconv/kdconv_dev_test_utterances.txt",
            data + "/corpus/subtitles/dgk_subtitles_zh_lines.txt",
        ].flatMap(Bench.lines)
        guard !corpus.isEmpty else { throw BenchError("no corpus under \(data)") }
        self.total = total
    }

    /// Message `i`: deterministic (its people come from `i`), so an alert made for it names
    /// the same sender as the message indexed.
    func message(_ i: Int) -> ArchiveMessage {
        let group = i % 10 < 3
        let fromStaff = i % 2 == 0
        let customer = customers[(i &* 7_919) % customers.count]
        let member = staff[(i &* 104_729 / 7) % staff.count]
        return ArchiveMessage(
            msgid: "bench-\(i)", action: .send, from: fromStaff ? member : customer,
            tolist: [fromStaff ? customer : member],
            roomid: group ? rooms[i % rooms.count] : "", msgtime: Self.base + Int64(i) * 200, msgtype: "text",
            content: .text(corpus[i % corpus.count]),
            source: SourcePosition(file: "bench.jsonl", line: i + 1, offset: Int64(i) * 200, length: 200))
    }

    func alert(_ j: Int) -> Alert {
        let m = message(j * max(1, total / Self.alerts))
        let category = Self.categories[j % Self.categories.count]
        return Alert(
            id: Alert.contentID(rule: category, msgid: m.msgid), rule: category, category: category,
            severity: [.low, .medium, .high, .critical][j % 4], msgid: m.msgid, msgtime: m.msgtime,
            roomid: m.roomid, conversation: m.conversationKey, from: m.from, tolist: m.tolist, matched: "加微信",
            term: "加微信", spanStart: 0, spanEnd: 9, text: m.scannableText, file: m.source.file, line: m.source.line,
            offset: m.source.offset, details: "")
    }

    /// Writes the messages, then the alerts; returns the seconds each took.
    func fill(_ store: ChatStore) throws -> (messages: Double, alerts: Double) {
        var built = 0.0
        var i = 0
        while i < total {
            var batch = RecordBatch()
            batch.messages = (i..<min(i + Self.batchSize, total)).map(message)
            let start = Bench.now()
            try store.record(batch)
            built += Bench.now() - start
            i += Self.batchSize
        }
        var alertTime = 0.0
        for chunk in stride(from: 0, to: Self.alerts, by: Self.batchSize) {
            var batch = RecordBatch()
            batch.alerts = (chunk..<chunk + Self.batchSize).map(alert)
            let start = Bench.now()
            try store.record(batch)
            alertTime += Bench.now() - start
        }
        return (built, alertTime)
    }
}
