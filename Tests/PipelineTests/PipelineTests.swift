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
    RawLine(bytes: Array(text.utf8), position: SourcePosition(file: file, line: line, offset: Int64(line * 1000), length: text.utf8.count))
}

@Suite("Configuration")
struct ConfigTests {
    @Test("the documented example configuration parses")
    func example() throws {
        let config = try Config.load(file: repositoryRoot + "/config/chatwarden.toml")
        #expect(config.stateDirectory == "/var/lib/chatwarden")
        #expect(config.alertLogPath == "/var/log/chatwarden/alerts.jsonl")
        #expect(config.limits.matchLimit == 1_000_000)
        #expect(config.watch == ["/srv/wecom-archive/*.jsonl*"])
        #expect(config.detectors?.count == 7)
    }

    @Test("the store: a file, or a PostgreSQL URL; the daemon's name matters only for a shared store")
    func storeChoice() throws {
        var config = try Config.parse("store = \"postgres://cw@db/chatwarden\"\n[daemon]\nname = \"archive-1\"\n", file: "pg.toml")
        #expect(config.usesSharedStore)
        #expect(config.resolvedDaemonName == "archive-1")
        config.storeOverride = "/tmp/x.db"
        #expect(!config.usesSharedStore && config.resolvedDaemonName == "", "--store wins over the file")
        let unnamed = try Config.parse("store = \"postgresql://cw@db/chatwarden\"\n", file: "pg.toml")
        #expect(unnamed.usesSharedStore && !unnamed.resolvedDaemonName.isEmpty, "the host name by default")
    }

    @Test("an empty file gives every default")
    func defaults() throws {
        let config = try Config.parse("", file: "empty.toml")
        #expect(config.archiveFormat == "wecom")
        #expect(config.batchSize == 2000)
        #expect(config.detectors == nil)
        #expect(config.resolvedStorePath.hasSuffix("/chatwarden.db"))
    }

