#!/usr/bin/env bash
# Tests the WebAssembly verifier, both builds, in headless Chromium, and its npm package:
#
#   1. single-threaded build: wasm-bindgen tests (tests/web.rs, tests/timing.rs, tests/field.rs,
#      cargo test with wasm-bindgen's runner) on a page in headless Chromium, built as the shipped module is (nightly, std for size, panics trap at once: a
#      failing test is named without its assertion's message; ZKINFER_WASM_TEST_MESSAGES=1 runs
#      a stable build with messages instead)
#   2. only with --threaded-harness: the threaded build's wasm-bindgen tests (tests/threads.rs,
#      tests/timing.rs) in a dedicated worker, with a wasm-bindgen-rayon pool (nightly; flags in
#      scripts/wasm-env.sh). Not in `.ci/run`: it is a third nightly build-std compile (about
#      5 minutes on a slow 2-core machine), and the threaded package as shipped is tested in
#      step 3 (a pool of >= 2 workers over shared memory; valid, tampered and other-model proofs)
#   3. the npm package: scripts/build-wasm.sh, then verifier-wasm/npm-test/ installs it like a
#      consumer (file:../pkg) and runs smoke.mjs (Node, types, npm pack) and browser.mjs (both
#      builds as shipped, in Chromium, with and without cross-origin isolation), and corpus.mjs
#      (the fuzz corpora and seeded mutants through the shipped module: no trap, no mutant accepted);
#      and, after the build, the size guard (scripts/check-wasm-size.sh) with a budget it must refuse
#
# Installs what it needs, idempotently: the wasm32 target, nightly's rust-src and wasm32 target,
# wasm-bindgen-cli of the locked version, Node/npm, Chromium and chromedriver, and
# the npm test dependencies; makes the fixtures (scripts/make-wasm-fixtures.sh) if needed.
# Prints each build's timings (key load and verify, first and repeated) along the way.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=wasm-env.sh
source "$root/scripts/wasm-env.sh"

threaded_harness=0
case "${1:-}" in
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    --threaded-harness) threaded_harness=1 ;;
    "") ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac

start=$SECONDS
step() { wasm_log "$* [$((SECONDS - start)) s]"; }

step "tools"
wasm_ensure_rust_tools
wasm_ensure_node
wasm_ensure_browser

step "fixtures: real proofs from the native prover"
bash scripts/make-wasm-fixtures.sh

if [[ "${ZKINFER_WASM_TEST_MESSAGES:-0}" == 1 ]]; then
    # Stable, the release profile, panics unwound to the harness: a failing assertion's message.
    step "single-threaded verifier in headless Chromium (stable, with panic messages)"
    wasm_test_in_chromium --release -- --nocapture
else
    # The shipped single-threaded module's configuration (scripts/wasm-env.sh): what is tested is
    # what ships, and scripts/build-wasm.sh below reuses everything these tests compiled.
    step "single-threaded verifier in headless Chromium (built as the package is)"
    with_single_size_env wasm_test_in_chromium \
        --profile "$ZKINFER_WASM_PROFILE" "${ZKINFER_SINGLE_CARGO_ARGS[@]}" -- --nocapture
fi

if [[ $threaded_harness -eq 1 ]]; then
    step "threaded verifier in a dedicated worker with a thread pool ($ZKINFER_NIGHTLY)"
    with_threads_env wasm_test_in_chromium --release \
        "${ZKINFER_THREADS_CARGO_ARGS[@]}" -- --nocapture
fi

step "npm package (scripts/build-wasm.sh)"
bash scripts/build-wasm.sh

step "the size budget's guard fails a module over its budget, and names what is in it"
guard_log="$(mktemp)"
if bash scripts/check-wasm-size.sh verifier-wasm/pkg/single/zkinfer_verifier_bg.wasm \
        target/wasm-verifier/single/zkinfer_verifier_bg.wasm 1000 > "$guard_log" 2>&1; then
    echo "error: the size guard passed a module of more than 1000 bytes" >&2; exit 1
fi
grep -q "over its budget of 1000" "$guard_log" && grep -q "halo2curves_axiom" "$guard_log" \
    || { cat "$guard_log" >&2; echo "error: the size guard's report lacks the size or the profile" >&2; exit 1; }
rm -f "$guard_log"
echo "a 1000-byte budget fails with the size and a profile naming halo2curves_axiom"

step "npm package as a consumer installs it: Node smoke test"
npm_install_in verifier-wasm/npm-test
(cd verifier-wasm/npm-test && node smoke.mjs)

step "npm package never traps on the fuzz corpora and seeded mutants of them"
(cd verifier-wasm/npm-test && node corpus.mjs)

step "npm package in headless Chromium, both builds as shipped"
(cd verifier-wasm/npm-test && node browser.mjs)

step "WebAssembly verifier tests passed"
