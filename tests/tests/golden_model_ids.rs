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

mod common;

use common::*;
use sha2::{Digest, Sha256};
use zkinfer_core::prove::{compile, compile_quantized, CompileOptions, Compiled, ModelDir};

/// (model, circuit digest, model id or "" when not computed here).
#[rustfmt::skip]
const PINNED: &[(&str, &str, &str)] = &[
    ("mnist-public", "ccfe22d8bd3eba1498e3f7b85c6a8c40b42c9c69bacd01c360428c9453d18a3d", "95816e863b74e2c2217edc925a13b7023afb57a91dd11b2d57520efd8410e2b8"),
    ("mnist-served", "6800584adaa2241ed6945d9cd298ab217101d21ae94c0cf5f08085c7c383a6d2", "3758ffbfe8de6974d199daf7a9f3121c86fb8a93727b8f16da1b9197240136a9"),
    ("m1_mlp", "a718bbf429bd0697c5ae8fc7d19b33b04c8fe9a3dfe903a2abc7d440d8e416cd", "49ad472c5d0e3026a8b3fb6ad2de35b365efdb125fdb6ca35803b0aaed65325f"),
    ("m2_lenet", "ce4df9893e343d5a8baef143e0c85becc0c45189e86f3a597718809fb61c8363", "b4633fbab77dc6e280eefd613c865c1f663db073ecf3e6d8f6acb8ea883ea3d0"),
    ("m3_cifar", "66f98f33ffe5afe39256364cffa0f8b1dcf9a3d10c827e460f09dd3e40afeb48", ""),
    ("resnet_int8", "61b62c210ed7fc50e87debe4c82dc56f299da9019be2f12cca2f89eeadbb76d5", ""),
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
