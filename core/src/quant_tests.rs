//! Scales chosen from calibration, on models whose ranges are degenerate.

use crate::ir::{AddOperand, ModelBuilder, Op, Pool, PoolKind, Window2d};
use crate::prove::{compile, CompileOptions};
use crate::tensor::Tensor;

/// A layer norm's shift `β - mean·x` with `β = 0` (its initial value), on calibration inputs
/// whose features nearly cancel: the mean is ~1e-7 in float, and so is the sum.
#[test]
fn a_sum_of_nearly_cancelling_terms_keeps_the_precision_of_its_inputs() {
    let mut b = ModelBuilder::new("cancelling_mean", "x", vec![1, 1, 1, 8]).unwrap();
    let pool = Pool {
        kind: PoolKind::Average {
            count_include_pad: false,
        },
        window: Window2d {
            kernel: [1, 8],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        },
    };
    let mean = b
        .add("mean", Op::Pool(pool), vec![0], "mean", None)
        .unwrap();
    let scaled = b
        .add("scaled", Op::Mul, vec![0, mean], "scaled", None)
        .unwrap();
    let beta = AddOperand::Constant(Tensor::new(vec![1, 1, 1, 8], vec![0.0; 8]));
    let shifted = b
        .add("shifted", Op::Add(beta), vec![scaled], "shifted", None)
        .unwrap();
    let model = b.finish(shifted).unwrap();
    let samples: Vec<Vec<f32>> = (1..9)
        .map(|k| {
            let (a, c) = (0.1 * k as f32, 0.37 / k as f32);
            vec![a, -a + 1e-6, c, -c, 2.0 * a, -2.0 * a, 0.5, -0.5]
        })
        .collect();
    // Calibrated alone, the sum's range (~1e-7) would ask for 40 fractional bits, at which one
    // unit of the mean's rounding (its input's scale) is millions of units: the calibration
    // inputs themselves would not fit. Its scale is now at most its input's (the product's,
    // itself at most the sum of its factors').
    let compiled = compile(&model, &samples, &CompileOptions::default()).unwrap();
    let g = &compiled.graph;
    let f_in = g.tensors[g.input].frac_bits;
    assert!(
        g.tensors[g.output].frac_bits <= 2 * f_in,
        "{:?}",
        g.tensors[g.output]
    );
    for x in &samples {
        let (_, values) = compiled.witness(x).unwrap();
        let out = g.dequantize_output(&values[g.output]);
        // |x| < 1 times a mean off by at most one unit of the input's scale.
        assert!(out.iter().all(|v| v.abs() <= 2f64.powi(-f_in)), "{out:?}");
    }
}

/// A layer norm over rows of 8 features whose first row is constant (a class token still at
/// its zero initialisation, as a randomly initialised DeiT's): its variance is exactly 0.
#[test]
fn a_constant_row_does_not_size_the_inverse_root_of_the_others() {
    use crate::onnx::tests::{init, node};
    let nodes = vec![node(
        "LayerNormalization",
        &["x", "gamma", "beta"],
        "y",
        vec![
            crate::onnx::tests::int("axis", -1),
            crate::onnx::tests::float("epsilon", 1e-12),
        ],
    )];
    let inits = vec![
        init("gamma", &[8], &[1.0; 8]),
        init("beta", &[8], &[0.0; 8]),
    ];
    let graph = crate::onnx::tests::graph_of(&[1, 3, 8], nodes, inits);
    let model = crate::onnx::load_graph(&graph, "layer_norm", 17).unwrap();
    let samples: Vec<Vec<f32>> = (1..9)
        .map(|k| {
            let mut x = vec![0.0; 8];
            x.extend((0..16).map(|i| ((i * 7 + k) % 11) as f32 * 0.1 - 0.5));
            x
        })
        .collect();
    // `1/√(0 + 1e-12)` = 10^6 at the constant row (DeiT's epsilon); the others' inverse roots
    // are about 3. Sized by 10^6, their table's scale would be coarser than their values (its
    // unit 2^10); the normalised rows are now within 1% of their range.
    let compiled = compile(&model, &samples, &CompileOptions::default()).unwrap();
    for x in &samples {
        let want = model.eval_float(x).unwrap()[model.output].data.clone();
        let (_, values) = compiled.witness(x).unwrap();
        let got = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - *w as f64).abs() < 0.02, "{got:?} vs {want:?}");
        }
    }
}
