#!/usr/bin/env bash
# Builds the WebAssembly verifier twice and packages it:
#
#   verifier-wasm/pkg/        the npm package `zkinfer-verifier`:
#                               "zkinfer-verifier"          -> single/  (single-threaded, default)
#                               "zkinfer-verifier/threaded" -> threaded/ (wasm-bindgen-rayon)
#                             with TypeScript types for both and verifier-wasm/npm-README.md
#   web/pkg/single/, web/pkg/threaded/   the same two builds for the page (web/verify-worker.js)
#
# Both are wasm-bindgen `--target web` builds (ES modules with an async init) on nightly Rust, with
# the size-oriented profile, std and panic strategy described in scripts/wasm-env.sh. The
# single-threaded module must stay within a gzipped size budget (ZKINFER_WASM_GZ_BUDGET, default
# 300000 bytes): over it the build fails with a size profile (scripts/wasm-size-profile.py).
# Each .wasm then goes through binaryen's wasm-opt from npm (verifier-wasm/build-tools; Debian's
# binaryen 108 corrupts wasm-bindgen output): -Oz makes the gzipped modules 10% (single) and 18% (threaded) smaller, with no
# measurable change in verification time. ZKINFER_WASM_OPT sets the level (default -Oz) or
# turns the step off (ZKINFER_WASM_OPT=off).
#
# Idempotent and incremental: cargo and wasm-bindgen rerun (seconds when nothing changed);
# wasm-opt, the slow step, reruns only when wasm-bindgen's output or the level changed.
# Installs the Rust tools it needs (scripts/wasm-env.sh). Prints each .wasm's raw and gzipped size.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=wasm-env.sh
source "$root/scripts/wasm-env.sh"

case "${1:-}" in
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    "") ;;
    *) echo "unknown argument: $1 (this script takes none; see --help)" >&2; exit 2 ;;
esac

opt_level="${ZKINFER_WASM_OPT:--Oz}"
stage="$root/target/wasm-verifier"   # wasm-bindgen's output, before wasm-opt
pkg="$root/verifier-wasm/pkg"
web_pkg="$root/web/pkg"
name=zkinfer_verifier                 # file stem of the generated JS, .d.ts and .wasm

wasm_log "tools"
wasm_ensure_rust_tools
wasm_ensure_node
if [ "$opt_level" != off ]; then
    npm_install_in "$root/verifier-wasm/build-tools"
    wasm_opt="$root/verifier-wasm/build-tools/node_modules/.bin/wasm-opt"
    [ -x "$wasm_opt" ] || { echo "error: $wasm_opt is missing after npm install" >&2; exit 1; }
fi

# wasm_build_package (scripts/wasm-env.sh): cargo with the size-oriented release profile, then
# the wasm-bindgen on PATH (the locked version, checked above).
wasm_log "single-threaded build ($ZKINFER_NIGHTLY, size-optimized std, panics abort at once)"
with_single_size_env wasm_build_package "$stage/single" "${ZKINFER_SINGLE_CARGO_ARGS[@]}"

wasm_log "threaded build ($ZKINFER_NIGHTLY, atomics, size-optimized std, panics abort at once)"
with_threads_size_env wasm_build_package "$stage/threaded" --features threads "${ZKINFER_SIZE_BUILD_STD[@]}"

# Fails loudly if a build lacks what it is meant to have (or has what it must not), so a flag
# that silently stopped applying cannot ship a wrong package.
check_build() {
    local variant="$1" js="$stage/$1/$name.js"
    [ -s "$stage/$variant/${name}_bg.wasm" ] || { echo "error: no $variant .wasm in $stage/$variant" >&2; exit 1; }
    if [ "$variant" = threaded ]; then
        grep -q "initThreadPool" "$js" \
            || { echo "error: the threaded build does not export initThreadPool" >&2; exit 1; }
        grep -q "shared: *true" "$js" \
            || { echo "error: the threaded build's memory is not shared (atomics flags not applied?)" >&2; exit 1; }
    else
        if grep -q "initThreadPool\|shared: *true" "$js"; then
            echo "error: the single-threaded build has thread support in it" >&2; exit 1
        fi
    fi
}
check_build single
check_build threaded

# wasm-opt features: what the two builds' rustc emits (the wasm32 defaults of Rust >= 1.87),
# plus threads for the shared-memory build. Listing them makes wasm-opt validate instead of
# guessing, and never lets it use a feature the module did not already need.
wasm_opt_flags() {
    local flags=(--enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int
                 --enable-sign-ext --enable-reference-types --enable-multivalue)
    [ "$1" = threaded ] && flags+=(--enable-threads)
    printf '%s\n' "${flags[@]}"
}

