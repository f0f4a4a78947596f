//! Constants computed at load time as the ONNX specification defines them, read through an
//! `Add` to the model's input (zeros here) so the folded values are the output.

use crate::onnx::tests::{init, int, load, node, run};

/// `y = x + c` (`x` zeros) where `c`, of `shape`, is what `nodes` compute into "c" from `inits`.
fn folded(
    shape: &[i64],
    mut nodes: Vec<crate::onnx::NodeProto>,
    inits: Vec<crate::onnx::pb::TensorProto>,
) -> Vec<f32> {
    nodes.push(node("Add", &["x", "c"], "y", vec![]));
    // The input has a batch axis of 1 before the constant's.
    let input: Vec<i64> = [1].iter().chain(shape).copied().collect();
    let m = load(&input, nodes, inits).unwrap_or_else(|e| panic!("{e}"));
    let n: i64 = shape.iter().product();
    run(&m, &vec![0.0; n as usize]).1
}

fn floats(v: &[f32]) -> Vec<f32> {
    v.to_vec()
}

#[test]
fn scatter_nd_writes_elements_and_slices_as_onnx_defines() {
    // ONNX's first example: single elements of a vector.
    let c = folded(
        &[8],
        vec![node(
            "ScatterND",
            &["data", "indices", "updates"],
            "c",
            vec![],
        )],
        vec![
            init(
                "data",
                &[8],
                &floats(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            ),
            init("indices", &[4, 1], &[4.0, 3.0, 1.0, 7.0]),
            init("updates", &[4], &[9.0, 10.0, 11.0, 12.0]),
        ],
    );
    assert_eq!(c, [1.0, 11.0, 3.0, 10.0, 9.0, 6.0, 7.0, 12.0]);
    // Rows of a matrix (a negative index counts from the end), and `reduction="add"`.
    let scatter = |reduction: Option<&str>| {
        let mut attrs = vec![];
        if let Some(r) = reduction {
            attrs.push(crate::onnx::pb::AttributeProto {
                name: "reduction".into(),
                s: r.as_bytes().to_vec(),
                r#type: crate::onnx::pb::attribute_proto::AttributeType::String as i32,
                ..Default::default()
            });
        }
        folded(
            &[3, 2],
            vec![node(
                "ScatterND",
                &["data", "indices", "updates"],
                "c",
                attrs,
            )],
            vec![
                init("data", &[3, 2], &[1.0; 6]),
                init("indices", &[2, 1], &[0.0, -1.0]),
                init("updates", &[2, 2], &[5.0, 6.0, 7.0, 8.0]),
            ],
        )
    };
    assert_eq!(scatter(None), [5.0, 6.0, 1.0, 1.0, 7.0, 8.0]);
    assert_eq!(scatter(Some("add")), [6.0, 7.0, 1.0, 1.0, 8.0, 9.0]);
    // An index out of range is refused, naming it.
    let err = load(
        &[1, 2],
        vec![
            node("ScatterND", &["data", "indices", "updates"], "c", vec![]),
            node("Add", &["x", "c"], "y", vec![]),
        ],
        vec![
            init("data", &[2], &[0.0, 0.0]),
            init("indices", &[1, 1], &[2.0]),
            init("updates", &[1], &[1.0]),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("index 2 out of range"), "{err}");
}

#[test]
fn cumulative_sums_run_along_the_axis_exclusive_and_reversed() {
    let cumsum = |exclusive: i64, reverse: i64| {
        folded(
            &[2, 3],
            vec![node(
                "CumSum",
                &["v", "axis"],
                "c",
                vec![int("exclusive", exclusive), int("reverse", reverse)],
            )],
            vec![
                init("v", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                init("axis", &[], &[1.0]),
            ],
        )
    };
    assert_eq!(cumsum(0, 0), [1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
    assert_eq!(cumsum(1, 0), [0.0, 1.0, 3.0, 0.0, 4.0, 9.0]);
    assert_eq!(cumsum(0, 1), [6.0, 5.0, 3.0, 15.0, 11.0, 6.0]);
    assert_eq!(cumsum(1, 1), [5.0, 3.0, 0.0, 11.0, 6.0, 0.0]);
}

#[test]
fn a_matrix_product_of_constants_broadcasts_like_numpy() {
    // [1, 2, 1] @ [1, 1, 3]: LLaMA's rotary angles, inv_freq[:, None] @ positions[None, :].
    let c = folded(
        &[1, 2, 3],
        vec![node("MatMul", &["a", "b"], "c", vec![])],
        vec![
            init("a", &[1, 2, 1], &[1.0, 0.5]),
            init("b", &[1, 1, 3], &[0.0, 1.0, 2.0]),
        ],
    );
    assert_eq!(c, [0.0, 1.0, 2.0, 0.0, 0.5, 1.0]);
    // A vector times a matrix: [2] @ [2, 2] is [2].
    let c = folded(
        &[2],
        vec![node("MatMul", &["a", "b"], "c", vec![])],
        vec![
            init("a", &[2], &[1.0, 2.0]),
            init("b", &[2, 2], &[1.0, 2.0, 3.0, 4.0]),
        ],
    );
    assert_eq!(c, [7.0, 10.0]);
}

/// Rotary embeddings multiply `[1, heads, tokens, d]` by cos/sin of `[1, 1, tokens, d]` (varying
/// along two axes): one factor per element. A scalar over a tensor (`1 / x`, `2 / x`) is the
/// reciprocal's table, scaled.
#[test]
fn products_by_constants_of_any_broadcast_and_a_constant_over_a_tensor() {
    let m = load(
        &[1, 2, 2, 2],
        vec![node("Mul", &["x", "cos"], "y", vec![])],
        vec![init("cos", &[1, 1, 2, 2], &[1.0, 2.0, 3.0, 4.0])],
    )
    .unwrap();
    let x = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0];
    assert_eq!(run(&m, &x).1, [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0]);
    let m = load(
        &[1, 3],
        vec![node("Div", &["two", "x"], "y", vec![])],
        vec![init("two", &[], &[2.0])],
    )
    .unwrap();
    let y = run(&m, &[1.0, 4.0, -0.5]).1;
    assert!(
        y.iter()
            .zip([2.0, 0.5, -4.0])
            .all(|(a, b)| (a - b).abs() < 1e-6),
        "{y:?}"
    );
}

#[test]
fn a_slice_of_a_constant_takes_negative_steps_as_onnx_defines() {
    // Swin's shifted windows slice their mask's constants backwards: [6, 4, 2] of 1..=6.
    let c = folded(
        &[3],
        vec![node(
            "Slice",
            &["v", "starts", "ends", "axes", "steps"],
            "c",
            vec![],
        )],
        vec![
            init("v", &[6], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            init("starts", &[1], &[-1.0]),
            init("ends", &[1], &[-100.0]),
            init("axes", &[1], &[0.0]),
            init("steps", &[1], &[-2.0]),
        ],
    );
    assert_eq!(c, [6.0, 4.0, 2.0]);
}

/// Hostile constants are refused before any work: a product of N² elements, a running sum of a
/// scalar.
#[test]
fn hostile_folds_are_refused_by_name() {
    let n = 1 << 11;
    let err = load(
        &[1, 1],
        vec![
            node("MatMul", &["a", "b"], "c", vec![]),
            node("Add", &["x", "c"], "y", vec![]),
        ],
        vec![
            init("a", &[n, 1], &vec![1.0; n as usize]),
            init("b", &[1, n], &vec![1.0; n as usize]),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("over 2^20 elements"), "{err}");
    let err = load(
        &[1],
        vec![
            node("CumSum", &["s", "axis"], "c", vec![]),
            node("Add", &["x", "c"], "y", vec![]),
        ],
        vec![init("s", &[], &[1.0]), init("axis", &[], &[0.0])],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("CumSum needs an axis"), "{err}");
}

#[test]
fn gather_nd_picks_elements_and_slices_as_onnx_defines() {
    let gather = |data: &[i64], indices: &[i64], index_values: &[f32], batch_dims, shape| {
        let values: Vec<f32> = (0..data.iter().product::<i64>())
            .map(|v| v as f32)
            .collect();
        folded(
            shape,
            vec![node(
                "GatherND",
                &["data", "indices"],
                "c",
                vec![int("batch_dims", batch_dims)],
            )],
            vec![
                init("data", data, &values),
                init("indices", indices, index_values),
            ],
        )
    };
    // ONNX's examples over data [[0, 1], [2, 3]]: elements, then rows (the last from the end).
    assert_eq!(
        gather(&[2, 2], &[2, 2], &[0.0, 0.0, 1.0, 1.0], 0, &[2]),
        [0.0, 3.0]
    );
    assert_eq!(
        gather(&[2, 2], &[2, 1], &[1.0, -2.0], 0, &[2, 2]),
        [2.0, 3.0, 0.0, 1.0]
    );
    // batch_dims = 1 over data [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]: each batch's own row.
    assert_eq!(
        gather(&[2, 2, 2], &[2, 1], &[1.0, 0.0], 1, &[2, 2]),
        [2.0, 3.0, 4.0, 5.0]
    );
    // Index tuples longer than the data's rank are refused.
    let err = load(
        &[1, 2],
        vec![
            node("GatherND", &["data", "indices"], "c", vec![]),
            node("Add", &["x", "c"], "y", vec![]),
        ],
        vec![
            init("data", &[2], &[1.0, 2.0]),
            init("indices", &[1, 2], &[0.0, 0.0]),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("GatherND") && err.contains("indices of shape"),
        "{err}"
    );
}

#[test]
fn comparisons_and_boolean_logic_of_constants_give_zeros_and_ones() {
    // Mistral's sliding-window causal mask compares constant positions with LessOrEqual.
    let a = [1.0, 2.0, 3.0, 0.0];
    let b = [2.0, 2.0, 2.0, 0.0];
    for (op, want) in [
        ("LessOrEqual", [1.0, 1.0, 0.0, 1.0]),
        ("GreaterOrEqual", [0.0, 1.0, 1.0, 1.0]),
        ("And", [1.0, 1.0, 1.0, 0.0]),
        ("Or", [1.0, 1.0, 1.0, 0.0]),
        ("Xor", [0.0, 0.0, 0.0, 0.0]),
    ] {
        let c = folded(
            &[4],
            vec![node(op, &["a", "b"], "c", vec![])],
            vec![init("a", &[4], &a), init("b", &[4], &b)],
        );
        assert_eq!(c, want, "{op}");
    }
    let c = folded(
        &[4],
        vec![node("Xor", &["a", "z"], "c", vec![])],
        vec![init("a", &[4], &a), init("z", &[4], &[0.0, 5.0, 0.0, 1.0])],
    );
    assert_eq!(c, [1.0, 0.0, 1.0, 1.0]);
}

#[test]
fn a_constant_resized_to_its_own_size_is_itself_and_to_another_is_refused() {
    // DINOv2's position embeddings, "interpolated" (bicubic) to the grid they were made for.
    let grid: Vec<f32> = (0..8).map(|v| v as f32 * 0.5).collect();
    let resize = |sizes: &[i64]| {
        let nodes = vec![node(
            "Resize",
            &["grid", "", "", "sizes"],
            "c",
            vec![crate::onnx::tests::string("mode", "cubic")],
        )];
        let inits = vec![
            init("grid", &[1, 2, 2, 2], &grid),
            crate::onnx::tests::int64s("sizes", &[4], sizes),
        ];
        let input: Vec<i64> = vec![1, 1, 2, 2, 2];
        let mut nodes = nodes;
        nodes.push(node("Add", &["x", "c"], "y", vec![]));
        load(&input, nodes, inits).map(|m| run(&m, &[0.0; 8]).1)
    };
    assert_eq!(resize(&[1, 2, 2, 2]).unwrap(), grid);
    let err = resize(&[1, 2, 4, 4]).unwrap_err().to_string();
    assert!(err.contains("Resize") && err.contains("own size"), "{err}");
}
