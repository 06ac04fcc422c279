import Foundation
import TestSupport
import Testing

/// A running `chatwarden daemon` child process.
final class DaemonProcess {
    let process = Process()
    let logPath: String

    init(arguments: [String], environment: [String: String] = [:], logPath: String) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["daemon"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Binary.root)
        var env = ProcessInfo.processInfo.environment
        env["CHATWARDEN_STATE_DIR"] = nil
        env["NOTIFY_SOCKET"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to end; its exit status, or nil on timeout.
    func wait(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Waits until `condition` holds (polling), up to `timeout` seconds.
func eventually(timeout: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// Archive lines for tests: mostly clean, every fifth a violation.
enum ArchiveLines {
    static let texts = [
        "您好，有什么可以帮您？", "加我微信 zhang_wei1988 细聊", "好的谢谢", "这款今天活动价1399元", "我手机 138 0013 8000",
        "什么时候能发货？", "货款可以私下转账给我", "收到了", "保本保息，稳赚不赔", "订单号 2026112012345678 已发货",
    ]

    static func line(_ i: Int, prefix: String = "m") -> String {
        let text = texts[i % texts.count]
        let from = i % 2 == 0 ? "zhangwei" : "wmCustomer000000000001"
        let to = i % 2 == 0 ? "wmCustomer000000000001" : "zhangwei"
        return
            #"{"msgid":"\#(prefix)\#(i)","action":"send","from":"\#(from)","tolist":["\#(to)"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i) * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    static func append(_ path: String, _ text: String) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        h.closeFile()
    }
}

/// Writes a daemon configuration into `state` (state under state/state, the repository's
/// wordlists, `watch` followed every 200 ms, then `extra`) and creates state/archive; its path.
/// A JSON notification channel that sends every alert at once to `$CW_TEST_ROBOT_URL` (a
/// ``RecordingServer`` in the tests that count deliveries).
let recordingChannel = """
    [notify.robot]
    kind = "json"
    url_env = "CW_TEST_ROBOT_URL"
    min_severity = "low"
    immediate_severity = "low"
    per_minute = 600
    """

func writeDaemonConfig(_ state: StateDir, watch: String, extra: String = "") throws -> String {
    let path = state.path + "/chatwarden.toml"
    try """
    state_dir = "\(state.path)/state"
    [rules]
    wordlists = ["\(Binary.root)/wordlists"]
    [daemon]
    watch = ["\(watch)"]
    poll_interval_ms = 200
    \(extra)
    """.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
    return path
}

@Suite("End to end: the daemon", .serialized)
struct DaemonEndToEndTests {
    @Test("READY after start, alerts as the archive grows, reload keeps a broken config out, STOPPING on SIGTERM")
    func lifecycle() throws {
        let state = StateDir()
        let archive = state.path + "/archive"
        let config = try writeDaemonConfig(state, watch: archive + "/*.jsonl")
        let socket = try NotifySocketForTests()
        let daemon = try DaemonProcess(
            arguments: ["--config", config], environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000"],
            logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }

        let startup = socket.receive(until: "READY=1")
        #expect(startup.last?.hasPrefix("READY=1") == true, "\(startup) \(daemon.log)")

        ArchiveLines.append(
            archive + "/chat.jsonl", (0..<10).map { ArchiveLines.line($0) }.joined(separator: "\n") + "\n")
        let env = ["CHATWARDEN_STATE_DIR": state.path + "/state"]
        #expect(
            try eventually {
                try Binary.jsonLines(Binary.run(["alerts", "list", "--format", "json"], environment: env).stdout).count
                    >= 4
            }, "alerts appear while the daemon runs; log: \(daemon.log)")
        // The watchdog is fed from the loop.
        #expect(socket.receive(until: "WATCHDOG=1").last == "WATCHDOG=1")

        // A broken configuration: the daemon says why and keeps running the old one.
        let good = try String(contentsOfFile: config, encoding: .utf8)
        try (good + "\nunknown_setting = 1\n").write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let reload = socket.receive(until: "reload failed")
        #expect(reload.contains { $0.hasPrefix("RELOADING=1") })
        #expect(
            reload.last?.contains("READY=1") == true && reload.last?.contains("unknown_setting") == true, "\(reload)")
        #expect(daemon.process.isRunning)
        ArchiveLines.append(archive + "/chat.jsonl", ArchiveLines.line(11) + "\n")
        #expect(
            try eventually {
                try Binary.run(["search", "zhang_wei1988", "--format", "json"], environment: env).stdout.contains("m11")
            })

        daemon.signal(SIGTERM)
        #expect(socket.receive(until: "STOPPING=1").last?.hasPrefix("STOPPING=1") == true)
        #expect(daemon.wait() == 0)
        #expect(daemon.log.contains("chatwarden stopped"))
    }

    @Test("--watch on the command line still holds after a reload of the configuration file")
    func reloadKeepsCommandLine() throws {
        let state = StateDir()
        let archive = state.path + "/archive"
        let config = try writeDaemonConfig(state, watch: state.path + "/elsewhere/*.jsonl")
        let daemon = try DaemonProcess(
            arguments: ["--config", config, "--watch", archive + "/*.jsonl"], logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        let env = ["CHATWARDEN_STATE_DIR": state.path + "/state"]
        func indexed(_ msgid: String) throws -> Bool {
            try Binary.run(["context", msgid, "--format", "json"], environment: env).stdout.contains(msgid)
        }
        ArchiveLines.append(archive + "/chat.jsonl", ArchiveLines.line(1) + "\n")
        #expect(try eventually { try indexed("m1") }, "\(daemon.log)")
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log.contains("reloaded") })
        // A new file: found only if the patterns are still the command line's.
        ArchiveLines.append(archive + "/chat2.jsonl", ArchiveLines.line(2) + "\n")
        #expect(
            try eventually(timeout: 10) { try indexed("m2") },
            "new files under \(archive) found after the reload: \(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    @Test("a configuration with nothing to watch, or with bad rules, fails at start with exit 2")
    func badStart() throws {
        let state = StateDir()
        let nothing = try Binary.run(["daemon", "--state-dir", state.path])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("nothing to watch"))
        let badRules = state.path + "/rules"
        try FileManager.default.createDirectory(atPath: badRules, withIntermediateDirectories: true)
        try "re:(unclosed\n".write(toFile: badRules + "/bad.txt", atomically: true, encoding: .utf8)
        let bad = try Binary.run(
            ["daemon", "--state-dir", state.path, "--watch", state.path + "/*.jsonl"],
            environment: ["CHATWARDEN_WORDLISTS": badRules])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.txt:1:"))
    }
}

