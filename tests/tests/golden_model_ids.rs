//! Today's circuits, pinned. Restructuring the compiler (operators as folders, the chain in one
//! module, the CLI split per subcommand) must not change any circuit it makes: every model id
//! (the SHA-256 of its verifier key) and every compiled graph stays byte-identical, so keys that
//! consumers already pinned keep verifying.
//!
//! Two pins per model:
//! - the *circuit digest*, SHA-256 of the quantized graph (bincode), the circuit shape (as the
//!   verifier key's header writes it) and k: everything the circuit is built from except the
//!   commitment salt, cheap for any model;
//! - the *model id*, where key generation is cheap enough for the suite (the verifier key only,
//!   under the development parameters) or a shared fixture already holds the key.
//!
//! A deliberate change of a circuit updates the pins in the same commit and says why; the test
//! prints the new table on a mismatch.
//!
//! Changed deliberately (2026-12-05): every compile now proves its lookups with the
//! log-derivative argument (the shape flag `log_derivative_lookups`, pinned in the verifying
//! key). Keys compiled before keep their shape and argument and still verify (the fuzz corpus's
//! seed key and bundle, `core/tests/fuzz_corpora.rs`).
//!
//! Changed deliberately (2026-12-05, eighth session): convolutions of any window (padded,
//! strided, grouped) take the randomized Freivalds check over their im2col matrix where it
//! makes the cheaper layout by the planner's estimate (shape flag `conv_freivalds`, written
//! only when set; compiled.bin version 4). Changed: mnist-public, m2_lenet, m3_cifar (k=18 to
//! 16; its default activation width, chosen from the rows the layers need, falls from 16 to 14
//! bits). Unchanged: resnet_int8 (the layout without it is cheaper), hidden-weight circuits
//! (mnist-served), m1_mlp. Keys made before verify as before (no constraint
//! changed); model directories compiled before are refused by version and recompiled.
//!
//! Changed deliberately (2026-12-06, ninth session): convolutions with hidden weights take the
//! same check, their weights and biases advice copies of the committed cells (the bias a weight
//! on a row of ones); a shape whose every parameter is in such a convolution leaves out the dot
//! chip's advice weight columns (shape flag `checked_weights_only`; compiled.bin version 5).
//! Changed: mnist-served. Unchanged: every fixed-weight circuit.
//!
//! Changed deliberately (2026-12-06, twelfth session): the Poseidon chip lays two partial rounds
//! on one row (38 rows a pair of message elements instead of 66, no advice or constant column
//! added, the second round's constants folded into the fixed ones; the hash is unchanged, so
//! commitments and digests are the same), under the shape flag `poseidon_paired_rounds`
//! (written only when set; keys made before configure the chip as they were made and verify as
//! before). Changed: mnist-served. Unchanged: every fixed-weight circuit.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use zkinfer_core::prove::{compile, compile_quantized, CompileOptions, Compiled, ModelDir};

/// (model, circuit digest, model id or "" when not computed here).
#[rustfmt::skip]
const PINNED: &[(&str, &str, &str)] = &[
    ("mnist-public", "6fda2e099d489d25c9fec7c28605935357df7a66b21f247bb6af22f1b0acc7a2", "7027b5b86bbcd1fd76bcc6ab8ac8de42247777da064fe9d5f8430f862c9da2a7"),
    ("mnist-served", "6a053a28c3745abfd4e4c04aa7e5e80cdbc1d6b1fbc4d597db9b83842c09a22d", "e2408de6ca73ee2314911e22a9f7783b875266e2f2f310854216c564a53c5618"),
    ("m1_mlp", "2596639a89d6c8f4cf02c3aa480cbfbe023f4dbcbaa3120245678e1fec5b9db0", "2cda0f54cf2f6d9ec56735352269bd69e44cf8727b4c1796f4a8ba71e01e9d9b"),
    ("m2_lenet", "b9f072b816be6a92af8e1a267ff636158d971319c30ccfaed7dcda45fdf8c6fe", "a50643e45c8aad69cacdd2bcfa722e1d6c5a26a23aa0fcfd366109c6bd94c6e0"),
    ("m3_cifar", "84f1fcb8812e1475cbecdc67349a66da020e6a57743e69587765724b97855a96", ""),
    ("resnet_int8", "236847f7068d252f2e345e894d405b2bf4a6ca1d9b2b11b3e8c1a57f3545c7dd", ""),
];

