use crate::onnx::exporter_tests::{proven_output, seeded_rows};
use crate::onnx::pb;
use crate::onnx::tests::{init, int, int64s, ints, load, node, run};

const X: [f32; 6] = [0.5, -1.5, 2.0, -0.25, 0.0, 1.0];

/// `Max(x, -x) = |x|`, a Min with a scalar bound, Sum of three (one a constant) and a Mean.
#[test]
fn max_min_sum_and_mean_of_activations_and_constants_compute_what_onnx_defines() {
    let nodes = vec![
        node("Neg", &["x"], "n", vec![]),
        node("Max", &["x", "n"], "abs", vec![]),
        node("Min", &["abs", "one", "two"], "low", vec![]),
        node("Sum", &["x", "low", "c"], "s", vec![]),
        node("Mean", &["s", "x"], "y", vec![]),
    ];
    let c = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let inits = vec![
        init("one", &[], &[1.0]),
        init("two", &[], &[2.0]),
        init("c", &[1, 6], &c),
    ];
    let m = load(&[1, 6], nodes, inits).unwrap();
    let (shape, y) = run(&m, &X);
    assert_eq!(shape, [1, 6]);
    for i in 0..6 {
        let s = X[i] + X[i].abs().min(1.0) + c[i];
        let want = (s + X[i]) / 2.0;
        assert!((y[i] - want).abs() < 1e-6, "{i}: {} vs {want}", y[i]);
    }
}

/// A Max and a Min of two computed tensors of different shapes broadcast them first.
#[test]
fn max_and_min_of_two_activations_broadcast_them() {
    let nodes = vec![
        node("ReduceMean", &["x"], "mean", vec![ints("axes", &[2])]),
        node("Max", &["x", "mean"], "hi", vec![]),
        node("Min", &["mean", "x"], "lo", vec![]),
        node("Sub", &["hi", "lo"], "y", vec![]),
    ];
    let m = load(&[1, 2, 3], nodes, vec![]).unwrap();
    let (shape, y) = run(&m, &X);
    assert_eq!(shape, [1, 2, 3]);
    for r in 0..2 {
        let row = &X[3 * r..3 * r + 3];
        let mean = row.iter().sum::<f32>() / 3.0;
        for (i, v) in row.iter().enumerate() {
            let want = v.max(mean) - v.min(mean);
            assert!((y[3 * r + i] - want).abs() < 1e-6);
        }
    }
}

/// ReduceMin, ReduceL1 and ReduceL2 over the last axis, and LpNormalization with p = 1 and 2.
#[test]
fn norms_and_the_smallest_element_along_an_axis() {
    let reduce = |op: &str, out: &str| node(op, &["x"], out, vec![ints("axes", &[2])]);
    let nodes = vec![
        reduce("ReduceMin", "min"),
        reduce("ReduceL1", "l1"),
        reduce("ReduceL2", "l2"),
        node("LpNormalization", &["x"], "p1", vec![int("p", 1)]),
        node("LpNormalization", &["x"], "p2", vec![int("axis", -1)]),
        node(
            "Concat",
            &["min", "l1", "l2", "p1", "p2"],
            "y",
            vec![int("axis", 2)],
        ),
    ];
    let m = load(&[1, 2, 3], nodes, vec![]).unwrap();
    let (shape, y) = run(&m, &X);
    assert_eq!(shape, [1, 2, 9]);
    for r in 0..2 {
        let row = &X[3 * r..3 * r + 3];
        let l1: f32 = row.iter().map(|v| v.abs()).sum();
        let l2 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        let mut want = vec![row.iter().copied().fold(f32::INFINITY, f32::min), l1, l2];
        want.extend(row.iter().map(|v| v / l1));
        want.extend(row.iter().map(|v| v / l2));
        for (g, w) in y[9 * r..9 * r + 9].iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-5,
                "row {r}: {:?} vs {want:?}",
                &y[9 * r..]
            );
        }
    }
}

/// Casts to float types (float32, float64, float16, bfloat16) pass values through, the
/// network being read as real-valued; to an integer or boolean type they are refused with the
/// type named, since the proof would not show the truncation.
#[test]
fn a_cast_of_activations_is_the_identity_only_between_float_types() {
    let cast = |to: i64| vec![node("Cast", &["x"], "y", vec![int("to", to)])];
    for to in [1, 11, 10, 16] {
        let m = load(&[1, 6], cast(to), vec![]).unwrap();
        assert_eq!(run(&m, &X).1, X);
    }
    for (to, says) in [(7, "type 7"), (6, "type 6"), (2, "type 2"), (9, "type 9")] {
        let err = load(&[1, 6], cast(to), vec![]).unwrap_err().to_string();
        assert!(err.contains("Cast") && err.contains(says), "{err}");
    }
}

