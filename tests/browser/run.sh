#!/usr/bin/env bash
# End-to-end browser test of the page in web/ against a real `zkinfer serve`, in Debian's headless
# Chromium driven by playwright-core (see e2e.test.mjs for what it checks).
#
# Idempotent: installs the Node packages with `npm ci` when node_modules is missing or was made
# from another package-lock.json; builds the release CLI (a no-op when up to date) and the
# WebAssembly verifier into web/pkg (scripts/build-wasm.sh when it exists, else wasm-pack for the
# single-threaded build); then runs the suite. Screenshots, server logs and timings.json go to
# tests/browser/output/.
#
# Environment: CHROMIUM (default /usr/bin/chromium), ZKINFER_BIN (default target/release/zkinfer),
# HELDOUT_INDEX (which held-out digit to upload, default 123).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is not installed ($2)" >&2; exit 1; }
}
need node "apt-get install nodejs npm"
need npm "apt-get install npm"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || { echo "error: no Chromium at $chromium (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }

# Node packages, pinned by package-lock.json (playwright-core only; it downloads no browser).
stamp="$here/node_modules/.zkinfer-lock-sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -d "$here/node_modules/playwright-core" || "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    (cd "$here" && npm ci --no-audit --no-fund)
    echo "$want" > "$stamp"
fi

cd "$root"
cargo build --release -p zkinfer-prover
if [[ -f scripts/build-wasm.sh ]]; then
    bash scripts/build-wasm.sh
else
    need wasm-pack "cargo install wasm-pack; see verifier-wasm/README.md"
    wasm-pack build --release --target web --out-dir ../web/pkg/single verifier-wasm
fi

cd "$here"
t0=$SECONDS
node --test --test-reporter=spec input.test.mjs e2e.test.mjs
echo "browser suite: $((SECONDS - t0)) s (timings in tests/browser/output/timings.json)"
