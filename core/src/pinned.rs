//! Verification as a consumer does it: a proof bundle (or chain bundle) checked against the
//! verifier key it trusts, plus what it pins besides the key: the model id, the published weight
//! commitment, the setup, and the input it sent (values, or a prompt spelled with the tokenizer
//! the key binds). `zkinfer verify` and the Python package share it, so both refuse the same
//! things with the same words.
//!
//! A failed check is [`Error::Rejected`] (the proof must not be believed); a pin that cannot be
//! checked as given (no salt for a salted input, a prompt for a key without a tokenizer) is
//! [`Error::InvalidInput`].

use crate::bundle::ProofBundle;
use crate::chain::{is_chain_key, verify_chain_bundle, ChainBundle, ChainKey};
use crate::circuit::TensorVisibility;
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;
use crate::verify::{verify_bundle, Verified};
use halo2curves::bn256::Fr;

/// What the consumer sent to the model.
#[derive(Clone, Debug)]
pub enum SentInput {
    /// The input values, flattened.
    Values(Vec<f32>),
    /// An input JSON's text (`{"input_data": [[...]]}`), read for the key's input length.
    Json(String),
    /// A prompt to a text model, tokenized as the key's tokenizer says.
    Prompt(String),
}

/// What a consumer pins a verification to, each optional.
#[derive(Clone, Debug, Default)]
pub struct Pins {
    /// The model id (or chain id): SHA-256 of the key file, in hex.
    pub model_id: Option<String>,
    /// The published model commitment (hidden weights), in hex.
    pub commitment: Option<String>,
    /// The digest of the trusted setup.
    pub setup: Option<String>,
    /// The input the consumer sent, and the salt it kept (a salted input hash needs it).
    pub input: Option<SentInput>,
    pub input_salt: Option<Fr>,
}

/// A proof that verified and matched every pin given.
#[derive(Clone, Debug)]
pub struct PinnedVerdict {
    pub verified: Verified,
    /// How many segment proofs (1: one circuit).
    pub segments: usize,
    /// Which pins were checked (the others were not given).
    pub commitment_checked: bool,
    pub setup_checked: bool,
    pub input_checked: bool,
    /// Time to parse the key (the rest of the time is the proof's).
    pub key_parse_time: std::time::Duration,
}

fn rejected(why: impl Into<String>) -> Error {
    Error::Rejected(why.into())
}

/// A failure to parse or verify the bundle, as a rejection (said once: a rejection stays as it
/// is, rather than becoming "proof rejected: proof rejected: ...").
fn as_rejection(e: Error) -> Error {
    match e {
        Error::Rejected(_) => e,
        other => rejected(other.to_string()),
    }
}

/// Verifies `bundle_bytes` against the key file `key_bytes` and every pin in `pins`.
pub fn verify_pinned(key_bytes: &[u8], bundle_bytes: &[u8], pins: &Pins) -> Result<PinnedVerdict> {
    let commitment = pins
        .commitment
        .as_deref()
        .map(|c| {
            crate::poseidon::from_hex(c)
                .map(|f| crate::poseidon::to_hex(&f))
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "the commitment '{c}' is not a field element in hex"
                    ))
                })
        })
        .transpose()?;
    if pins.input.is_none() && pins.input_salt.is_some() {
        return Err(Error::InvalidInput(
            "an input salt salts the input sent: give that input too".into(),
        ));
    }
    let t = std::time::Instant::now();
    let key_parse_time;
    let (verified, first, first_bundle, segments) = if is_chain_key(key_bytes) {
        let key = ChainKey::from_bytes(key_bytes)?;
        key_parse_time = t.elapsed();
        check_id(&key.chain_id, pins.model_id.as_deref(), "chain")?;
        // Every segment is under one setup (the chain key is refused otherwise).
        check_setup(&key.keys[0].setup_digest, pins.setup.as_deref())?;
        let sent = sent_values(&key.keys[0], key.tokenizer(), pins)?;
        let bundle = ChainBundle::from_bytes(bundle_bytes).map_err(as_rejection)?;
        let verified = verify_chain_bundle(&key, &bundle).map_err(as_rejection)?;
        let segments = bundle.bundles.len();
        let first_bundle = bundle.bundles.into_iter().next();
        let mut keys = key.keys;
        (
            verified,
            (keys.swap_remove(0), sent),
            first_bundle,
            segments,
        )
    } else {
        let key = VerifierKey::from_bytes(key_bytes)?;
        key_parse_time = t.elapsed();
        // A chain's segment key proves nothing on its own: refuse it before anything else.
        crate::verify::require_whole_model(&key).map_err(|e| {
            rejected(format!(
                "{e} (the chain key is the chain directory's verifier-key)"
            ))
        })?;
        check_id(&key.model_id, pins.model_id.as_deref(), "model")?;
        check_setup(&key.setup_digest, pins.setup.as_deref())?;
        let sent = sent_values(&key, key.header.tokenizer(), pins)?;
        let bundle = ProofBundle::from_bytes(bundle_bytes).map_err(as_rejection)?;
        let verified = verify_bundle(&key, &bundle).map_err(as_rejection)?;
        (verified, (key, sent), Some(bundle), 1)
    };
    check_commitment(&verified, commitment.as_deref())?;
    let (key, sent) = first;
    if let Some(values) = &sent {
        // A chain bundle that verified has one proof per segment; the first proves the input.
        let bundle = first_bundle
            .as_ref()
            .ok_or_else(|| rejected("the bundle holds no proof of the model's input"))?;
        check_sent_input(&key, bundle, values, pins.input_salt)?;
    }
    Ok(PinnedVerdict {
        verified,
        segments,
        commitment_checked: commitment.is_some(),
        setup_checked: pins.setup.is_some(),
        input_checked: sent.is_some(),
        key_parse_time,
    })
}