    @Test("errors name the file, the line and the key", arguments: [
        ("state_dir = 5\n", 1, "state_dir", "string"),
        ("[rules]\nmatch_limit = 10\n", 2, "rules.match_limit", "between"),
        ("[rules]\n\njitt = true\n", 3, "rules.jitt", "unknown setting"),
        ("[archive]\nformat = \"xml\"\n", 2, "archive.format", "wecom"),
        ("[rules]\ndetectors = [\"contact.fax\"]\n", 2, "rules.detectors", "unknown detector"),
        ("[daemon]\nwatch = [1]\n", 2, "daemon.watch", "list of strings"),
        ("[daemon]\nname = \"host 1; drop\"\n", 2, "daemon.name", "letters, digits"),
    ])
    func errors(text: String, line: Int, key: String, message: String) {
        do {
            _ = try Config.parse(text, file: "bad.toml")
            Issue.record("\(text) must not parse")
        } catch {
            #expect(error.file == "bad.toml")
            #expect(error.line == line, "\(error)")
            #expect(error.key == key)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("TOML syntax errors carry the parser's line and column")
    func syntax() {
        do {
            _ = try Config.parse("state_dir = \"unterminated\n", file: "bad.toml")
            Issue.record("must not parse")
        } catch {
            #expect(error.line == 1)
            #expect(error.key == nil)
        }
    }

    @Test("a mapped archive format with its field paths")
    func mapping() throws {
        let config = try Config.parse(
            "[archive]\nformat = \"mapped\"\n[archive.mapping]\nmsgid = \"meta.id\"\ntime_unit = \"s\"\n", file: "m.toml")
        #expect(config.archiveFormat == "mapped")
        #expect(config.mapping.msgid == "meta.id")
        #expect(config.mapping.timeInSeconds)
    }
}

@Suite("Pipeline")
struct PipelineTests {
    let logger = Logger(label: "test")

    @Test("prepare decodes, detects and quarantines; commit records and logs only new alerts")
    func prepareAndCommit() throws {
        let state = TempState()
        let pipeline = try Pipeline(config: state.config(), logger: logger)
        let lines = [
            rawLine(#"{"msgid":"a","action":"send","from":"zhangwei","tolist":["wmCustomer0000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"加我微信 zhang_wei1988"}}"#, line: 1),
            rawLine(#"{"msgid":"b","action":"send","from":"zhangwei""#, line: 2),
            RawLine(bytes: Array("xxxx".utf8), position: SourcePosition(file: "t.jsonl", line: 3, offset: 3000, length: 4), isOversized: true),
        ]
        let batch = pipeline.prepare(lines, scratch: DetectorScratch())
        #expect(batch.record.messages.map(\.msgid) == ["a"])
        #expect(Set(batch.alerts.map(\.rule)) == ["luring", "contact.wechat"])
        #expect(batch.record.quarantine.map(\.line) == [2, 3])
        #expect(batch.record.quarantine[0].reason.contains("invalid JSON"))
        #expect(batch.record.quarantine[1].reason.contains("longer than"))
        #expect(try pipeline.commit(batch.record).count == 2)
        #expect(try pipeline.commit(batch.record).isEmpty)
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
        let line = rawLine(#"{"msgid":"a","action":"send","from":"zhangwei","tolist":["wmCustomer0000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"私下转账，保本稳赚"}}"#)
        let batch = first.prepare([line], scratch: DetectorScratch())
        try first.commit(batch.record)
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
        let a = try Pipeline(config: big, logger: logger).scan(paths: [repositoryRoot + "/samples/archive"])
        let b = try Pipeline(config: small, logger: logger).scan(paths: [repositoryRoot + "/samples/archive"])
        #expect(a.alerts.map(\.id) == b.alerts.map(\.id))
        #expect(a.messages == 442)
        #expect(a.quarantined == 1)
    }
}

@Suite("Configuration: hostile input")
struct ConfigHostileTests {
    @Test("control characters are refused with their line and column before the TOML parser sees them")
    func controlCharacters() {
        do {
            _ = try Config.parse("state_dir = \"/x\"\n[\u{1B}daemon]\n", file: "evil.toml")
            Issue.record("must not parse")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 2)
            #expect(error.message.contains("U+001B"))
        }
    }
}

@Suite("TOML subset")
struct TOMLTests {
    @Test("tables, quoted keys, strings with escapes, integers, booleans, lists across lines")
    func values() throws {
        let table = try TOML.parse("""
            # comment
            a = "x\\ty\\u52a0"   # trailing comment
            'b' = 'C:\\path'
            [s.t]
            n = -1_000
            ok = true
            list = [
              "one",  # comment inside
              "two",
            ]
            """)
        #expect(table.entries["a"] == .string("x\ty加"))
        #expect(table.entries["b"] == .string("C:\\path"))
        guard case .table(let s)? = table.entries["s"], case .table(let t)? = s.entries["t"] else {
            Issue.record("missing tables")
            return
        }
        #expect(t.entries["n"] == .integer(-1000))
        #expect(t.entries["ok"] == .bool(true))
        #expect(t.entries["list"] == .array([.string("one"), .string("two")]))
        #expect(t.lines["list"] == 7)
    }

    @Test("errors give line and column", arguments: [
        ("a = 1\na = 2\n", 2, "set twice"),
        ("[x]\n[x]\n", 2, "defined twice"),
        ("a = {b = 1}\n", 1, "inline tables"),
        ("a = 1.5\n", 1, "whole decimal"),
        ("a = \"open\n", 1, "not closed"),
        ("a = [1, 2\n", 2, "not closed"),
        ("a = 1 b\n", 1, "end of the line"),
        ("= 1\n", 1, "cannot start a key"),
    ])
    func errors(text: String, line: Int, message: String) {
        do {
            _ = try TOML.parse(text)
            Issue.record("\(text) must not parse")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
