import Foundation

/// Soak: millions of messages through the daemon, rotating files as an archiver does; resident
/// memory and open descriptors sampled at the start, the middle and the end.
enum SoakBenchmark {
    static func run(binary: String, data: String, total: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no chatwarden binary at \(binary)")
        }
        let corpus = Bench.lines(data + "/corpus/subtitles/dgk_subtitles_zh_lines.txt")
        guard !corpus.isEmpty else { throw BenchError("no corpus under \(data)") }
        let dir = NSTemporaryDirectory() + "cw-soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/archive", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = try Bench.daemon(binary: binary, directory: dir)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let pid = process.processIdentifier

        func rssMB() -> Double {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            else { return .nan }
            return kb / 1024
        }
        func fds() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
        /// Lines the daemon has dealt with: messages indexed plus lines quarantined (the corpus
        /// holds a few raw control characters, which make a line invalid JSON: quarantined, as
        /// they must be, and counted, or the wait below would never end).
        func indexed() -> Int {
            let out = Process()
            out.executableURL = URL(fileURLWithPath: binary)
            out.arguments = ["stats", "--format", "json", "--state-dir", dir + "/state"]
            let pipe = Pipe()
            out.standardOutput = pipe
            out.standardError = FileHandle.nullDevice
            try? out.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            out.waitUntilExit()
            var lines = 0
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
            where line.contains("\"dimension\":\"total\"")
                && (line.contains("\"messages\"") || line.contains("\"quarantined\""))
            {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let n = object["count"] as? Int
                {
                    lines += n
                }
            }
            return lines
        }

        usleep(500_000)
        var samples: [(String, Int, Double, Int)] = [("start", 0, rssMB(), fds())]
        let perFile = 500_000
        let chunk = 20_000
        var written = 0
        var file = 0
        let start = Bench.now()
        while written < total {
            let path = dir + "/archive/chat.jsonl"
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            let handle = FileHandle(forWritingAtPath: path)!
            handle.seekToEndOfFile()
            var text = ""
            for k in written..<min(written + chunk, total) {
                let content = corpus[k % corpus.count].replacingOccurrences(of: "\\", with: "").replacingOccurrences(
                    of: "\"", with: "")
                text +=
                    #"{"msgid":"soak\#(k)","action":"send","from":"staff\#(k % 300)","tolist":["wmCustomer\#(String(format: "%012d", k % 50_000))0000000000"],"roomid":"\#(k % 5 == 0 ? "wrRoom\(k % 700)" : "")","msgtime":\#(1_795_136_400_000 + Int64(k) * 50),"msgtype":"text","text":{"content":"\#(content)"}}"#
                text += "\n"
            }
            handle.write(Data(text.utf8))
            handle.closeFile()
            written = min(written + chunk, total)
            if written / perFile > file {
                file = written / perFile
                _ = rename(path, dir + "/archive/chat.jsonl.\(file)")
            }
            // Keep the backlog bounded, as a live archive would be.
            while written - indexed() > 200_000 { usleep(500_000) }
            if samples.count == 1 && written >= total / 2 {
                samples.append(("middle", indexed(), rssMB(), fds()))
                print(
                    "  (middle: \(samples[1].1) lines done, resident memory \(Bench.f(samples[1].2)) MB, \(samples[1].3) open descriptors)"
                )
                // Now, not at exit: a soak stopped early still leaves this line in its log file.
                fflush(nil)
            }
        }
        while indexed() < total && Bench.now() - start < 7200 { usleep(1_000_000) }
        let elapsed = Bench.now() - start
        samples.append(("end", indexed(), rssMB(), fds()))
        print(
            "soak: \(total) messages through the daemon in \(Bench.f(elapsed / 60)) min (\(Bench.f(Double(total) / elapsed, 0)) messages/s), rotating every \(perFile)"
        )
        for (label, count, rss, fd) in samples {
            print(
                "  \(label): \(count) lines done (indexed or quarantined), resident memory \(Bench.f(rss)) MB, \(fd) open descriptors"
            )
        }
    }
}
