import Foundation
import Store

#if canImport(Glibc)
import Glibc
#endif

/// `make bench BENCH=web`: the console's pages over a store of 1M messages and 100k alerts,
/// through the release binary (`chatwarden web`) on loopback, one keep-alive connection, as a
/// browser asks: the queue a supervisor opens, deep pages, filters, a reviewer's scoped queue,
/// an alert page, a search. Aim: the queue answers in ≤ 100 ms p99.
enum WebBenchmark {
    static func run(binary: String, data: String, messages total: Int) throws {
        let archive = try BenchArchive(data: data, total: total)
        let dir = NSTemporaryDirectory() + "cw-web-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try ChatStore(path: dir + "/chatwarden.db")
            print("web: building a store of \(total) messages and \(BenchArchive.alerts) alerts …")
            _ = try archive.fill(store)
            store.close()
        }
        for (name, role) in [("boss", "supervisor"), ("alice", "reviewer")] {
            let add = Process()
            add.executableURL = URL(fileURLWithPath: binary)
            add.arguments = ["users", "add", name, "--role", role, "--password-stdin", "--state-dir", dir]
            let pipe = Pipe()
            add.standardInput = pipe
            add.standardOutput = FileHandle.nullDevice
            try add.run()
            pipe.fileHandleForWriting.write(Data("bench-password-0\n".utf8))
            try pipe.fileHandleForWriting.close()
            add.waitUntilExit()
        }
        let port = 18_000 + Int(getpid() % 1000)
        // alice covers 10 of the 200 staff members (5% of the alerts).
        let covered = archive.staff.prefix(10).map { "\"\($0)\"" }.joined(separator: ", ")
        try """
        [web]
        listen = "127.0.0.1:\(port)"
        [groups.east]
        staff = [\(covered)]
        reviewers = ["alice"]
        """.write(toFile: dir + "/web.toml", atomically: true, encoding: .utf8)
        let web = Process()
        web.executableURL = URL(fileURLWithPath: binary)
        web.arguments = ["web", "--state-dir", dir, "--config", dir + "/web.toml", "--log-level", "warning"]
        web.standardOutput = FileHandle.nullDevice
        try web.run()
        defer {
            web.terminate()
            web.waitUntilExit()
        }
        let boss = try HTTPClient.signedIn(port: port, name: "boss", password: "bench-password-0")
        let alice = try HTTPClient.signedIn(port: port, name: "alice", password: "bench-password-0")
        let anAlert = archive.alert(4_242).id

        func timed(_ client: HTTPClient, _ paths: [String], runs: Int = 200) throws -> [Double] {
            _ = try client.get(paths[0])  // warm up
            var times: [Double] = []
            for k in 0..<runs {
                let start = Bench.now()
                let (status, _) = try client.get(paths[k % paths.count])
                guard status == 200 else { throw BenchError("\(paths[k % paths.count]): HTTP \(status)") }
                times.append((Bench.now() - start) * 1000)
            }
            return times.sorted()
        }
        let categories = BenchArchive.categories
        let rows: [(String, [Double])] = [
            ("queue, supervisor, first page (open alerts)", try timed(boss, ["/queue"])),
            ("queue, all statuses", try timed(boss, ["/queue?status=all"])),
            ("queue, page 1,000 (offset 50k)", try timed(boss, ["/queue?status=all&page=1000"])),
            (
                "queue, severity ≥ high + category",
                try timed(boss, categories.map { "/queue?severity=high&category=\($0)" })
            ),
            ("queue, one staff member", try timed(boss, (0..<20).map { "/queue?staff=staff\($0 * 7)" })),
            ("queue, since a day (2026-11-21)", try timed(boss, ["/queue?since=2026-11-21"])),
            ("queue, reviewer covering 10 of 200 staff", try timed(alice, ["/queue"])),
            ("alert page with 16 messages of context", try timed(boss, ["/alerts/\(anAlert)"], runs: 100)),
            ("search, 3 characters", try timed(boss, ["/search?q=%E4%BD%A0%E5%A5%BD%E5%90%97"], runs: 50)),
        ]
        Bench.table(
            ["page", "p50 ms", "p99 ms", "aim"],
            rows.map { name, t in
                [
                    name, Bench.f(Bench.percentile(t, 50), 1), Bench.f(Bench.percentile(t, 99), 1),
                    name.hasPrefix("queue") ? "≤ 100 ms p99" : "",
                ]
            })
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection (no URLSession: its redirect and
/// cookie handling would time itself, not the console).
final class HTTPClient {
    let fd: Int32
    var cookie = ""

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var connected = false
        for _ in 0..<100 {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == 0 {
                connected = true
                break
            }
            usleep(100_000)
        }
        guard connected else { throw BenchError("cannot connect to port \(port)") }
    }

    deinit { close(fd) }

    static func signedIn(port: Int, name: String, password: String) throws -> HTTPClient {
        let client = try HTTPClient(port: port)
        let (_, page, headers) = try client.request("GET", "/login")
        guard let token = page.range(of: "name=\"csrf\" value=\"").map({ String(page[$0.upperBound...].prefix(64)) }),
            let login = headers.first(where: { $0.hasPrefix("cw_login=") })?.split(separator: ";").first
        else { throw BenchError("no sign-in form") }
        client.cookie = String(login)
        let (status, _, set) = try client.request(
            "POST", "/login", body: "csrf=\(token)&name=\(name)&password=\(password)&next=/queue")
        guard status == 303,
            let session = set.first(where: { $0.hasPrefix("cw_session=") })?.split(separator: ";").first
        else { throw BenchError("sign-in as \(name) failed: HTTP \(status)") }
        client.cookie = String(session)
        return client
    }

    func get(_ path: String) throws -> (Int, String) {
        let (status, body, _) = try request("GET", path)
        return (status, body)
    }

    /// Sends a request and reads the response (its Content-Length); returns the status, the
    /// body and the Set-Cookie values.
    func request(_ method: String, _ path: String, body: String = "") throws -> (Int, String, [String]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        if !cookie.isEmpty { head += "Cookie: \(cookie)\r\n" }
        if method == "POST" {
            head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        let bytes = Array((head + "\r\n" + body).utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw BenchError("write failed") }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int? = nil
        var length = 0
        while true {
            if let end = headerEnd, buffer.count >= end + length { break }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw BenchError("connection closed") }
            buffer += chunk[0..<n]
            if headerEnd == nil, let range = findHeaderEnd(buffer) {
                headerEnd = range
                let text = String(decoding: buffer[0..<range], as: UTF8.self).lowercased()
                if let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let end = headerEnd!
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = headText.split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let cookies = lines.filter { $0.lowercased().hasPrefix("set-cookie:") }.map {
            $0.dropFirst("set-cookie:".count).trimmingCharacters(in: .whitespaces)
        }
        return (status, String(decoding: buffer[end..<(end + length)], as: UTF8.self), cookies)
    }

    private func findHeaderEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
