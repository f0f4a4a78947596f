//! The vendored halo2 and halo2curves' verifier-speed patches compute what upstream computed:
//! - halo2-axiom patch 6, `rotate_omega` by square-and-multiply: x * omega^r for positive,
//!   negative and zero rotations;
//! - halo2-axiom patch 5, `eval_polynomial` by Horner's rule alone below 1,024 coefficients or on
//!   one thread: the same value as a plain Horner evaluation, on both sides of the threshold;
//! - halo2curves-axiom patch 3, `Fq::sqrt` by a fixed-window power: exactly a^((p+1)/4) as the
//!   constant-time `pow` gives it (the same root, not merely a root), and none for non-squares;
//! - halo2curves-axiom patch 4, the Montgomery product on 32-bit words that BN254's fields use on
//!   WebAssembly: a * b * 2^-256 mod p, fully reduced, for both fields, at the edges and at
//!   random (it runs only on wasm32, so here it is called directly and compared with the
//!   native field; the WebAssembly suites then verify real proofs with it);
//! - halo2curves-axiom patch 5, the MSM with affine bucket sums that `msm_best` takes on wasm32:
//!   the plain sum of scalar multiples, in every case its formulas treat apart;
//! - halo2-axiom patch 7, batch inversion of public values: `ff::BatchInvert`'s result, and the
//!   Lagrange evaluations and interpolation polynomials built on it are their formulas;
//! - halo2-axiom patch 10, the prover's FFT with a twiddle table and cache-sized blocks: the
//!   discrete Fourier transform by its definition at small sizes, and equal element for element
//!   to the implementation it replaced around the block size and at proving sizes, on one,
//!   three and eight threads, on field elements and group elements.
//!
//! The verifier decompresses every point of a proof and a key through `Fq::sqrt`, and SHPLONK's
//! verifier evaluates its interpolation polynomials through `eval_polynomial`: a wrong value in
//! either would reject valid proofs or accept points that are not the ones the prover wrote.

use halo2_proofs::arithmetic::eval_polynomial;
use halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::group::{Curve, GroupEncoding};
use halo2curves::mont32;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// (p + 1) / 4 for BN254's base field, upstream's square-root exponent.
const SQRT_EXPONENT: [u64; 4] = [
    0x4f082305b61f3f52,
    0x65e05aa45a1c72a3,
    0x6e14116da0605617,
    0x0c19139cb84c680a,
];

fn horner(poly: &[Fr], x: Fr) -> Fr {
    poly.iter().rev().fold(Fr::ZERO, |acc, c| acc * x + c)
}

#[test]
fn eval_polynomial_is_horners_rule_on_both_sides_of_the_parallel_threshold() {
    let mut rng = StdRng::seed_from_u64(5);
    for len in [0usize, 1, 2, 3, 7, 40, 1023, 1024, 1025, 3001] {
        let poly: Vec<Fr> = (0..len).map(|_| Fr::random(&mut rng)).collect();
        for x in [Fr::ZERO, Fr::ONE, -Fr::ONE, Fr::random(&mut rng)] {
            assert_eq!(eval_polynomial(&poly, x), horner(&poly, x), "length {len}");
        }
    }
}

#[test]
fn sqrt_is_upstreams_power_for_squares_and_none_for_the_rest() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut elements = vec![Fq::ZERO, Fq::ONE, -Fq::ONE, Fq::from(3), Fq::from(4)];
    elements.extend((0..300).map(|_| Fq::random(&mut rng)));
    let (mut squares, mut non_squares) = (0, 0);
    for a in elements {
        let reference = a.pow(SQRT_EXPONENT);
        let root = a.sqrt();
        if reference.square() == a {
            squares += 1;
            assert_eq!(root.unwrap(), reference, "the same root as upstream's pow");
        } else {
            non_squares += 1;
            assert!(bool::from(root.is_none()), "a non-square has no root");
        }
    }
    assert!(
        squares > 100 && non_squares > 100,
        "{squares} squares, {non_squares} non-squares"
    );
}

