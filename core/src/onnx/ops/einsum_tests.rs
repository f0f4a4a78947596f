use crate::onnx::pb;
use crate::onnx::tests::{init, int64s, load, node, run};
use tract_onnx::pb::AttributeProto;

fn equation(e: &str) -> AttributeProto {
    AttributeProto {
        name: "equation".into(),
        s: e.as_bytes().to_vec(),
        r#type: pb::attribute_proto::AttributeType::String as i32,
        ..Default::default()
    }
}

/// The definition: every assignment of the letters, the operands' product summed into the
/// output's element.
fn naive(eq: &str, operands: &[(&[usize], &[f32])]) -> (Vec<usize>, Vec<f32>) {
    let (lhs, out) = eq.split_once("->").unwrap();
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    let out: Vec<char> = out.chars().collect();
    let mut letters: Vec<(char, usize)> = Vec::new();
    for (t, (shape, _)) in terms.iter().zip(operands) {
        for (c, &n) in t.iter().zip(shape.iter()) {
            if !letters.iter().any(|(d, _)| d == c) {
                letters.push((*c, n));
            }
        }
    }
    let size = |c: char| letters.iter().find(|(d, _)| *d == c).unwrap().1;
    let out_shape: Vec<usize> = out.iter().map(|&c| size(c)).collect();
    let mut y = vec![0f32; out_shape.iter().product()];
    let total: usize = letters.iter().map(|(_, n)| n).product();
    for mut k in 0..total {
        let mut at = std::collections::HashMap::new();
        for (c, n) in letters.iter().rev() {
            at.insert(*c, k % n);
            k /= n;
        }
        let index = |t: &[char], shape: &[usize]| {
            t.iter().zip(shape).fold(0, |acc, (c, &n)| acc * n + at[c])
        };
        let mut p = 1f32;
        for (t, (shape, v)) in terms.iter().zip(operands) {
            p *= v[index(t, shape)];
        }
        y[index(&out, &out_shape)] += p;
    }
    (out_shape, y)
}

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7 + seed * 13) % 17) as f32 / 8.0 - 1.0)
        .collect()
}

/// `eq` over a computed first operand (the model's input) and a constant second.
fn with_constant(eq: &str, a: &[usize], w: &[usize]) {
    let (na, nw) = (a.iter().product(), w.iter().product());
    let (x, wv) = (values(na, 1), values(nw, 2));
    let dims = |s: &[usize]| s.iter().map(|&d| d as i64).collect::<Vec<_>>();
    let m = load(
        &dims(a),
        vec![node("Einsum", &["x", "w"], "y", vec![equation(eq)])],
        vec![init("w", &dims(w), &wv)],
    )
    .unwrap_or_else(|e| panic!("{eq}: {e}"));
    let want = naive(eq, &[(a, &x), (w, &wv)]);
    let got = run(&m, &x);
    assert_eq!(got.0, want.0, "{eq}");
    for (g, w) in got.1.iter().zip(&want.1) {
        assert!((g - w).abs() < 1e-4, "{eq}: {got:?} vs {want:?}");
    }
}

