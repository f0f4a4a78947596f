#!/usr/bin/env bash
# One command for the browser demo (README): builds the WebAssembly verifier for the page,
# compiles the bundled MNIST example (once; cached in target/web-demo/), and serves the page
# and the proving API on http://127.0.0.1:8080 (or --addr). Open the address, draw a digit.
#
#   bash scripts/web-demo.sh [--addr HOST:PORT] [other `zkinfer serve` flags]
#
# Needs what `.ci/run` installs (wasm-pack, wasm-bindgen-cli, the wasm32 target; nightly with
# rust-src for the threaded verifier). Development KZG parameters: NOT for real use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

# Defaults the caller's own flags replace.
addr=(--addr 127.0.0.1:8080)
web=(--web web)
for arg in "$@"; do
    [[ "$arg" == --addr || "$arg" == --addr=* ]] && addr=()
    [[ "$arg" == --web || "$arg" == --web=* ]] && web=()
done

bash scripts/build-wasm.sh
cargo build --release -p zkinfer-prover --bin zkinfer
cli="$root/target/release/zkinfer"
model="$root/target/web-demo/mnist"
if [[ ! -s "$model/verifier-key" || "$model/verifier-key" -ot "$cli" ]]; then
    # A rebuilt binary may lay the circuit out differently: recompile so keys match the prover.
    rm -rf "$model"
    "$cli" compile examples/mnist/model.onnx \
        --calibration examples/mnist/calibration.json \
        --labels <(printf '%s\n' 0 1 2 3 4 5 6 7 8 9) \
        -o "$model"
fi
exec "$cli" serve "$model" --data-dir "$root/target/web-demo/data" "${addr[@]}" "${web[@]}" "$@"
