import Foundation
import Logging
import Testing
@testable import Alerts
@testable import Archive
@testable import Detect
@testable import Ingest
@testable import Pipeline
@testable import Store
import Rules
import PCRE2
import Config
import Support

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

final class TempState {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cw-pipeline-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func config() -> Config {
        var config = Config()
        config.stateDirectory = path
        config.wordlists = [repositoryRoot + "/wordlists"]
        return config
    }
}

func rawLine(_ text: String, line: Int = 1, file: String = "t.jsonl") -> RawLine {
    RawLine(
        bytes: Array(text.utf8),
        position: SourcePosition(file: file, line: line, offset: Int64(line * 1000), length: text.utf8.count))
}

@Suite("Pipeline")
struct PipelineTests {
    let logger = Logger(label: "test")

    @Test("prepare decodes, detects and quarantines; commit records and logs only new alerts")
    func prepareAndCommit() throws {
        let state = TempState()
        let pipeline = try Pipeline(config: state.config(), logger: logger)
        let lines = [
            rawLine(
                #"{"msgid":"a","action":"send","from":"zhangwei","tolist":["wmCustomer0000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"加我微信 zhang_wei1988"}}"#,
                line: 1),
            rawLine(#"{"msgid":"b","action":"send","from":"zhangwei""#, line: 2),
            RawLine(
                bytes: Array("xxxx".utf8), position: SourcePosition(file: "t.jsonl", line: 3, offset: 3000, length: 4),
                isOversized: true),
        ]
        var batch = pipeline.prepare(SourceBatch(lines: lines), windows: .off, scratch: DetectorScratch())
        #expect(batch.record.messages.map(\.msgid) == ["a"])
        #expect(Set(batch.alerts.map(\.rule)) == ["luring", "contact.wechat"])
        #expect(batch.record.quarantine.map(\.line) == [2, 3])
        #expect(batch.record.quarantine[0].reason.contains("invalid JSON"))
        #expect(batch.record.quarantine[1].reason.contains("longer than"))
        #expect(try pipeline.commit(&batch, windows: .off).count == 2)
        #expect(try pipeline.commit(&batch, windows: .off).isEmpty)
        let log = try String(contentsOfFile: state.path + "/alerts.jsonl", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
    }

    @Test("after a crash between the store commit and the log write, recovery writes each alert exactly once")
    func alertLogRecovery() throws {
        let state = TempState()
        var config = state.config()
        // First run: the store commits, but the alert log is not written (as if killed in between).
        config.alertLogPath = ""
        let first = try Pipeline(config: config, logger: logger)
        let line = rawLine(
            #"{"msgid":"a","action":"send","from":"zhangwei","tolist":["wmCustomer0000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"私下转账，保本稳赚"}}"#
        )
        var batch = first.prepare(SourceBatch(lines: [line]), windows: .off, scratch: DetectorScratch())
        try first.commit(&batch, windows: .off)
        let ids = batch.alerts.map(\.id)
        #expect(ids.count == 2)
        // One of the two made it into the log before the crash.
        let logPath = state.path + "/alerts.jsonl"
        try (batch.alerts[0].jsonLine + "\n").write(toFile: logPath, atomically: true, encoding: .utf8)
        config.alertLogPath = nil
        // Restart: recovery appends only the missing one.
        _ = try Pipeline(config: config, logger: logger)
        let logged = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
            .map { try JSONParser.parse(String($0))["id"]!.stringValue! }
        #expect(logged.sorted() == ids.sorted())
        // And a second restart adds nothing.
        _ = try Pipeline(config: config, logger: logger)
        #expect(try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test("rules with errors stop the pipeline from starting, naming file:line:column")
    func badRules() throws {
        let state = TempState()
        try "re:(unclosed\n".write(toFile: state.path + "/bad.txt", atomically: true, encoding: .utf8)
        var config = state.config()
        config.wordlists = [state.path + "/bad.txt"]
        do {
            _ = try Pipeline(config: config, logger: logger)
            Issue.record("must fail")
        } catch {
            #expect(error.diagnostics.first?.location.description.hasPrefix(state.path + "/bad.txt:1:") == true)
        }
    }

    @Test("a rescan of the sample archive raises the same alerts as scanning it line by line in small batches")
    func batchSizeDoesNotMatter() throws {
        let state1 = TempState(), state2 = TempState()
        var big = state1.config()
        big.batchSize = 10_000
        var small = state2.config()
        small.batchSize = 7
        var idsA: [String] = [], idsB: [String] = []
        let a = try Pipeline(config: big, logger: logger).scan(
            paths: [repositoryRoot + "/samples/archive"], alerts: { idsA += $0.map(\.id) })
        let b = try Pipeline(config: small, logger: logger).scan(
            paths: [repositoryRoot + "/samples/archive"], alerts: { idsB += $0.map(\.id) })
        #expect(!idsA.isEmpty)
        #expect(idsA == idsB)
        #expect(a.alerts == idsA.count)
        #expect(a.messages == 442)
        #expect(a.quarantined == 1)
    }

    @Test("a rescan recognises what the index holds: nothing written again, the same alerts, found again")
    func rescanWritesNoMessagesAgain() throws {
        let state = TempState()
        var config = state.config()
        config.batchSize = 50
        let archive = [repositoryRoot + "/samples/archive"]
        var first: [String] = [], second: [String] = []
        let a = try Pipeline(config: config, logger: logger).scan(paths: archive, alerts: { first += $0.map(\.id) })
        let b = try Pipeline(config: config, logger: logger).scan(paths: archive, alerts: { second += $0.map(\.id) })
        #expect(a.newMessages > 400)
        #expect(a.newMessages == a.messages)
        #expect(b.messages == a.messages)
        #expect(b.newMessages == 0)
        #expect(b.newAlerts == 0)
        #expect(second == first)
        #expect(!first.isEmpty)
    }
}
