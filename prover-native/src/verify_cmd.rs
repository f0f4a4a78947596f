//! `zkinfer verify`: a proof bundle (or a chain bundle) against a verifier key the consumer
//! trusts, with the pins a consumer can add: the model id, the published weight commitment, the
//! setup the key depends on, and the input it sent.

use crate::cli_util::fmt_values;
use crate::input_args::{read_input, read_input_salt};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Instant;
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::poseidon;
use zkinfer_core::VerifierKey;

/// What the consumer pins a verification to, each optional.
pub(crate) struct Pins<'a> {
    /// The model id (or chain id).
    pub model_id: Option<&'a str>,
    /// The published model commitment (hidden weights).
    pub commitment: Option<&'a str>,
    /// The digest of the trusted setup.
    pub setup: Option<&'a str>,
    /// The input JSON the consumer sent (with its "input_salt" for a salted input).
    pub input: Option<&'a Path>,
    /// The input salt, when not in the input JSON.
    pub input_salt: Option<&'a str>,
}

/// The input a consumer sent and the salt it kept (None: none given).
struct Sent {
    input: Vec<f32>,
    salt: Option<Fr>,
}

impl Pins<'_> {
    fn sent(&self, input_len: usize) -> Result<Option<Sent>> {
        let Some(path) = self.input else {
            if self.input_salt.is_some() {
                bail!("--input-salt salts the input given with --input: give that too");
            }
            return Ok(None);
        };
        Ok(Some(Sent {
            input: read_input(path, input_len)?,
            salt: read_input_salt(path, self.input_salt)?,
        }))
    }
}

