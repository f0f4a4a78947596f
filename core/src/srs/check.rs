//! Checks that a setup file's points are powers of one secret, before anything is proven with
//! them.
//!
//! Soundness for the consumer rests on nobody knowing τ, which no file can show: that is what
//! the setup digest is pinned for (`crate::setup`). What a file can show, and this checks, is
//! that it is a well-formed setup, so a corrupted download or a file from a broken tool is
//! refused with a reason instead of yielding keys whose proofs never verify:
//!
//! - it starts at the standard generators: g[0] = G1, g2 = G2 (so the setup digest of one
//!   ceremony is the same whatever file it came from);
//! - τ is not 0 or 1 (s·g2 is neither the identity nor G2), and s·g2 lies in the prime-order
//!   subgroup of G2 (its order divides r);
//! - e(g[1], G2) = e(G1, s·g2): the G1 and G2 sides hold the same τ;
//! - g[i+1] = τ·g[i] for every i, all at once: with random ρ_i,
//!   e(Σ ρ_i·g[i+1], G2) = e(Σ ρ_i·g[i], s·g2). A single wrong power passes with probability
//!   1/r: the difference Σ ρ_i·(g[i+1] - τ·g[i]) is a random combination of non-zero points of a
//!   group of prime order r. Two multi-scalar multiplications of 2^k points and two pairings.

use super::file::Powers;
use halo2_proofs::arithmetic::best_multiexp;
use halo2curves::bn256::{pairing, Fr, G1Affine, G2Affine, G2};
use halo2curves::ff::Field;
use halo2curves::group::{prime::PrimeCurveAffine, Curve, Group};
use rand::rngs::OsRng;
use rand_chacha::rand_core::SeedableRng;

/// Why `powers` are not a setup, or `Ok`.
pub fn check_powers(powers: &Powers) -> Result<(), String> {
    let Powers { g, g2, s_g2 } = powers;
    if g.len() < 2 {
        return Err("it holds fewer than two powers of τ".into());
    }
    if g[0] != G1Affine::generator() || *g2 != G2Affine::generator() {
        return Err("its first powers are not BN254's standard generators of G1 and G2".into());
    }
    if bool::from(s_g2.is_identity()) || *s_g2 == G2Affine::generator() {
        return Err("its secret τ is 0 or 1 (τ·G2 is the identity or G2): anyone can forge".into());
    }
    // r·P = (r - 1)·P + P, with r - 1 the largest scalar.
    if !bool::from((G2::from(*s_g2) * -Fr::ONE + s_g2).is_identity()) {
        return Err("τ·G2 is on the curve but outside the prime-order subgroup of G2".into());
    }
    if pairing(&g[1], g2) != pairing(&g[0], s_g2) {
        return Err("τ·G1 and τ·G2 hold different secrets".into());
    }
    let mut rng = rand_chacha::ChaCha20Rng::from_rng(OsRng).expect("the OS random source");
    let n = g.len() - 1;
    let rho: Vec<Fr> = (0..n).map(|_| Fr::random(&mut rng)).collect();
    let lower = best_multiexp(&rho, &g[..n]).to_affine();
    let upper = best_multiexp(&rho, &g[1..]).to_affine();
    if pairing(&upper, g2) != pairing(&lower, s_g2) {
        return Err(format!(
            "its {} powers of τ in G1 are not the successive powers of one secret (some g[i+1] \
             is not τ·g[i])",
            g.len()
        ));
    }
    Ok(())
}

/// Why `lagrange` is not the Lagrange basis of the powers `g` over halo2's domain of 2^k rows
/// (L_i(τ)·G1, L_i being 1 at ω^i and 0 at the other roots), or `Ok`. With random values ρ on
/// the domain and c the coefficients of the polynomial taking them,
/// Σ ρ_i·L_i(τ)·G1 = Σ c_j·τ^j·G1: two multi-scalar multiplications and an FFT of scalars, where
/// computing the basis takes an FFT of points.
pub fn check_lagrange(g: &[G1Affine], lagrange: &[G1Affine], k: u32) -> Result<(), String> {
    use halo2_proofs::poly::EvaluationDomain;
    if g.len() != 1 << k || lagrange.len() != 1 << k {
        return Err(format!("its Lagrange basis does not have 2^{k} points"));
    }
    let mut rng = rand_chacha::ChaCha20Rng::from_rng(OsRng).expect("the OS random source");
    let rho: Vec<Fr> = (0..1usize << k).map(|_| Fr::random(&mut rng)).collect();
    let domain = EvaluationDomain::<Fr>::new(1, k);
    let coeffs = domain.lagrange_to_coeff(domain.lagrange_from_vec(rho.clone()));
    if best_multiexp(&rho, lagrange) != best_multiexp(&coeffs, g) {
        return Err(format!(
            "its Lagrange basis for k = {k} is not the Lagrange basis of its powers of τ"
        ));
    }
    Ok(())
}
