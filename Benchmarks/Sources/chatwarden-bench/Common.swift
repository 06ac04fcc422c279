import Foundation

/// Measurement helpers shared by the benchmarks.
enum Bench {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Runs `body` `runs` times and returns the fastest wall time (after one warm-up run when
    /// `warmUp`), and the last result.
    static func best<T>(runs: Int = 3, warmUp: Bool = true, _ body: () throws -> T) rethrows -> (Double, T) {
        if warmUp { _ = try body() }
        var best = Double.infinity
        var result: T? = nil
        for _ in 0..<runs {
            let start = now()
            result = try body()
            best = min(best, now() - start)
        }
        return (best, result!)
    }

    /// Resident set size in bytes.
    static func rss() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (Int(fields.count > 1 ? fields[1] : "0") ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The machine, for every report: CPU model, cores, kernel.
    static func machine() -> String {
        var model = "unknown CPU"
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        {
            model =
                line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? model
        }
        var name = utsname()
        uname(&name)
        let release = withUnsafePointer(to: name.release) {
            $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
        }
        let memory =
            (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?.split(separator: "\n").first
            .map { $0.split(separator: " ").dropFirst().first.map { "\(Int($0)! / 1_048_576) GiB" } ?? "" } ?? ""
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory), Linux \(release)"
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    static func mb(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

    static func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

    /// Prints a table with aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 0
                    ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    /// Lines of a text file (empty lines dropped).
    static func lines(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
    }

    /// Runs a shell command; its wall time and exit status.
    /// Starts `chatwarden daemon` with `arguments` (standard error discarded, log level warning);
    /// the caller stops it.
    static func daemon(binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["daemon"] + arguments + ["--log-level", "warning"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A daemon following `dir`/archive/*.jsonl* with the repository's wordlists and its state in
    /// `dir`/state, from a configuration file written there (which `dir` must exist for); `extra`
    /// is appended to the configuration.
    static func daemon(binary: String, directory dir: String, extra: String = "") throws -> Process {
        let config = dir + "/chatwarden.toml"
        try """
        state_dir = "\(dir)/state"
        [rules]
        wordlists = ["\(FileManager.default.currentDirectoryPath)/wordlists"]
        [daemon]
        watch = ["\(dir)/archive/*.jsonl*"]
        \(extra)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return try daemon(binary: binary, ["--config", config])
    }

    /// A thread that reads the alert log as it grows and timestamps each alert's message id in
    /// `shared.seen` (until `shared.stop`).
    static func alertLogReader(path logPath: String, shared: Shared) -> Thread {
        let lock = shared.lock
        return Thread {
            var pending = Data()
            var logOffset: UInt64 = 0
            while true {
                lock.lock()
                let done = shared.stop
                lock.unlock()
                if done { break }
                if let h = FileHandle(forReadingAtPath: logPath) {
                    h.seek(toFileOffset: logOffset)
                    let data = h.readDataToEndOfFile()
                    h.closeFile()
                    logOffset += UInt64(data.count)
                    pending.append(data)
                    let now = Bench.now()
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let lineData = pending[pending.startIndex..<newline]
                        pending = Data(pending[(newline + 1)...])
                        if let object = try? JSONSerialization.jsonObject(with: lineData) as? [String: Any],
                            let msgid = object["msgid"] as? String
                        {
                            lock.lock()
                            if shared.seen[msgid] == nil { shared.seen[msgid] = now }
                            lock.unlock()
                        }
                    }
                }
                usleep(1_000)
            }
        }
    }

    /// Runs a shell command and returns its standard output.
    static func output(_ command: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func shell(_ command: String) -> (Double, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        let start = now()
        try? process.run()
        process.waitUntilExit()
        return (now() - start, process.terminationStatus)
    }
}
