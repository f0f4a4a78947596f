use crate::ir::{Model, Op};
use crate::onnx::tests::{float, init, ints, load, node};
use crate::ops::unary::UnaryFn;
use crate::prove::{compile, CompileOptions};

/// Four rows of 16 features whose magnitudes span 32× (8, 2, 1, 0.25), as a transformer's
/// tokens can after attention: one fixed-point scale serves all of them, so the smallest row
/// keeps about 6 of the input's 12 bits (what the input's quantization leaves, and no rounding
/// after it should lose).
fn rows_of_spread_magnitudes(k: usize) -> Vec<f32> {
    [8.0f32, 2.0, 1.0, 0.25]
        .iter()
        .enumerate()
        .flat_map(|(r, &m)| {
            (0..16).map(move |i| m * ((((i * 7 + r * 3 + k) % 13) as f32) / 6.0 - 1.0 + 0.3))
        })
        .collect()
}

/// The largest difference between the proven (quantized) output and the float model's over the
/// calibration inputs, and the output's range.
fn quantized_error(model: &Model) -> (f64, f64) {
    let samples: Vec<Vec<f32>> = (0..8).map(rows_of_spread_magnitudes).collect();
    let compiled = compile(model, &samples, &CompileOptions::default()).unwrap();
    let g = &compiled.graph;
    let (mut worst, mut range) = (0f64, 0f64);
    for x in &samples {
        let want = model.eval_float(x).unwrap()[model.output].data.clone();
        let (_, values) = compiled.witness(x).unwrap();
        let got = g.dequantize_output(&values[g.output]);
        for (g, w) in got.iter().zip(&want) {
            worst = worst.max((g - *w as f64).abs());
            range = range.max((*w as f64).abs());
        }
    }
    (worst, range)
}

/// An ONNX LayerNormalization of `rows` rows of `len` features (unit scale, zero bias).
fn layer_norm(rows: i64, len: i64, epsilon: f32) -> Model {
    let features = len as usize;
    load(
        &[1, rows, len],
        vec![node(
            "LayerNormalization",
            &["x", "gamma", "beta"],
            "y",
            vec![float("epsilon", epsilon)],
        )],
        vec![
            init("gamma", &[len], &vec![1.0; features]),
            init("beta", &[len], &vec![0.0; features]),
        ],
    )
    .unwrap()
}

fn has_row_scale(model: &Model) -> bool {
    model
        .nodes
        .iter()
        .any(|n| matches!(n.op, Op::Unary(UnaryFn::RowScale { .. })))
}

#[test]
fn rows_32_times_smaller_than_the_largest_are_normalised_within_their_inputs_precision() {
    // Before rows were scaled, the variance of the 0.25 row was 1,000 times below the 8 row's:
    // at the variance's one scale it kept a few units, its inverse root was far too large, and
    // compiling failed ('value out of the proven range' at the normalised values). Now within
    // 0.6% of the output's range.
    let model = layer_norm(4, 16, 1e-12);
    assert!(has_row_scale(&model));
    let (worst, range) = quantized_error(&model);
    assert!(worst < 0.01 * range, "{worst} of {range}");
}