#[test]
fn compressed_points_decompress_to_themselves_and_off_curve_xs_are_refused() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..100 {
        let point = (G1Affine::generator() * Fr::random(&mut rng)).to_affine();
        let bytes = point.to_bytes();
        assert_eq!(G1Affine::from_bytes(&bytes).unwrap(), point);
        // The other sign of y is the negated point.
        let mut flipped = bytes;
        flipped.as_mut()[31] ^= 0x40;
        assert_eq!(G1Affine::from_bytes(&flipped).unwrap(), -point);
        // Patch 6 of the vendored halo2curves: the infinity flag beside a non-zero x is refused,
        // so no point has a second encoding (a proof's bytes cannot change without its points).
        let mut flagged = bytes;
        flagged.as_mut()[31] ^= 0x80;
        assert!(bool::from(G1Affine::from_bytes(&flagged).is_none()));
    }
    let identity = <G1Affine as PrimeCurveAffine>::identity().to_bytes();
    assert_eq!(
        G1Affine::from_bytes(&identity).unwrap(),
        <G1Affine as PrimeCurveAffine>::identity()
    );
    let mut signed_identity = identity;
    signed_identity.as_mut()[31] ^= 0x40;
    assert!(bool::from(G1Affine::from_bytes(&signed_identity).is_none()));
    // Small x with y's sign bit clear: a point exactly when x^3 + 3 is a square (x = 0, all
    // zero bytes, is the identity's encoding, so it starts at 1).
    let mut refused = 0;
    for x in 1u64..40 {
        let rhs = Fq::from(x).square() * Fq::from(x) + Fq::from(3);
        let mut bytes = <G1Affine as GroupEncoding>::Repr::default();
        bytes.as_mut()[..8].copy_from_slice(&x.to_le_bytes());
        let decoded = G1Affine::from_bytes(&bytes);
        if rhs.pow(SQRT_EXPONENT).square() == rhs {
            assert!(bool::from(decoded.is_some()), "x = {x} is on the curve");
        } else {
            refused += 1;
            assert!(bool::from(decoded.is_none()), "x = {x} is not on the curve");
        }
    }
    assert!(refused > 5);
}

/// The little-endian 64-bit limbs of a canonical field element.
fn limbs<F: PrimeField<Repr = [u8; 32]>>(x: F) -> [u64; 4] {
    let bytes = x.to_repr();
    std::array::from_fn(|i| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap()))
}

fn from_limbs<F: PrimeField<Repr = [u8; 32]>>(limbs: [u64; 4]) -> Option<F> {
    let mut bytes = [0u8; 32];
    for (i, limb) in limbs.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&limb.to_le_bytes());
    }
    F::from_repr(bytes).into()
}

/// -p^-1 mod 2^64 by Newton's iteration (each step doubles the correct low bits).
fn neg_inverse_mod_2_64(p0: u64) -> u64 {
    let mut inverse = 1u64;
    for _ in 0..6 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inverse)));
    }
    inverse.wrapping_neg()
}

/// Checks `mont32::montgomery_mul` for one field against a * b * 2^-256 computed natively.
fn montgomery_product_matches<F: PrimeField<Repr = [u8; 32]>>(seed: u64) {
    let modulus = limbs(-F::ONE); // p - 1
    let modulus = [modulus[0] + 1, modulus[1], modulus[2], modulus[3]]; // p is odd: no carry
    assert!(mont32::fits(&modulus));
    let inv = neg_inverse_mod_2_64(modulus[0]);
    let r_inverse = F::from(2).pow_vartime([256]).invert().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    // Edges: 0, 1, 2, p - 1, p - 2, and elements whose 32-bit words are all ones where p allows.
    let mut elements = vec![F::ZERO, F::ONE, F::from(2), -F::ONE, -F::from(2)];
    elements.push(from_limbs([u64::MAX, u64::MAX, u64::MAX, modulus[3] - 1]).unwrap());
    elements.push(from_limbs([u64::MAX, 0, u64::MAX, 0]).unwrap());
    elements.push(from_limbs([0xffff_ffff, 0xffff_ffff_0000_0000, 0, 0]).unwrap());
    elements.extend((0..60).map(|_| F::random(&mut rng)));
    let check = |a: F, b: F| {
        let got = mont32::montgomery_mul(&limbs(a), &limbs(b), &modulus, inv);
        let expected = limbs(a * b * r_inverse);
        assert_eq!(got, expected, "a = {a:?}, b = {b:?}");
    };
    for &a in &elements {
        for &b in &elements {
            check(a, b);
        }
    }
    for _ in 0..20_000 {
        check(F::random(&mut rng), F::random(&mut rng));
    }
}

