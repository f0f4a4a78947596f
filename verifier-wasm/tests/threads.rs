//! Browser tests of the threaded build (`--features threads`, nightly with atomics; see
//! scripts/test-wasm.sh for the exact command). They run in a dedicated worker, as a page should
//! run the threaded verifier: the browser's main thread may not block on `Atomics.wait`, and
//! rayon's callers block while the pool works. The page served by wasm-bindgen-test-runner is
//! cross-origin isolated (COOP/COEP), so the module's memory can be a SharedArrayBuffer.
#![cfg(all(target_arch = "wasm32", feature = "threads", zkinfer_wasm_fixtures))]

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen_test::*;
use zkinfer_verifier::Verifier;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn verifier(key: &[u8]) -> Verifier {
    Verifier::new(key).unwrap_or_else(|_| panic!("fixture key rejected"))
}

#[wasm_bindgen_test]
async fn thread_pool_runs_work_on_every_worker() {
    let n = ensure_thread_pool().await;
    assert_eq!(
        rayon::current_num_threads(),
        n,
        "rayon's global pool is not the wasm-bindgen-rayon pool"
    );
    // A broadcast runs the closure once on each pool thread: it returns only if all n workers
    // are alive and share the module's memory.
    let mut seen: Vec<usize> = rayon::broadcast(|ctx| ctx.index());
    seen.sort_unstable();
    assert_eq!(seen, (0..n).collect::<Vec<_>>());
    // And two halves of a `join` (what halo2's parallel loops are made of) run at the same
    // time: the first half waits for the second, which can only happen if another pool thread
    // steals it. Bounded by a deadline, so a pool that runs everything on one thread fails
    // instead of hanging.
    let other_half_ran = AtomicBool::new(false);
    let ((met, first_thread), second_thread) = rayon::join(
        || {
            let deadline = js_sys::Date::now() + 10_000.0;
            let mut met = true;
            while !other_half_ran.load(Ordering::Acquire) {
                if js_sys::Date::now() > deadline {
                    met = false;
                    break;
                }
                std::hint::spin_loop();
            }
            (met, rayon::current_thread_index())
        },
        || {
            other_half_ran.store(true, Ordering::Release);
            rayon::current_thread_index()
        },
    );
    assert!(
        met,
        "the two halves of rayon::join did not run concurrently within 10 s"
    );
    assert!(
        first_thread.is_some() && second_thread.is_some(),
        "join ran outside the pool"
    );
    assert_ne!(first_thread, second_thread);
    console_log!("rayon::join ran on pool threads {first_thread:?} and {second_thread:?} of {n}");
}

#[wasm_bindgen_test]
async fn valid_proof_verifies_on_the_pool() {
    ensure_thread_pool().await;
    let v = verifier(KEY);
    let result = v.verify(PROOF);
    assert_valid(&result, "valid proof");
    assert_eq!(get(&result, "modelId").as_string(), Some(v.model_id()));
    assert_hashed_input_and_commitment(&v, &result);
    // The same Verifier again (the per-proof path a page takes).
    assert_valid(&v.verify(PROOF), "valid proof, second time");
}

#[wasm_bindgen_test]
async fn tampered_proof_byte_is_rejected() {
    ensure_thread_pool().await;
    let v = verifier(KEY);
    let mut b = bundle();
    let mid = b.proof.len() / 2;
    b.proof[mid] ^= 0x01;
    assert_rejected(&v.verify(&b.to_bytes()), "tampered proof byte");
    // The pool is still healthy after a rejection.
    assert_valid(&v.verify(PROOF), "valid proof after a rejection");
}

#[wasm_bindgen_test]
async fn changed_output_value_is_rejected() {
    ensure_thread_pool().await;
    let v = verifier(KEY);
    let mut b = bundle();
    let top = b.header.output.values.iter().copied().max().unwrap_or(0);
    b.header.output.values[8] = top + 1; // claim the digit is an 8
    assert_rejected(&v.verify(&b.to_bytes()), "changed output value");
}

#[wasm_bindgen_test]
async fn proof_against_other_models_key_is_rejected() {
    ensure_thread_pool().await;
    let other = verifier(OTHER_KEY);
    assert_ne!(other.model_id(), verifier(KEY).model_id());
    assert_rejected(&other.verify(PROOF), "other model's key");
    // Relabel the bundle with the other model's id and scales, so that only the SNARK can tell.
    let h = other.header().unwrap_or_else(|_| panic!("header() threw"));
    let frac = |t: &str| get(&get(&h, t), "fracBits").as_f64().expect("fracBits") as i32;
    let mut b = bundle();
    b.header.model_id = other.model_id();
    b.header.input.frac_bits = frac("input");
    b.header.output.frac_bits = frac("output");
    let reason = assert_rejected(
        &other.verify(&b.to_bytes()),
        "other model's key, relabelled bundle",
    );
    assert!(
        reason.contains("does not verify") || reason.contains("proof bytes are malformed"),
        "{reason}"
    );
}
