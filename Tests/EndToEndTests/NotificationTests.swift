import Foundation
import Testing

/// A real HTTP server on loopback that records what it is sent and answers as told.
final class RecordingServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var bodies: [(path: String, body: String, at: Date)] = []
    /// Status codes to answer with, in order; then 200 with `{"errcode":0}`.
    private var script: [Int]
    private var running = true

    init(script: [Int] = []) throws {
        self.script = script
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        port = UInt16(bigEndian: bound.sin_port)
        listen(socketFD, 16)
        fd = socketFD
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    deinit {
        running = false
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    var requests: [(path: String, body: String, at: Date)] {
        lock.lock()
        defer { lock.unlock() }
        return bodies
    }

    private func serve() {
        while running {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            // Read the head, then Content-Length bytes of body.
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                data += buffer[0..<n]
                let text = String(decoding: data, as: UTF8.self)
                if let headEnd = text.range(of: "\r\n\r\n") {
                    let head = String(text[..<headEnd.lowerBound]).lowercased()
                    let length =
                        head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    let bodyBytes = data.count - text[..<headEnd.upperBound].utf8.count
                    if bodyBytes >= length { break }
                }
            }
            let text = String(decoding: data, as: UTF8.self)
            let path = text.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
            lock.lock()
            bodies.append((path, body, Date()))
            let status = script.isEmpty ? 200 : script.removeFirst()
            lock.unlock()
            let reply = status == 200 ? #"{"errcode":0,"errmsg":"ok"}"# : #"{"errcode":45009,"errmsg":"busy"}"#
            let response =
                "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(reply.utf8.count)\r\nConnection: close\r\n\r\n\(reply)"
            _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }
}

@Suite("End to end: notifications", .serialized)
struct NotificationTests {
    func config(_ state: StateDir, port: UInt16, extra: String) throws -> String {
        try writeDaemonConfig(
            state, watch: state.path + "/archive/*.jsonl",
            extra: """
                [notify.robot]
                kind = "wecom-markdown"
                url_env = "CW_TEST_ROBOT_URL"
                \(extra)
                """)
    }

    func line(_ id: String, _ text: String, _ t: Int) -> String {
        #"{"msgid":"\#(id)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + t * 1000),"msgtype":"text","text":{"content":"\#(text)"}}"#
    }

    @Test("critical alerts at once, the rest in a digest; the secret key never logged; a restart sends nothing twice")
    func routing() throws {
        let server = try RecordingServer()
        let state = StateDir()
        let url = "http://127.0.0.1:\(server.port)/cgi-bin/webhook/send?key=SECRET-robot-key"
        let path = try config(
            state, port: server.port,
            extra: "min_severity = \"medium\"\nimmediate_severity = \"critical\"\ndigest_seconds = 3")
        let env = ["CW_TEST_ROBOT_URL": url]
        var daemon = try DaemonProcess(
            arguments: ["--config", path, "--log-level", "info"], environment: env, logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        // One critical (off-platform money), two high (luring + wechat id), one medium (absolute terms).
        ArchiveLines.append(
            state.path + "/archive/a.jsonl",
            [
                line("c1", "可以私下转账给我", 0), line("h1", "加我微信 zhang_wei1988", 1), line("m1", "我们是全网最低价", 2),
            ].joined(separator: "\n") + "\n")
        #expect(eventually(timeout: 20) { server.requests.count >= 1 })
        let first = try #require(server.requests.first)
        #expect(first.path.hasPrefix("/cgi-bin/webhook/send"))
        #expect(first.body.contains("\"msgtype\":\"markdown\""))
        #expect(first.body.contains("offplatform-money"), "the critical alert went alone, first")
        #expect(!first.body.contains("luring"))
        // The digest comes after its interval with the rest.
        #expect(eventually(timeout: 20) { server.requests.count >= 2 })
        let digest = server.requests[1].body
        #expect(
            digest.contains("条告警**") && digest.contains("luring") && digest.contains("absolute-terms"), "\(digest)")
        #expect(!digest.contains("offplatform-money"), "the critical one is not sent twice")
        #expect(!daemon.log.contains("SECRET-robot-key"))
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        // Restart: everything was delivered, nothing is sent again.
        let before = server.requests.count
        daemon = try DaemonProcess(
            arguments: ["--config", path], environment: env, logPath: state.path + "/daemon.log")
        Thread.sleep(forTimeInterval: 4)
        #expect(server.requests.count == before)
        daemon.signal(SIGTERM)
        _ = daemon.wait()
    }

    @Test("over the rate limit, alerts fold into a digest instead of being dropped")
    func rateLimit() throws {
        let server = try RecordingServer()
        let state = StateDir()
        let path = try config(
            state, port: server.port,
            extra: "min_severity = \"critical\"\nimmediate_severity = \"critical\"\nper_minute = 2")
        let daemon = try DaemonProcess(
            arguments: ["--config", path],
            environment: ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(server.port)/hook?key=k"],
            logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        // Six critical alerts at once: more than the 2 messages a minute allowed.
        ArchiveLines.append(
            state.path + "/archive/a.jsonl",
            (0..<6).map { line("r\($0)", "私下转账 第\($0)次", $0) }.joined(separator: "\n") + "\n")
        #expect(
            eventually(timeout: 30) {
                let delivered = server.requests.map(\.body).joined()
                return (0..<6).allSatisfy { delivered.contains("第\($0)次") }
            }, "every alert delivered: \(server.requests.map(\.body))")
        #expect(server.requests.count == 2, "one message alone, the other five in one digest")
        #expect(server.requests.last?.body.contains("5 条告警") == true)
        daemon.signal(SIGTERM)
        _ = daemon.wait()
    }

    @Test("HTTP 500 and WeCom's 429 are retried with backoff until delivered")
    func retries() throws {
        let server = try RecordingServer(script: [500, 429])
        let state = StateDir()
        let path = try config(state, port: server.port, extra: "min_severity = \"critical\"")
        let daemon = try DaemonProcess(
            arguments: ["--config", path],
            environment: ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(server.port)/hook?key=k"],
            logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        ArchiveLines.append(state.path + "/archive/a.jsonl", line("x1", "私下转账", 0) + "\n")
        #expect(eventually(timeout: 30) { server.requests.count >= 3 })
        let requests = server.requests
        #expect(requests.count == 3, "two failures, then the delivery")
        #expect(Set(requests.map(\.body)).count == 1, "the same message each time")
        #expect(requests[2].at.timeIntervalSince(requests[0].at) >= 2.5, "backoff between attempts (1 s, then 2 s)")
        #expect(daemon.log.contains("HTTP 500") && daemon.log.contains("HTTP 429"))
        daemon.signal(SIGTERM)
        _ = daemon.wait()
    }

    @Test("a notification queued when the daemon stops is delivered after the restart")
    func survivesRestart() throws {
        let state = StateDir()
        let server = try RecordingServer()
        let path = try config(state, port: server.port, extra: "min_severity = \"critical\"")
        // First run: the robot cannot be reached (nothing listens on that port).
        var daemon = try DaemonProcess(
            arguments: ["--config", path, "--log-level", "info"],
            environment: ["CW_TEST_ROBOT_URL": "http://127.0.0.1:9/unreachable"],
            logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        ArchiveLines.append(state.path + "/archive/a.jsonl", line("q1", "私下转账", 0) + "\n")
        #expect(eventually(timeout: 20) { daemon.log.contains("notification not delivered") })
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        #expect(server.requests.isEmpty)
        // Second run: the robot is there; the queued notification goes out once.
        daemon = try DaemonProcess(
            arguments: ["--config", path],
            environment: ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(server.port)/hook?key=k"],
            logPath: state.path + "/daemon.log")
        #expect(eventually(timeout: 30) { server.requests.count == 1 })
        Thread.sleep(forTimeInterval: 2)
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.body.contains("offplatform-money") == true)
        daemon.signal(SIGTERM)
        _ = daemon.wait()
    }

    @Test("a rescan queues notifications only with --notify; the daemon then delivers them")
    func rescanNotifiesOnlyWhenAsked() throws {
        let state = StateDir()
        let server = try RecordingServer()
        let path = try config(state, port: server.port, extra: "min_severity = \"critical\"")
        let env = ["CW_TEST_ROBOT_URL": "http://127.0.0.1:\(server.port)/hook?key=k"]
        // Old archives, outside what the daemon watches.
        try FileManager.default.createDirectory(atPath: state.path + "/old", withIntermediateDirectories: true)
        ArchiveLines.append(state.path + "/old/quiet.jsonl", line("s1", "私下转账 一", 0) + "\n")
        ArchiveLines.append(state.path + "/old/loud.jsonl", line("s2", "私下转账 二", 1) + "\n")
        let quiet = try Binary.run(
            ["scan", "--config", path, "--quiet", state.path + "/old/quiet.jsonl"], environment: env)
        #expect(quiet.status == 1, "\(quiet.stderr)")
        let daemon = try DaemonProcess(
            arguments: ["--config", path], environment: env, logPath: state.path + "/daemon.log")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        Thread.sleep(forTimeInterval: 3)
        #expect(server.requests.isEmpty, "a plain rescan does not notify")
        let loud = try Binary.run(
            ["scan", "--config", path, "--quiet", "--notify", state.path + "/old/loud.jsonl"], environment: env)
        #expect(loud.status == 1, "\(loud.stderr)")
        #expect(eventually(timeout: 20) { server.requests.count == 1 })
        #expect(server.requests.first?.body.contains("二") == true)
        #expect(server.requests.first?.body.contains("一") == false)
        daemon.signal(SIGTERM)
        _ = daemon.wait()
    }
}
