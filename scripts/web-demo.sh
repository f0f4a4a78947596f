#!/usr/bin/env bash
# One command for the browser demo (README): builds the WebAssembly verifier for the page,
# compiles the bundled examples (once; cached in target/web-demo/): the MNIST CNN and the
# character-level GPT, and serves the page and the proving API on http://127.0.0.1:8080 (or
# --addr). Open the address and draw a digit, or open the text model's address it prints and
# type a prompt.
#
#   bash scripts/web-demo.sh [--addr HOST:PORT] [other `zkinfer serve` flags]
#
# Installs what it lacks as `.ci/run` does (wasm-bindgen-cli, the wasm32 target, nightly with
# rust-src, Node/npm; Debian packages with apt-get, through sudo when not root). Development KZG parameters: NOT for real use.
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
text="$root/target/web-demo/text"
if [[ ! -s "$model/verifier-key" || "$model/verifier-key" -ot "$cli" ]]; then
    # A rebuilt binary may lay the circuit out differently: recompile so keys match the prover.
    rm -rf "$model"
    "$cli" compile examples/mnist/model.onnx \
        --calibration examples/mnist/calibration.json \
        --labels <(printf '%s\n' 0 1 2 3 4 5 6 7 8 9) \
        -o "$model"
fi
if [[ ! -s "$text/verifier-key" || "$text/verifier-key" -ot "$cli" ]]; then
    # As `zkinfer demo --example text` compiles it: 12-bit activations, proofs in seconds.
    rm -rf "$text"
    "$cli" compile examples/text/model.onnx \
        --calibration examples/text/calibration.json \
        --tokenizer examples/text/tokenizer.json --activation-bits 12 --weight-bits 12 \
        -o "$text"
fi
text_id="$(sha256sum "$text/verifier-key" | cut -d' ' -f1)"
echo "the text model (type a prompt): open /?model=$text_id"
exec "$cli" serve "$model" "$text" --data-dir "$root/target/web-demo/data" "${addr[@]}" "${web[@]}" "$@"
