//! The peer benchmark models (../shared/data/bench): our loader and float evaluator agree with
//! tract and onnxruntime, and the integer evaluator stays within the reported quantization error.

mod common;

use common::*;
use tract_onnx::prelude::*;
use zkinfer_core::prove::{compile, CompileOptions};

fn tract_output(path: &std::path::Path, shape: &[usize], x: &[f32]) -> Vec<f32> {
    let model = tract_onnx::onnx()
        .model_for_path(path)
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let input = tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), x.to_vec()).unwrap();
    let out = model.run(tvec!(Tensor::from(input).into())).unwrap();
    out[0]
        .to_plain_array_view::<f32>()
        .unwrap()
        .iter()
        .copied()
        .collect()
}

#[test]
fn bench_models_match_reference_interpreters_and_quantize_accurately() {
    let Some(dir) = bench_dir() else { return };
    for name in ["m1_mlp", "m2_lenet", "m3_cifar"] {
        let path = dir.join(format!("{name}.onnx"));
        let model = zkinfer_core::onnx::load_onnx(&path).unwrap();
        let x = zkinfer_core::input::parse_single(
            &std::fs::read_to_string(dir.join(format!("{name}.input.json"))).unwrap(),
            model.input_len(),
        )
        .unwrap();
        let cal = zkinfer_core::input::parse_samples(
            &std::fs::read_to_string(dir.join(format!("{name}.cal.json"))).unwrap(),
            model.input_len(),
        )
        .unwrap();
        let ours = model.eval_float(&x).unwrap()[model.output].data.clone();
        let tract = tract_output(&path, model.input_shape(), &x);
        let reference: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.ref.json"))).unwrap(),
        )
        .unwrap();
        let ort: Vec<f32> = reference["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        for (a, b) in ours.iter().zip(&tract).chain(ours.iter().zip(&ort)) {
            assert!(
                (a - b).abs() < 1e-4,
                "{name}: float evaluator {a} vs reference {b}"
            );
        }
        let compiled = compile(&model, &cal, &CompileOptions::default()).unwrap();
        let (_, values) = compiled.witness(&x).unwrap();
        let quantized = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
        // Against our own float evaluator, which is what compile reports its error against:
        // tract's kernels round differently from one CPU to another (they agree with ours to
        // 1e-4 above), and a few ulps of f32 decide nothing here.
        let err = quantized
            .iter()
            .zip(&ours)
            .map(|(q, f)| (q - *f as f64).abs())
            .fold(0.0, f64::max);
        let range = tract.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
        println!(
            "{name}: layout {} | max |int - float| {err:.5} (reported over calibration {:.5}, output range {range:.3})",
            compiled.plan, compiled.max_abs_error
        );
        assert!(
            err <= compiled.max_abs_error + 1e-12,
            "{name}: error {err} above the reported {}",
            compiled.max_abs_error
        );
        assert!(
            err <= 0.02 * range.max(1.0),
            "{name}: quantization error {err} is too large for output range {range}"
        );
    }
}
