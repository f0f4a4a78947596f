//! zkinfer-verifier: check zkinfer proofs of neural-network inference from JavaScript.
//!
//! Two layers:
//! - plain Rust ([`load_key`], [`key_info`], [`verify_bytes`], [`inspect_bundle_bytes`]) that holds
//!   all the logic and is tested natively;
//! - thin `#[wasm_bindgen]` wrappers ([`Verifier`], [`inspect_bundle`]) that only convert between
//!   JS values and the plain types.
//!
//! Nothing here unwraps or indexes into outside bytes: malformed keys and bundles become errors,
//! and invalid proofs become `valid: false` with a reason. (A panic would trap the wasm instance
//! and poison it for later calls, so there must be none.)

use serde::Serialize;
use wasm_bindgen::prelude::*;
use zkinfer_core::bundle::{ProofBundle, PublicTensor};
use zkinfer_core::chain::{ChainBundle, ChainKey};
use zkinfer_core::verifier_key::TensorSpec;
use zkinfer_core::VerifierKey;

pub use zkinfer_core;

// ---------------------------------------------------------------------------------------------
// Plain Rust layer
// ---------------------------------------------------------------------------------------------

/// A tensor's shape and scale (values are integers standing for value / 2^fracBits).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TensorInfo {
    pub shape: Vec<usize>,
    pub frac_bits: i32,
}

impl From<&TensorSpec> for TensorInfo {
    fn from(t: &TensorSpec) -> Self {
        TensorInfo {
            shape: t.shape.clone(),
            frac_bits: t.frac_bits,
        }
    }
}

/// The verifier key's header, as JS sees it (`verifier.header()`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    /// Hex SHA-256 of the key file: the identity a consumer should pin.
    pub model_id: String,
    pub model_name: String,
    /// The circuit has 2^k rows.
    pub k: u32,
    /// Products per dot-product row.
    pub dot_width: usize,
    /// Bits of the activation domain.
    pub activation_bits: u32,
    pub input: TensorInfo,
    pub output: TensorInfo,
    pub labels: Option<Vec<String>>,
    /// Where the KZG parameters came from, as the key's maker labelled it (free text: decide
    /// nothing on it; see `setup_digest`).
    pub srs: String,
    /// The setup the key depends on, by value: the digest of its KZG points. Pin it.
    pub setup_digest: String,
    /// The key is under the development setup, whose secret is public (recognized by its
    /// digest, whatever the label says): its proofs prove nothing against a forger.
    pub development_setup: bool,
    /// What proofs of this model reveal.
    pub visibility: VisibilityInfo,
    /// How many separately proven segments the model is cut into (1: a single circuit).
    pub segments: usize,
    /// How an image becomes the input, for a model compiled to take images.
    pub image: Option<ImageInfo>,
    /// How a prompt becomes the input, for a text model: with `labels` as its vocabulary, the
    /// whole tokenizer.
    pub text: Option<TextInfo>,
}

/// A text model's prompt rules: the last `context` token ids are the input, left-padded with
/// `pad`, after lowercasing the prompt when `lowercase`; the vocabulary is the key's labels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TextInfo {
    pub context: usize,
    pub pad: u32,
    pub lowercase: bool,
}

/// How pixels (0..=255, RGB) become a `[1, 3, H, W]` input: crop the centre (`centralFraction`
/// of each side), resize to H×W, `value = pixel · scale + offset` in f32.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInfo {
    pub central_fraction: f32,
    pub scale: f32,
    pub offset: f32,
}

/// What a model's proofs reveal: weights "fixed" (in the key) or "hidden" (committed); input and
/// output "public", "packed" (public, packed into few field elements), "hashed", "salted"
/// (input only: hashed with the consumer's salt) or "hidden".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VisibilityInfo {
    pub weights: String,
    pub input: String,
    pub output: String,
}

fn lower<T: std::fmt::Debug>(v: T) -> String {
    format!("{v:?}").to_lowercase()
}

