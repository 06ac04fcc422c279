import Foundation
import Testing
@testable import Service

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let fd: Int32
    let path: String
    let abstract: Bool

    init(abstract: Bool = false) {
        self.abstract = abstract
        path =
            abstract
            ? "@cw-notify-\(UUID().uuidString.prefix(8))"
            : NSTemporaryDirectory() + "cw-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        precondition(rc == 0, "bind failed: \(errno)")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if !abstract { unlink(path) }
    }

    /// The next datagram, or nil after the receive timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Datagrams until one contains `text` (or the timeout), all of them returned.
    func receive(until text: String) -> [String] {
        var all: [String] = []
        while let message = receive() {
            all.append(message)
            if message.contains(text) { break }
        }
        return all
    }
}

@Suite("systemd notification protocol")
struct SystemdNotifierTests {
    @Test("messages arrive as datagrams on a path socket", arguments: [false, true])
    func datagrams(abstract: Bool) {
        let socket = NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.isActive)
        notifier.ready(status: "following 2 files\nsecond line")
        #expect(socket.receive() == "READY=1\nSTATUS=following 2 files second line")
        notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        notifier.reloading()
        let reloading = socket.receive() ?? ""
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        let usec = reloading.split(separator: "\n")[1].dropFirst("MONOTONIC_USEC=".count)
        #expect(UInt64(usec) ?? 0 > 0)
        notifier.stopping()
        #expect(socket.receive()?.hasPrefix("STOPPING=1") == true)
    }

    @Test("without NOTIFY_SOCKET nothing is sent and nothing fails")
    func inactive() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive)
        #expect(!notifier.send("READY=1"))
        #expect(notifier.watchdogInterval == nil)
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for our pid")
    func watchdog() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"]).watchdogInterval == 5)
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "\(getpid())"]).watchdogInterval
                == 5)
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
    }
}

@Suite("Log lines")
struct LineLogHandlerTests {
    @Test("text events are key=value on one line, values quoted and escaped when needed")
    func text() {
        #expect(LineLogHandler.quote("plain") == "plain")
        #expect(LineLogHandler.quote("two words") == "\"two words\"")
        #expect(LineLogHandler.quote("line\nbreak\u{1B}[31m") == "\"line\\nbreak\\u001b[31m\"")
    }

    @Test("JSON events are valid JSON on one line")
    func json() throws {
        let value = LineLogHandler.json("加微信\n\"x\"\u{85}")
        #expect(!value.contains("\n"))
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(value)]".utf8)) as? [String]
        #expect(parsed == ["加微信\n\"x\"\u{85}"])
    }
}
