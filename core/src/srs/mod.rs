//! KZG setup parameters: deterministic development parameters (insecure: their secret is derived
//! from a public seed, so anyone can forge proofs against them), cached on disk between runs, or
//! the powers of τ of a real ceremony, read from a snarkjs `.ptau` file or a halo2 parameter file
//! ([`file`]) and checked to be powers of one secret ([`check`]) before use.

pub mod check;
pub mod file;

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
    /// A setup file: a snarkjs `.ptau` file or halo2 KZG parameters, for any k at least the
    /// circuit's.
    File(PathBuf),
}

/// The header label of keys made under the development parameters. It never decides anything
/// (the setup is identified by its digest), but it is part of every development key, so
/// changing it would change every development key's model id.
const DEV_LABEL: &str = "insecure development parameters";

impl SrsSource {
    /// Where the parameters come from, for people (a path may move: keys record [`Self::label`]).
    pub fn describe(&self) -> String {
        match self {
            SrsSource::Dev { .. } => DEV_LABEL.into(),
            SrsSource::File(p) => format!("parameters from {}", p.display()),
        }
    }

    /// The label keys made with `params` from this source carry (`VkHeader::srs`): the setup by
    /// its digest, not by the file's path, so that moving the file changes no key.
    pub fn label(&self, params: &ParamsKZG<Bn256>) -> String {
        match self {
            SrsSource::Dev { .. } => DEV_LABEL.into(),
            SrsSource::File(_) => format!("setup {}", crate::setup::params_setup_digest(params)),
        }
    }

    /// Loads (or creates and caches) parameters for exactly `k`.
    pub fn load(&self, k: u32) -> Result<ParamsKZG<Bn256>> {
        match self {
            SrsSource::Dev { cache_dir } => {
                let path = cache_dir.join(format!("dev-kzg-bn254-k{k}.params"));
                if let Some(p) = read_cached(&path, k) {
                    return Ok(p);
                }
                let params = seeded_setup(k, DEV_SEED);
                let mut bytes = vec![];
                params.write(&mut bytes).map_err(|e| Error::io(&path, e))?;
                std::fs::create_dir_all(cache_dir).map_err(|e| Error::io(cache_dir, e))?;
                crate::fsutil::write_atomic(&path, &bytes)?;
                Ok(params)
            }
            SrsSource::File(path) => load_setup_file(path, k),
        }
    }
}

/// What a setup file holds for 2^k rows, checked: its powers, and its Lagrange basis when it has
/// one for this k.
pub struct CheckedSetup {
    pub powers: file::Powers,
    pub lagrange: Option<Vec<halo2curves::bn256::G1Affine>>,
}

/// Reads the powers for 2^k rows from `setup` and checks them, and its Lagrange basis for this
/// k, when it has one, against them (see [`check`]): what every use of a setup file goes through.
pub fn read_checked<R: std::io::Read + std::io::Seek>(
    setup: &mut file::SetupFile<R>,
    k: u32,
) -> Result<CheckedSetup> {
    let powers = setup.powers(k)?;
    check::check_powers(&powers).map_err(|reason| setup.error(reason))?;
    let lagrange = setup.lagrange(k)?;
    if let Some(lagrange) = &lagrange {
        check::check_lagrange(&powers.g, lagrange, k).map_err(|reason| setup.error(reason))?;
    }
    Ok(CheckedSetup { powers, lagrange })
}

/// Parameters for 2^k rows from a setup file, checked ([`read_checked`]). The Lagrange basis is
/// the file's when it has one for this k, else computed from the powers (slow at large k: see
/// [`file`]).
pub fn load_setup_file(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>> {
    let CheckedSetup { powers, lagrange } = read_checked(&mut file::SetupFile::open(path)?, k)?;
    let file::Powers { g, g2, s_g2 } = powers;
    // `from_parts` needs a value to call it on; a one-point setup costs nothing.
    let empty = ParamsKZG::<Bn256>::setup(0, rand_chacha::ChaCha20Rng::seed_from_u64(0));
    Ok(empty.from_parts(k, g, lagrange, g2, s_g2))
}

/// Cached development parameters for exactly `k`, or `None` when the cache file is missing,
/// truncated or for another k (it is then made again). The length is checked before halo2
/// reads the file, and the points are read with their encoding checked: a damaged cache is
/// replaced, never a panic.
fn read_cached(path: &Path, k: u32) -> Option<ParamsKZG<Bn256>> {
    let bytes = std::fs::read(path).ok()?;
    let expected = 4 + (2usize << k) * 64 + 2 * 128;
    if bytes.len() != expected || bytes[..4] != k.to_le_bytes() {
        return None;
    }
    ParamsKZG::<Bn256>::read_custom(&mut bytes.as_slice(), halo2_proofs::SerdeFormat::RawBytes).ok()
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
mod tests;
