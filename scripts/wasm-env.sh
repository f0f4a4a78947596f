# Sourced (not run) by scripts/build-wasm.sh and scripts/test-wasm.sh: the toolchains, flags and
# tools of zkinfer-verifier's two WebAssembly builds, kept in one place so the package, the tests
# and the page are built the same way. Expects $root (the workspace root) to be set.
#
# single-threaded  default features, stable Rust, plain wasm32 target: runs anywhere.
# threaded         --features threads: wasm-bindgen-rayon + halo2's multicore, nightly Rust with
#                  atomics and a std rebuilt for them (-Z build-std), shared memory.

export PATH="$HOME/.cargo/bin:$PATH"

# wasm-bindgen-test-runner gives chromedriver 5 s to bind its port by default, then kills it and
# fails the run ("driver failed to bind port during startup"): a fresh CI machine once missed
# that. With a longer budget the runner restarts a stuck driver every 10 s until it runs out.
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-120}"

wasm_log() { printf '\n==> %s\n' "$*"; }

# The nightly toolchain of the threaded build (wasm threads need -Z build-std). Override with a
# dated one (e.g. nightly-2026-05-19) to pin it.
ZKINFER_NIGHTLY="${ZKINFER_NIGHTLY:-nightly}"
# Its own target dir: a std rebuilt with atomics and other RUSTFLAGS would otherwise rebuild,
# and wait on the lock of, the stable build in target/.
ZKINFER_THREADS_TARGET_DIR="${ZKINFER_THREADS_TARGET_DIR:-$root/target/wasm-threads}"
# Shared memory must declare a maximum; browsers reserve it up front. 1 GiB holds the key and
# verification of circuits far larger than MNIST's (k = 14) without asking for all 4 GiB.
ZKINFER_THREADS_MAX_MEMORY=$((1 << 30))

# atomics + bulk-memory: shared memory and its instructions; mutable-globals: the per-thread
# stack pointer and TLS base. The linker makes the memory shared and imported (every worker
# instantiates the module on the same memory) and exports the TLS symbols wasm-bindgen's thread
# transform needs to set up each worker's thread-local storage. (Recent rustc adds the linker
# arguments itself when atomics are on; spelling them out keeps the build independent of that.)
ZKINFER_THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory \
-C link-arg=--max-memory=$ZKINFER_THREADS_MAX_MEMORY \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

# Extra cargo arguments of the threaded build: the feature, and std rebuilt with atomics
# (the prebuilt wasm32 std has none, so its Mutex and thread-locals would not be thread-safe).
ZKINFER_THREADS_CARGO_ARGS=(--features threads -Z build-std=panic_abort,std)

# The shipped modules (scripts/build-wasm.sh), and the single-threaded module's wasm tests
# (scripts/test-wasm.sh: the tests run on the configuration that ships), are built for size,
# both on nightly:
# - the `wasm-release` profile (workspace Cargo.toml): serde and serde_json, which only read a
#   key's JSON header, optimized for size; the curve and proof-system code stays at opt-level 3;
# - std rebuilt with its `optimize_for_size` feature, and `-C panic=immediate-abort`: a panic
#   traps at once instead of formatting a message first. The verifier never panics on outside
#   bytes (errors are returned; the fuzz corpora and verifier-wasm/npm-test/corpus.mjs check it
#   on the shipped module), so that machinery is dead weight: with the profile, 31 KB of the
#   gzipped single-threaded module (BENCHMARKS.md). A failing wasm test still fails, by its
#   trap, named with a stack trace but without the assertion's message (rerun it with the
#   message: ZKINFER_WASM_TEST_MESSAGES=1 scripts/test-wasm.sh, a stable build of its own).
# - `-Z panic-abort-tests` lets test harnesses build with that strategy; rustc reads it only for
#   a harness (the package's bytes are the same with it), and it is in the package build's flags
#   too so that the tests and the package share one set of compiled dependencies: the tests are
#   built first, and the package build then compiles only the verifier crate. That takes the
#   same cargo flag in both builds (it enters the dependencies' unit hashes) and the same
#   feature set (verifier-wasm/Cargo.toml keeps the package's equal to the tests').
ZKINFER_WASM_PROFILE=wasm-release
ZKINFER_SIZE_RUSTFLAGS="-Z unstable-options -C panic=immediate-abort -Z panic-abort-tests"
ZKINFER_SIZE_BUILD_STD=(-Z build-std=panic_abort,std -Z build-std-features=optimize_for_size)
# The single-threaded module's cargo arguments, shared by its package build and its tests. A
# test build adds libtest (`test`) to the std crates it rebuilds, and every crate's unit then
# depends on it: listing it in the package build too gives both builds the same units, so the
# package build reuses everything the tests compiled (other crate hashes, so other bytes: after
# wasm-opt 148 raw bytes more and 44 gzipped bytes fewer, BENCHMARKS.md).
ZKINFER_SINGLE_CARGO_ARGS=(-Z build-std=panic_abort,std,test -Z build-std-features=optimize_for_size
                           -Z panic-abort-tests)