#[test]
fn the_32_bit_montgomery_product_is_upstreams_for_both_bn254_fields() {
    montgomery_product_matches::<Fq>(11);
    montgomery_product_matches::<Fr>(13);
}

#[test]
fn a_modulus_too_wide_for_the_carry_free_product_is_not_taken() {
    // secp256k1's p has an all-ones top word: the field macro keeps upstream's code for it.
    assert!(!mont32::fits(&[
        0xfffffffefffffc2f,
        u64::MAX,
        u64::MAX,
        u64::MAX
    ]));
    assert!(!mont32::fits(&[1, 0, 0, 0x7fff_fffe_0000_0000]));
    assert!(mont32::fits(&[1, 0, 0, 0x7fff_fffd_ffff_ffff]));
}

#[test]
fn rotate_omega_multiplies_by_omega_to_the_rotation() {
    use halo2_proofs::poly::{EvaluationDomain, Rotation};
    let domain = EvaluationDomain::<Fr>::new(4, 10);
    let x = Fr::from(0x1234_5678_9abc_def0);
    for r in [
        0i32,
        1,
        2,
        3,
        5,
        8,
        63,
        64,
        1000,
        1023,
        1024,
        12345,
        i32::MAX,
        -1,
        -2,
        -7,
        -1024,
        i32::MIN + 1,
    ] {
        let expected = if r >= 0 {
            x * domain.get_omega().pow_vartime([r as u64])
        } else {
            x * domain
                .get_omega_inv()
                .pow_vartime([r.unsigned_abs() as u64])
        };
        assert_eq!(
            domain.rotate_omega(x, Rotation(r)),
            expected,
            "rotation {r}"
        );
    }
}

/// Σ scalars[i] · points[i] by plain scalar multiplications (no MSM code at all).
fn naive_msm<C: halo2curves::CurveAffine>(scalars: &[C::Scalar], points: &[C]) -> C::Curve {
    use halo2curves::group::Group;
    scalars
        .iter()
        .zip(points)
        .fold(C::Curve::identity(), |acc, (s, p)| acc + *p * *s)
}

fn affine_msm_matches<C: halo2curves::CurveAffine>(
    what: &str,
    scalars: &[C::Scalar],
    points: &[C],
) {
    let got = halo2curves::msm_affine::msm_batch_affine(scalars, points);
    assert!(
        got == naive_msm(scalars, points),
        "{what}: {} points",
        points.len()
    );
}

