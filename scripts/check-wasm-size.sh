#!/usr/bin/env bash
# The verifier's size budget (issue 25): fails when MODULE.wasm, gzipped, is over BUDGET bytes,
# printing where the bytes of NAMED.wasm go (the same module as wasm-bindgen wrote it, before
# wasm-opt dropped its function names; scripts/wasm-size-profile.py).
#
# Usage: check-wasm-size.sh MODULE.wasm NAMED.wasm BUDGET
# scripts/build-wasm.sh runs it on the single-threaded module; scripts/test-wasm.sh also runs it
# with a budget the module cannot meet, so the guard itself is known to fail when it should.
set -euo pipefail
[ $# -eq 3 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
module="$1" named="$2" budget="$3"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gz="$(gzip -9c "$module" | wc -c)"
if [ "$gz" -gt "$budget" ]; then
    echo "error: ${module#"$root"/} is $gz bytes gzipped, over its budget of $budget" >&2
    echo "       (ZKINFER_WASM_GZ_BUDGET). Where its bytes go, before wasm-opt:" >&2
    python3 "$root/scripts/wasm-size-profile.py" "$named" 25 >&2
    exit 1
fi
echo "${module#"$root"/}: $gz bytes gzipped, within its budget of $budget"