# The single-threaded package build's own target dir, like the threaded one's.
ZKINFER_SINGLE_TARGET_DIR="${ZKINFER_SINGLE_TARGET_DIR:-$root/target/wasm-single}"
# Runs a command or shell function in the single-threaded package build's environment
# (nightly, size flags).
with_single_size_env() {
    (
        unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
        export RUSTUP_TOOLCHAIN="$ZKINFER_NIGHTLY"
        export CARGO_TARGET_DIR="$ZKINFER_SINGLE_TARGET_DIR"
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$ZKINFER_SIZE_RUSTFLAGS"
        "$@"
    )
}
# Runs a command in the threaded package build's environment: the threaded build's flags plus
# the size flags, in a target dir of its own (the tests' threaded build, without the size flags,
# would otherwise rebuild std each time the two alternate).
with_threads_size_env() {
    (
        unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
        export RUSTUP_TOOLCHAIN="$ZKINFER_NIGHTLY"
        export CARGO_TARGET_DIR="$ZKINFER_THREADS_TARGET_DIR-size"
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$ZKINFER_THREADS_RUSTFLAGS $ZKINFER_SIZE_RUSTFLAGS"
        "$@"
    )
}
# Runs a command or shell function in the threaded build's environment (in a subshell, so
# nothing leaks into the caller). RUSTFLAGS and CARGO_ENCODED_RUSTFLAGS are unset because cargo
# would prefer them to the per-target flags. The nightly compiler warns once per workspace crate
# that `atomics` is an unstable target feature: expected, that is what this build is for.
with_threads_env() {
    (
        unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
        export RUSTUP_TOOLCHAIN="$ZKINFER_NIGHTLY"
        export CARGO_TARGET_DIR="$ZKINFER_THREADS_TARGET_DIR"
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$ZKINFER_THREADS_RUSTFLAGS"
        "$@"
    )
}

# Rust toolchains and wasm-bindgen-cli (the version in Cargo.lock); idempotent. No wasm-pack:
# what the scripts used it for is a cargo command and a wasm-bindgen run (wasm_build_package,
# wasm_test_in_chromium below), and compiling it took 244 s of a fresh machine's 2 cores.
# (`wasm-pack test --headless --chrome verifier-wasm` still works for whoever has it.)
wasm_ensure_rust_tools() {
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown
    if ! rustup run "$ZKINFER_NIGHTLY" rustc --version >/dev/null 2>&1; then
        rustup toolchain install "$ZKINFER_NIGHTLY" --profile minimal \
            --component rust-src --target wasm32-unknown-unknown
    fi
    rustup component list --installed --toolchain "$ZKINFER_NIGHTLY" | grep -q '^rust-src' \
        || rustup component add rust-src --toolchain "$ZKINFER_NIGHTLY"
    rustup target list --installed --toolchain "$ZKINFER_NIGHTLY" | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown --toolchain "$ZKINFER_NIGHTLY"
    # wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
    local wb_version
    wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
    if ! wasm-bindgen --version 2>/dev/null | grep -qF "$wb_version"; then
        cargo install wasm-bindgen-cli --version "$wb_version"
    fi
}

# Builds the verifier crate's library for the browser and runs wasm-bindgen on it (`--target
# web`: an ES module with an async init, and TypeScript types) into directory $1, named
# zkinfer_verifier; the other arguments go to cargo. Run inside one of the with_*_env
# functions above for the toolchain, flags and target dir. (What `wasm-pack build --target
# web --no-pack --no-opt` did.)
wasm_build_package() {
    local out="$1"; shift
    (cd "$root/verifier-wasm" \
        && cargo build --lib --target wasm32-unknown-unknown --profile "$ZKINFER_WASM_PROFILE" "$@")
    local wasm="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/$ZKINFER_WASM_PROFILE/zkinfer_verifier.wasm"
    [ -s "$wasm" ] || { echo "error: cargo built no $wasm" >&2; return 1; }
    rm -rf "$out"
    mkdir -p "$out"
    wasm-bindgen "$wasm" --out-dir "$out" --typescript --target web --out-name zkinfer_verifier
}

# Runs the verifier crate's wasm-bindgen tests in headless Chromium: `cargo test` for wasm32
# with wasm-bindgen's test runner, which drives Debian's chromedriver (what `wasm-pack test
# --headless --chrome` set up). The arguments go to cargo test.
wasm_test_in_chromium() {
    (
        cd "$root/verifier-wasm"
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
        WASM_BINDGEN_TEST_ONLY_WEB=1 \
        CHROMEDRIVER="$(command -v chromedriver)" \
            cargo test --target wasm32-unknown-unknown "$@"
    )
}

apt_install() {
    local apt=(apt-get)
    [ "$(id -u)" = 0 ] || apt=(sudo apt-get)
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "$@"
}

# Node.js and npm (the package's smoke test, binaryen's wasm-opt); idempotent.
wasm_ensure_node() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
}

# Chromium and chromedriver for the browser tests; idempotent.
wasm_ensure_browser() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        apt_install chromium chromium-driver
    fi
}

# npm install in a directory with a package-lock.json: a quick no-op once node_modules matches.
npm_install_in() {
    (cd "$1" && npm install --no-audit --no-fund --loglevel=error)
}
