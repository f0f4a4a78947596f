use super::*;

#[test]
fn attention_shapes_broadcast_their_batch_axes() {
    // Q [1, 2 heads, 3 tokens, 4] · Kᵀ [1, 2, 4, 3] -> scores [1, 2, 3, 3].
    let (out, s) = MatMulShape::of(&[1, 2, 3, 4], &[1, 2, 4, 3]).unwrap();
    assert_eq!(out, vec![1, 2, 3, 3]);
    assert_eq!((s.m, s.k, s.n), (3, 4, 3));
    assert_eq!(
        s.items,
        vec![
            BatchItem {
                a_offset: 0,
                b_offset: 0
            },
            BatchItem {
                a_offset: 12,
                b_offset: 12
            }
        ]
    );
    // One B shared by every head, and a rank difference.
    let (out, s) = MatMulShape::of(&[1, 2, 3, 4], &[4, 5]).unwrap();
    assert_eq!(out, vec![1, 2, 3, 5]);
    assert_eq!(s.items[1].b_offset, 0);
    assert_eq!(s.items[1].a_offset, 12);
}

#[test]
fn mismatched_or_one_dimensional_operands_are_refused_by_name() {
    assert!(MatMulShape::of(&[2, 3], &[4, 5])
        .unwrap_err()
        .contains("inner dimensions 3 and 4"));
    assert!(MatMulShape::of(&[3], &[3, 5])
        .unwrap_err()
        .contains("at least two axes"));
    assert!(MatMulShape::of(&[2, 2, 3], &[3, 3, 4])
        .unwrap_err()
        .contains("do not broadcast"));
    assert!(MatMulShape::of(&[0, 3], &[3, 4])
        .unwrap_err()
        .contains("empty axis"));
}

#[test]
fn the_integer_product_sums_then_rounds_half_up() {
    let (_, shape) = MatMulShape::of(&[2, 2], &[2, 1]).unwrap();
    let p = MatProduct {
        shape,
        shift: 2,
        requant: None,
    };
    // [1 2; -3 1]·[1; 1] = [3; -2]; /4 rounded half up: 0.75 -> 1, -0.5 -> 0.
    assert_eq!(p.accumulators(&[1, 2, -3, 1], &[1, 1]), Some(vec![5, 0]));
    assert_eq!(p.apply_all(&[1, 2, -3, 1], &[1, 1]), Some(vec![1, 0]));
    assert_eq!(p.apply_all(&[1, 2, -3], &[1, 1]), None, "a short operand");
}