fn circuit_digest(c: &Compiled) -> String {
    // The shape as the verifier key writes it (flags only when set), so that adding a flag
    // to CircuitShape leaves every existing circuit's digest alone, as it leaves its key.
    let mut bytes = bincode::serialize(&c.graph).unwrap();
    bytes.extend(serde_json::to_vec(&c.plan.shape).unwrap());
    bytes.extend(c.plan.k.to_le_bytes());
    hex::encode(Sha256::digest(bytes))
}

fn model_id_of(c: &Compiled) -> String {
    let srs = srs();
    let params = srs.load(c.plan.k).unwrap();
    let vk = c.verifier_key_bytes(&params, &srs.label(&params)).unwrap();
    zkinfer_core::verifier_key::model_id(&vk)
}

fn fixture_model_id(dir: &std::path::Path) -> String {
    let vk = std::fs::read(dir.join("verifier-key")).unwrap();
    zkinfer_core::verifier_key::model_id(&vk)
}

fn bench_model(name: &str) -> Compiled {
    let dir = bench_dir().expect("the golden pins need ../shared/data/bench");
    let model = zkinfer_core::onnx::load_onnx(dir.join(format!("{name}.onnx"))).unwrap();
    let cal = zkinfer_core::input::parse_samples(
        &std::fs::read_to_string(dir.join(format!("{name}.cal.json"))).unwrap(),
        model.input_len(),
    )
    .unwrap();
    compile(&model, &cal, &CompileOptions::default()).unwrap()
}

#[test]
fn compiling_today_s_models_gives_the_pinned_circuits_and_model_ids() {
    let mut rows: Vec<(String, String, String)> = vec![];
    for (name, dir) in [
        ("mnist-public", zkinfer_tests::fixtures::mnist_public()),
        ("mnist-served", zkinfer_tests::fixtures::mnist_served()),
    ] {
        let compiled = ModelDir::new(&dir).compiled().unwrap();
        rows.push((
            name.into(),
            circuit_digest(&compiled),
            fixture_model_id(&dir),
        ));
    }
    for name in ["m1_mlp", "m2_lenet"] {
        let c = bench_model(name);
        rows.push((name.into(), circuit_digest(&c), model_id_of(&c)));
    }
    // k=17 (m3) and k=19 (the int8 ResNet): their keys take a minute; their circuits are pinned
    // by the digest of what they are built from.
    let m3 = bench_model("m3_cifar");
    rows.push(("m3_cifar".into(), circuit_digest(&m3), String::new()));
    let int8 = repo().join("examples/int8/resnet_int8.tflite");
    let zkinfer_core::tflite::Loaded::Quantized(graph) =
        zkinfer_core::tflite::load_tflite(&int8).unwrap()
    else {
        panic!("the int8 example is a quantized model")
    };
    let c = compile_quantized(graph, &CompileOptions::default()).unwrap();
    rows.push(("resnet_int8".into(), circuit_digest(&c), String::new()));

    let table: String = rows
        .iter()
        .map(|(n, d, i)| format!("    (\"{n}\", \"{d}\", \"{i}\"),\n"))
        .collect();
    let pinned: Vec<(String, String, String)> = PINNED
        .iter()
        .map(|(n, d, i)| (n.to_string(), d.to_string(), i.to_string()))
        .collect();
    assert_eq!(
        rows, pinned,
        "a circuit changed; if deliberately, pin the new values:\n{table}"
    );
}