/// The result of `verifier.verify(bundle)`. When `valid` is false only `modelId` and `reason`
/// are meaningful: the output fields are empty and the class fields are null.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyOutcome {
    pub valid: bool,
    /// The model id of the key the bundle was checked against.
    pub model_id: String,
    /// Proven output, dequantized (raw / 2^fracBits).
    pub output: Vec<f64>,
    /// Proven output as the integers the circuit constrains.
    pub output_raw: Vec<i64>,
    pub output_shape: Vec<usize>,
    /// Proven input, dequantized. The proof binds the output to exactly this input.
    pub input: Vec<f64>,
    pub input_shape: Vec<usize>,
    /// Index of the largest output (null if the output is not public).
    pub predicted_class: Option<usize>,
    pub predicted_label: Option<String>,
    /// For a hashed input: the proven input's Poseidon hash. Compare it with
    /// `verifier.inputHash(theInputYouSent, theSaltYouKept)`.
    pub input_hash: Option<String>,
    pub output_hash: Option<String>,
    /// For hidden weights: the commitment of the model the proof used. Compare it with the
    /// commitment the provider published.
    pub model_commitment: Option<String>,
    /// The setup the key depends on, by value (null when not valid).
    pub setup_digest: Option<String>,
    /// Valid, but under the development setup, whose secret is public: the proof proves
    /// nothing against a forger.
    pub development_setup: bool,
    /// Why the bundle was rejected; null when valid.
    pub reason: Option<String>,
}

impl VerifyOutcome {
    fn rejected(model_id: &str, reason: String) -> Self {
        VerifyOutcome {
            valid: false,
            model_id: model_id.to_string(),
            output: Vec::new(),
            output_raw: Vec::new(),
            output_shape: Vec::new(),
            input: Vec::new(),
            input_shape: Vec::new(),
            predicted_class: None,
            predicted_label: None,
            input_hash: None,
            output_hash: None,
            model_commitment: None,
            setup_digest: None,
            development_setup: false,
            reason: Some(reason),
        }
    }
}

/// A public tensor carried in a bundle (as claimed by the bundle, not yet verified).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TensorValues {
    pub shape: Vec<usize>,
    pub frac_bits: i32,
    /// Integer values.
    pub values: Vec<i64>,
    /// values / 2^fracBits.
    pub dequantized: Vec<f64>,
}

impl From<&PublicTensor> for TensorValues {
    fn from(t: &PublicTensor) -> Self {
        TensorValues {
            shape: t.shape.clone(),
            frac_bits: t.frac_bits,
            values: t.values.clone(),
            dequantized: t.dequantized(),
        }
    }
}

/// What `inspectBundle` reports about a bundle. Nothing here is verified.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    pub proof_system: String,
    /// The model id the bundle claims to be for.
    pub model_id: String,
    pub input: TensorValues,
    pub output: TensorValues,
    /// Size of the SNARK in bytes (of every segment's, for a chain).
    pub proof_bytes: usize,
    /// Separately proven segments (1: one circuit; more: a chain bundle, whose input is its
    /// first segment's and whose output is its last's).
    pub segments: usize,
}

