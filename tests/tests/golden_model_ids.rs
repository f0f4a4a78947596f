//! Today's circuits, pinned. Restructuring the compiler (operators as folders, the chain in one
//! module, the CLI split per subcommand) must not change any circuit it makes: every model id
//! (the SHA-256 of its verifier key) and every compiled graph stays byte-identical, so keys that
//! consumers already pinned keep verifying.
//!
//! Two pins per model:
//! - the *circuit digest*, SHA-256 of the bincode of the quantized graph and the layout plan
//!   (everything the circuit is built from except the commitment salt), cheap for any model;
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
    ("mnist-public", "fe45858558b828ce103c4fc509c8d8b1710ff9f2f28dd7795137ef5d62476066", "95816e863b74e2c2217edc925a13b7023afb57a91dd11b2d57520efd8410e2b8"),
    ("mnist-served", "80f86f0736b59e36fa4c4775a893c9f2f9bd760bf4b086042ec93a9e14fae21e", "3758ffbfe8de6974d199daf7a9f3121c86fb8a93727b8f16da1b9197240136a9"),
    ("m1_mlp", "8be2770ace094a231b8a972a66126791b51e7e93440e01b714f9d34f101c89cf", "49ad472c5d0e3026a8b3fb6ad2de35b365efdb125fdb6ca35803b0aaed65325f"),
    ("m2_lenet", "20e2a7b9f0528324c38172a3f491625f47256596725e2765d49429d13138864e", "b4633fbab77dc6e280eefd613c865c1f663db073ecf3e6d8f6acb8ea883ea3d0"),
    ("m3_cifar", "99a6db59d97a52185e409f664da95d49ff10879badce5d4ebc3b715ecee80b52", ""),
    ("resnet_int8", "f67be40244fcb807aaa8dc3d876797b0ea0f3cd4310445ce499f90c7f9513007", ""),
];

fn circuit_digest(c: &Compiled) -> String {
    let bytes = bincode::serialize(&(&c.graph, &c.plan)).unwrap();
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
