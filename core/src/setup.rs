//! Which trusted setup a verifier key depends on, identified by value.
//!
//! A KZG proof is only as sound as the secret `s` of the setup its key was made under: whoever
//! knows `s` can make a "proof" of any output. A key's `srs` label (`VkHeader::srs`) is text the
//! provider writes, so it cannot tell a consumer anything; what the key really depends on are
//! its KZG points, g, g2 and s·g2 (the verifier's whole view of the setup, the same for every k
//! of one setup). Their digest names the setup: consumers pin it (`zkinfer verify --setup`, the
//! page shows it), and the development parameters, whose secret comes from a public seed, are
//! recognized by their digest whatever the key's label says.

use sha2::{Digest, Sha256};

/// Domain separation for the digest (a version, so a later encoding cannot collide).
const DOMAIN: &[u8] = b"zkinfer setup v1";

/// The digest of the development parameters (`srs::DEV_SEED`, anyone can derive their secret):
/// a key under this setup proves nothing against a forger. Checked against the parameters
/// themselves at two k by `development_digest_is_the_dev_parameters`.
pub const DEVELOPMENT_SETUP_DIGEST: &str =
    "799f40e1f8c32525e226d6339fde8b570b34eaded9f167300f645239501c6c62";

/// The setup digest of a key's KZG points section: SHA-256 over a domain tag and g (32 bytes,
/// compressed), g2 and s·g2 (64 bytes each, compressed), as the key file stores them. Hex.
pub fn setup_digest(points: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(points);
    hex::encode(h.finalize())
}

/// The setup digest of parameters (what a key made with them will report).
#[cfg(feature = "prover")]
pub fn params_setup_digest(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
) -> String {
    setup_digest(&crate::verifier_key::kzg_points(params))
}

/// Whether `digest` is the development setup's.
pub fn is_development_setup(digest: &str) -> bool {
    digest.eq_ignore_ascii_case(DEVELOPMENT_SETUP_DIGEST)
}

/// A short, human-readable description of a setup digest, for verdicts.
pub fn describe(digest: &str) -> String {
    if is_development_setup(digest) {
        format!(
            "{digest} — the INSECURE development setup: its secret is public, so anyone can \
             forge proofs under it; a valid proof under it proves nothing"
        )
    } else {
        digest.to_string()
    }
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::srs::{seeded_setup, DEV_SEED};
    use crate::verifier_key::kzg_points;

    fn digest_of(
        params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
    ) -> String {
        let digest = params_setup_digest(params);
        assert_eq!(digest, setup_digest(&kzg_points(params)));
        digest
    }

    #[test]
    fn development_digest_is_the_dev_parameters() {
        for k in [4, 7] {
            let digest = digest_of(&seeded_setup(k, DEV_SEED));
            assert_eq!(digest, DEVELOPMENT_SETUP_DIGEST, "k = {k}");
            assert!(is_development_setup(&digest.to_uppercase()));
        }
    }

    #[test]
    fn another_secret_is_another_setup() {
        let other = digest_of(&seeded_setup(4, DEV_SEED ^ 1));
        assert_ne!(other, DEVELOPMENT_SETUP_DIGEST);
        assert!(!is_development_setup(&other));
        assert!(describe(DEVELOPMENT_SETUP_DIGEST).contains("INSECURE"));
        assert_eq!(describe(&other), other);
    }
}
