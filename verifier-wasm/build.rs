//! Tells the browser tests whether their fixtures exist. `tests/common` embeds real proofs made
//! by `scripts/make-wasm-fixtures.sh` with `include_bytes!`; without them, a plain
//! `wasm-pack test --headless --chrome verifier-wasm` on a fresh checkout would not compile. The
//! cfg `zkinfer_wasm_fixtures` is set only when every fixture is there: without it the tests
//! that embed them are compiled out and `tests/fixtures_present.rs` fails, naming the script.
//!
//! Only wasm32 builds look: the native workspace build never reads the fixtures, and a check
//! there would rebuild this crate, and every test binary depending on it, each time the fixture
//! script runs.

use std::path::Path;

/// Every file `tests/common/mod.rs` embeds.
const FIXTURES: &[&str] = &[
    "verifier-key",
    "digit_7.proof",
    "digit_7.input.json",
    "other-verifier-key",
    "chain-key",
    "chain-digit_7.proof",
    "gpt-key",
    "gpt.proof",
    "gpt.input.json",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zkinfer_wasm_fixtures)");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let dir = Path::new("tests/fixtures");
    // The directory's newest file: the script replaces fixtures by renaming into it.
    println!("cargo::rerun-if-changed={}", dir.display());
    if FIXTURES.iter().all(|f| dir.join(f).is_file()) {
        println!("cargo::rustc-cfg=zkinfer_wasm_fixtures");
    }
}
