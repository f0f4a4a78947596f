//! Without the fixture proofs (`scripts/make-wasm-fixtures.sh`), the browser tests that embed
//! them are compiled out (build.rs), and this test fails in their place, naming the script: a
//! plain `wasm-pack test --headless --chrome verifier-wasm` on a fresh checkout compiles and says
//! what to run, instead of passing without having verified anything.
#![cfg(all(target_arch = "wasm32", not(zkinfer_wasm_fixtures)))]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_fixture_proofs_exist() {
    panic!(
        "verifier-wasm/tests/fixtures/ lacks the fixture keys and proofs the browser tests embed: \
         run scripts/make-wasm-fixtures.sh (it builds the CLI and proves the fixture models), \
         then run the tests again"
    );
}
