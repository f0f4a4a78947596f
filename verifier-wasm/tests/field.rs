//! BN254's field arithmetic as compiled for WebAssembly, where the vendored halo2curves computes
//! Montgomery products on 32-bit words (vendor/halo2curves-axiom/ZKINFER-PATCH.md, patch 4):
//! every product and square of both fields is checked against a multiplication made of
//! additions and doublings only, which that patch does not touch. Natively the same product
//! code is compared with the 64-bit field (core/tests/vendored_arithmetic.rs); this runs the
//! code the browser runs. The MSM that the verifier's pairing check evaluates takes, on wasm32,
//! patch 5's affine bucket sums: it is compared with plain scalar multiplications here.
#![cfg(all(target_arch = "wasm32", not(feature = "threads")))]

use halo2curves::bn256::{Fq, Fr};
use halo2curves::ff::{Field, PrimeField};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// a * b by double-and-add over b's canonical bits: additions and doublings only.
fn product_by_additions<F: PrimeField<Repr = [u8; 32]>>(a: F, b: F) -> F {
    let bits = b.to_repr();
    let mut acc = F::ZERO;
    for byte in bits.iter().rev() {
        for i in (0..8).rev() {
            acc = acc.double();
            if (byte >> i) & 1 == 1 {
                acc += a;
            }
        }
    }
    acc
}

/// Seeded field elements spread over the whole field (64 random bytes reduced), after the edges
/// 0, 1, 2, -1, -2 and 2^k - 1 for a few k.
fn elements<F: PrimeField<Repr = [u8; 32]> + halo2curves::ff::FromUniformBytes<64>>(
    count: usize,
) -> Vec<F> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = vec![F::ZERO, F::ONE, F::from(2), -F::ONE, -F::from(2)];
    for k in [32u64, 63, 64] {
        out.push(F::from(2).pow_vartime([k]) - F::ONE);
    }
    for _ in 0..count {
        let mut wide = [0u8; 64];
        for chunk in wide.chunks_mut(8) {
            chunk.copy_from_slice(&next().to_le_bytes());
        }
        out.push(F::from_uniform_bytes(&wide));
    }
    out
}

fn products_and_squares_agree<F>(count: usize)
where
    F: PrimeField<Repr = [u8; 32]> + halo2curves::ff::FromUniformBytes<64>,
{
    let xs = elements::<F>(count);
    for (i, &a) in xs.iter().enumerate() {
        let b = xs[(i * 7 + 3) % xs.len()];
        assert_eq!(a * b, product_by_additions(a, b), "product #{i}");
        assert_eq!(a.square(), product_by_additions(a, a), "square #{i}");
        assert_eq!(a * F::ONE, a, "times one #{i}");
    }
}

#[wasm_bindgen_test]
fn base_field_products_and_squares_are_sums_of_doublings() {
    products_and_squares_agree::<Fq>(400);
}

#[wasm_bindgen_test]
fn scalar_field_products_and_squares_are_sums_of_doublings() {
    products_and_squares_agree::<Fr>(400);
}

/// halo2curves patch 5 as the browser runs it: `msm_best` (affine bucket sums from 64 points on)
/// equals the sum of scalar multiples, for random terms and for the cases the affine formulas
/// treat apart: repeated points (tangents), points with their negations (cancellations), points
/// at infinity and zero scalars.
#[wasm_bindgen_test]
fn the_verifiers_msm_is_the_sum_of_scalar_multiples() {
    use halo2curves::bn256::{G1Affine, G1};
    use halo2curves::group::{prime::PrimeCurveAffine, Curve, Group};
    use halo2curves::msm::msm_best;
    let naive = |scalars: &[Fr], points: &[G1Affine]| {
        scalars
            .iter()
            .zip(points)
            .fold(G1::identity(), |acc, (s, p)| acc + *p * *s)
    };
    let xs = elements::<Fr>(600);
    let points: Vec<G1Affine> = xs[..300]
        .iter()
        .map(|k| (G1::generator() * k).to_affine())
        .collect();
    let scalars = &xs[300..600];
    for n in [63usize, 64, 65, 300] {
        assert_eq!(
            msm_best(&scalars[..n], &points[..n]),
            naive(&scalars[..n], &points[..n]),
            "{n} random terms"
        );
    }
    let repeated = vec![points[7]; 200];
    assert_eq!(
        msm_best(&scalars[..200], &repeated),
        naive(&scalars[..200], &repeated),
        "one point"
    );
    let cancelling: Vec<G1Affine> = points[..100].iter().flat_map(|p| [*p, -*p]).collect();
    let pairwise: Vec<Fr> = scalars[..100].iter().flat_map(|s| [*s, *s]).collect();
    assert_eq!(
        msm_best(&pairwise, &cancelling),
        G1::identity(),
        "cancelling pairs"
    );
    let mut holes = points.clone();
    let mut zeros = scalars.to_vec();
    for i in (0..300).step_by(5) {
        holes[i] = G1Affine::identity();
        zeros[(i + 2) % 300] = Fr::ZERO;
    }
    assert_eq!(
        msm_best(&zeros, &holes),
        naive(&zeros, &holes),
        "infinities and zero scalars"
    );
}
