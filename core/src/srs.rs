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
                let params =
                    ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED));
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
