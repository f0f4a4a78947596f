#!/usr/bin/env bash
# What the job engine buys: proves one input of a compiled model (a chain, ideally) once on
# this process alone (`zkinfer prove`), then through the engine (`zkinfer prove --database`)
# with 1 and with 2 `zkinfer worker` processes, on a throwaway PostgreSQL. Prints a table: wall
# time, the workers' summed segment times (key generation + proof) and what is left, the
# engine's overhead (queueing, the database, assembly).
#   scripts/bench-engine.sh MODEL_DIR INPUT.json [WORKER_COUNTS...]   (default: 1 2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$(realpath "${1:?compiled model directory}")"
input="$(realpath "${2:?input JSON}")"
shift 2
counts=("${@:-1 2}")
[[ $# -eq 0 ]] && counts=(1 2)
zk="${ZKINFER_BIN:-$root/target/release/zkinfer}"
work="$(mktemp -d "${TMPDIR:-/tmp}/zkinfer-bench-engine.XXXXXX")"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    bash "$root/scripts/test-postgres.sh" stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT
export NO_COLOR=1 RUST_LOG=info
server="$(bash "$root/scripts/test-postgres.sh" start "$work/pg")"
base="${server%/*}"
salt="0x$(printf '%064d' 7)"

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.1f}')"; }

t0=$(now)
"$zk" prove "$model" --input "$input" --input-salt "$salt" -o "$work/alone.proof" >"$work/alone.log" 2>&1
alone=$(seconds "$t0" "$(now)")
printf '%-34s %10s %14s %12s\n' "run" "wall s" "segments s" "overhead s"
printf '%-34s %10s %14s %12s\n' "zkinfer prove (this process alone)" "$alone" "-" "-"

for n in "${counts[@]}"; do
    psql "$server" -X -q -c "CREATE DATABASE bench_$n" >/dev/null
    db="$base/bench_$n"
    # The tables exist before the clock starts (a first `worker` creates them).
    "$zk" worker --database "$db" "$model" >/dev/null 2>"$work/w$n-0.log" &
    pids+=($!)
    for ((i = 1; i < n; i++)); do
        "$zk" worker --database "$db" "$model" >/dev/null 2>"$work/w$n-$i.log" &
        pids+=($!)
    done
    for ((i = 0; i < n; i++)); do
        until grep -q "taking proof jobs" "$work/w$n-$i.log"; do
            if ! kill -0 "${pids[$i]}" 2>/dev/null; then
                echo "worker $i stopped:" >&2
                cat "$work/w$n-$i.log" >&2
                exit 1
            fi
            sleep 0.2
        done
    done
    t0=$(now)
    "$zk" prove "$model" --input "$input" --input-salt "$salt" --database "$db" \
        -o "$work/engine-$n.proof" >"$work/prove-$n.log" 2>&1
    wall=$(seconds "$t0" "$(now)")
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pids=()
    summed=$(cat "$work"/w"$n"-*.log | python3 -c '
import re, sys
total = 0.0
for line in sys.stdin:
    if "segment proven" in line or "proof done" in line:
        k = re.search(r"key_seconds=([0-9.]+)", line)
        p = re.search(r"proof_seconds=([0-9.]+)", line)
        if k and p:
            total += float(k.group(1)) + float(p.group(1))
print(f"{total:.1f}")')
    over=$(python3 -c "print(f'{$wall - $summed / $n:.1f}')")
    printf '%-34s %10s %14s %12s\n' "engine, $n worker process(es)" "$wall" "$summed" "$over"
    grep -h "segment proven" "$work"/w"$n"-*.log | sed -E 's/.*segment=([0-9]+) of=([0-9]+) key_seconds=([0-9.]+) proof_seconds=([0-9.]+).*/  segment \1 of \2: key \3 s, proof \4 s/' | sort -n -k2
    "$zk" verify "$model/verifier-key" "$work/engine-$n.proof" >/dev/null 2>&1 && echo "  the engine's bundle verifies" || {
        echo "  the engine's bundle does NOT verify"
        exit 1
    }
done