fn check_id(actual: &str, pinned: Option<&str>, what: &str) -> Result<()> {
    match pinned {
        Some(id) if !id.trim().eq_ignore_ascii_case(actual) => Err(rejected(format!(
            "the {} key is {what} {actual}, not the pinned {what} {}",
            if what == "chain" { "chain" } else { "verifier" },
            id.trim()
        ))),
        _ => Ok(()),
    }
}

/// Fails unless the key's setup is the pinned one, before any proof is read.
fn check_setup(actual: &str, pinned: Option<&str>) -> Result<()> {
    match pinned {
        Some(p) if !p.trim().eq_ignore_ascii_case(actual) => Err(rejected(format!(
            "the verifier key depends on the setup {}, not the pinned setup {}",
            crate::setup::describe(actual),
            p.trim()
        ))),
        _ => Ok(()),
    }
}

/// The values the consumer sent to the model whose input `key` reads (a prompt spelled with
/// `tokenizer`, the one the key or chain key binds), if it says.
fn sent_values(
    key: &VerifierKey,
    tokenizer: Option<crate::text_input::Tokenizer>,
    pins: &Pins,
) -> Result<Option<Vec<f32>>> {
    match &pins.input {
        None => Ok(None),
        Some(SentInput::Values(v)) => {
            let want = key.header.input.len();
            if v.len() != want {
                return Err(Error::InvalidInput(format!(
                    "the input sent has {} values; the model's input has {want}",
                    v.len()
                )));
            }
            Ok(Some(v.clone()))
        }
        Some(SentInput::Json(text)) => Ok(Some(crate::input::parse_single(
            text,
            key.header.input.len(),
        )?)),
        Some(SentInput::Prompt(prompt)) => {
            let tokenizer = tokenizer.ok_or_else(|| {
                Error::InvalidInput(
                    "this model's verifier key binds no tokenizer (it was not compiled with \
                     --tokenizer, or before keys carried one), so a prompt cannot be checked: \
                     give the token ids as the input"
                        .into(),
                )
            })?;
            Ok(Some(tokenizer.window(prompt)?))
        }
    }
}

/// Fails unless the proof (or chain) used the pinned commitment, when one is pinned.
fn check_commitment(verified: &Verified, expected: Option<&str>) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match &verified.model_commitment {
        Some(c) if c == expected => Ok(()),
        Some(c) => Err(rejected(format!(
            "the proof used the model committed as {c}, not the pinned commitment {expected}"
        ))),
        None => Err(rejected(
            "this model's weights are not committed (they are in the key); drop the commitment \
             and pin the model id",
        )),
    }
}

/// Fails unless `bundle` (verified against `key`) proves the input `sent`.
fn check_sent_input(
    key: &VerifierKey,
    bundle: &ProofBundle,
    sent: &[f32],
    salt: Option<Fr>,
) -> Result<()> {
    let vis = key.header.shape.visibility.input;
    if vis == TensorVisibility::Salted && salt.is_none() {
        return Err(Error::InvalidInput(
            "this model salts its input hash: give the salt you sent with the input and kept \
             (\"input_salt\" in the input JSON, or --input-salt)"
                .into(),
        ));
    }
    match crate::verify::proves_input(key, bundle, sent, salt)? {
        Some(true) => Ok(()),
        Some(false) => Err(rejected(
            "the proof is for another input than the one given",
        )),
        None => Err(Error::InvalidInput(
            "this model's input is hidden: a proof says nothing about which input was used, so \
             the input sent cannot be checked"
                .into(),
        )),
    }
}
