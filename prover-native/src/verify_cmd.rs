//! `zkinfer verify`: a proof bundle (or a chain bundle) against a verifier key the consumer
//! trusts, with the pins a consumer can add: the model id, the published weight commitment, the
//! setup the key depends on, and the input it sent.

use crate::cli_util::fmt_values;
use crate::input_args::read_input_salt;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Instant;

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
    /// The prompt the consumer sent, spelled with the tokenizer the key binds.
    pub text: Option<&'a str>,
    /// The input salt, when not in the input JSON.
    pub input_salt: Option<&'a str>,
}

pub(crate) fn verify(key_path: &Path, proof_path: &Path, pins: &Pins<'_>) -> Result<()> {
    use zkinfer_core::pinned::{verify_pinned, SentInput};
    let key_bytes =
        std::fs::read(key_path).with_context(|| format!("reading {}", key_path.display()))?;
    let bundle =
        std::fs::read(proof_path).with_context(|| format!("reading {}", proof_path.display()))?;
    let input = match (pins.input, pins.text) {
        (Some(path), _) => Some(SentInput::Json(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading input {}", path.display()))?,
        )),
        (None, Some(prompt)) => Some(SentInput::Prompt(prompt.to_string())),
        (None, None) => {
            if pins.input_salt.is_some() {
                bail!("--input-salt salts the input given with --input or --text: give that too");
            }
            None
        }
    };
    let input_salt = match pins.input {
        Some(path) => read_input_salt(path, pins.input_salt)?,
        None => pins
            .input_salt
            .map(zkinfer_core::commitment::parse_input_salt)
            .transpose()
            .context("--input-salt")?,
    };
    let t = Instant::now();
    let verdict = verify_pinned(
        &key_bytes,
        &bundle,
        &zkinfer_core::pinned::Pins {
            model_id: pins.model_id.map(String::from),
            commitment: pins.commitment.map(String::from),
            setup: pins.setup.map(String::from),
            input,
            input_salt,
        },
    )
    .map_err(|e| match e {
        zkinfer_core::Error::Rejected(why) => anyhow::anyhow!("INVALID: {why}"),
        e => e.into(),
    })?;
    let elapsed = t.elapsed();
    let verified = &verdict.verified;
    if zkinfer_core::chain::is_chain_key(&key_bytes) {
        println!(
            "VALID chain of {} segment proofs for chain {} (every link checked)",
            verdict.segments, verified.model_id
        );
    } else {
        println!("VALID proof for model {}", verified.model_id);
    }
    print_commitment(verified, verdict.commitment_checked);
    print_input_hash(verified.input_hash.as_deref(), verdict.input_checked);
    print_verified_output(verified);
    print_setup(&verified.setup_digest, verdict.setup_checked);
    println!(
        "verification: {:.1} ms (key parsing {:.1} ms)",
        elapsed.as_secs_f64() * 1e3,
        verdict.key_parse_time.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The proven input's hash line, for a hashed input; `checked`: it was found to be the hash of
/// the input the consumer gave.
fn print_input_hash(hash: Option<&str>, checked: bool) {
    if let Some(h) = hash {
        let note = if checked {
            " (matches your input)"
        } else {
            " (pass --input, or --text for a prompt, to check it is your input)"
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
