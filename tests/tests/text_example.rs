//! The bundled text example (examples/text: a character-level GPT trained on Moby Dick by
//! scripts/train_text_model.py): the loader's float model reproduces onnxruntime's logits, the
//! proven integer model's next character is the float model's on held-out chapters, and the
//! real proof of a prompt's next character that the CLI made verifies while a tampered one does
//! not.

mod common;

use common::*;
use zkinfer_core::circuit::Visibility;
use zkinfer_core::prove::{compile, next_token_quality, CompileOptions, Compiled};
use zkinfer_core::text_input::Tokenizer;

/// The activation bits `zkinfer demo --example text` compiles at (prover-native/src/demo_text.rs),
/// and its weight bits (the same).
const DEMO_ACT_BITS: u32 = 12;

fn text_dir() -> std::path::PathBuf {
    repo().join("examples/text")
}

fn model() -> zkinfer_core::ir::Model {
    zkinfer_core::onnx::load_onnx(text_dir().join("model.onnx")).unwrap()
}

fn tokenizer() -> Tokenizer {
    let text = std::fs::read_to_string(text_dir().join("tokenizer.json")).unwrap();
    Tokenizer::from_json(&text, "examples/text/tokenizer.json").unwrap()
}

fn compiled(model: &zkinfer_core::ir::Model, visibility: Visibility) -> Compiled {
    let text = std::fs::read_to_string(text_dir().join("calibration.json")).unwrap();
    let cal = zkinfer_core::input::parse_samples(&text, model.input_len()).unwrap();
    let opts = CompileOptions {
        act_bits: Some(DEMO_ACT_BITS),
        weight_bits: Some(DEMO_ACT_BITS),
        visibility,
        tokenizer: Some(tokenizer()),
        ..CompileOptions::default()
    };
    compile(model, &cal, &opts).unwrap()
}

#[test]
fn the_loaded_model_computes_the_logits_onnxruntime_computed() {
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(text_dir().join("reference.json")).unwrap())
            .unwrap();
    let model = model();
    let samples = reference["samples"].as_array().unwrap();
    assert!(samples.len() >= 4);
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        let numbers = v.as_array().unwrap().iter();
        numbers.map(|n| n.as_f64().unwrap() as f32).collect()
    };
    for s in samples {
        let (x, want) = (floats(&s["input"]), floats(&s["logits"]));
        let got = &model.eval_float(&x).unwrap()[model.output].data;
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-3, "logit {g} vs onnxruntime's {w}");
        }
    }
}

#[test]
fn the_proven_next_character_is_the_float_models_on_at_least_95_percent_of_held_out_positions() {
    let model = model();
    let compiled = compiled(&model, Visibility::default());
    let t = tokenizer();
    assert_eq!(
        compiled.labels.as_deref(),
        Some(t.vocabulary.as_slice()),
        "the vocabulary names the outputs"
    );
    let held = std::fs::read_to_string(text_dir().join("heldout.txt")).unwrap();
    let positions = 300;
    let windows = t.heldout_windows(held.trim(), positions, 7).unwrap();
    let q = next_token_quality(&model, &compiled, windows).unwrap();
    assert_eq!(q.positions, positions);
    assert!(q.agreement >= 0.95, "{q:?}");
    // The model learned something: well above the 1-in-36 of chance, and the proven model's
    // perplexity is within a few percent of the float model's.
    assert!(q.float_accuracy > 0.3, "{q:?}");
    assert!(q.quantized_perplexity < q.float_perplexity * 1.05, "{q:?}");
}

/// The text example's real proof, made once per run by the CLI as `zkinfer demo --example text`
/// makes it (hidden weights, a salted hash of the prompt's ids): scripts/make-wasm-fixtures.sh
/// writes it for the WebAssembly verifier's tests (`.ci/run` runs that script before these
/// tests), which check it in Chromium; this test checks it natively. Proving the example takes
/// minutes on 2 cores, so the suite proves it once. None (skipped) when the script has not run,
/// unless the run requires its data.
fn cli_proof() -> Option<(Vec<u8>, Vec<u8>, String)> {
    let dir = repo().join("verifier-wasm/tests/fixtures");
    let read = |name: &str| std::fs::read(dir.join(name));
    match (read("gpt-key"), read("gpt.proof"), read("gpt.input.json")) {
        (Ok(key), Ok(proof), Ok(input)) => Some((key, proof, String::from_utf8(input).unwrap())),
        _ if zkinfer_tests::shared_data::required() => panic!(
            "the text example's proof is missing from {}: run scripts/make-wasm-fixtures.sh",
            dir.display()
        ),
        _ => {
            eprintln!(
                "skipped: no text example proof in {} (scripts/make-wasm-fixtures.sh)",
                dir.display()
            );
            None
        }
    }
}

#[test]
fn a_prompts_next_character_proof_verifies_with_hidden_weights_and_tampering_is_rejected() {
    use zkinfer_core::{verify, VerifierKey};
    let Some((key_bytes, proof, input)) = cli_proof() else {
        return;
    };
    let model = model();
    let compiled = compiled(&model, Visibility::SERVED);
    assert!(compiled.plan.shape.matmul, "{}", compiled.plan);
    let key = VerifierKey::from_bytes(&key_bytes).unwrap();
    assert!(
        key.header.shape.visibility.hidden_weights(),
        "the demo's settings: the weights are behind the commitment"
    );
    assert_eq!(
        (&key.header.shape, key.header.k),
        (&compiled.plan.shape, compiled.plan.k),
        "the fixture's circuit is the one this tree lays the example out as"
    );
    let x = zkinfer_core::input::parse_single(&input, model.input_len()).unwrap();
    let salt = zkinfer_core::input::parse_input_salt(&input).unwrap();
    assert!(salt.is_some(), "the prompt's hash is salted");
    assert_eq!(
        x,
        tokenizer()
            .window("It is not down in any map; true places never ar")
            .unwrap(),
        "the fixture is this prompt's window"
    );
    assert_eq!(
        key.header.tokenizer(),
        Some(tokenizer()),
        "the key binds the whole tokenizer: its labels and its prompt rules"
    );
    let verified = verify(&key, &proof).unwrap();
    // The proof is of this source tree's integer model: the proven logits are the ones the
    // compiled example computes for these ids.
    let (_, values) = compiled.witness(&x).unwrap();
    assert_eq!(verified.output.values, values[compiled.graph.output]);
    let next = verified.predicted_class.unwrap();
    assert_eq!(
        verified.predicted_label.as_deref(),
        compiled.labels.as_ref().map(|l| l[next].as_str())
    );
    assert_eq!(
        verified.input_hash,
        Some(zkinfer_core::verify::input_hash(&key, &x, salt).unwrap()),
        "the proof is for this prompt's ids"
    );
    let bundle = zkinfer_core::ProofBundle::from_bytes(&proof).unwrap();
    let mut b = bundle.clone();
    let middle = b.proof.len() / 2;
    b.proof[middle] ^= 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "flipped proof byte");
    let mut b = bundle;
    let other = (next + 1) % b.header.output.values.len();
    b.header.output.values[other] = b.header.output.values[next] + 1;
    assert!(
        verify(&key, &b.to_bytes()).is_err(),
        "another next character claimed"
    );
}
