//! The paper's protocols on top of proofs (Kang et al. 2022, section 6), as library code the CLI
//! and the server call:
//! - [`receipt`]: signed prediction receipts (ed25519), and checking a proof against a receipt;
//! - [`audit`]: sampled audits of served predictions, with sample sizes for a detection goal and
//!   evidence a third party can re-check;
//! - [`accuracy`]: attesting a model's accuracy on a committed, labelled test set (all items or a
//!   sample sized for a tolerance);
//! - [`retrieval`]: trustless retrieval from a Merkle-committed collection, with spot checks of
//!   items not returned.
//!
//! See docs/protocols.md for the consumer's view.

pub mod accuracy;
pub mod audit;
pub mod receipt;
pub mod retrieval;

use rand::seq::index::sample;
use rand_chacha::rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// `n` distinct indices out of `0..total`, in increasing order, drawn from a ChaCha20 stream
/// seeded by SHA-256 of `seed`: anyone with the seed re-derives the same sample.
pub fn sample_indices(total: usize, n: usize, seed: &[u8]) -> Vec<usize> {
    let digest: [u8; 32] = Sha256::digest(seed).into();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(digest);
    let mut picked = sample(&mut rng, total, n.min(total)).into_vec();
    picked.sort_unstable();
    picked
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A fresh random 32-byte seed, hex.
pub fn random_seed() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_distinct_sorted_and_reproducible() {
        let a = sample_indices(100, 10, b"seed");
        assert_eq!(a, sample_indices(100, 10, b"seed"));
        assert_ne!(a, sample_indices(100, 10, b"other"));
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[9] < 100);
        assert_eq!(sample_indices(5, 10, b"x"), vec![0, 1, 2, 3, 4]);
    }
}
