import Foundation

// chatwarden-bench [match|index|daemon|windows|all] [--data DIR]
// Reports what it measured, on which machine; `make bench` runs them all.
var arguments = Array(CommandLine.arguments.dropFirst())
var data = "../shared/data"
if let i = arguments.firstIndex(of: "--data"), i + 1 < arguments.count {
    data = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
let which = arguments.first ?? "all"
print("chatwarden-bench \(which) on \(Bench.machine()); release build; data \(data)")
print("rerun: make bench BENCH=\(which)")
do {
    guard FileManager.default.fileExists(atPath: data) else {
        print("skipped: \(data) is missing (the benchmarks read real corpora and lexicons from ../shared/data)")
        exit(0)
    }
    if which == "match" || which == "all" { try MatchBenchmark.run(data: data) }
} catch {
    print("error: \(error)")
    exit(1)
}