/// ONNX's own example of DepthToSpace (DCR), its CRD mode, SpaceToDepth undoing DCR, and Tile.
#[test]
fn depth_to_space_space_to_depth_and_tile_move_what_onnx_says() {
    let x: Vec<f32> = (0..48).map(|v| v as f32).collect();
    let d2s = |mode: &str| {
        let mut attrs = vec![int("blocksize", 2)];
        attrs.push(pb::AttributeProto {
            name: "mode".into(),
            s: mode.as_bytes().to_vec(),
            r#type: pb::attribute_proto::AttributeType::String as i32,
            ..Default::default()
        });
        let m = load(
            &[1, 8, 2, 3],
            vec![node("DepthToSpace", &["x"], "y", attrs)],
            vec![],
        );
        run(&m.unwrap(), &x)
    };
    let (shape, dcr) = d2s("DCR");
    assert_eq!(shape, [1, 2, 4, 6]);
    let first_rows = [
        0., 12., 1., 13., 2., 14., 24., 36., 25., 37., 26., 38., 3., 15., 4., 16., 5., 17.,
    ];
    assert_eq!(dcr[..18], first_rows);
    assert_eq!(dcr[24..30], [6., 18., 7., 19., 8., 20.]);
    let (_, crd) = d2s("CRD");
    // CRD: output channel c, block (i, j) from input channel c·4 + 2i + j.
    assert_eq!(crd[..6], [0., 6., 1., 7., 2., 8.]);
    assert_eq!(crd[6..12], [12., 18., 13., 19., 14., 20.]);

    let round_trip = vec![
        node("DepthToSpace", &["x"], "s", vec![int("blocksize", 2)]),
        node("SpaceToDepth", &["s"], "y", vec![int("blocksize", 2)]),
    ];
    let m = load(&[1, 8, 2, 3], round_trip, vec![]).unwrap();
    assert_eq!(run(&m, &x), (vec![1, 8, 2, 3], x.clone()));

    let tile = vec![node("Tile", &["x", "reps"], "y", vec![])];
    let m = load(&[1, 2, 3], tile, vec![int64s("reps", &[3], &[1, 2, 2])]).unwrap();
    let (shape, y) = run(&m, &X);
    assert_eq!(shape, [1, 4, 6]);
    let row0 = [0.5, -1.5, 2.0, 0.5, -1.5, 2.0];
    let row1 = [-0.25, 0.0, 1.0, -0.25, 0.0, 1.0];
    assert_eq!(y, [row0, row1, row0, row1].concat());
}

/// Shapes the maps cannot take are typed errors naming the node.
#[test]
fn impossible_blocks_and_repeats_are_refused() {
    let d2s = vec![node("DepthToSpace", &["x"], "y", vec![int("blocksize", 2)])];
    let err = load(&[1, 6, 2, 2], d2s, vec![]).unwrap_err().to_string();
    assert!(
        err.contains("DepthToSpace") && err.contains("multiple"),
        "{err}"
    );
    let s2d = vec![node("SpaceToDepth", &["x"], "y", vec![int("blocksize", 0)])];
    let err = load(&[1, 1, 2, 2], s2d, vec![]).unwrap_err().to_string();
    assert!(err.contains("blocksize 0"), "{err}");
    let tile = vec![node("Tile", &["x", "reps"], "y", vec![])];
    let err = load(&[1, 6], tile, vec![int64s("reps", &[2], &[1, -2])])
        .unwrap_err()
        .to_string();
    assert!(err.contains("repeat of -2"), "{err}");
    // A hostile repeat is refused before any index map is allocated.
    let tile = vec![node("Tile", &["x", "reps"], "y", vec![])];
    let err = load(&[1, 6], tile, vec![int64s("reps", &[2], &[1, 1 << 40])])
        .unwrap_err()
        .to_string();
    assert!(err.contains("too large"), "{err}");
    let d2s = vec![node(
        "DepthToSpace",
        &["x"],
        "y",
        vec![int("blocksize", 1 << 40)],
    )];
    let err = load(&[1, 4, 2, 2], d2s, vec![]).unwrap_err().to_string();
    assert!(err.contains("DepthToSpace"), "{err}");
}