/// Parses a whole model's verifier key: a chain's segment key is refused (it proves nothing on
/// its own; a chain is trusted through its chain key). The error is a human-readable reason.
pub fn load_key(bytes: &[u8]) -> Result<VerifierKey, String> {
    let key = VerifierKey::from_bytes(bytes).map_err(|e| e.to_string())?;
    zkinfer_core::verify::require_whole_model(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

pub fn key_info(key: &VerifierKey) -> KeyInfo {
    let h = &key.header;
    KeyInfo {
        model_id: key.model_id.clone(),
        model_name: h.model_name.clone(),
        k: h.k,
        dot_width: h.shape.dot_width,
        activation_bits: h.shape.act_bits,
        input: (&h.input).into(),
        output: (&h.output).into(),
        labels: h.labels.clone(),
        srs: h.srs.clone(),
        setup_digest: key.setup_digest.clone(),
        development_setup: zkinfer_core::setup::is_development_setup(&key.setup_digest),
        visibility: visibility_info(h.shape.visibility),
        segments: 1,
        image: h.image.map(|p| ImageInfo {
            central_fraction: p.central_fraction,
            scale: p.scale,
            offset: p.offset,
        }),
        text: h.text.map(|t| TextInfo {
            context: t.context,
            pad: t.pad,
            lowercase: t.lowercase,
        }),
    }
}

fn visibility_info(v: zkinfer_core::circuit::Visibility) -> VisibilityInfo {
    VisibilityInfo {
        weights: lower(v.weights),
        input: lower(v.input),
        output: lower(v.output),
    }
}

/// A trusted key: one model's verifier key, or a chain key (a model proven in segments).
pub enum TrustedKey {
    Model(Box<VerifierKey>),
    Chain(ChainKey),
}

impl TrustedKey {
    /// Parses either kind of key file, told apart by its magic bytes.
    pub fn load(bytes: &[u8]) -> Result<TrustedKey, String> {
        if zkinfer_core::chain::is_chain_key(bytes) {
            ChainKey::from_bytes(bytes)
                .map(TrustedKey::Chain)
                .map_err(|e| e.to_string())
        } else {
            load_key(bytes).map(|k| TrustedKey::Model(Box::new(k)))
        }
    }

    /// The key file's SHA-256: a model id or a chain id.
    pub fn id(&self) -> &str {
        match self {
            TrustedKey::Model(k) => &k.model_id,
            TrustedKey::Chain(c) => &c.chain_id,
        }
    }

    /// The key whose input the proofs take (a chain's first segment).
    /// Rehearses the verification of every key it holds ([`zkinfer_core::verify::rehearse`]).
    pub fn rehearse(&self) {
        match self {
            TrustedKey::Model(k) => zkinfer_core::verify::rehearse(k),
            TrustedKey::Chain(c) => c.keys.iter().for_each(zkinfer_core::verify::rehearse),
        }
    }

    fn first(&self) -> &VerifierKey {
        match self {
            TrustedKey::Model(k) => k,
            TrustedKey::Chain(c) => &c.keys[0],
        }
    }

    /// The header; for a chain, the input side is the first segment's and the output side
    /// (output, labels) the last segment's.
    pub fn info(&self) -> KeyInfo {
        match self {
            TrustedKey::Model(k) => key_info(k),
            TrustedKey::Chain(c) => {
                let (first, last) = (key_info(&c.keys[0]), key_info(&c.keys[c.keys.len() - 1]));
                KeyInfo {
                    model_id: c.chain_id.clone(),
                    model_name: c.model_name.clone(),
                    output: last.output,
                    labels: last.labels,
                    visibility: visibility_info(c.visibility()),
                    segments: c.keys.len(),
                    ..first
                }
            }
        }
    }

    pub fn input_hash(&self, input: &[f32], input_salt: Option<&str>) -> Result<String, String> {
        input_hash_of(self.first(), input, input_salt)
    }

    /// Checks a proof bundle (a chain bundle for a chain key). Never fails: see
    /// [`verify_bytes`].
    pub fn verify(&self, bundle_bytes: &[u8]) -> VerifyOutcome {
        match self {
            TrustedKey::Model(k) => verify_bytes(k, bundle_bytes),
            TrustedKey::Chain(c) => verify_chain_bytes(c, bundle_bytes),
        }
    }
}

/// Checks a chain bundle against a trusted chain key: every segment's proof and every link.
/// Never fails: a bundle that does not parse or does not verify gives `valid: false`.
pub fn verify_chain_bytes(key: &ChainKey, bundle_bytes: &[u8]) -> VerifyOutcome {
    let bundle = match ChainBundle::from_bytes(bundle_bytes) {
        Ok(b) => b,
        Err(e) => return VerifyOutcome::rejected(&key.chain_id, e.to_string()),
    };
    match zkinfer_core::chain::verify_chain_bundle(key, &bundle) {
        Ok(v) => outcome(v, &bundle.bundles[0].header.input),
        Err(e) => VerifyOutcome::rejected(&key.chain_id, e.to_string()),
    }
}

/// A successful verification as JS sees it; `input` is the proven input's public part.
fn outcome(v: zkinfer_core::Verified, input: &PublicTensor) -> VerifyOutcome {
    VerifyOutcome {
        valid: true,
        model_id: v.model_id,
        output: v.output_values,
        output_raw: v.output.values,
        output_shape: v.output.shape,
        input: input.dequantized(),
        input_shape: input.shape.clone(),
        predicted_class: v.predicted_class,
        predicted_label: v.predicted_label,
        input_hash: v.input_hash,
        output_hash: v.output_hash,
        model_commitment: v.model_commitment,
        setup_digest: Some(v.setup_digest),
        development_setup: v.development_setup,
        reason: None,
    }
}

/// The input hash a proof must carry for this float input (models with a hashed input), salted
/// with `input_salt` (hex) for a salted input.
pub fn input_hash_of(
    key: &VerifierKey,
    input: &[f32],
    input_salt: Option<&str>,
) -> Result<String, String> {
    let salt = input_salt
        .map(zkinfer_core::commitment::parse_input_salt)
        .transpose()
        .map_err(|e| e.to_string())?;
    zkinfer_core::verify::input_hash(key, input, salt).map_err(|e| e.to_string())
}

/// Checks a proof bundle against a trusted key. Never fails: a bundle that does not parse or
/// does not verify gives `valid: false` and the reason.
pub fn verify_bytes(key: &VerifierKey, bundle_bytes: &[u8]) -> VerifyOutcome {
    let bundle = match ProofBundle::from_bytes(bundle_bytes) {
        Ok(b) => b,
        Err(e) => return VerifyOutcome::rejected(&key.model_id, e.to_string()),
    };
    match zkinfer_core::verify::verify_bundle(key, &bundle) {
        Ok(v) => outcome(v, &bundle.header.input),
        Err(e) => VerifyOutcome::rejected(&key.model_id, e.to_string()),
    }
}

/// Parses a bundle and reports its header without verifying anything.
pub fn inspect_bundle_bytes(bytes: &[u8]) -> Result<BundleInfo, String> {
    if zkinfer_core::chain::is_chain_bundle(bytes) {
        let chain = ChainBundle::from_bytes(bytes).map_err(|e| e.to_string())?;
        let (Some(first), Some(last)) = (chain.bundles.first(), chain.bundles.last()) else {
            return Err("the chain bundle holds no segment proof".into());
        };
        return Ok(BundleInfo {
            proof_system: first.header.proof_system.clone(),
            model_id: chain.chain_id.clone(),
            input: (&first.header.input).into(),
            output: (&last.header.output).into(),
            proof_bytes: chain.bundles.iter().map(|b| b.proof.len()).sum(),
            segments: chain.bundles.len(),
        });
    }
    let b = ProofBundle::from_bytes(bytes).map_err(|e| e.to_string())?;
    Ok(BundleInfo {
        proof_system: b.header.proof_system.clone(),
        model_id: b.header.model_id.clone(),
        input: (&b.header.input).into(),
        output: (&b.header.output).into(),
        proof_bytes: b.proof.len(),
        segments: 1,
    })
}

// ---------------------------------------------------------------------------------------------
// JavaScript bindings
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A tensor's shape and scale: values are integers standing for value / 2^fracBits. */
export interface TensorInfo { shape: number[]; fracBits: number; }

/** The verifier key's header. */
export interface KeyHeader {
  /** Hex SHA-256 of the key file: the identity to pin. */
  modelId: string;
  modelName: string;
  k: number;
  dotWidth: number;
  activationBits: number;
  input: TensorInfo;
  output: TensorInfo;
  labels: string[] | null;
  /** Where the KZG parameters came from, as labelled by the key's maker (free text). */
  srs: string;
  /** The setup the key depends on, by value (a digest of its KZG points): pin it. */
  setupDigest: string;
  /** The key is under the development setup, whose secret is public: its proofs prove nothing. */
  developmentSetup: boolean;
  /** What proofs reveal: weights "fixed" | "hidden"; input and output "public" | "packed" | "hashed" | "hidden"; input also "salted" (hashed with the salt you chose). */
  visibility: { weights: string; input: string; output: string };
  /** Separately proven segments (1: one circuit; more: a chain whose every link is checked). */
  segments: number;
  /** For a model that takes an RGB image ([1, 3, H, W]): crop the centre (centralFraction of each side), resize to H×W, then value = f32(pixel · scale) + offset, channels first. Null otherwise. */
  image: { centralFraction: number; scale: number; offset: number } | null;
  /** For a text model: its tokenizer is `labels` (the vocabulary) with these rules: greedy longest match after lowercasing (when lowercase) and collapsing whitespace runs into one space; the last `context` ids, left-padded with `pad`. Null otherwise. */
  text: { context: number; pad: number; lowercase: boolean } | null;
}

/** Result of Verifier.verify. When valid is false, only modelId and reason are meaningful. */
export interface VerifyResult {
  valid: boolean;
  /** Model id of the key the bundle was checked against. */
  modelId: string;
  /** Proven output, dequantized. */
  output: number[];
  /** Proven output as the circuit's integers. */
  outputRaw: number[];
  outputShape: number[];
  /** Proven input, dequantized (empty when the input is hashed or hidden). */
  input: Float64Array;
  inputShape: number[];
  predictedClass: number | null;
  predictedLabel: string | null;
  /** Hashed input: the proven input's hash; compare with verifier.inputHash(input you sent, salt you kept). */
  inputHash: string | null;
  outputHash: string | null;
  /** Hidden weights: the commitment of the model used; compare with the published one. */
  modelCommitment: string | null;
  /** The setup the key depends on, by value; null when not valid. */
  setupDigest: string | null;
  /** Valid, but under the development setup (public secret): proves nothing against a forger. */
  developmentSetup: boolean;
  /** Why the bundle was rejected; null when valid. */
  reason: string | null;
}

/** A public tensor as claimed by a bundle. */
export interface TensorValues { shape: number[]; fracBits: number; values: number[]; dequantized: number[]; }

/** A bundle's header as claimed by the bundle (not verified). */
export interface BundleInfo {
  proofSystem: string;
  modelId: string;
  input: TensorValues;
  output: TensorValues;
  /** Bytes of the SNARK (of every segment's, for a chain). */
  proofBytes: number;
  /** Separately proven segments (1: one circuit; more: a chain bundle, its input the first segment's, its output the last's). */
  segments: number;
}
"#;

/// JSON-compatible conversion: `None` becomes `null` (not `undefined`), maps become objects.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot convert the result to a JS value: {e}")))
}

/// A verifier for one trusted model. Build it once from the verifier key (a few milliseconds:
/// the file is hashed, its points checked, halo2's constraint system rebuilt) and call `verify`
/// for each proof bundle. A chain key (a model proven in segments) works the same way, with
/// chain bundles.
#[wasm_bindgen]
pub struct Verifier {
    key: TrustedKey,
}

#[wasm_bindgen]
impl Verifier {
    /// Parses verifier-key bytes. Throws an `Error` with the reason if they are malformed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(js_name = keyBytes)] key_bytes: &[u8]) -> Result<Verifier, JsError> {
        TrustedKey::load(key_bytes)
            .map(|key| Verifier { key })
            .map_err(|e| JsError::new(&e))
    }

    /// Hex SHA-256 of the key file.
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> String {
        self.key.id().to_string()
    }

    #[wasm_bindgen(getter, js_name = modelName)]
    pub fn model_name(&self) -> String {
        self.key.info().model_name
    }

    /// The circuit has 2^k rows (every segment of a chain).
    #[wasm_bindgen(getter)]
    pub fn k(&self) -> u32 {
        self.key.first().header.k
    }

    /// The key's header as a plain object.
    #[wasm_bindgen(unchecked_return_type = "KeyHeader")]
    pub fn header(&self) -> Result<JsValue, JsError> {
        to_js(&self.key.info())
    }

    /// For a model with a hashed input: the hash a proof of this (float) input must carry. The
    /// input is quantized exactly as the prover does. For a salted input (`visibility.input`
    /// "salted") `inputSalt` is the salt you sent with the input and kept (64 hex digits);
    /// for any other input it must be left out. Throws if the input does not fit or the salt is
    /// missing, malformed or not wanted.
    #[wasm_bindgen(js_name = inputHash)]
    pub fn input_hash(
        &self,
        input: &[f32],
        #[wasm_bindgen(js_name = inputSalt)] input_salt: Option<String>,
    ) -> Result<String, JsError> {
        self.key
            .input_hash(input, input_salt.as_deref())
            .map_err(|e| JsError::new(&e))
    }

    /// Runs this key's whole verification once on a made-up proof and discards the result, so
    /// that the engine has optimized everything a verification of this key runs before the
    /// first real proof arrives (`warmUp` covers only the arithmetic). Call it once the key is
    /// loaded, while waiting for the proof; about one verification's time. Says nothing about
    /// any proof.
    pub fn rehearse(&self) {
        self.key.rehearse();
    }

    /// Checks a proof bundle. Never throws for bad bundles: returns `{ valid: false, reason }`.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult")]
    pub fn verify(&self, #[wasm_bindgen(js_name = bundleBytes)] bundle_bytes: &[u8]) -> JsValue {
        let mut outcome = self.key.verify(bundle_bytes);
        // The input (an image's 150,528 values) goes over as one typed-array copy, not as a JS
        // array built value by value.
        let input = std::mem::take(&mut outcome.input);
        let converted = to_js(&outcome).and_then(|v| {
            js_sys::Reflect::set(
                &v,
                &JsValue::from_str("input"),
                &js_sys::Float64Array::from(&input[..]),
            )
            .map_err(|_| JsError::new("cannot set the result's input"))?;
            Ok(v)
        });
        match converted {
            Ok(v) => v,
            // Unreachable in practice (every field converts); still, answer "invalid", never throw.
            Err(_) => {
                let fallback = VerifyOutcome::rejected(
                    self.key.id(),
                    "internal error converting the result".into(),
                );
                to_js(&fallback).unwrap_or(JsValue::NULL)
            }
        }
    }
}

