//! The check every exporter's fixture goes through (`examples/*-exports/`, each with its
//! framework's outputs in `expected.json`): it loads from its file, its float evaluation matches
//! the framework's, and it compiles with the default options into a circuit that accepts its
//! honest witness and rejects a changed output.

use halo2_proofs::dev::MockProver;
use zkinfer_core::prove::{compile, CompileOptions, Compiled};

pub fn expected(dir: &str) -> serde_json::Value {
    let path = super::repo()
        .join("examples")
        .join(dir)
        .join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Checks `examples/DIR/NAME` (ONNX, or a float TFLite model) against `case` (its input and the framework's output); returns
/// the compiled model and its proven (dequantized) output.
pub fn check_export(dir: &str, name: &str, case: &serde_json::Value) -> (Compiled, Vec<f64>) {
    let path = super::repo().join("examples").join(dir).join(name);
    let m = match zkinfer_core::loader::load_model(&path) {
        Ok(zkinfer_core::tflite::Loaded::Float(m)) => m,
        Ok(_) => panic!("{name}: not a float model"),
        Err(e) => panic!("{name}: {e}"),
    };
    let x = float_matches(name, &m, case);
    // Calibrated on the reference input and its negation, compiled with the defaults.
    let negated: Vec<f32> = x.iter().map(|v| -v).collect();
    let compiled = compile(&m, &[x.clone(), negated], &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let (input, values) = compiled.witness(&x).unwrap();
    let out = values[compiled.graph.output].clone();
    mock_verify(&compiled, &input, values.clone())
        .unwrap_or_else(|e| panic!("{name}: honest witness rejected: {:?}", &e[..1]));
    let mut changed = values;
    changed[compiled.graph.output][0] += 1;
    let rejected = mock_verify(&compiled, &input, changed).is_err();
    assert!(rejected, "{name}: a changed output was accepted");
    println!("{name}: {}", compiled.plan);
    let proven = compiled.graph.dequantize_output(&out);
    (compiled, proven)
}

/// Evaluates `m` (the model of export `name`) on `case`'s input: its output has the framework's
/// shape and values within 1e-4 (relative, for values above 1). Returns the input.
pub fn float_matches(
    name: &str,
    m: &zkinfer_core::ir::Model,
    case: &serde_json::Value,
) -> Vec<f32> {
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
    x
}

/// MockProver on `values` as the witness, the public output being `values`' output tensor.
pub fn mock_verify(
    compiled: &Compiled,
    input: &[i64],
    values: Vec<Vec<i64>>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let out = values[compiled.graph.output].clone();
    let circuit = compiled.circuit(Some(values));
    let instance = circuit.instance(input, &out).unwrap();
    MockProver::run(compiled.plan.k, &circuit, vec![instance])
        .unwrap()
        .verify()
}
