#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 60) and prints one summary line per target.
# Usage (from anywhere): fuzz/run-all.sh [seconds] [target...]
# New corpus entries go to fuzz/corpus-local/<target>/ (git-ignored); the committed seeds in
# fuzz/corpus/<target>/ are only read. Crash inputs land in fuzz/artifacts/<target>/.
set -u
secs="${1:-60}"
shift || true
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz_dir")"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(bundle verifier_key verify onnx tflite input_json setup_file)

cd "$root"
# The nightly of the threaded wasm build when one is pinned (scripts/wasm-env.sh), else "nightly".
nightly="${ZKINFER_NIGHTLY:-nightly}"
cargo "+$nightly" fuzz build || exit 1
log_dir="$fuzz_dir/target/run-all-logs"
mkdir -p "$log_dir"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$fuzz_dir/corpus-local/$t"
  log="$log_dir/$t.log"
  cargo "+$nightly" fuzz run "$t" "$fuzz_dir/corpus-local/$t" "$fuzz_dir/corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 >"$log" 2>&1
  rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')"
  if [ $rc -eq 0 ]; then
    echo "$t: ${execs:-?} execs, no crash"
  else
    status=1
    echo "$t: ${execs:-?} execs, CRASH (exit $rc), see $log"
    grep -E 'Test unit written to|panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -5 | sed 's/^/    /'
  fi
done
exit $status