// Threaded build only (`--features threads`, see scripts/build-wasm.sh): `initThreadPool(n)`
// returns a Promise that resolves once n Web Workers share this module's memory and form rayon's
// global pool; halo2's FFTs, multi-scalar multiplications and `parallelize` loops then run on it.
// Without the call (or in the single-threaded build) rayon runs everything on the calling thread.
// Call it before the first `new Verifier`, `verify` or `warmUp`: the first parallel call fixes
// rayon's global pool (to the calling thread alone, as no pool was set up), and a later
// initThreadPool rejects.
#[cfg(all(feature = "threads", target_arch = "wasm32"))]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Runs the verifier's heavy arithmetic once on made-up data so the engine compiles it with its
/// optimizing tier. Call it while waiting for a proof (e.g. right after sending the request): the
/// first verification in a fresh page is then as fast as later ones instead of about 3x slower.
/// Optional; takes tens of milliseconds.
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up() {
    zkinfer_core::verify::warm_up();
}

/// Parses a proof bundle and returns its (unverified) header. Throws an `Error` if malformed.
#[wasm_bindgen(js_name = inspectBundle, unchecked_return_type = "BundleInfo")]
pub fn inspect_bundle(
    #[wasm_bindgen(js_name = bundleBytes)] bundle_bytes: &[u8],
) -> Result<JsValue, JsError> {
    to_js(&inspect_bundle_bytes(bundle_bytes).map_err(|e| JsError::new(&e))?)
}

// ---------------------------------------------------------------------------------------------
// Native tests of the plain layer (fixtures from scripts/make-wasm-fixtures.sh)
// ---------------------------------------------------------------------------------------------

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
