import Foundation
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Counters and gauges the daemon keeps, rendered in the Prometheus text exposition format.
public struct DaemonMetrics: Sendable {
    public var messages = 0
    public var quarantined = 0
    public var batches = 0
    /// Alerts raised since start, by category and severity.
    public var alerts: [AlertCount: Int] = [:]

    /// The labels of `chatwarden_alerts_total`.
    public struct AlertCount: Hashable, Sendable, Comparable {
        public var category: String
        public var severity: String

        public init(category: String, severity: String) {
            self.category = category
            self.severity = severity
        }

        public static func < (a: AlertCount, b: AlertCount) -> Bool {
            (a.category, a.severity) < (b.category, b.severity)
        }
    }
    /// Seconds spent decoding, normalising and detecting (the rules' share of the work).
    public var detectSeconds = 0.0
    public var commitSeconds = 0.0
    public var commitFailures = 0
    public var filesFollowed = 0
    public var backlogBytes: Int64 = 0
    /// Event time of the newest message processed (ms) and the newest archive file change (s).
    public var newestProcessedMs: Int64 = 0
    public var newestArchiveChange: Double = 0
    public var notificationsDelivered = 0
    /// The image path: images examined, waiting (pending or missing), looked for and not found,
    /// skipped (too large, broken).
    public var mediaExamined = 0
    public var mediaBacklog = 0
    public var mediaMissing = 0
    public var mediaSkipped = 0
    public var notificationFailures = 0

    public init() {}

    /// The exposition text (version 0.0.4).
    public func render() -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        metric(
            "chatwarden_messages_total", "counter", "Archive messages decoded and examined since start.",
            [("", "\(messages)")])
        metric(
            "chatwarden_quarantined_total", "counter", "Archive lines that could not be decoded, since start.",
            [("", "\(quarantined)")])
        metric(
            "chatwarden_batches_total", "counter", "Batches committed to the store since start.", [("", "\(batches)")])
        metric(
            "chatwarden_alerts_total", "counter", "Alerts raised since start, by category and severity.",
            alerts.keys.sorted().map { key in
                (
                    "{category=\"\(Self.escape(key.category))\",severity=\"\(Self.escape(key.severity))\"}",
                    "\(alerts[key]!)"
                )
            })
        metric(
            "chatwarden_rule_match_seconds_total", "counter", "Time spent decoding, normalising and matching rules.",
            [("", Self.number(detectSeconds))])
        metric(
            "chatwarden_commit_seconds_total", "counter", "Time spent committing batches to the store.",
            [("", Self.number(commitSeconds))])
        metric(
            "chatwarden_commit_failures_total", "counter", "Store commits that failed and were retried.",
            [("", "\(commitFailures)")])
        metric(
            "chatwarden_notifications_delivered_total", "counter", "Webhook messages delivered since start.",
            [("", "\(notificationsDelivered)")])
        metric(
            "chatwarden_notification_failures_total", "counter", "Webhook deliveries that failed and will be retried.",
            [("", "\(notificationFailures)")])
        metric("chatwarden_files_followed", "gauge", "Archive files being followed.", [("", "\(filesFollowed)")])
        metric(
            "chatwarden_media_examined_total", "counter", "Archived images examined (QR codes) since start.",
            [("", "\(mediaExamined)")])
        metric(
            "chatwarden_media_backlog", "gauge",
            "Image messages waiting for the image path (pending or not found yet).",
            [("", "\(mediaBacklog)")])
        metric(
            "chatwarden_media_missing_total", "counter", "Looks for an image file that was not there (retried later).",
            [("", "\(mediaMissing)")])
        metric(
            "chatwarden_media_skipped_total", "counter", "Images skipped with a reason (too large, not an image).",
            [("", "\(mediaSkipped)")])
        metric(
            "chatwarden_backlog_bytes", "gauge", "Bytes written to followed files and not yet processed.",
            [("", "\(backlogBytes)")])
        let lag =
            newestProcessedMs > 0 && newestArchiveChange > 0
            ? max(0, newestArchiveChange - Double(newestProcessedMs) / 1000) : 0
        metric(
            "chatwarden_lag_seconds", "gauge",
            "Newest archive file change minus the event time of the newest message processed.", [("", Self.number(lag))]
        )
        return out
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(value) : "0"
    }

    /// Label values escaped as the exposition format requires.
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// A tiny HTTP endpoint for Prometheus, on a loopback TCP port or a Unix socket, served by a
/// thread of its own (so a slow or silent client never holds up the ingest loop): every request
/// gets the figures as the loop last published them, and the connection is closed. One request
/// at a time, each answered at once; a scrape every few seconds is all it serves.
public final class MetricsServer: Sendable {
    public let address: String
    let fd: Int32
    private let stopped = Mutex(false)

