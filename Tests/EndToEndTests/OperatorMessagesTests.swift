import Foundation
import Testing

/// Issue 22: an operator's first hour — every message says what happened and what to do. Each
/// case runs the built binary and asserts the message and the exit status.
@Suite("End to end: operator messages", .serialized)
struct OperatorMessagesTests {
    static func line(_ id: String, _ text: String, _ t: Int = 0) -> String {
        #"{"msgid":"\#(id)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + t * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    @Test("alert ids of sequential message ids differ in their first 8 digits; a short id resolves")
    func idPrefixes() throws {
        let state = StateDir()
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        // A mapped archive with ids msg0 … msg19999, every message a violation (with the old ids,
        // 3,000 such alerts had 316 distinct 8-digit prefixes). 100,000 ids: AlertsTests.
        var text = ""
        for i in 0..<20_000 {
            text +=
                #"{"id":"msg\#(i)","from":"zhangwei","to":["wmCustomer000000000001"],"text":"货款可以私下转账给我","time":\#(1_795_136_400 + i)}"#
                + "\n"
        }
        try text.write(toFile: state.path + "/archive/a.jsonl", atomically: true, encoding: .utf8)
        let config = state.path + "/mapped.toml"
        try """
        [rules]
        wordlists = ["\(Binary.root)/wordlists"]
        detectors = []
        [windows]
        disabled = ["window.flood", "window.repeated-hits", "window.blast"]
        [archive]
        format = "mapped"
        [archive.mapping]
        msgid = "id"
        from = "from"
        tolist = "to"
        text = "text"
        msgtime = "time"
        time_unit = "s"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let output = try Binary.run([
            "scan", "--config", config, "--state-dir", state.path + "/state", "--format", "json",
            state.path + "/archive",
        ])
        let ids = output.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #""id":""#) else { return nil }
            return String(line[range.upperBound...].prefix(32))
        }
        guard ids.count == 20_000 else {
            Issue.record("\(ids.count) alerts: \(output.stderr)")
            return
        }
        #expect(Set(ids.map { $0.prefix(8) }).count == ids.count, "8-digit prefixes are unique")
        for i in [0, 1, 4242, 19_999] {
            let id = ids[i]
            let shown = try Binary.run(["alerts", "show", String(id.prefix(8)), "--state-dir", state.path + "/state"])
            #expect(shown.status == 0 && shown.stdout.contains("msg\(i) "), "\(shown.stderr)")
        }
    }

    @Test("a UTF-8 BOM at the start of the configuration is accepted; a missing file says 'no such file'")
    func configurationFiles() throws {
        let state = StateDir()
        let bom = state.path + "/bom.toml"
        try Data([0xEF, 0xBB, 0xBF] + Array("state_dir = \"\(state.path)/state\"\n".utf8)).write(
            to: URL(fileURLWithPath: bom))
        let check = try Binary.run(["rules", "check", "--config", bom])
        #expect(check.status == 0, "\(check.stderr)")
        let missing = try Binary.run(["rules", "check", "--config", state.path + "/nope.toml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(state.path)/nope.toml: no such file"), "\(missing.stderr)")
        #expect(!missing.stderr.contains(":0:0"), "\(missing.stderr)")
    }

    @Test("a watch directory that is missing is said once (with the reason), not every poll")
    func missingWatchDirectory() throws {
        let state = StateDir()
        let config = try writeDaemonConfig(state, watch: state.path + "/not-there/*.jsonl")
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        Thread.sleep(forTimeInterval: 5)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        let said = daemon.log.components(separatedBy: "cannot watch the archive directory").count - 1
        #expect(said == 1, "said \(said) times in 5 s: \(daemon.log)")
        #expect(daemon.log.contains("reason=\"it does not exist\""), "\(daemon.log)")
    }

    @Test(
        "a notification channel whose url_file cannot be read stops the daemon (exit 2, file and reason); a reload to it keeps the old one"
    )
    func unreadableWebhookFile() throws {
        let state = StateDir()
        let urlFile = state.path + "/robot.url"
        let config = try writeDaemonConfig(
            state, watch: state.path + "/archive/*.jsonl",
            extra: """
                [notify.robot]
                kind = "wecom-markdown"
                url_file = "\(urlFile)"
                """)
        let refused = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/refused.log")
        #expect(refused.wait() == 2)
        #expect(refused.log.contains("notification channel 'robot' cannot send"), "\(refused.log)")
        #expect(refused.log.contains("\(urlFile): notify.robot.url_file: no such file"), "\(refused.log)")
        // With the file there it starts; a reload after the file is gone keeps the running configuration.
        try "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k".write(
            toFile: urlFile, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        #expect(eventually(timeout: 20) { daemon.log.contains("chatwarden is running") })
        unlink(urlFile)
        daemon.signal(SIGHUP)
        #expect(
            eventually(timeout: 10) { daemon.log.contains("reload failed: keeping the running configuration") },
            "\(daemon.log)")
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    @Test("a scan of JSON that is not an archive says nothing decoded, why, and where to map it")
    func nothingDecoded() throws {
        let state = StateDir()
        let file = state.path + "/other.jsonl"
        try (0..<10).map { #"{"id":\#($0),"user":"a","body":"hello"}"# }.joined(separator: "\n").appending("\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let output = try Binary.run(["scan", "--state-dir", state.path + "/state", file])
        #expect(output.status == 1)
        #expect(output.stderr.contains("nothing decoded: all 10 line(s) were quarantined"), "\(output.stderr)")
        #expect(output.stderr.contains("missing or empty message id"), "\(output.stderr)")
        #expect(output.stderr.contains("[archive.mapping]"), "\(output.stderr)")
    }

    @Test("an encrypted archive record is quarantined as encrypted, to be decrypted by the archiver")
    func encryptedRecord() throws {
        let state = StateDir()
        let file = state.path + "/enc.jsonl"
        try
            #"{"seq":1,"msgid":"14072631836740073502_1795221785","publickey_ver":1,"encrypt_random_key":"Vq1...==","encrypt_chat_msg":"ZmFr..."}"#
            .appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
        _ = try Binary.run(["scan", "--state-dir", state.path + "/state", file])
        let quarantined = try Binary.jsonLines(
            Binary.run(["quarantine", "--format", "json", "--state-dir", state.path + "/state"]).stdout)
        let reason = quarantined.first?["reason"] as? String ?? ""
        #expect(reason.contains("encrypted archive record") && reason.contains("decrypt"), "\(reason)")
        #expect(!reason.contains("missing sender"))
    }

    @Test("alerts show --format csv is refused with what to use instead")
    func showCSV() throws {
        let state = StateDir()
        let output = try Binary.run(["alerts", "show", "abcdef12", "--format", "csv", "--state-dir", state.path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("chatwarden export"), "\(output.stderr)")
    }

    @Test(
        "--log-level: help states the real defaults; the daemon logs info by default, warning when asked, and no empty fields"
    )
    func logLevels() throws {
        let help = try Binary.run(["daemon", "--help"])
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains("Default: info for the daemon, warning for every other command"), "\(help.stdout)")
        let state = StateDir()
        let config = try writeDaemonConfig(state, watch: state.path + "/archive/*.jsonl")
        ArchiveLines.append(state.path + "/archive/a.jsonl", Self.line("l1", "你好") + "\n")
        let info = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/info.log")
        #expect(eventually(timeout: 20) { info.log.contains("chatwarden is running") })
        info.signal(SIGTERM)
        #expect(info.wait() == 0)
        #expect(info.log.contains("level=info") || info.log.contains("level=notice"))
        #expect(!info.log.contains("=\"\""), "no empty fields: \(info.log)")
        let quiet = try DaemonProcess(
            arguments: ["--config", config, "--log-level", "warning"], logPath: state.path + "/warning.log")
        Thread.sleep(forTimeInterval: 2)
        quiet.signal(SIGTERM)
        #expect(quiet.wait() == 0)
        #expect(!quiet.log.contains("level=info") && !quiet.log.contains("level=notice"), "\(quiet.log)")
    }
}
