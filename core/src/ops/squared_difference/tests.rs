//! The kernel's arithmetic against the real squared difference it approximates.

use super::*;

#[test]
fn the_squared_difference_follows_the_real_one_within_an_output_step() {
    let (sa, sb, s_out, zp_out) = (0.03f32, 0.01f32, 0.05f32, -128);
    let op = SquaredDifference::new([sa, sb], (s_out, zp_out), (-128, 127), vec![0]).unwrap();
    for a in -128..=127i64 {
        for b in (-128..=127i64).step_by(5) {
            let real = ((sa * a as f32) - (sb * b as f32)).powi(2) / s_out;
            let got = op.apply(a, b).unwrap() + zp_out;
            let want = (real.round() as i64 + zp_out).clamp(-128, 127);
            assert!((got - want).abs() <= 1, "a {a} b {b}: {got} vs {want}");
        }
    }
}

#[test]
fn a_multiplier_not_below_one_is_refused() {
    // (2·0.5)² / (2^14·1e-6) is far above one.
    let err = SquaredDifference::new([0.5, 0.1], (1e-6, 0), (-128, 127), vec![]).unwrap_err();
    assert!(err.contains("output multiplier"), "{err}");
}

#[test]
fn broadcasting_reads_the_second_inputs_element_for_each_output() {
    let op = SquaredDifference::new([0.1, 0.1], (0.1, -128), (-128, 127), vec![0, 0, 1]).unwrap();
    let domain = (-32768, 32767);
    let out = op.apply_all(&[3, 5, 7], &[1, 7], domain).unwrap();
    assert_eq!(
        out,
        vec![op.apply(3, 1).unwrap(), op.apply(5, 1).unwrap(), 0]
    );
    assert!(
        op.apply_all(&[3, 5], &[1, 7], domain).is_err(),
        "wrong length"
    );
    assert!(
        op.apply_all(&[3, 5, 7], &[1], domain).is_err(),
        "index out of range"
    );
}
