//! KZG setup parameters: deterministic development parameters (insecure: their secret is derived
//! from a public seed, so anyone can forge proofs against them), cached on disk between runs, or
//! parameters loaded from a file produced by a real ceremony.

use crate::error::{Error, Result};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::Bn256;
use rand_chacha::rand_core::SeedableRng;
use std::path::{Path, PathBuf};

/// The public seed of the development parameters.
pub const DEV_SEED: u64 = 0x7a6b_696e_6665_7200;
pub const DEV_WARNING: &str = "WARNING: using INSECURE development KZG parameters: their secret comes from a public \
seed, so anyone can forge proofs against them. Pass --params with parameters from a trusted setup for real use.";

/// Where parameters come from.
#[derive(Clone, Debug)]
pub enum SrsSource {
    /// Development parameters, cached in this directory.
    Dev { cache_dir: PathBuf },
    /// A halo2 KZG parameter file (any k at least the circuit's; it is downsized).
    File(PathBuf),
}

impl SrsSource {
    pub fn describe(&self) -> String {
        match self {
            SrsSource::Dev { .. } => "insecure development parameters".into(),
            SrsSource::File(p) => format!("parameters from {}", p.display()),
        }
    }

    /// Loads (or creates and caches) parameters for exactly `k`.
    pub fn load(&self, k: u32) -> Result<ParamsKZG<Bn256>> {
        match self {
            SrsSource::Dev { cache_dir } => {
                let path = cache_dir.join(format!("dev-kzg-bn254-k{k}.params"));
                if let Ok(bytes) = std::fs::read(&path) {
                    if let Ok(p) = ParamsKZG::<Bn256>::read(&mut bytes.as_slice()) {
                        if p.k() == k {
                            return Ok(p);
                        }
                    }
                }
                let params = seeded_setup(k, DEV_SEED);
                let mut bytes = vec![];
                params.write(&mut bytes).map_err(|e| Error::io(&path, e))?;
                std::fs::create_dir_all(cache_dir).map_err(|e| Error::io(cache_dir, e))?;
                crate::fsutil::write_atomic(&path, &bytes)?;
                Ok(params)
            }
            SrsSource::File(path) => {
                let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
                let mut p = ParamsKZG::<Bn256>::read(&mut bytes.as_slice())
                    .map_err(|e| Error::malformed("KZG parameter file", e.to_string()))?;
                if p.k() < k {
                    return Err(Error::InvalidInput(format!(
                        "{} holds parameters for k = {}, the circuit needs k = {k}",
                        path.display(),
                        p.k()
                    )));
                }
                if p.k() > k {
                    p.downsize(k);
                }
                Ok(p)
            }
        }
    }
}

/// The parameters halo2's `ParamsKZG::setup(k, ChaCha20Rng::seed_from_u64(seed))` makes, point
/// for point, in a fraction of its time.
///
/// Why: `setup` computes each of the 2^k powers `s^i·G`, and each Lagrange point, with a full
/// variable-base scalar multiplication (about 380 group operations each): 20 s at k = 15 on
/// two cores, minutes at the k of a MobileNet segment, paid on every new machine (every CI run)
/// for every k. Here the secret is drawn from the same generator in the same way, the powers
/// `s^i` are computed in the field, each `s^i·G` takes 32 additions from a table of multiples
/// of G (8-bit windows), and so does each Lagrange point `L_i(s)·G` (its scalar computed in the
/// field, with one batch inversion; halo2's inverse FFT over the points would be slower still).
/// The same group elements as `setup`'s, so keys, model ids and proofs do not change
/// (`seeded_setup_equals_halo2s_setup`).
pub fn seeded_setup(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    use halo2_proofs::arithmetic::parallelize;
    use halo2curves::bn256::{Fr, G1Affine, G2Affine, G1};
    use halo2curves::ff::{BatchInvert, Field, PrimeField};
    use halo2curves::group::{prime::PrimeCurveAffine, Curve, Group};

    let s = Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(seed));
    // table[j][d] = d · 2^(8j) · G, for the 32 bytes of a scalar's little-endian representation.
    let mut window_base = G1::generator();
    let table: Vec<Vec<G1Affine>> = (0..32)
        .map(|_| {
            let mut multiples = vec![G1::identity(); 256];
            for d in 1..256 {
                multiples[d] = multiples[d - 1] + window_base;
            }
            window_base = multiples[255] + window_base;
            let mut affine = vec![G1Affine::identity(); 256];
            G1::batch_normalize(&multiples, &mut affine);
            affine
        })
        .collect();
    let times_generator = |scalar: &Fr| {
        let repr = scalar.to_repr();
        let mut acc = G1::identity();
        for (window, &digit) in table.iter().zip(repr.as_ref()) {
            if digit != 0 {
                acc += window[digit as usize];
            }
        }
        acc
    };
    let n = 1usize << k;
    // Both bases through the table: g[i] = s^i·G, and the Lagrange basis
    // g_lagrange[i] = L_i(s)·G with L_i(s) = (s^n - 1)/n · ω^i/(s - ω^i), as `setup` has it.
    let by_table = |scalars: &[Fr]| {
        let mut points = vec![G1::identity(); scalars.len()];
        parallelize(&mut points, |chunk, start| {
            for (p, scalar) in chunk.iter_mut().zip(&scalars[start..]) {
                *p = times_generator(scalar);
            }
        });
        let mut affine = vec![G1Affine::identity(); scalars.len()];
        parallelize(&mut affine, |chunk, start| {
            G1::batch_normalize(&points[start..start + chunk.len()], chunk);
        });
        affine
    };
    let mut powers_of_s = Vec::with_capacity(n);
    let mut power = Fr::ONE;
    for _ in 0..n {
        powers_of_s.push(power);
        power *= s;
    }
    let g = by_table(&powers_of_s);
    drop(powers_of_s);
    let mut omega = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let mut omega_powers = Vec::with_capacity(n);
    let mut power = Fr::ONE;
    for _ in 0..n {
        omega_powers.push(power);
        power *= omega;
    }
    let mut inverses: Vec<Fr> = omega_powers.iter().map(|w| s - w).collect();
    inverses.iter_mut().batch_invert();
    let n_inv = Fr::from(n as u64).invert().unwrap();
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let lagrange_scalars: Vec<Fr> = omega_powers
        .iter()
        .zip(&inverses)
        .map(|(w, inv)| multiplier * w * inv)
        .collect();
    drop((omega_powers, inverses));
    let g_lagrange = by_table(&lagrange_scalars);
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * s).to_affine();
    // `from_parts` needs a value to call it on; a one-point setup costs nothing.
    let empty = ParamsKZG::<Bn256>::setup(0, rand_chacha::ChaCha20Rng::seed_from_u64(seed));
    empty.from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

/// The default cache directory for development parameters.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZKINFER_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("zkinfer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::poly::commitment::Params;

    fn bytes(p: &ParamsKZG<Bn256>) -> Vec<u8> {
        let mut out = vec![];
        p.write(&mut out).unwrap();
        out
    }

    #[test]
    fn seeded_setup_equals_halo2s_setup() {
        for (k, seed) in [(1, DEV_SEED), (5, DEV_SEED), (9, DEV_SEED), (7, 1234)] {
            let halo2 = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed));
            assert!(
                bytes(&seeded_setup(k, seed)) == bytes(&halo2),
                "k = {k}, seed {seed}: the parameters differ"
            );
        }
    }
}
