import Foundation
import Normalize

// chatwarden-bench [match|index|rescan|daemon|windows|web|media|screenshots|shared-store|false-positives|soak|all] [--data DIR]
// Reports what it measured, on which machine; `make bench` runs them all.
var arguments = Array(CommandLine.arguments.dropFirst())
var data = "../shared/data"
if let i = arguments.firstIndex(of: "--data"), i + 1 < arguments.count {
    data = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
let which = arguments.first ?? "all"
print("chatwarden-bench \(which) on \(Bench.machine()); release build; data \(data)")
print(which == "soak" ? "rerun: make soak" : "rerun: make bench BENCH=\(which)")
do {
    guard FileManager.default.fileExists(atPath: data) else {
        print("skipped: \(data) is missing (the benchmarks read real corpora and lexicons from ../shared/data)")
        exit(0)
    }
    if which == "match" || which == "all" { try MatchBenchmark.run(data: data) }
    if which == "index" || which == "all" {
        let count = Int(ProcessInfo.processInfo.environment["CHATWARDEN_BENCH_MESSAGES"] ?? "") ?? 1_000_000
        try IndexBenchmark.run(data: data, messages: count)
    }
    if which == "rescan" || which == "all" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        let count = Int(ProcessInfo.processInfo.environment["CHATWARDEN_BENCH_MESSAGES"] ?? "") ?? 1_000_000
        try RescanBenchmark.run(binary: binary, data: data, large: count)
    }
    if which == "daemon" || which == "all" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        try DaemonBenchmark.run(binary: binary)
    }
    if which == "windows" || which == "all" { WindowBenchmark.run(data: data) }
    if which == "media" || which == "screenshots" || which == "all" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        try MediaBenchmark.run(binary: binary, data: data, screenshotsOnly: which == "screenshots")
    }
    if which == "web" || which == "all" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        let count = Int(ProcessInfo.processInfo.environment["CHATWARDEN_BENCH_MESSAGES"] ?? "") ?? 1_000_000
        try WebBenchmark.run(binary: binary, data: data, messages: count)
    }
    if which == "shared-store" || which == "all" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        let count = Int(ProcessInfo.processInfo.environment["CHATWARDEN_BENCH_MESSAGES"] ?? "") ?? 200_000
        try SharedStoreBenchmark.run(binary: binary, data: data, messages: count)
    }
    if which == "false-positives" || which == "all" { try FalsePositives.run(data: data) }
    if which == "soak" {
        let binary = ProcessInfo.processInfo.environment["CHATWARDEN_BIN"] ?? ".build/release/chatwarden"
        let total = Int(ProcessInfo.processInfo.environment["CHATWARDEN_SOAK_MESSAGES"] ?? "") ?? 10_000_000
        try SoakBenchmark.run(binary: binary, data: data, total: total)
    }
    if which == "profile-detect" { try MatchBenchmark.profile(data: data) }
    if which == "profile-normalize" {
        let lines = Bench.lines(data + "/corpus/subtitles/dgk_subtitles_zh_lines.txt")
        let buffers = NormalizationBuffers()
        let start = Bench.now()
        var n = 0
        for _ in 0..<10 {
            for line in lines {
                var copy = line
                copy.withUTF8 {
                    n +=
                        Normalizer.standard.normalize(utf8: $0, into: buffers, light: false, dense: true).dense.bytes
                        .count
                }
            }
        }
        let bytes = lines.reduce(0) { $0 + $1.utf8.count } * 10
        print("dense only: \(Bench.f(Bench.mb(bytes) / (Bench.now() - start))) MB/s (\(n))")
        var big = lines.prefix(100_000).joined(separator: "\n")
        let t = Bench.now()
        for _ in 0..<10 {
            big.withUTF8 {
                n += Normalizer.standard.normalize(utf8: $0, into: buffers, light: false, dense: true).dense.bytes.count
            }
        }
        print("dense only, one 2.7 MB text: \(Bench.f(Bench.mb(big.utf8.count * 10) / (Bench.now() - t))) MB/s")
    }
} catch {
    print("error: \(error)")
    exit(1)
}
