//! The reference kernel's arithmetic against the real functions it approximates, and the
//! circuit's reading of it (unsaturated floors) against gemmlowp's saturating one.

use super::*;
use rand::{Rng, SeedableRng};

fn softmax(beta: f32, scale: f32, depth: usize) -> ByteSoftmax {
    ByteSoftmax::new(beta, scale, depth, 1).unwrap()
}

#[test]
fn exp_of_a_difference_follows_the_real_exponential_and_is_one_only_at_zero() {
    for (beta, scale) in [(1.0, 0.1), (1.0, 1.0 / 16.0), (0.5, 0.04), (1.0, 0.3)] {
        let s = softmax(beta, scale, 10);
        s.check().unwrap();
        for (d, e) in s.exp_table() {
            let real = ((beta * scale) as f64 * d as f64).exp();
            let got = e as f64 / 2f64.powi(31);
            if d >= s.diff_min {
                assert!(
                    (got - real).abs() < 2e-6,
                    "beta·scale {} d {d}: {got} vs {real}",
                    beta * scale
                );
            } else {
                assert_eq!(e, 0, "below diff_min");
            }
            assert_eq!(e == ONE_Q31, d == 0, "d {d}");
        }
    }
}

#[test]
fn the_reciprocal_is_one_over_the_normalised_sum() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..10_000 {
        let x: i32 = rng.gen_range(1 << 19..i32::MAX);
        let (scale, bits_over_unit) = get_reciprocal(x);
        // x in Q12.19 is x/2^19; the scale stands for 2^bits_over_unit / (x/2^19).
        let real = 2f64.powi(bits_over_unit) / (x as f64 / 2f64.powi(19));
        let got = scale as f64 / 2f64.powi(31);
        assert!((got - real).abs() < 1e-8, "x {x}: {got} vs {real}");
    }
}

#[test]
fn a_row_follows_the_float_softmax_within_one_step() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    for depth in [1, 2, 7, 64, 1000] {
        let scale = 0.05f32;
        let s = softmax(1.0, scale, depth);
        for _ in 0..20 {
            let x: Vec<i64> = (0..depth).map(|_| rng.gen_range(-128..128)).collect();
            let y = s.row(&x).unwrap();
            let max = *x.iter().max().unwrap();
            let exps: Vec<f64> = x
                .iter()
                .map(|&v| ((v - max) as f64 * scale as f64).exp())
                .collect();
            let total: f64 = exps.iter().sum();
            for (e, &got) in exps.iter().zip(&y) {
                let real = (e / total * 256.0).min(255.0);
                assert!(
                    (got as f64 - real).abs() <= 1.0,
                    "depth {depth}: {got} vs {real}"
                );
            }
        }
    }
}

/// The circuit's Newton steps: floors of exact products, no saturation (the chip's rows).
fn circuit_reciprocal(normalised_minus_one_half: i64) -> i64 {
    let floor_product =
        |a: i64, b: i64| (a as i128 * b as i128 + (1 << 30)).div_euclid(1 << 31) as i64;
    let hd = normalised_minus_one_half + (1 << 30);
    let mut x = floor_product(hd, NEWTON_NEG_32_OVER_17) + NEWTON_48_OVER_17;
    for _ in 0..3 {
        let one_minus = ONE_Q29 - floor_product(hd, x);
        x += 4 * floor_product(x, one_minus);
    }
    (2 * x).min(i32::MAX as i64)
}

#[test]
fn the_circuits_unsaturated_newton_steps_equal_gemmlowps() {
    // The chip proves `r = S·2^(h-1) - 2^30` in [0, 2^30); gemmlowp reads `a = 2r`. Every r at
    // a stride, the ends, and random ones.
    let check = |r: i64| {
        assert_eq!(
            circuit_reciprocal(r),
            one_over_one_plus_x((2 * r) as i32) as i64,
            "r = {r}"
        );
    };
    for r in (0..1i64 << 30).step_by(997) {
        check(r);
    }
    for r in [
        0,
        1,
        2,
        (1 << 29) - 1,
        1 << 29,
        (1 << 30) - 2,
        (1 << 30) - 1,
    ] {
        check(r);
    }
}

/// Every r, once (28 s; it passed for all 2^30): `cargo test --release -p zkinfer-core --lib
/// every_normalised_sum -- --ignored`.
#[test]
#[ignore]
fn every_normalised_sum_takes_the_same_newton_steps_in_the_circuit() {
    for r in 0..1i64 << 30 {
        assert_eq!(
            circuit_reciprocal(r),
            one_over_one_plus_x((2 * r) as i32) as i64,
            "r = {r}"
        );
    }
}

#[test]
fn rows_follow_tflites_last_axis_in_our_layout() {
    // NHWC [1, 2, 3, 4]: our NCHW [1, 4, 2, 3], rows of 4 channels, stride 6.
    let s = ByteSoftmax::new(1.0, 0.1, 4, 6).unwrap();
    assert_eq!(s.rows(24), 6);
    assert_eq!(
        (0..4).map(|c| s.index(1, c)).collect::<Vec<_>>(),
        [1, 7, 13, 19]
    );
    assert!(!s.fits(20));
}

#[test]
fn settings_tflite_refuses_are_refused() {
    assert!(
        ByteSoftmax::new(1.0, 1e-9, 4, 1).is_err(),
        "multiplier below one"
    );
    assert!(ByteSoftmax::new(1.0, 0.1, 0, 1).is_err());
    assert!(ByteSoftmax::new(1.0, 0.1, MAX_DEPTH + 1, 1).is_err());
    assert!(ByteSoftmax::new(1.0, 0.1, MAX_DEPTH, 1).is_ok());
}
