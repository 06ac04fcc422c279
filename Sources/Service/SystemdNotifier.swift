import Support
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Speaks systemd's notification protocol directly: one datagram per message to the Unix socket
/// named by `$NOTIFY_SOCKET` (a leading `@` names an abstract socket). No libsystemd needed.
///
/// Messages: `READY=1` once rules are compiled and checkpoints loaded, `STATUS=` progress lines,
/// `WATCHDOG=1` from the processing loop, `RELOADING=1` + `MONOTONIC_USEC=` on reload,
/// `STOPPING=1` on shutdown. Without `$NOTIFY_SOCKET` (not under systemd) every call does nothing.
public final class SystemdNotifier {
    private let fd: Int32
    private var address: sockaddr_un
    private var addressLength: socklen_t
    /// Half the watchdog interval systemd asked for, in seconds (nil: no watchdog).
    public let watchdogInterval: Double?

    /// `environment` stands in for the process environment in tests.
    public init(environment: [String: String]? = nil) {
        func env(_ name: String) -> String? {
            if let environment { return environment[name] }
            guard let v = getenv(name) else { return nil }
            return String(cString: v)
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var length: socklen_t = 0
        var socketFD: Int32 = -1
        if let path = env("NOTIFY_SOCKET"), !path.isEmpty, path.utf8.count < MemoryLayout.size(ofValue: addr.sun_path) {
            var bytes = Array(path.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
            socketFD = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        fd = socketFD
        address = addr
        addressLength = length
        var interval: Double? = nil
        if let usec = env("WATCHDOG_USEC").flatMap(UInt64.init), usec > 0 {
            // WATCHDOG_PID, when set, must name us.
            if let pid = env("WATCHDOG_PID").flatMap(Int32.init), pid != getpid() {
                interval = nil
            } else {
                interval = Double(usec) / 1e6 / 2
            }
        }
        watchdogInterval = interval
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether a notification socket was given.
    public var isActive: Bool { fd >= 0 }

    /// Sends one notification (lines separated by newlines). Errors are ignored: notification is
    /// advisory, and a daemon must not fail because nobody listens.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard fd >= 0 else { return false }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, addressLength) }
            }
        }
        return sent == bytes.count
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.clean(status))") }
    public func status(_ status: String) { send("STATUS=\(Self.clean(status))") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1\nSTATUS=draining and stopping") }

    /// `RELOADING=1` with the monotonic time systemd wants alongside it (systemd ≥ 253).
    public func reloading() {
        let usec = MonotonicClock.microseconds()
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=reloading rules and configuration")
    }

    /// Status text on one line.
    static func clean(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