/// The notify socket helper, shared with ServiceTests in spirit (test targets cannot share code).
final class NotifySocketForTests {
    let fd: Int32
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "cw-e2e-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(rc == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func receive(until text: String) -> [String] {
        var all: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            all.append(message)
            if message.contains(text) { break }
        }
        return all
    }
}

@Suite("End to end: metrics", .serialized)
struct MetricsEndToEndTests {
    /// One HTTP GET over a plain socket (no HTTP library needed for a loopback scrape).
    func scrape(port: UInt16, path: String = "/metrics") -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("Prometheus text on a loopback port: messages, alerts by category and severity, backlog, lag")
    func metrics() throws {
        let state = StateDir()
        let archive = state.path + "/archive"
        let port = try freeLoopbackPort()
        let config = try writeDaemonConfig(
            state, watch: archive + "/*.jsonl", extra: "[metrics]\nlisten = \"127.0.0.1:\(port)\"")
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        ArchiveLines.append(
            archive + "/chat.jsonl", (0..<20).map { ArchiveLines.line($0) }.joined(separator: "\n") + "\n")
        var body = ""
        #expect(
            eventually(timeout: 30) {
                body = scrape(port: port) ?? ""
                return body.contains("chatwarden_messages_total 20")
            }, "scrape: \(body.prefix(500)) log: \(daemon.log.suffix(500))")
        #expect(body.hasPrefix("HTTP/1.1 200 OK"))
        #expect(body.contains("Content-Type: text/plain; version=0.0.4"))
        #expect(body.contains("# TYPE chatwarden_alerts_total counter"))
        #expect(body.contains("chatwarden_alerts_total{category=\"luring\",severity=\"high\"} 2"))
        #expect(body.contains("chatwarden_files_followed 1"))
        #expect(body.contains("chatwarden_lag_seconds"))
        #expect(scrape(port: port, path: "/other")?.hasPrefix("HTTP/1.1 404") == true)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    @Test("a metrics address that is not loopback is refused at start")
    func loopbackOnly() throws {
        let state = StateDir()
        try "[daemon]\nwatch = [\"/tmp/x/*.jsonl\"]\n[metrics]\nlisten = \"0.0.0.0:9464\"\n".write(
            toFile: state.path + "/c.toml", atomically: true, encoding: .utf8)
        let out = try Binary.run(["daemon", "--config", state.path + "/c.toml", "--state-dir", state.path])
        #expect(out.status == 2)
        #expect(out.stderr.contains("metrics.listen"))
    }
}