/// halo2curves-axiom patch 5: the MSM whose buckets are summed in affine coordinates (taken by
/// the verifier in WebAssembly) is the plain sum of scalar multiples, whatever the points: at
/// random on both sides of its threshold, with points at infinity and zero scalars, with one
/// point repeated (pairs of equal points: the tangent), with points and their negations under
/// one scalar (pairs that cancel), with the largest and the smallest scalars, and on a curve
/// with a != 0 (P-256) so the tangent's `a` term is exercised.
#[test]
fn the_affine_bucket_msm_is_the_sum_of_scalar_multiples_in_every_edge_case() {
    use halo2curves::bn256::G1;
    use halo2curves::group::prime::PrimeCurveAffine;
    use halo2curves::group::Group;
    let mut rng = StdRng::seed_from_u64(7);
    let random_points = |n: usize, rng: &mut StdRng| {
        (0..n)
            .map(|_| G1::random(&mut *rng).to_affine())
            .collect::<Vec<_>>()
    };
    for n in [1usize, 2, 3, 5, 31, 32, 63, 64, 65, 200, 700] {
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::random(&mut rng)).collect();
        affine_msm_matches("random", &scalars, &random_points(n, &mut rng));
    }
    // Infinities and zero scalars among random terms; all-zero and all-infinity inputs.
    let mut points = random_points(150, &mut rng);
    let mut scalars: Vec<Fr> = (0..150).map(|_| Fr::random(&mut rng)).collect();
    for i in (0..150).step_by(7) {
        points[i] = <G1Affine as PrimeCurveAffine>::identity();
    }
    for i in (3..150).step_by(11) {
        scalars[i] = Fr::ZERO;
    }
    affine_msm_matches("infinities and zeros", &scalars, &points);
    affine_msm_matches("all zero", &vec![Fr::ZERO; 100], &points[..100]);
    affine_msm_matches(
        "all infinity",
        &scalars[..100],
        &vec![<G1Affine as PrimeCurveAffine>::identity(); 100],
    );
    // One point many times: every bucket pairs equal points (tangents, then their sums).
    let p = G1::random(&mut rng).to_affine();
    let scalars: Vec<Fr> = (0..300).map(|i| Fr::from(i as u64 % 5 + 1)).collect();
    affine_msm_matches("one point, small scalars", &scalars, &vec![p; 300]);
    let scalars: Vec<Fr> = (0..300).map(|_| Fr::random(&mut rng)).collect();
    affine_msm_matches("one point, random scalars", &scalars, &vec![p; 300]);
    // Points and their negations under the same scalar: every pair cancels, the sum is zero.
    let half = random_points(100, &mut rng);
    let points: Vec<G1Affine> = half.iter().flat_map(|p| [*p, -*p]).collect();
    let scalars: Vec<Fr> = (0..100)
        .flat_map(|_| [Fr::random(&mut rng)].repeat(2))
        .collect();
    let sum = halo2curves::msm_affine::msm_batch_affine(&scalars, &points);
    assert!(bool::from(sum.is_identity()));
    affine_msm_matches("cancelling pairs", &scalars, &points);
    // Extreme scalars: 1, 2, r - 1, r - 2 (the top Booth window carries).
    let points = random_points(120, &mut rng);
    let scalars: Vec<Fr> = (0..120)
        .map(|i| match i % 4 {
            0 => Fr::ONE,
            1 => Fr::from(2),
            2 => -Fr::ONE,
            _ => -Fr::from(2),
        })
        .collect();
    affine_msm_matches("extreme scalars", &scalars, &points);
    // A curve with a = -3 (NIST P-256): doubling uses 3x^2 + a.
    use halo2curves::secp256r1::{Fq as P256Scalar, Secp256r1, Secp256r1Affine};
    let q = Secp256r1::random(&mut rng).to_affine();
    let mut points: Vec<Secp256r1Affine> = vec![q; 200];
    points.extend((0..200).map(|_| Secp256r1::random(&mut rng).to_affine()));
    let scalars: Vec<P256Scalar> = (0..400).map(|_| P256Scalar::random(&mut rng)).collect();
    affine_msm_matches("P-256", &scalars, &points);
}

/// halo2-axiom patch 7: the batch inversion for public values inverts what `ff::BatchInvert`
/// inverts and leaves zeros as it does; the verifier's Lagrange evaluations (`l_i_range`, over
/// negative and positive rotations, at a random point and at a root of unity where one term's
/// denominator is zero) and SHPLONK's interpolation polynomials are what the formulas give.
#[test]
fn public_batch_inversion_lagrange_evaluations_and_interpolation_match_their_formulas() {
    use halo2_proofs::arithmetic::{batch_invert_public, lagrange_interpolate};
    use halo2_proofs::poly::{EvaluationDomain, Rotation};
    use halo2curves::ff::BatchInvert;
    let mut rng = StdRng::seed_from_u64(9);
    for len in [0usize, 1, 2, 7, 100] {
        let mut values: Vec<Fr> = (0..len).map(|_| Fr::random(&mut rng)).collect();
        for i in (0..len).step_by(3) {
            values[i] = Fr::ZERO;
        }
        let mut expected = values.clone();
        expected.iter_mut().batch_invert();
        batch_invert_public(&mut values);
        assert_eq!(values, expected, "{len} values");
    }

    let k = 10;
    let domain = EvaluationDomain::<Fr>::new(4, k);
    let n = 1u64 << k;
    let lagrange = |x: Fr, i: i32| {
        // l_i(x) = omega^i (x^n - 1) / (n (x - omega^i)), taken as 0 where x = omega^i (what a
        // zero left by the batch inversion gives).
        let w = domain.rotate_omega(Fr::ONE, Rotation(i));
        let denominator = Fr::from(n) * (x - w);
        Option::<Fr>::from(denominator.invert())
            .map_or(Fr::ZERO, |inv| w * (x.pow_vartime([n]) - Fr::ONE) * inv)
    };
    let random = Fr::random(&mut rng);
    let root = domain.rotate_omega(Fr::ONE, Rotation(3));
    for x in [random, root] {
        let xn = x.pow_vartime([n]);
        let got = domain.l_i_range(x, xn, -5..40);
        let expected: Vec<Fr> = (-5..40).map(|i| lagrange(x, i)).collect();
        assert_eq!(got, expected);
        // Rotations out of order start again from a power of omega.
        let scattered = [3, -2, 7, 8, 0, 1000];
        let got = domain.l_i_range(x, xn, scattered);
        let expected: Vec<Fr> = scattered.iter().map(|&i| lagrange(x, i)).collect();
        assert_eq!(got, expected);
    }

    let points: Vec<Fr> = (0..6).map(|_| Fr::random(&mut rng)).collect();
    let evals: Vec<Fr> = (0..6).map(|_| Fr::random(&mut rng)).collect();
    let poly = lagrange_interpolate(&points, &evals);
    for (p, e) in points.iter().zip(&evals) {
        assert_eq!(horner(&poly, *p), *e);
    }
}

