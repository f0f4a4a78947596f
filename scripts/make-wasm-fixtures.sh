#!/usr/bin/env bash
# Generates the fixtures the zkinfer-verifier tests embed with include_bytes!:
#   verifier-wasm/tests/fixtures/verifier-key        key of the bundled MNIST demo model
#   verifier-wasm/tests/fixtures/digit_7.proof       a valid proof for that key
#   verifier-wasm/tests/fixtures/digit_7.input.json  the input it proves, with the input salt the
#                                                    demo drew (the model's input hash is salted)
#   verifier-wasm/tests/fixtures/other-verifier-key  key of a different circuit (13 activation bits)
#   verifier-wasm/tests/fixtures/chain-key           the MNIST model compiled as a chain of two
#                                                    segments (one lane per dot row and a small
#                                                    --memory-budget force it),
#                                                    its input public and packed
#   verifier-wasm/tests/fixtures/chain-digit_7.proof a valid chain bundle for that chain key
#
# Must run before the wasm tests (scripts/test-wasm.sh runs it; without the files they fail in
# the_fixture_proofs_exist). Idempotent: builds the release CLI (a no-op when up to date; or uses $ZKINFER_BIN) and
# regenerates the files only when one is missing or the CLI binary changed since they were made
# (a circuit change invalidates old keys and proofs), or always with --force. Dev KZG parameters are cached in
# $ZKINFER_CACHE_DIR or ~/.cache/zkinfer.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$root/verifier-wasm/tests/fixtures"
force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

cd "$root"
# ZKINFER_BIN: a CLI the caller already built (.ci/run passes the one its test build made);
# otherwise the release CLI is built here.
if [[ -n "${ZKINFER_BIN:-}" ]]; then
    cli="$ZKINFER_BIN"
    [[ -x "$cli" ]] || { echo "error: ZKINFER_BIN=$cli is not an executable" >&2; exit 1; }
else
    cargo build --release -p zkinfer-prover
    cli="$root/target/release/zkinfer"
fi
# The fixtures depend on the CLI, on this script (which models, which flags) and on the text
# example's files.
stamp="$(cat "$cli" "$root/scripts/make-wasm-fixtures.sh" examples/text/model.onnx examples/text/tokenizer.json \
    examples/text/calibration.json | sha256sum | cut -d' ' -f1)"

if [[ $force -eq 0 && -s "$fixtures/verifier-key" && -s "$fixtures/digit_7.proof" && -s "$fixtures/other-verifier-key" \
      && -s "$fixtures/digit_7.input.json" \
      && -s "$fixtures/chain-key" && -s "$fixtures/chain-digit_7.proof" \
      && -s "$fixtures/gpt-key" && -s "$fixtures/gpt.proof" && -s "$fixtures/gpt.input.json" \
      && "$(cat "$fixtures/.cli-sha256" 2>/dev/null)" == "$stamp" ]]; then
    echo "fixtures in $fixtures are up to date with $cli (use --force to regenerate)"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The three models are made side by side (key generation is partly single-threaded, so two
# cores are better used by two jobs); each job's output goes to its own log, shown on failure.
"$cli" demo --dir "$work/demo" > "$work/demo.log" 2>&1 &
demo_job=$!
"$cli" compile examples/mnist/model.onnx \
    --calibration examples/mnist/calibration.json \
    --activation-bits 13 \
    -o "$work/other" > "$work/other.log" 2>&1 &
other_job=$!
{
    "$cli" compile examples/mnist/model.onnx \
        --calibration examples/mnist/calibration.json \
        --weights fixed --input-visibility packed --dot-width 1 --activation-bits 12 \
        --memory-budget 0.45 -o "$work/chain" \
    && "$cli" prove "$work/chain" --input examples/mnist/digits/digit_7.json -o "$work/chain.proof"
} > "$work/chain.log" 2>&1 &
chain_job=$!
# A transformer on token ids: the bundled character-level GPT (examples/text), served
# defaults (hidden weights, salted input hash), at 12 activation and weight bits as `zkinfer demo
# --example text` compiles it; the input is a held-out prompt's token ids as its tokenizer gives them.
{
    python3 - "$work" <<'PY'
import json, sys
tok = json.load(open("examples/text/tokenizer.json"))
prompt = "it is not down in any map; true places never ar"[-tok["context"]:]
ids = [tok["vocabulary"].index(c) for c in prompt]
json.dump({"input_data": [ids], "input_salt": "00" * 31 + "2a"},
          open(f"{sys.argv[1]}/gpt.input.json", "w"))
PY
    "$cli" compile examples/text/model.onnx --calibration examples/text/calibration.json \
        --tokenizer examples/text/tokenizer.json --activation-bits 12 --weight-bits 12 -o "$work/gpt" \
    && "$cli" prove "$work/gpt" --input "$work/gpt.input.json" -o "$work/gpt.proof"
} > "$work/gpt.log" 2>&1 &
gpt_job=$!
failed=0
for job in demo:$demo_job other:$other_job chain:$chain_job gpt:$gpt_job; do
    if ! wait "${job#*:}"; then
        echo "error: making the ${job%%:*} fixture failed:" >&2
        cat "$work/${job%%:*}.log" >&2
        failed=1
    fi
done
[[ $failed -eq 0 ]] || exit 1

if cmp -s "$work/demo/verifier-key" "$work/other/verifier-key"; then
    echo "error: the second model's key is identical to the demo key" >&2
    exit 1
fi

mkdir -p "$fixtures"
# Copy to temporary names first so an interrupted run never leaves a mismatched set.
cp "$work/demo/verifier-key" "$fixtures/.verifier-key.tmp"
cp "$work/demo/digit_7.proof" "$fixtures/.digit_7.proof.tmp"
cp "$work/demo/digit_7.input.json" "$fixtures/.digit_7.input.json.tmp"
cp "$work/other/verifier-key" "$fixtures/.other-verifier-key.tmp"
cp "$work/chain/verifier-key" "$fixtures/.chain-key.tmp"
cp "$work/chain.proof" "$fixtures/.chain-digit_7.proof.tmp"
cp "$work/gpt/verifier-key" "$fixtures/.gpt-key.tmp"
cp "$work/gpt.proof" "$fixtures/.gpt.proof.tmp"
cp "$work/gpt.input.json" "$fixtures/.gpt.input.json.tmp"
mv "$fixtures/.verifier-key.tmp" "$fixtures/verifier-key"
mv "$fixtures/.digit_7.proof.tmp" "$fixtures/digit_7.proof"
mv "$fixtures/.digit_7.input.json.tmp" "$fixtures/digit_7.input.json"
mv "$fixtures/.other-verifier-key.tmp" "$fixtures/other-verifier-key"
mv "$fixtures/.chain-key.tmp" "$fixtures/chain-key"
mv "$fixtures/.chain-digit_7.proof.tmp" "$fixtures/chain-digit_7.proof"
mv "$fixtures/.gpt-key.tmp" "$fixtures/gpt-key"
mv "$fixtures/.gpt.proof.tmp" "$fixtures/gpt.proof"
mv "$fixtures/.gpt.input.json.tmp" "$fixtures/gpt.input.json"
echo "$stamp" > "$fixtures/.cli-sha256"
ls -l "$fixtures"
