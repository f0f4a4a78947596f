//! Models written by PyTorch's own exporters (`torch.onnx.export`, torch 2.15:
//! `scripts/make_pytorch_exports.py`, onnxruntime's outputs in `expected.json`), as a user
//! brings them: weights shared through `Identity` nodes, constants computed at run time (a
//! `Pow` of a size, `torch.triu`, an expanded class token concatenated with activations),
//! GroupNorm and InstanceNorm,
//! `AdaptiveAvgPool1d`, and the default exporter's weights in a separate `.onnx.data` file.
//! Each loads from its file, its float evaluation matches onnxruntime, and it compiles with the
//! default options into a circuit that accepts its honest witness and rejects a changed output.

mod common;

use common::*;
use halo2_proofs::dev::MockProver;
use zkinfer_core::prove::{compile, CompileOptions};

fn expected() -> serde_json::Value {
    let path = repo().join("examples/pytorch-exports/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn pytorch_exports_load_match_onnxruntime_and_prove() {
    let expected = expected();
    let models = [
        "r1_identity_dedup.onnx",
        "r2_instancenorm.onnx",
        "r2b_groupnorm.onnx",
        "r3_gap1d.onnx",
        "r4_const_pow.onnx",
        "r5_expand_shape.onnx",
        "r6_trilu.onnx",
        "r7_concat_const.onnx",
        "r8_external_data.onnx",
        "r9_multihead_attention.onnx",
    ];
    for name in models {
        let path = repo().join("examples/pytorch-exports").join(name);
        let m = zkinfer_core::onnx::load_onnx(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let case = &expected[name];
        let (x, want) = (floats(&case["input"]), floats(&case["output"]));
        let got = &m.eval_float(&x).unwrap()[m.output];
        let shape: Vec<usize> = case["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got.shape, shape, "{name}");
        let err = got
            .data
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0f32, f32::max);
        assert!(err < 1e-4, "{name}: float evaluator off by {err}");
        // Calibrated on the reference input and its negation, compiled with the defaults.
        let negated: Vec<f32> = x.iter().map(|v| -v).collect();
        let compiled = compile(&m, &[x.clone(), negated], &CompileOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (input, values) = compiled.witness(&x).unwrap();
        let out = values[compiled.graph.output].clone();
        let circuit = compiled.circuit(Some(values.clone()));
        let instance = circuit.instance(&input, &out).unwrap();
        MockProver::run(compiled.plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .unwrap_or_else(|e| panic!("{name}: honest witness rejected: {:?}", &e[..1]));
        let mut changed = values.clone();
        changed[compiled.graph.output][0] += 1;
        let out = changed[compiled.graph.output].clone();
        let circuit = compiled.circuit(Some(changed));
        let instance = circuit.instance(&input, &out).unwrap();
        let rejected = MockProver::run(compiled.plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_err();
        assert!(rejected, "{name}: a changed output was accepted");
        println!("{name}: {}", compiled.plan);
    }
}