    public struct SetupError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// `address`: `127.0.0.1:9464`, `[::1]:9464` or `unix:/run/chatwarden/metrics.sock`.
    /// Only loopback addresses are accepted: the metrics name staff and categories.
    public init(address: String) throws(SetupError) {
        self.address = address
        if address.hasPrefix("unix:") {
            let path = String(address.dropFirst(5))
            unlink(path)
            fd = socket(
                AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                throw SetupError(description: "metrics socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard rc == 0 else {
                throw SetupError(description: "cannot bind \(path): \(String(cString: strerror(errno)))")
            }
            chmod(path, 0o660)
        } else {
            guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...])
            else {
                throw SetupError(description: "metrics address must be host:port or unix:/path, got '\(address)'")
            }
            let host = String(address[..<colon]).trimmingCharacters(in: "[]")
            guard host == "127.0.0.1" || host == "localhost" || host == "::1" else {
                throw SetupError(description: "metrics listen only on loopback (127.0.0.1 or ::1), got '\(host)'")
            }
            if host == "::1" {
                fd = socket(
                    AF_INET6,
                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                var addr = sockaddr_in6()
                addr.sin6_family = sa_family_t(AF_INET6)
                addr.sin6_port = port.bigEndian
                addr.sin6_addr = in6addr_loopback
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                let rc = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
                guard rc == 0 else {
                    throw SetupError(description: "cannot bind \(address): \(String(cString: strerror(errno)))")
                }
            } else {
                fd = socket(
                    AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                    0)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = port.bigEndian
                addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                let rc = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard rc == 0 else {
                    throw SetupError(description: "cannot bind \(address): \(String(cString: strerror(errno)))")
                }
            }
        }
        guard listen(fd, 16) == 0 else {
            throw SetupError(description: "cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(fd)
        if address.hasPrefix("unix:") { unlink(String(address.dropFirst(5))) }
    }

    /// Serves on a thread of its own until ``stop()``, answering each scrape with `render()`.
    public func start(render: @escaping @Sendable () -> String) {
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
                if poll(&fds, 1, 250) > 0 { serve(render) }
            }
        }
        thread.name = "chatwarden-metrics"
        thread.start()
    }

    public func stop() { stopped.withLock { $0 = true } }

    /// Answers every pending connection with `body` (or 404 for another path).
    func serve(_ body: () -> String) {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            // The listener is non-blocking; the connection is read and written with timeouts.
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) & ~O_NONBLOCK)
            // A short wait for the request line; a client that sends nothing is dropped.
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = [UInt8](repeating: 0, count: 4096)
            let n = request.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            let head = n > 0 ? String(decoding: request[0..<n], as: UTF8.self) : ""
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let ok = path == "/metrics" || path == "/"
            let content = ok ? body() : "not found: the metrics are at /metrics\n"
            let response =
                "HTTP/1.1 \(ok ? "200 OK" : "404 Not Found")\r\n"
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(content.utf8.count)\r\nConnection: close\r\n\r\n" + content
            let bytes = Array(response.utf8)
            var sent = 0
            while sent < bytes.count {
                let k = bytes.withUnsafeBytes {
                    send(client, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                }
                if k <= 0 { break }
                sent += k
            }
            close(client)
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