/// A primitive 2^log_n-th root of unity.
fn root_of_unity(log_n: u32) -> Fr {
    let mut w = Fr::ROOT_OF_UNITY;
    for _ in log_n..Fr::S {
        w = w.square();
    }
    w
}

fn dft_by_definition(a: &[Fr], omega: Fr) -> Vec<Fr> {
    (0..a.len())
        .map(|i| {
            let wi = omega.pow_vartime([i as u64]);
            horner(a, wi)
        })
        .collect()
}

fn replaced_fft<G: halo2_proofs::arithmetic::FftGroup<Fr>>(a: &mut [G], omega: Fr, log_n: u32) {
    let unused = halo2_proofs::fft::recursive::FFTData::<Fr>::default();
    halo2_proofs::fft::parallel::fft(a, omega, log_n, &unused, false);
}

#[test]
fn the_blocked_fft_is_the_discrete_fourier_transform_at_every_small_size() {
    let mut rng = StdRng::seed_from_u64(10);
    for log_n in 0..=8 {
        let a: Vec<Fr> = (0..1 << log_n).map(|_| Fr::random(&mut rng)).collect();
        let mut b = a.clone();
        halo2_proofs::fft::blocked::fft(&mut b, root_of_unity(log_n), log_n);
        assert_eq!(b, dft_by_definition(&a, root_of_unity(log_n)), "2^{log_n}");
    }
}

#[test]
fn the_blocked_fft_equals_the_one_it_replaced_around_the_block_size_and_at_proving_sizes() {
    let mut rng = StdRng::seed_from_u64(11);
    for log_n in [9, 10, 11, 12, 13, 16, 18] {
        let a: Vec<Fr> = (0..1 << log_n).map(|_| Fr::random(&mut rng)).collect();
        for omega in [root_of_unity(log_n), root_of_unity(log_n).invert().unwrap()] {
            let (mut ours, mut theirs) = (a.clone(), a.clone());
            halo2_proofs::fft::blocked::fft(&mut ours, omega, log_n);
            replaced_fft(&mut theirs, omega, log_n);
            assert!(ours == theirs, "2^{log_n}");
        }
    }
}

#[test]
fn the_blocked_fft_is_the_same_on_one_three_and_eight_threads() {
    let mut rng = StdRng::seed_from_u64(13);
    for log_n in [10, 12, 16] {
        let a: Vec<Fr> = (0..1 << log_n).map(|_| Fr::random(&mut rng)).collect();
        let mut expected = a.clone();
        replaced_fft(&mut expected, root_of_unity(log_n), log_n);
        for threads in [1, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let ours = pool.install(|| {
                assert_eq!(rayon::current_num_threads(), threads);
                let mut ours = a.clone();
                halo2_proofs::fft::blocked::fft(&mut ours, root_of_unity(log_n), log_n);
                ours
            });
            assert!(ours == expected, "2^{log_n} on {threads} threads");
        }
    }
}

#[test]
fn the_blocked_fft_transforms_group_elements_as_the_replaced_one_did() {
    use halo2curves::bn256::G1;
    use halo2curves::group::Group;
    let mut rng = StdRng::seed_from_u64(12);
    // Past the 2^11-element blocks, so the stages over the whole vector run on points too.
    let log_n = 12;
    let a: Vec<G1> = (0..1 << log_n).map(|_| G1::random(&mut rng)).collect();
    let (mut ours, mut theirs) = (a.clone(), a);
    halo2_proofs::fft::blocked::fft(&mut ours, root_of_unity(log_n), log_n);
    replaced_fft(&mut theirs, root_of_unity(log_n), log_n);
    assert!(ours == theirs);
}
