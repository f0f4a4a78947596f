#!/usr/bin/env bash
# Benchmark of the WebAssembly verifier in headless Chromium (BENCHMARKS.md): key parsing and
# verification, cold and warm, single-threaded and threaded, for
#   - the bundled MNIST model (k=14; the fixtures of scripts/make-wasm-fixtures.sh), and
#   - the same network compiled with 18-bit activations, which needs k=20.
# The k=20 key and proof are made once into target/bench-browser/ (about 10 minutes on 2 cores,
# most of it generating the development parameters for k=20; skip with --no-k20).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

k20=1
for arg in "$@"; do
    case "$arg" in
        --no-k20) k20=0 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

(cd tests/browser && { [[ -d node_modules/playwright-core ]] || npm ci --no-audit --no-fund; })
bash scripts/build-wasm.sh
bash scripts/make-wasm-fixtures.sh
cases=("mnist=verifier-wasm/tests/fixtures/verifier-key,verifier-wasm/tests/fixtures/digit_7.proof")

if [[ $k20 -eq 1 ]]; then
    cli="$root/target/release/zkinfer"
    dir="$root/target/bench-browser/mnist-k20"
    # Re-made only when missing or no longer valid for this build (a circuit or format change).
    if ! "$cli" verify "$dir/verifier-key" "$dir/digit_3.proof" >/dev/null 2>&1; then
        rm -rf "$dir"
        "$cli" compile examples/mnist/model.onnx --calibration examples/mnist/calibration.json \
            --activation-bits 18 -o "$dir"
        "$cli" prove "$dir" --input examples/mnist/digits/digit_3.json -o "$dir/digit_3.proof"
    fi
    cases+=("mnist, 18-bit activations=$dir/verifier-key,$dir/digit_3.proof")
fi

node tests/browser/bench.mjs "${cases[@]}"
