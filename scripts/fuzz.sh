#!/bin/sh
# Builds the fuzz targets (address sanitizer, libFuzzer coverage) and runs each for a fixed time.
# Usage: scripts/fuzz.sh SECONDS [TARGET...]   (targets: decoder normalizer wordlist config image)
# New corpus entries go to .build-fuzz-corpus/; crashes to Fuzz/Crashes/ (commit them: the test
# suite replays every file there). Prints executions and crashes per target.
set -eu
seconds=${1:-60}; shift || true
targets=${*:-decoder normalizer wordlist config image}
here=$(cd "$(dirname "$0")/.." && pwd)
fuzzer_lib=$(find "$(dirname "$(dirname "$(command -v swift)")")/lib" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -1)
[ -n "$fuzzer_lib" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found in the Swift toolchain" >&2; exit 1; }
cd "$here/Fuzz"
swift build -c release -Xswiftc -sanitize=address \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table -Xswiftc -parse-as-library \
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++
bin=$(swift build -c release --show-bin-path)
status=0
for t in $targets; do
    name=Fuzz$(echo "$t" | cut -c1 | tr a-z A-Z)$(echo "$t" | cut -c2-)
    work="$here/.build-fuzz-corpus/$t"
    mkdir -p "$work"
    log="$work.log"
    # TOMLKit 0.6.0 leaks every parsed table (no deinit) and its error buffer; the config fuzzer
    # found it at once (Fuzz/Crashes/config-leak-*). Leak checks stay on for our own code.
    extra=""
    [ "$t" = config ] && extra="-detect_leaks=0"
    "$bin/$name" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -timeout=10 $extra \
        -artifact_prefix="$here/Fuzz/Crashes/$t-" "$work" "$here/Fuzz/Corpus/$t" >"$log" 2>&1 || status=1
    runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
    crashes=$(ls "$here/Fuzz/Crashes" | grep -c "^$t-" || true)
    echo "fuzz $t: $runs executions in ${seconds}s, crash files for $t in Fuzz/Crashes: $crashes (log $log)"
done
exit $status
