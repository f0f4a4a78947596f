#!/usr/bin/env bash
# End-to-end browser test of the page in web/ against a real `zkinfer serve`, in Debian's headless
# Chromium driven by playwright-core (see e2e.test.mjs for what it checks).
#
# Idempotent: installs the Node packages with `npm ci` when node_modules is missing or was made
# from another package-lock.json; builds the release CLI (a no-op when up to date) and the
# WebAssembly verifier into web/pkg (scripts/build-wasm.sh); then runs the suite. Screenshots, server logs and timings.json go to
# tests/browser/output/.
#
# Environment: CHROMIUM (default /usr/bin/chromium), ZKINFER_BIN (default target/release/zkinfer),
# HELDOUT_INDEX (which held-out digit to upload, default 123), ZKINFER_PREBUILT=1 (the CLI and
# web/pkg are already built: build neither).
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
# ZKINFER_PREBUILT=1 (set by .ci/run): the caller built the CLI ($ZKINFER_BIN) and web/pkg in this
# run, so neither is built again (a `cargo build -p zkinfer-prover` after the workspace's test
# build resolves features differently and recompiles half the workspace).
if [[ "${ZKINFER_PREBUILT:-0}" == 1 ]]; then
    [[ -x "${ZKINFER_BIN:-}" ]] || { echo "error: ZKINFER_PREBUILT=1 needs ZKINFER_BIN, the CLI" >&2; exit 1; }
    [[ -f web/pkg/single/zkinfer_verifier.js ]] \
        || { echo "error: ZKINFER_PREBUILT=1 but web/pkg/single is missing (scripts/build-wasm.sh)" >&2; exit 1; }
else
    cargo build --release -p zkinfer-prover
    bash scripts/build-wasm.sh
fi

cd "$here"
t0=$SECONDS
node --test --test-reporter=spec input.test.mjs text.test.mjs e2e.test.mjs
echo "browser suite: $((SECONDS - t0)) s (timings in tests/browser/output/timings.json)"