pub(crate) fn verify(key_path: &Path, proof_path: &Path, pins: &Pins<'_>) -> Result<()> {
    let key_bytes =
        std::fs::read(key_path).with_context(|| format!("reading {}", key_path.display()))?;
    let bundle =
        std::fs::read(proof_path).with_context(|| format!("reading {}", proof_path.display()))?;
    if zkinfer_core::chain::is_chain_key(&key_bytes) {
        return verify_chain(&key_bytes, &bundle, pins);
    }
    let (pinned, commitment, setup) = (pins.model_id, pins.commitment, pins.setup);
    let t = Instant::now();
    let key = VerifierKey::from_bytes(&key_bytes)?;
    // A chain's segment key proves nothing on its own: refuse it before anything else.
    zkinfer_core::verify::require_whole_model(&key).map_err(|e| {
        anyhow::anyhow!("INVALID: {e} (the chain key is the chain directory's verifier-key)")
    })?;
    if let Some(id) = pinned {
        if !id.eq_ignore_ascii_case(&key.model_id) {
            bail!(
                "INVALID: the verifier key is model {}, not the pinned model {id}",
                key.model_id
            );
        }
    }
    check_setup(&key.setup_digest, setup)?;
    let expected_commitment = parse_commitment(commitment)?;
    let sent = pins.sent(key.header.input.len())?;
    let parsed = t.elapsed();
    let bundle = zkinfer_core::ProofBundle::from_bytes(&bundle)
        .map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
    let verified = zkinfer_core::verify::verify_bundle(&key, &bundle)
        .map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
    check_commitment(&verified, expected_commitment.as_deref())?;
    if let Some(x) = &sent {
        check_sent_input(&key, &bundle, x)?;
    }
    println!("VALID proof for model {}", verified.model_id);
    print_commitment(&verified, expected_commitment.is_some());
    print_input_hash(verified.input_hash.as_deref(), sent.is_some());
    print_verified_output(&verified);
    print_setup(&verified.setup_digest, setup.is_some());
    println!(
        "verification: {:.1} ms (key parsing {:.1} ms)",
        t.elapsed().as_secs_f64() * 1e3,
        parsed.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Fails unless `bundle` (verified against `key`) proves the input `sent`.
fn check_sent_input(
    key: &VerifierKey,
    bundle: &zkinfer_core::ProofBundle,
    sent: &Sent,
) -> Result<()> {
    use zkinfer_core::circuit::TensorVisibility;
    let vis = key.header.shape.visibility.input;
    if vis == TensorVisibility::Salted && sent.salt.is_none() {
        bail!(
            "this model salts its input hash: give the salt you sent with the input and kept \
             (\"input_salt\" in the input JSON, or --input-salt)"
        );
    }
    match zkinfer_core::verify::proves_input(key, bundle, &sent.input, sent.salt)? {
        Some(true) => Ok(()),
        Some(false) => bail!("INVALID: the proof is for another input than the one given"),
        None => bail!("this model's input is hidden: a proof says nothing about which input was used, so --input cannot be checked"),
    }
}

/// The proven input's hash line, for a hashed input; `checked`: it was found to be the hash of
/// the input the consumer gave.
fn print_input_hash(hash: Option<&str>, checked: bool) {
    if let Some(h) = hash {
        let note = if checked {
            " (matches your input)"
        } else {
            " (pass --input to check it is your input)"
        };
        println!("input hash: {h}{note}");
    }
}

/// The verified output: its values and class when public, else its visibility (and hash).
fn print_verified_output(verified: &zkinfer_core::Verified) {
    match verified.predicted_class {
        Some(class) => println!(
            "verified output: {} -> class {}{}",
            fmt_values(&verified.output_values),
            class,
            verified
                .predicted_label
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ),
        None => println!(
            "the output is {:?}{}",
            verified.visibility.output,
            verified
                .output_hash
                .as_ref()
                .map(|h| format!(": hash {h}"))
                .unwrap_or_default()
        ),
    }
}

/// `verify` for a chain key: every segment's proof and every link.
fn verify_chain(key_bytes: &[u8], bundle_bytes: &[u8], pins: &Pins<'_>) -> Result<()> {
    use zkinfer_core::chain::{verify_chain_bundle, ChainBundle, ChainKey};
    let (pinned, commitment, setup) = (pins.model_id, pins.commitment, pins.setup);
    let t = Instant::now();
    let key = ChainKey::from_bytes(key_bytes)?;
    if let Some(id) = pinned {
        if !id.eq_ignore_ascii_case(&key.chain_id) {
            bail!(
                "INVALID: the chain key is chain {}, not the pinned {id}",
                key.chain_id
            );
        }
    }
    let expected_commitment = parse_commitment(commitment)?;
    let first = &key.keys[0];
    // Every segment is under one setup (the chain key is refused otherwise).
    check_setup(&first.setup_digest, setup)?;
    let sent = pins.sent(first.header.input.len())?;
    let bundle =
        ChainBundle::from_bytes(bundle_bytes).map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
    let verified =
        verify_chain_bundle(&key, &bundle).map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
    // With hidden weights: the chain commitment of every segment's commitment, in order.
    check_commitment(&verified, expected_commitment.as_deref())?;
    if let Some(x) = &sent {
        check_sent_input(first, &bundle.bundles[0], x)?;
    }
    println!(
        "VALID chain of {} segment proofs for chain {} (every link checked)",
        bundle.bundles.len(),
        verified.model_id
    );
    print_commitment(&verified, expected_commitment.is_some());
    print_input_hash(verified.input_hash.as_deref(), sent.is_some());
    print_verified_output(&verified);
    print_setup(&verified.setup_digest, setup.is_some());
    println!("verification: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

/// `--commitment` in canonical hex.
fn parse_commitment(commitment: Option<&str>) -> Result<Option<String>> {
    commitment
        .map(|c| {
            poseidon::from_hex(c)
                .map(|f| poseidon::to_hex(&f))
                .with_context(|| format!("--commitment '{c}' is not a field element in hex"))
        })
        .transpose()
}

/// Fails unless the proof (or chain) used the pinned commitment, when one is pinned.
fn check_commitment(
    verified: &zkinfer_core::verify::Verified,
    expected: Option<&str>,
) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match &verified.model_commitment {
        Some(c) if c == expected => Ok(()),
        Some(c) => bail!(
            "INVALID: the proof used the model committed as {c}, not the pinned commitment \
             {expected}"
        ),
        None => bail!(
            "INVALID: this model's weights are not committed (they are in the key); drop \
             --commitment and pin the model id"
        ),
    }
}

fn print_commitment(verified: &zkinfer_core::verify::Verified, pinned: bool) {
    if let Some(c) = &verified.model_commitment {
        println!(
            "model commitment: {c}{}",
            if pinned {
                " (matches the pinned one)"
            } else {
                " (not pinned: pass --commitment to require the published one)"
            }
        );
    }
}

/// Fails unless the key's setup is the pinned one (`--setup`), before any proof is read.
fn check_setup(actual: &str, pinned: Option<&str>) -> Result<()> {
    match pinned {
        Some(p) if !p.trim().eq_ignore_ascii_case(actual) => bail!(
            "INVALID: the verifier key depends on the setup {}, not the pinned setup {}",
            zkinfer_core::setup::describe(actual),
            p.trim()
        ),
        _ => Ok(()),
    }
}

/// The setup line of a VALID verdict; under the development setup, a warning no one can miss:
/// its secret is public, so the verdict proves nothing against a forger.
fn print_setup(digest: &str, pinned: bool) {
    if zkinfer_core::setup::is_development_setup(digest) {
        println!("setup: {}", zkinfer_core::setup::describe(digest));
        eprintln!(
            "WARNING: this key is under the INSECURE development setup (setup digest {digest}): \
             anyone can forge proofs for it, so VALID here proves nothing. Trust only keys made \
             with parameters from a trusted setup, and pin its digest with --setup."
        );
    } else {
        println!(
            "setup: {digest}{}",
            if pinned {
                " (matches the pinned one)"
            } else {
                " (not pinned: pass --setup to require the setup you trust)"
            }
        );
    }
}
