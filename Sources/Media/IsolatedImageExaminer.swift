import Foundation

/// Why an image's examination did not come back.
public enum ExaminationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The helper was still at it after the limit and was killed.
    case timedOut(seconds: Double)
    /// The helper died on this image (a crash in a C decoder, memory exhausted).
    case crashed(String)
    /// The helper could not be started or spoken to.
    case unavailable(String)

    public var description: String {
        switch self {
        case .timedOut(let seconds):
            return "decoding took longer than \(Int(seconds)) s and was stopped ([media] decode_seconds)"
        case .crashed(let how): return "the image decoder died on this image (\(how))"
        case .unavailable(let why): return "the image decoder could not run (\(why))"
        }
    }
}

/// Examines images in a helper process (`chatwarden media helper`) so that neither a hostile
/// image nor a slow one can hurt the process that asked: the C decoders (Leptonica, ZBar,
/// Tesseract) run outside it, a crash there kills only the helper, and a decode that outlasts
/// its limit is ended with SIGKILL — the only way to stop C code that has no cancel hook
/// (Tesseract's deadline covers recognition but not the page layout analysis before it, which
/// took minutes on a large image of noise). The helper keeps its models loaded between images
/// and is started again after it is killed. Requests and reports are JSON lines on its standard
/// input and output.
public final class IsolatedImageExaminer {
    private let command: [String]
    private var process: Process?
    private var toHelper: FileHandle?
    private var fromHelper: Int32 = -1
    private var buffer: [UInt8] = []

    /// `command`: the helper's executable and arguments.
    public init(command: [String]) {
        self.command = command
    }

    /// This program's own `media helper` (the executable found through /proc/self/exe, so a
    /// relative argv[0] or a changed working directory does not matter).
    public static func helperCommand() -> [String] {
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        let executable =
            length > 0
            ? String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        return [executable, "media", "helper"]
    }

    deinit { stop() }

    /// Examines one image, waiting at most `seconds` for the report.
    public func examine(_ request: ImageRequest, seconds: Double) -> Result<ImageReport, ExaminationFailure> {
        guard let line = try? JSONEncoder().encode(request) else {
            return .failure(.unavailable("cannot encode the request"))
        }
        // A helper that ended between two images (nothing of this image's doing) is replaced
        // once before the image is given up on.
        var sent = false
        for _ in 0..<2 where !sent {
            if process == nil {
                do { try start() } catch { return .failure(.unavailable("\(error)")) }
            }
            do {
                try toHelper?.write(contentsOf: line + Data([0x0A]))
                sent = true
            } catch {
                _ = ended()
            }
        }
        guard sent else { return .failure(.unavailable("the helper ends as soon as it starts")) }
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let reply = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                guard let report = try? JSONDecoder().decode(ImageReport.self, from: reply) else {
                    stop()
                    return .failure(.crashed("an unreadable report"))
                }
                return .success(report)
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                stop()
                return .failure(.timedOut(seconds: seconds))
            }
            var poller = pollfd(fd: fromHelper, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left * 1000, 1000).rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = read(fromHelper, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .failure(ended()) }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    private func start() throws {
        // A helper that died between two images must be an error on write, not a SIGPIPE that
        // ends this process (the daemon ignores SIGPIPE already; `media run` did not).
        signal(SIGPIPE, SIG_IGN)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: command[0])
        child.arguments = Array(command.dropFirst())
        let input = Pipe(), output = Pipe()
        child.standardInput = input
        child.standardOutput = output
        // libpng and friends complain on standard error about broken files; the report says why.
        child.standardError = FileHandle.nullDevice
        try child.run()
        process = child
        toHelper = input.fileHandleForWriting
        fromHelper = output.fileHandleForReading.fileDescriptor
        // Keep the read end's FileHandle alive with the process (it owns the descriptor).
        readEnd = output.fileHandleForReading
        buffer = []
    }

    private var readEnd: FileHandle?

    /// The helper closed its output: how it ended.
    private func ended() -> ExaminationFailure {
        guard let child = process else { return .unavailable("not running") }
        child.waitUntilExit()
        let how =
            child.terminationReason == .uncaughtSignal
            ? "signal \(child.terminationStatus)" : "exit status \(child.terminationStatus)"
        clear()
        return .crashed(how)
    }

    /// Kills the helper (if running) and forgets it; the next image starts a new one.
    public func stop() {
        if let child = process, child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        clear()
    }

    private func clear() {
        try? toHelper?.close()
        try? readEnd?.close()
        toHelper = nil
        readEnd = nil
        fromHelper = -1
        process = nil
        buffer = []
    }
}