# Writes $stage/$variant.opt/<name>_bg.wasm: wasm-bindgen's .wasm through wasm-opt, redone only
# when its input or the level changed (wasm-opt takes ~15 s per module here).
optimize() {
    local variant="$1" in="$stage/$1/${name}_bg.wasm" outdir="$stage/$1.opt"
    local out="$outdir/${name}_bg.wasm" stamp
    stamp="$(sha256sum "$in" | cut -d' ' -f1) $opt_level $(wasm_opt_flags "$variant" | tr '\n' ' ')"
    if [ -s "$out" ] && [ "$(cat "$outdir/stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "$variant: wasm-opt output up to date"
        return
    fi
    mkdir -p "$outdir"
    rm -f "$outdir/stamp"
    local flags
    mapfile -t flags < <(wasm_opt_flags "$variant")
    echo "$variant: wasm-opt $opt_level"
    "$wasm_opt" "$opt_level" "${flags[@]}" "$in" -o "$out.tmp"
    mv "$out.tmp" "$out"
    echo "$stamp" > "$outdir/stamp"
}

# Copies one build into a destination directory, replacing it whole (built next to it, then
# swapped in, so an interrupted run never leaves a mixed directory).
install_build() {
    local variant="$1" dest="$2" wasm="$stage/$1/${name}_bg.wasm"
    [ "$opt_level" != off ] && wasm="$stage/$variant.opt/${name}_bg.wasm"
    rm -rf "$dest.tmp"
    mkdir -p "$dest.tmp"
    cp "$stage/$variant/$name.js" "$stage/$variant/$name.d.ts" "$stage/$variant/${name}_bg.wasm.d.ts" "$dest.tmp/"
    cp "$wasm" "$dest.tmp/${name}_bg.wasm"
    # wasm-bindgen-rayon's worker script (threaded build only), imported by the main module.
    if [ -d "$stage/$variant/snippets" ]; then cp -r "$stage/$variant/snippets" "$dest.tmp/"; fi
    rm -rf "$dest"
    mv "$dest.tmp" "$dest"
}

if [ "$opt_level" != off ]; then
    wasm_log "wasm-opt (binaryen $("$wasm_opt" --version | awk '{print $3}'), $opt_level)"
    # Side by side: each run keeps about one core busy (30 s and 40 s alone on a slow 2-core
    # machine, 38 s together; the outputs are byte-identical either way).
    optimize single > "$stage/single.opt.log" 2>&1 &
    single_job=$!
    optimize threaded > "$stage/threaded.opt.log" 2>&1 &
    threaded_job=$!
    opt_failed=0
    for job in single:$single_job threaded:$threaded_job; do
        wait "${job#*:}" || { echo "error: wasm-opt of the ${job%%:*} build failed:" >&2; opt_failed=1; }
        cat "$stage/${job%%:*}.opt.log"
    done
    [ "$opt_failed" -eq 0 ] || exit 1
else
    wasm_log "wasm-opt off (ZKINFER_WASM_OPT=off)"
fi

wasm_log "npm package $pkg"
mkdir -p "$pkg"
install_build single "$pkg/single"
install_build threaded "$pkg/threaded"
cp "$root/verifier-wasm/npm-README.md" "$pkg/README.md"
# Leftovers of a plain `wasm-pack build verifier-wasm` by hand (the files it writes to pkg/)
# would ship as unreachable files; remove them.
rm -f "$pkg/.gitignore" "$pkg/$name.js" "$pkg/$name.d.ts" "$pkg/${name}_bg.wasm" "$pkg/${name}_bg.wasm.d.ts"
rm -rf "$pkg/snippets"
# package.json: name, version, description and license from Cargo, so they never drift.
cargo metadata --no-deps --format-version 1 --manifest-path "$root/Cargo.toml" \
    | node "$root/verifier-wasm/npm-package-json.mjs" > "$pkg/package.json.tmp"
mv "$pkg/package.json.tmp" "$pkg/package.json"

wasm_log "page builds $web_pkg/{single,threaded}"
mkdir -p "$web_pkg"
install_build single "$web_pkg/single"
install_build threaded "$web_pkg/threaded"

wasm_log "sizes"
printf '%-48s %12s %12s\n' module "raw bytes" "gzip -9"
for f in "$pkg/single/${name}_bg.wasm" "$pkg/threaded/${name}_bg.wasm"; do
    printf '%-48s %12s %12s\n' "${f#"$root"/}" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done

# The size budget (issue 25): what a page downloads, the gzipped single-threaded module. Only
# with wasm-opt on: the unoptimized module is larger by design.
if [ "$opt_level" != off ]; then
    bash "$root/scripts/check-wasm-size.sh" "$pkg/single/${name}_bg.wasm" \
        "$stage/single/${name}_bg.wasm" "${ZKINFER_WASM_GZ_BUDGET:-300000}"
fi