/// The new functions through their tables, and the compositions above, compile with the
/// default options; the circuit accepts the witness (MockProver) and the proven output is the
/// float model's to within the quantization.
#[test]
fn the_composed_operators_and_new_functions_are_proven_close_to_the_float_model() {
    let nodes = vec![
        node("DepthToSpace", &["x"], "d", vec![int("blocksize", 2)]),
        node("Mish", &["d"], "mish", vec![]),
        node("Neg", &["d"], "neg", vec![]),
        node("Max", &["mish", "neg"], "hi", vec![]),
        node("Selu", &["hi"], "selu", vec![]),
        node("Sin", &["d"], "sin", vec![]),
        node("Min", &["selu", "sin", "limit"], "lo", vec![]),
        node("ReduceL2", &["lo"], "norm", vec![ints("axes", &[3])]),
        node("LpNormalization", &["lo"], "unit", vec![]),
        node("Tile", &["norm", "reps"], "tiled", vec![]),
        node("Mean", &["unit", "tiled"], "y", vec![]),
    ];
    let inits = vec![
        init("limit", &[], &[1.5]),
        int64s("reps", &[4], &[1, 1, 1, 4]),
    ];
    let m = load(&[1, 4, 2, 2], nodes, inits).unwrap();
    let calibration = seeded_rows(16, 16);
    let x = &calibration[3];
    let want = run(&m, x).1;
    let got = proven_output(&m, &calibration, x);
    let range = want.iter().fold(0f32, |r, v| r.max(v.abs()));
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 0.02 * range, "{got:?} vs {want:?}");
    }
}

/// RoBERTa's position ids as HuggingFace exports them: `cumsum(ids != pad) · (ids != pad) + pad`
/// over int64 token ids (padding id 1), through Equal, Not, casts to integer types, CumSum, Mul
/// and Add; also CumSum's exclusive and reverse forms.
fn position_ids_graph(int_input: bool) -> pb::GraphProto {
    let nodes = vec![
        node("Equal", &["x", "pad"], "is_pad", vec![]),
        node("Not", &["is_pad"], "kept", vec![]),
        node("Cast", &["kept"], "kept32", vec![int("to", 6)]),
        node("CumSum", &["kept32", "axis"], "count", vec![]),
        node("Mul", &["count", "kept32"], "counted", vec![]),
        node("Cast", &["counted"], "counted64", vec![int("to", 7)]),
        node("Add", &["counted64", "pad"], "position", vec![]),
        node(
            "CumSum",
            &["position", "axis"],
            "back",
            vec![int("exclusive", 1), int("reverse", 1)],
        ),
        node("Add", &["position", "back"], "y", vec![]),
    ];
    let inits = vec![init("pad", &[], &[1.0]), int64s("axis", &[], &[1])];
    let mut g = crate::onnx::tests::graph_of(&[1, 6], nodes, inits);
    if int_input {
        if let Some(pb::type_proto::Value::TensorType(t)) =
            g.input[0].r#type.as_mut().and_then(|t| t.value.as_mut())
        {
            t.elem_type = 7;
        }
    }
    g
}

#[test]
fn position_ids_from_token_ids_follow_their_padding() {
    let g = position_ids_graph(true);
    let m = crate::onnx::Loader::load(&g, "positions", 13).unwrap();
    let ids = [5.0, 1.0, 7.0, 7.0, 1.0, 9.0];
    let (shape, y) = run(&m, &ids);
    assert_eq!(shape, [1, 6]);
    // Positions: non-padding tokens count from 2 (pad + 1), padding stays at 1.
    let position = [2.0, 1.0, 3.0, 4.0, 1.0, 5.0];
    for i in 0..6 {
        // Plus the sum of the positions after i (exclusive, reverse).
        let after: f32 = position[i + 1..].iter().sum();
        assert!((y[i] - (position[i] + after)).abs() < 1e-5, "{i}: {y:?}");
    }
    // Quantized with the defaults, the ids' integers give the same positions.
    let calibration: Vec<Vec<f32>> = (0..4)
        .map(|s| ids.iter().map(|v| v + s as f32).collect())
        .collect();
    let compiled = crate::prove::compile(&m, &calibration, &Default::default()).unwrap();
    let (_, values) = compiled.witness(&ids).unwrap();
    let proven = compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]);
    for (p, w) in proven.iter().zip(&y) {
        assert!((p - *w as f64).abs() < 0.05, "{proven:?} vs {y:?}");
    }
}

#[test]
fn comparisons_and_integer_casts_of_tensors_that_may_hold_fractions_are_refused() {
    // The same graph over a float input: Equal cannot be proven as a distance below one half.
    let g = position_ids_graph(false);
    let err = crate::onnx::Loader::load(&g, "positions", 13)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Equal") && err.contains("non-integers"),
        "{err}"
    );
    let nodes = vec![node("Cast", &["x"], "y", vec![int("to", 7)])];
    let err = load(&[1, 6], nodes, vec![]).unwrap_err().to_string();
    assert!(err.contains("Cast"), "{err}");
}
