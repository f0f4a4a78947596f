//! `zkinfer setup-digest`: check a setup file (a snarkjs `.ptau` file or halo2 KZG parameters)
//! and print its setup digest, the value a consumer pins (`zkinfer verify --setup`, the page's
//! setup line). A consumer runs it on the public ceremony file itself, so the pin does not come
//! from the provider whose proofs it is meant to check.

use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;
use zkinfer_core::srs::{file, read_checked};

/// The largest k checked unless `--k` says otherwise: 2^20 powers read (64 MiB) and checked in
/// seconds. The digest is the same for every k; a larger k checks more of the file.
const DEFAULT_MAX_K: u32 = 20;

pub(crate) fn setup_digest(path: &Path, k: Option<u32>) -> Result<()> {
    let t = Instant::now();
    let mut setup = file::SetupFile::open(path)?;
    let k = k.unwrap_or(setup.format.max_k().min(DEFAULT_MAX_K));
    let checked = read_checked(&mut setup, k)?;
    let digest = checked.powers.setup_digest();
    let basis = match checked.lagrange {
        Some(_) => format!("its Lagrange basis for k = {k} is theirs"),
        None => format!(
            "it holds no Lagrange basis for k = {k}: provers compute it, slowly at large k (`snarkjs powersoftau prepare phase2` adds it to a .ptau file)"
        ),
    };
    println!("{}: {}", path.display(), setup.format.describe());
    println!(
        "checked: the first 2^{k} powers of τ in G1 are powers of the secret in τ·G2; {basis} ({:.2} s)",
        t.elapsed().as_secs_f64()
    );
    println!("setup: {}", zkinfer_core::setup::describe(&digest));
    Ok(())
}

/// `--k` must be a circuit size: checked before the file is read.
pub(crate) fn parse_k(text: &str) -> Result<u32> {
    let k: u32 = text
        .parse()
        .with_context(|| format!("--k '{text}' is not a number"))?;
    anyhow::ensure!(
        (1..=file::MAX_K).contains(&k),
        "--k {k}: a BN254 circuit has k from 1 to {}",
        file::MAX_K
    );
    Ok(k)
}
