import Foundation
import TestSupport
import Testing

/// Runs the built `chatwarden` binary.
enum Binary {
    /// The package root (two levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The executable sits beside the test bundle in the build products directory.
    static let path: String = {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Linux the test runner is <products>/chatwardenPackageTests.xctest.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("chatwarden").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root + "/.build/debug/chatwarden"
    }()

    /// The name the binary records review actions under: the OS user (under sudo, who ran sudo).
    static let osUser: String = {
        if getuid() == 0, let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], !sudo.isEmpty { return sudo }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary with `arguments` in the package root, without the caller's state directory.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Output {
        try runTool(path, arguments, environment: environment, removing: ["CHATWARDEN_STATE_DIR"], input: input)
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

/// A temporary state directory for one test.
/// The store an end-to-end test runs on: a SQLite file in the state directory, or a database of
/// its own on the test PostgreSQL server.
enum StoreUnderTest: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// The binary's arguments for this store (none for SQLite: the state directory holds it).
    func storeArguments() throws -> [String] {
        guard self == .postgres else { return [] }
        let server = try #require(
            PostgresServer.shared, "PostgreSQL could not be started: \(PostgresServer.failure ?? "")")
        return ["--store", try server.createDatabase()]
    }
}

final class StateDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cw-e2e-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit {
        // CHATWARDEN_KEEP_TEST_STATE=1 keeps the directory for a post-mortem.
        if ProcessInfo.processInfo.environment["CHATWARDEN_KEEP_TEST_STATE"] == "1" {
            print("kept test state: \(path)")
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

@Suite("End to end: chatwarden scan on the sample archive", .serialized)
struct ScanEndToEndTests {
    /// msgid → the rules it must raise, from samples/expected.tsv.
    func expected() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: Binary.root + "/samples/expected.tsv", encoding: .utf8)
        var result: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            result[String(parts[0])] = Set(parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : [])
        }
        return result
    }

    @Test("planted violations come out with the right rules, clean messages raise nothing")
    func plantedViolations() throws {
        let state = StateDir()
        let output = try Binary.run(["scan", "--state-dir", state.path, "--format", "json", "samples/"])
        #expect(output.status == 1, "scan exits 1 when it raised alerts; stderr: \(output.stderr)")
        let alerts = try Binary.jsonLines(output.stdout)
        var found: [String: Set<String>] = [:]
        for alert in alerts {
            found[alert["msgid"] as! String, default: []].insert(alert["rule"] as! String)
        }
        let expected = try expected()
        let planted = expected.filter { !$0.value.isEmpty }
        #expect(planted.count >= 15)
        for (msgid, rules) in expected {
            #expect(found[msgid] ?? [] == rules, "message \(msgid)")
        }
        // Nothing outside the planted list raised anything.
        let unexpected = found.keys.filter { expected[$0] == nil }
        #expect(unexpected.isEmpty, "alerts on clean messages: \(unexpected.map { (found[$0]!, $0) })")
        #expect(output.stderr.contains("1 line(s) quarantined"))
    }

    @Test("every JSON alert carries the fields the contract promises")
    func jsonFields() throws {
        let state = StateDir()
        let output = try Binary.run(["scan", "--state-dir", state.path, "--format", "json", "samples/"])
        let alerts = try Binary.jsonLines(output.stdout)
        let required = [
            "id", "rule", "category", "severity", "msgid", "msgtime", "roomid", "from", "matched", "text", "file",
            "offset",
        ]
        for alert in alerts {
            for key in required { #expect(alert[key] != nil, "missing \(key) in \(alert)") }
        }
        // The offset points at the message's line in the archive file.
        let first = try #require(alerts.first)
        let file = try #require(FileHandle(forReadingAtPath: Binary.root + "/" + (first["file"] as! String)))
        try file.seek(toOffset: UInt64(first["offset"] as! Int))
        let line = String(decoding: file.readData(ofLength: 200), as: UTF8.self)
        #expect(line.hasPrefix("{\"msgid\":\"\(first["msgid"] as! String)\""))
    }

    @Test("scanning twice gives the same ids, adds nothing to the store, and never repeats a log line")
    func deterministic() throws {
        let state = StateDir()
        let first = try Binary.run(["scan", "--state-dir", state.path, "--format", "json", "samples/"])
        let second = try Binary.run(["scan", "--state-dir", state.path, "--format", "json", "samples/"])
        let ids1 = try Binary.jsonLines(first.stdout).map { $0["id"] as! String }
        let ids2 = try Binary.jsonLines(second.stdout).map { $0["id"] as! String }
        #expect(!ids1.isEmpty)
        #expect(ids1 == ids2)
        #expect(second.stderr.contains("(0 new)"))
        let log = try String(contentsOfFile: state.path + "/alerts.jsonl", encoding: .utf8)
        let logIDs = try Binary.jsonLines(log).map { $0["id"] as! String }
        #expect(logIDs.sorted() == ids1.sorted())
        // Files written are not world-readable.
        for name in ["alerts.jsonl", "chatwarden.db"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: state.path + "/" + name)
            let mode = (attributes[.posixPermissions] as! NSNumber).intValue
            #expect(mode & 0o007 == 0, "\(name) mode \(String(mode, radix: 8))")
        }
    }

    @Test("table and CSV output are readable and safe")
    func tableAndCSV() throws {
        let state = StateDir()
        let table = try Binary.run(["scan", "--state-dir", state.path, "samples/"])
        #expect(table.stdout.hasPrefix("ID"))
        #expect(table.stdout.contains("contact.phone"))
        #expect(!table.stdout.contains("\u{1B}"), "no escape sequences when not a terminal")
        let csv = try Binary.run(["scan", "--state-dir", state.path, "--format", "csv", "samples/"])
        let lines = csv.stdout.split(separator: "\r\n")
        #expect(lines.first == "ID,TIME,SEVERITY,RULE,FROM,CHAT,MATCH,STATUS,TEXT")
        #expect(lines.count > 15)
    }

    @Test("bad usage exits 2 and a missing file exits 1 naming it")
    func exitCodes() throws {
        let state = StateDir()
        #expect(try Binary.run(["scan", "--format", "xml", "samples/"]).status == 2)
        #expect(try Binary.run(["scan"]).status == 2)
        let missing = try Binary.run(["scan", "--state-dir", state.path, "/nonexistent/archive.jsonl"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/archive.jsonl"))
    }

    @Test("rules test explains hits and allowed phrases")
    func rulesTest() throws {
        let hit = try Binary.run(["rules", "test", "加我微信，我们是行业第一"])
        #expect(hit.status == 1)
        #expect(hit.stdout.contains("HIT    luring"))
        #expect(hit.stdout.contains("HIT    absolute-terms"))
        let allowed = try Binary.run(["rules", "test", "这是我们第一次合作"])
        #expect(allowed.status == 0)
        #expect(allowed.stdout.contains("ALLOWED absolute-terms"))
        #expect(allowed.stdout.contains("第一次"))
        let check = try Binary.run(["rules", "check"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("0 error(s)"))
    }
}

@Suite("End to end: hostile rules")
struct HostileRuleTests {
    @Test(
        "a pattern with catastrophic backtracking is bounded: processing goes on, the message is flagged 'limit reached' naming the rule, and rules check warns"
    )
    func catastrophicPattern() throws {
        let state = StateDir()
        let rules = state.path + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        try "@id slow\n@severity low\nre:(a+)+$\n加微信\n".write(
            toFile: rules + "/slow.txt", atomically: true, encoding: .utf8)
        let archive = state.path + "/a.jsonl"
        let long = String(repeating: "a", count: 5_000) + "!"
        let lines = [
            #"{"msgid":"h1","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"\#(long)"}}"#,
            #"{"msgid":"h2","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795136401000,"msgtype":"text","text":{"content":"加微信"}}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_WORDLISTS": rules]
        let start = Date()
        let scan = try Binary.run(["scan", "--state-dir", state.path, "--format", "json", archive], environment: env)
        #expect(Date().timeIntervalSince(start) < 60)
        let alerts = try Binary.jsonLines(scan.stdout)
        let limit = try #require(alerts.first { $0["rule"] as? String == "engine.limit" })
        #expect(limit["msgid"] as? String == "h1")
        #expect((limit["details"] as? String)?.contains("limit reached") == true)
        #expect((limit["details"] as? String)?.contains("slow.txt:3") == true, "names the rule")
        #expect(
            alerts.contains { $0["msgid"] as? String == "h2" && $0["rule"] as? String == "slow" },
            "the next message is still examined")
        let check = try Binary.run(["rules", "check"], environment: env)
        #expect(check.stdout.contains("slow.txt:3:4: warning: nested quantifier"))
    }
}
