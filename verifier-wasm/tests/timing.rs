//! Timing of `new Verifier(key)` and `verify(bundle)` for the MNIST fixture, for either build, in
//! a dedicated worker (where a page should verify: it keeps the page responsive, and the threaded
//! build must run there). It asserts every result, so it is also a test; the numbers are printed
//! with `--nocapture`:
//!     wasm-pack test --headless --chrome --release verifier-wasm --test timing -- --nocapture
//! (scripts/test-wasm.sh runs it for both builds).
#![cfg(all(target_arch = "wasm32", zkinfer_wasm_fixtures))]

mod common;

use common::*;
use wasm_bindgen_test::*;
use zkinfer_verifier::Verifier;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const REPEATS: usize = 7;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[wasm_bindgen_test]
async fn key_load_and_verify_timing() {
    #[cfg(feature = "threads")]
    let build = format!("threaded, {} threads", ensure_thread_pool().await);
    #[cfg(not(feature = "threads"))]
    let build = String::from("single-threaded");

    // First calls pay for one-time work (page faults in fresh memory, lazy statics, JIT tiers).
    let t0 = now_ms();
    let v = Verifier::new(KEY).unwrap_or_else(|_| panic!("fixture key rejected"));
    let key_first = now_ms() - t0;
    let t0 = now_ms();
    assert_valid(&v.verify(PROOF), "first verify");
    let verify_first = now_ms() - t0;

    let mut key_again = Vec::new();
    let mut verify_again = Vec::new();
    for i in 0..REPEATS {
        let t0 = now_ms();
        let v2 = Verifier::new(KEY).unwrap_or_else(|_| panic!("fixture key rejected"));
        key_again.push(now_ms() - t0);
        let t0 = now_ms();
        assert_valid(&v.verify(PROOF), &format!("verify #{}", i + 2));
        verify_again.push(now_ms() - t0);
        drop(v2);
    }
    let min = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
    console_log!(
        "zkinfer-verifier timing ({build}, dedicated worker): new Verifier first {key_first:.1} ms, \
         then median {:.1} / min {:.1} ms; verify first {verify_first:.1} ms, then median {:.1} / \
         min {:.1} ms ({REPEATS} repeats)",
        median(key_again.clone()),
        min(&key_again),
        median(verify_again.clone()),
        min(&verify_again),
    );
}
