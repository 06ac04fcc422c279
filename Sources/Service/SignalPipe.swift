#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The write end of the self-pipe that signal handlers use (a handler may only call
/// async-signal-safe functions: `write` is one).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

private func forwardSignal(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWrite, &byte, 1)
}

/// SIGTERM, SIGINT and SIGHUP as bytes on a pipe, so the daemon's loop waits for them in the
/// same `poll` as for archive changes, and handles them between batches (never mid-commit).
/// SIGPIPE is ignored (a closed webhook or metrics connection is an error return, not a death).
final class SignalPipe {
    let descriptor: Int32

    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    init() throws(SetupError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw SetupError(description: "cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        descriptor = fds[0]
        signalPipeWrite = fds[1]
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { close(descriptor) }

    /// The signals received since the last call, in order.
    func take() -> [Int32] {
        var signals: [Int32] = []
        var byte: UInt8 = 0
        while read(descriptor, &byte, 1) == 1 { signals.append(Int32(byte)) }
        return signals
    }

    /// Waits up to `seconds` for a signal; the signals that came.
    func wait(seconds: Double) -> [Int32] {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(seconds * 1000))
        return take()
    }

    static func isStop(_ signal: Int32) -> Bool { signal == SIGTERM || signal == SIGINT }
}