#[test]
fn a_decomposed_layer_norm_scales_its_rows_too_and_a_mean_over_other_axes_does_not() {
    // As torch exports nn.LayerNorm below opset 17.
    let decomposed = |axes: &[i64]| {
        load(
            &[1, 4, 16],
            vec![
                node("ReduceMean", &["x"], "mean", vec![ints("axes", axes)]),
                node("Sub", &["x", "mean"], "d", vec![]),
                node("Pow", &["d", "two"], "sq", vec![]),
                node("ReduceMean", &["sq"], "var", vec![ints("axes", axes)]),
                node("Add", &["var", "eps"], "v", vec![]),
                node("Sqrt", &["v"], "std", vec![]),
                node("Div", &["d", "std"], "y", vec![]),
            ],
            vec![init("two", &[], &[2.0]), init("eps", &[], &[1e-12])],
        )
        .unwrap()
    };
    let over_rows = decomposed(&[-1]);
    assert!(has_row_scale(&over_rows));
    let (worst, range) = quantized_error(&over_rows);
    assert!(worst < 0.01 * range, "{worst} of {range}");
    // The same composition over the rows' axis (one statistic per feature) is no row norm:
    // the square, mean and inverse root as written, the same function in float.
    let over_features = decomposed(&[1]);
    assert!(!has_row_scale(&over_features));
    let x = rows_of_spread_magnitudes(0);
    let y = &over_features.eval_float(&x).unwrap()[over_features.output];
    assert_eq!(y.shape, vec![1, 4, 16]);
    for f in 0..16 {
        let column: Vec<f32> = (0..4).map(|r| x[r * 16 + f]).collect();
        let mean = column.iter().sum::<f32>() / 4.0;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        for (r, v) in column.iter().enumerate() {
            let want = (v - mean) / (var + 1e-12).sqrt();
            assert!((y.data[r * 16 + f] - want).abs() < 1e-3 * want.abs().max(1.0));
        }
    }
}

#[test]
fn a_row_of_zeros_stays_zero_and_a_row_below_the_epsilon_is_damped_as_in_float() {
    // Row 0 all zeros (a token at its zero initialisation), row 1 of magnitude 1e-3 below
    // √ε = 3.2e-3 (its normalised values are ~0.3, not ~1), row 2 of magnitude 0.05.
    let model = layer_norm(3, 8, 1e-5);
    let sample = |k: usize| -> Vec<f32> {
        let wave = |m: f32| (0..8).map(move |i| m * (((i * 5 + k) % 7) as f32 / 3.0 - 1.0));
        std::iter::repeat_n(0.0, 8)
            .chain(wave(1e-3))
            .chain(wave(0.05))
            .collect()
    };
    let samples: Vec<Vec<f32>> = (0..8).map(sample).collect();
    let compiled = compile(&model, &samples, &CompileOptions::default()).unwrap();
    let g = &compiled.graph;
    for x in &samples {
        let want = model.eval_float(x).unwrap()[model.output].data.clone();
        let (_, values) = compiled.witness(x).unwrap();
        let got = g.dequantize_output(&values[g.output]);
        assert!(got[..8].iter().all(|&v| v == 0.0), "{got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!((g - *w as f64).abs() < 0.02, "{got:?} vs {want:?}");
        }
    }
}

#[test]
fn an_rms_norm_written_as_a_product_by_an_inverse_root_scales_its_rows() {
    // LLaMA's RMSNorm as torch exports it: `x * (1 / sqrt(mean(x^2) + eps))`.
    let model = load(
        &[1, 4, 16],
        vec![
            node("Pow", &["x", "two"], "sq", vec![]),
            node("ReduceMean", &["sq"], "ms", vec![ints("axes", &[-1])]),
            node("Add", &["ms", "eps"], "v", vec![]),
            node("Sqrt", &["v"], "rms", vec![]),
            node("Div", &["one", "rms"], "inv", vec![]),
            node("Mul", &["x", "inv"], "y", vec![]),
        ],
        vec![
            init("two", &[], &[2.0]),
            init("eps", &[], &[1e-6]),
            init("one", &[], &[1.0]),
        ],
    )
    .unwrap();
    assert!(has_row_scale(&model));
    let x = rows_of_spread_magnitudes(3);
    let y = &model.eval_float(&x).unwrap()[model.output];
    for (row, out) in x.chunks(16).zip(y.data.chunks(16)) {
        let ms = row.iter().map(|v| v * v).sum::<f32>() / 16.0;
        for (v, o) in row.iter().zip(out) {
            assert!((v / (ms + 1e-6).sqrt() - o).abs() < 1e-4);
        }
    }
    let (worst, range) = quantized_error(&model);
    assert!(worst < 0.01 * range, "{worst} of {range}");
}