/// `eq` over two computed operands, cut out of one input `[1, |a| + |b|]`.
fn with_two_computed(eq: &str, a: &[usize], bs: &[usize]) {
    let (na, nb): (usize, usize) = (a.iter().product(), bs.iter().product());
    let x = values(na + nb, 3);
    let dims = |s: &[usize]| s.iter().map(|&d| d as i64).collect::<Vec<_>>();
    let nodes = vec![
        node("Slice", &["x", "s0", "e0", "ax"], "fa", vec![]),
        node("Slice", &["x", "e0", "e1", "ax"], "fb", vec![]),
        node("Reshape", &["fa", "sa"], "a", vec![]),
        node("Reshape", &["fb", "sb"], "b", vec![]),
        node("Einsum", &["a", "b"], "y", vec![equation(eq)]),
    ];
    let inits = vec![
        int64s("s0", &[1], &[0]),
        int64s("e0", &[1], &[na as i64]),
        int64s("e1", &[1], &[(na + nb) as i64]),
        int64s("ax", &[1], &[1]),
        int64s("sa", &[a.len() as i64], &dims(a)),
        int64s("sb", &[bs.len() as i64], &dims(bs)),
    ];
    let m = load(&[1, (na + nb) as i64], nodes, inits).unwrap_or_else(|e| panic!("{eq}: {e}"));
    let want = naive(eq, &[(a, &x[..na]), (bs, &x[na..])]);
    let got = run(&m, &x);
    assert_eq!(got.0, want.0, "{eq}");
    for (g, w) in got.1.iter().zip(&want.1) {
        assert!((g - w).abs() < 1e-4, "{eq}: {got:?} vs {want:?}");
    }
}

#[test]
fn einsum_by_a_constant_is_the_definition_whatever_the_letters_order() {
    // Keras MultiHeadAttention's output projection (through tf2onnx).
    with_constant("abcd,cde->abe", &[1, 3, 2, 4], &[2, 4, 5]);
    // Its query projection, heads split out of the constant.
    with_constant("abc,cde->abde", &[1, 3, 4], &[4, 2, 3]);
    // x·Wᵀ, the contracted letter last in both.
    with_constant("nij,kj->nik", &[1, 3, 4], &[5, 4]);
    // The output in another order than the product's.
    with_constant("nij,jk->kin", &[1, 3, 4], &[4, 2]);
}

#[test]
fn einsum_of_a_constant_first_and_of_two_computed_operands_is_the_definition() {
    // The constant first: its free letters lead the output.
    let m = load(
        &[1, 3, 4],
        vec![node(
            "Einsum",
            &["w", "x"],
            "y",
            vec![equation("kj,nij->nki")],
        )],
        vec![init("w", &[5, 4], &values(20, 2))],
    )
    .unwrap();
    let x = values(12, 1);
    let want = naive(
        "kj,nij->nki",
        &[(&[5, 4], &values(20, 2)), (&[1, 3, 4], &x)],
    );
    let got = run(&m, &x);
    assert_eq!(got.0, want.0);
    for (g, w) in got.1.iter().zip(&want.1) {
        assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
    }
    // Attention's scores and weighted values, batch letters included.
    with_two_computed("bhqd,bhkd->bhqk", &[1, 2, 3, 4], &[1, 2, 5, 4]);
    with_two_computed("bhqk,bhkd->bqhd", &[1, 2, 3, 5], &[1, 2, 5, 4]);
    // Contracted letters first, and a batch letter in the middle.
    with_two_computed("kbi,kbj->bij", &[4, 2, 3], &[4, 2, 5]);
}

#[test]
fn einsums_it_cannot_lower_are_refused_by_name() {
    let refused = |eq: &str, a: &[i64], w: &[i64]| {
        let n: i64 = w.iter().product();
        let err = load(
            a,
            vec![node("Einsum", &["x", "w"], "y", vec![equation(eq)])],
            vec![init("w", w, &vec![0.5; n as usize])],
        )
        .err()
        .unwrap_or_else(|| panic!("{eq} was accepted"))
        .to_string();
        assert!(err.contains("Einsum"), "{eq}: {err}");
        err
    };
    assert!(refused("nii,ij->nij", &[1, 3, 3], &[3, 4]).contains("diagonal"));
    assert!(refused("nij,jk->ni", &[1, 3, 4], &[4, 2]).contains("summed within one operand"));
    assert!(refused("...j,jk->...k", &[1, 3, 4], &[4, 2]).contains("ellipsis"));
    assert!(refused("bij,bjk->bik", &[1, 3, 4], &[1, 4, 5]).contains("batch letters"));
    assert!(refused("nij,jk->nik", &[1, 3, 4], &[5, 2]).contains("two sizes"));
}
