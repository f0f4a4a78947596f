//! Helpers shared by the browser test binaries `web.rs`, `threads.rs` and `timing.rs`. Each
//! `tests/*.rs` file is its own wasm module and browser session.
#![allow(dead_code)] // each binary uses a different subset

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zkinfer_core::ProofBundle;

pub const KEY: &[u8] = include_bytes!("../fixtures/verifier-key");
pub const PROOF: &[u8] = include_bytes!("../fixtures/digit_7.proof");
pub const OTHER_KEY: &[u8] = include_bytes!("../fixtures/other-verifier-key");
/// The MNIST model as a chain of two segments, and a chain bundle for DIGIT_7.
pub const CHAIN_KEY: &[u8] = include_bytes!("../fixtures/chain-key");
pub const CHAIN_PROOF: &[u8] = include_bytes!("../fixtures/chain-digit_7.proof");
/// A transformer on token ids, the bundled character-level GPT (examples/text: embeddings,
/// masked attention, GELU), with hidden weights and a salted input hash, a proof of it, and
/// the ids with the salt.
pub const GPT_KEY: &[u8] = include_bytes!("../fixtures/gpt-key");
pub const GPT_PROOF: &[u8] = include_bytes!("../fixtures/gpt.proof");
pub const GPT_INPUT: &str = include_str!("../fixtures/gpt.input.json");
/// The input the fixture proof was made for (the demo's held-out '7'), with the input salt the
/// demo sent with it and kept.
pub const DIGIT_7: &str = include_str!("../fixtures/digit_7.input.json");

/// DIGIT_7's pixel values.
pub fn digit_7() -> Vec<f32> {
    let v = js_sys::JSON::parse(DIGIT_7).expect("digit_7.input.json parses");
    let rows = js_sys::Array::from(&get(&v, "input_data"));
    numbers(&rows.get(0)).iter().map(|&x| x as f32).collect()
}

/// The salt DIGIT_7's hash is salted with.
pub fn digit_7_salt() -> String {
    let v = js_sys::JSON::parse(DIGIT_7).expect("digit_7.input.json parses");
    get(&v, "input_salt").as_string().expect("an input_salt")
}

/// The fixture is the demo's served model: weights hidden, input hashed with a salt, output
/// public. Checks that a valid result carries the bundle's commitment and the hash of the input
/// sent, with its salt.
pub fn assert_hashed_input_and_commitment(v: &zkinfer_verifier::Verifier, result: &JsValue) {
    let b = bundle();
    let expected = v
        .input_hash(&digit_7(), Some(digit_7_salt()))
        .unwrap_or_else(|_| panic!("inputHash threw"));
    assert_eq!(get(result, "inputHash").as_string(), Some(expected.clone()));
    assert_eq!(b.header.input_hash, Some(expected));
    assert!(numbers(&get(result, "input")).is_empty());
    assert_eq!(
        get(result, "modelCommitment").as_string(),
        b.header.model_commitment
    );
    assert!(b.header.model_commitment.is_some());
}

/// A field of the global object (`self` in a worker, `window` on a page).
pub fn global(field: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED)
}

/// `performance.now()` from the global scope, so it also works in workers (no `window` there).
pub fn now_ms() -> f64 {
    let perf = global("performance");
    Reflect::get(&perf, &JsValue::from_str("now"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&perf).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

pub fn get(obj: &JsValue, field: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(field)).unwrap_or_else(|_| panic!("no field {field}"))
}

pub fn numbers(v: &JsValue) -> Vec<f64> {
    js_sys::Array::from(v)
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

pub fn bundle() -> ProofBundle {
    ProofBundle::from_bytes(PROOF).expect("fixture bundle parses")
}

/// Asserts `valid: true`, no reason, and that the proven output is the bundle's (a 7).
pub fn assert_valid(result: &JsValue, what: &str) {
    assert_eq!(
        get(result, "valid").as_bool(),
        Some(true),
        "{what}: rejected: {:?}",
        get(result, "reason").as_string()
    );
    assert!(
        get(result, "reason").is_null(),
        "{what}: valid with a reason"
    );
    let raw: Vec<i64> = numbers(&get(result, "outputRaw"))
        .iter()
        .map(|&x| x as i64)
        .collect();
    assert_eq!(
        raw,
        bundle().header.output.values,
        "{what}: outputRaw differs from the bundle's"
    );
    assert_eq!(
        get(result, "predictedClass").as_f64(),
        Some(7.0),
        "{what}: not a 7"
    );
}

/// Asserts `valid: false` with a non-empty reason; returns the reason.
pub fn assert_rejected(result: &JsValue, what: &str) -> String {
    assert_eq!(
        get(result, "valid").as_bool(),
        Some(false),
        "{what}: accepted"
    );
    let reason = get(result, "reason").as_string().unwrap_or_default();
    assert!(!reason.is_empty(), "{what}: rejected without a reason");
    assert!(get(result, "predictedClass").is_null());
    wasm_bindgen_test::console_log!("{what}: rejected ({reason})");
    reason
}

/// Threads the pool gets: the browser's core count, at least 2 (so the test can see work spread
/// over more than one worker even on a 1-core machine), at most 8 (each worker instantiates the
/// module; more than that only slows the test).
#[cfg(feature = "threads")]
pub fn pool_size() -> usize {
    let cores = Reflect::get(
        &global("navigator"),
        &JsValue::from_str("hardwareConcurrency"),
    )
    .ok()
    .and_then(|v| v.as_f64())
    .unwrap_or(2.0) as usize;
    cores.clamp(2, 8)
}

/// Starts the wasm-bindgen-rayon pool once per module instance (tests run one after another in
/// the same instance, and rayon's global pool can be built only once). Fails with the reason
/// when the environment cannot run threads, instead of letting a later call hang or trap.
#[cfg(feature = "threads")]
pub async fn ensure_thread_pool() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let started = STARTED.load(Ordering::SeqCst);
    if started != 0 {
        return started;
    }
    // SharedArrayBuffer (and so shared wasm memory across workers) exists only in cross-origin
    // isolated contexts. wasm-bindgen-test-runner 0.2.130 sends COOP/COEP on every response
    // unless WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION is set.
    assert_eq!(
        global("crossOriginIsolated").as_bool(),
        Some(true),
        "the test worker is not cross-origin isolated: the server must send \
         Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp \
         (is WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION set?)"
    );
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory()
        .dyn_into()
        .expect("wasm_bindgen::memory() is a WebAssembly.Memory");
    assert!(
        memory
            .buffer()
            .is_instance_of::<js_sys::SharedArrayBuffer>(),
        "the module's memory is not shared: it was built without \
         -C target-feature=+atomics,+bulk-memory and --shared-memory (see scripts/build-wasm.sh)"
    );
    let n = pool_size();
    let t0 = now_ms();
    if let Err(e) =
        wasm_bindgen_futures::JsFuture::from(zkinfer_verifier::init_thread_pool(n)).await
    {
        panic!("initThreadPool({n}) rejected: {e:?}");
    }
    wasm_bindgen_test::console_log!("initThreadPool({n}): {:.0} ms", now_ms() - t0);
    STARTED.store(n, Ordering::SeqCst);
    n
}
