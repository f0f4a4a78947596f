//! Verification: checks a proof bundle against a verifier key. Every failure is an error value
//! with a reason; nothing here panics on outside bytes.

use crate::bundle::{ProofBundle, PublicTensor};
use crate::circuit::{instance_vector, PublicPart, TensorVisibility, Visibility};
use crate::error::{Error, Result};
use crate::poseidon;
use crate::verifier_key::{TensorSpec, VerifierKey};
use halo2_proofs::plonk::verify_proof;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::AccumulatorStrategy;
use halo2_proofs::poly::VerificationStrategy;
use halo2_proofs::transcript::{Blake2bRead, Challenge255, Transcript, TranscriptReadBuffer};
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use serde::{Deserialize, Serialize};

/// What a successful verification establishes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub model_id: String,
    /// What the proof reveals (from the key).
    pub visibility: Visibility,
    /// The output (its values are empty if the output is hashed or hidden).
    pub output: PublicTensor,
    /// Output values divided by their scale (empty if not public).
    pub output_values: Vec<f64>,
    /// Index of the largest output (the predicted class for a classifier), if the output is
    /// public.
    pub predicted_class: Option<usize>,
    pub predicted_label: Option<String>,
    /// The proven input's hash, for a hashed input: compare it with [`input_hash`] of the
    /// input you sent (and, for a salted input, the salt you chose and kept).
    pub input_hash: Option<String>,
    pub output_hash: Option<String>,
    /// The committed model the proof used, for hidden weights: compare it with the commitment
    /// the provider published.
    pub model_commitment: Option<String>,
    /// For a segment of a chain: the commitments (hex, compressed G1) to the link columns
    /// holding its input and its output. The chain verifier compares them across segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_link: Option<String>,
    /// The setup the key depends on, by value ([`crate::setup::setup_digest`]); a consumer
    /// pins it as it pins the model id.
    #[serde(default)]
    pub setup_digest: String,
    /// The key is under the development setup, whose secret is public: anyone can forge
    /// proofs under it, so this verification proves nothing against a forger.
    #[serde(default)]
    pub development_setup: bool,
}

/// The bytes of a compressed G1 point in a proof.
const POINT_BYTES: usize = 32;

/// The commitment to advice `column` as it stands in `proof`. halo2 writes the first phase's
/// advice commitments first, one per first-phase column in column order (later phases follow
/// once their challenges are drawn), and reads those very bytes as the columns' commitments
/// when it verifies the proof.
fn link_commitment(key: &VerifierKey, proof: &[u8], column: usize) -> Result<String> {
    proof
        .get(link_commitment_bytes(key, column)?)
        .map(hex::encode)
        .ok_or_else(|| Error::Rejected("the proof is too short to hold its link column".into()))
}

/// Where, in a proof under `key`, the commitment to the first-phase advice `column` stands.
pub(crate) fn link_commitment_bytes(
    key: &VerifierKey,
    column: usize,
) -> Result<std::ops::Range<usize>> {
    let phases = key.vk.cs().advice_column_phase();
    if phases.get(column) != Some(&0) {
        return Err(Error::Rejected(
            "the key's circuit does not have a first-phase link column".into(),
        ));
    }
    let at = phases[..column].iter().filter(|&&p| p == 0).count() * POINT_BYTES;
    Ok(at..at + POINT_BYTES)
}

/// Checks a tensor's public part against the key and returns it as instance material.
fn public_part<'a>(
    name: &str,
    spec: &TensorSpec,
    vis: TensorVisibility,
    t: &'a PublicTensor,
    hash: &Option<String>,
    act_bits: u32,
) -> Result<PublicPart<'a>> {
    if t.shape != spec.shape || t.frac_bits != spec.frac_bits {
        return Err(Error::Rejected(format!(
            "{name} is shape {:?} at scale 2^{}, the model's is {:?} at 2^{}",
            t.shape, t.frac_bits, spec.shape, spec.frac_bits
        )));
    }
    if !vis.carries_values() && !t.values.is_empty() {
        return Err(Error::Rejected(format!(
            "the model keeps the {name} {vis:?}, but the bundle carries its values"
        )));
    }
    match (vis, hash) {
        (TensorVisibility::Hashed | TensorVisibility::Salted, Some(h)) => {
            return poseidon::from_hex(h).map(PublicPart::Hash).ok_or_else(|| {
                Error::Rejected(format!("the {name} hash '{h}' is not a field element"))
            })
        }
        (TensorVisibility::Hashed | TensorVisibility::Salted, None) => {
            return Err(Error::Rejected(format!(
                "the model's {name} is hashed, but the bundle has no {name} hash"
            )))
        }
        (_, Some(_)) => {
            return Err(Error::Rejected(format!(
                "the bundle has an {name} hash, but the model's {name} is not hashed"
            )))
        }
        (TensorVisibility::Hidden | TensorVisibility::Linked, None) => {
            return Ok(PublicPart::Hidden)
        }
        (TensorVisibility::Public | TensorVisibility::Packed, None) => {}
    }
    check_tensor(name, spec, t, act_bits)?;
    Ok(if vis == TensorVisibility::Packed {
        PublicPart::Packed(&t.values, act_bits)
    } else {
        PublicPart::Values(&t.values)
    })
}

fn check_tensor(name: &str, spec: &TensorSpec, t: &PublicTensor, act_bits: u32) -> Result<()> {
    if t.values.len() != spec.len() {
        return Err(Error::Rejected(format!(
            "{name} has {} values, expected {}",
            t.values.len(),
            spec.len()
        )));
    }
    let half = 1i64 << (act_bits - 1);
    if let Some(v) = t.values.iter().find(|&&v| v < -half || v >= half) {
        return Err(Error::Rejected(format!(
            "{name} value {v} is outside the model's range"
        )));
    }
    Ok(())
}

/// Says why halo2 rejected a proof, in the consumer's terms.
fn rejection(e: halo2_proofs::plonk::Error) -> Error {
    use halo2_proofs::plonk::Error as E;
    Error::Rejected(match e {
        E::ConstraintSystemFailure | E::Opening => {
            "the proof does not verify: it does not show that this model computed this output from this input".into()
        }
        E::Transcript(io) => format!("the proof bytes are malformed ({io})"),
        E::InvalidInstances => "the public values do not fit the circuit".into(),
        other => format!("the proof does not verify ({other:?})"),
    })
}

/// Refuses a segment's key (a linked input or output) where a whole model's is expected. A
/// segment's link cells are constrained only by the neighbouring segment's proof (equal link
/// commitments, checked by [`crate::segment::verify_chain`]); on its own they are free
/// witnesses, so a proof against the key alone shows nothing about where its input came from
/// or where its output goes.
pub fn require_whole_model(key: &VerifierKey) -> Result<()> {
    let vis = key.header.shape.visibility;
    let side = if vis.input == TensorVisibility::Linked {
        "input"
    } else if vis.output == TensorVisibility::Linked {
        "output"
    } else {
        return Ok(());
    };
    Err(Error::SegmentKey { side })
}

/// Checks the SNARK for already-parsed parts. `key` must be a whole model's
/// ([`require_whole_model`]): a chain is verified with [`crate::segment::verify_chain`].
pub fn verify_bundle(key: &VerifierKey, bundle: &ProofBundle) -> Result<Verified> {
    require_whole_model(key)?;
    verify_any_bundle(key, bundle)
}

/// [`verify_bundle`] for any key, a segment's included: for chain verification only (the
/// caller checks the links).
pub(crate) fn verify_any_bundle(key: &VerifierKey, bundle: &ProofBundle) -> Result<Verified> {
    let mut batch = None;
    let verified = verify_bundle_deferred(key, bundle, &mut batch)?;
    if !check_pairings(batch) {
        return Err(rejection(
            halo2_proofs::plonk::Error::ConstraintSystemFailure,
        ));
    }
    Ok(verified)
}

/// A batch's deferred final pairing checks: each proof's KZG opening check, scaled by a fresh
/// random factor, summed into one, so that a chain of n proofs costs one pairing check instead
/// of n. A false opening survives the sum only if the random factors cancel it (probability
/// about 1/|Fr|).
pub(crate) type PairingBatch<'k> = Option<AccumulatorStrategy<'k, Bn256>>;

/// [`verify_any_bundle`] but for the final pairing check, which is added to `batch` for
/// [`check_pairings`]. The result is valid only once that check passes. Accepts a segment's
/// key: for chain verification only.
pub(crate) fn verify_bundle_deferred<'k>(
    key: &'k VerifierKey,
    bundle: &ProofBundle,
    batch: &mut PairingBatch<'k>,
) -> Result<Verified> {
    let h = &bundle.header;
    if h.model_id != key.model_id {
        return Err(Error::Rejected(format!(
            "the proof is for model {}, but the trusted key is model {}",
            h.model_id, key.model_id
        )));
    }
    let vis = key.header.shape.visibility;
    let act_bits = key.header.shape.act_bits;
    let input = public_part(
        "input",
        &key.header.input,
        vis.input,
        &h.input,
        &h.input_hash,
        act_bits,
    )?;
    let output = public_part(
        "output",
        &key.header.output,
        vis.output,
        &h.output,
        &h.output_hash,
        act_bits,
    )?;
    let commitment = match (vis.hidden_weights(), &h.model_commitment) {
        (true, Some(c)) => Some(poseidon::from_hex(c).ok_or_else(|| {
            Error::Rejected(format!("the model commitment '{c}' is not a field element"))
        })?),
        (true, None) => {
            return Err(Error::Rejected(
                "the model's weights are hidden, but the bundle has no model commitment".into(),
            ))
        }
        (false, Some(_)) => {
            return Err(Error::Rejected(
                "the bundle has a model commitment, but this model's weights are in its key".into(),
            ))
        }
        (false, None) => None,
    };
    let instance: Vec<Fr> = instance_vector(input, output, commitment);
    let mut proof = ProofSource::Bytes(bundle.proof.as_slice());
    run_verifier(key, &instance, &mut proof, batch)?;
    // halo2 stops reading once it has what it needs; bytes after that are not part of any proof.
    if let ProofSource::Bytes(rest @ [_, ..]) = proof {
        return Err(Error::Rejected(format!(
            "{} bytes follow the proof",
            rest.len()
        )));
    }
    // Only a segment of a chain has link columns; finding them rebuilds the circuit's
    // configuration, which no other verification needs.
    let (input_column, output_column) = if vis.is_segment() {
        crate::circuit::ModelConfig::link_columns(&key.header.shape)
    } else {
        (None, None)
    };
    let link = |c: Option<usize>| {
        c.map(|c| link_commitment(key, &bundle.proof, c))
            .transpose()
    };
    let (input_link, output_link) = (link(input_column)?, link(output_column)?);
    // Dequantized by the trusted key's scale (a TFLite tensor's own), not the bundle's claim.
    let output_values = key.header.output.dequantize(&h.output.values);
    let predicted_class =
        (!output_values.is_empty()).then(|| crate::tensor::argmax(&output_values));
    let predicted_label =
        predicted_class.and_then(|c| key.header.labels.as_ref().and_then(|l| l.get(c).cloned()));
    // Canonical forms, so a consumer can compare strings.
    let canonical = |f: Option<Fr>| f.map(|f| poseidon::to_hex(&f));
    let hash_of = |p: PublicPart<'_>| match p {
        PublicPart::Hash(f) => Some(f),
        _ => None,
    };
    Ok(Verified {
        model_id: key.model_id.clone(),
        visibility: vis,
        output: h.output.clone(),
        output_values,
        predicted_class,
        predicted_label,
        input_hash: canonical(hash_of(input)),
        output_hash: canonical(hash_of(output)),
        model_commitment: canonical(commitment),
        input_link,
        output_link,
        setup_digest: key.setup_digest.clone(),
        development_setup: crate::setup::is_development_setup(&key.setup_digest),
    })
}

/// The one pairing check of a batch filled by [`verify_bundle_deferred`]: true when every
/// proof added to it opens correctly (and for an empty batch).
/// halo2's verifier for `key` on `instance` and the proof read from `proof` (after the key's
/// context), its final pairing check added to `batch`.
fn run_verifier<'k>(
    key: &'k VerifierKey,
    instance: &[Fr],
    proof: &mut ProofSource<'_>,
    batch: &mut PairingBatch<'k>,
) -> Result<()> {
    let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<G1Affine>>::init(proof);
    transcript
        .common_scalar(key.context)
        .map_err(|e| Error::Rejected(e.to_string()))?;
    let strategy = batch
        .take()
        .unwrap_or_else(|| AccumulatorStrategy::new(&key.params));
    *batch = Some(
        verify_proof::<
            KZGCommitmentScheme<Bn256>,
            VerifierSHPLONK<'_, Bn256>,
            _,
            _,
            AccumulatorStrategy<'_, Bn256>,
        >(
            &key.params,
            &key.vk,
            strategy,
            &[&[instance]],
            &mut transcript,
        )
        .map_err(rejection)?,
    );
    Ok(())
}

/// What halo2's verifier reads a proof from: a bundle's bytes, or an endless made-up proof for a
/// rehearsal ([`rehearse`]). One type for both, so the verifier's code exists once in the
/// WebAssembly module, not once per source (it is most of the module).
enum ProofSource<'a> {
    Bytes(&'a [u8]),
    /// 32-byte words `01 00 .. 00`, each of which reads both as the scalar 1 and as a
    /// compressed G1 point (x = 1, so y = ±2: the generator), so halo2's verifier reads as many
    /// points and scalars as the key's circuit asks for. The offset of the next byte.
    MadeUp(usize),
}

impl std::io::Read for ProofSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            ProofSource::Bytes(bytes) => bytes.read(buf),
            ProofSource::MadeUp(offset) => {
                for b in buf.iter_mut() {
                    *b = (*offset % 32 == 0) as u8;
                    *offset += 1;
                }
                Ok(buf.len())
            }
        }
    }
}

/// Runs `key`'s whole verification once, on zero public values and a made-up proof, and
/// discards the result (the pairing check fails, as it must for a made-up proof).
///
/// Why: like [`warm_up`], so that the first real proof is checked by optimized code; but where
/// `warm_up` runs only the arithmetic, this runs everything a verification of this key runs
/// (transcript hashing, point decoding, the constraint expressions, the multi-opening, the
/// pairing), and with this key's sizes. A page calls it once it has the key and before the
/// proof arrives. It never says anything about any proof.
pub fn rehearse(key: &VerifierKey) {
    let mut batch = None;
    if run_verifier(
        key,
        &made_up_instance(key),
        &mut ProofSource::MadeUp(0),
        &mut batch,
    )
    .is_ok()
    {
        std::hint::black_box(check_pairings(batch));
    }
}

/// Zero public values in the shape of `key`'s instance column.
fn made_up_instance(key: &VerifierKey) -> Vec<Fr> {
    let h = &key.header;
    let vis = h.shape.visibility;
    let (input, output) = (vec![0i64; h.input.len()], vec![0i64; h.output.len()]);
    instance_vector(
        made_up_part(vis.input, &input, h.shape.act_bits),
        made_up_part(vis.output, &output, h.shape.act_bits),
        vis.hidden_weights().then(|| Fr::from(0u64)),
    )
}

fn made_up_part(vis: TensorVisibility, zeros: &[i64], act_bits: u32) -> PublicPart<'_> {
    match vis {
        TensorVisibility::Public => PublicPart::Values(zeros),
        TensorVisibility::Packed => PublicPart::Packed(zeros, act_bits),
        TensorVisibility::Hashed | TensorVisibility::Salted => PublicPart::Hash(Fr::from(0u64)),
        TensorVisibility::Hidden | TensorVisibility::Linked => PublicPart::Hidden,
    }
}

pub(crate) fn check_pairings(batch: PairingBatch<'_>) -> bool {
    batch.is_none_or(|strategy| {
        <AccumulatorStrategy<'_, Bn256> as VerificationStrategy<
            '_,
            KZGCommitmentScheme<Bn256>,
            VerifierSHPLONK<'_, Bn256>,
        >>::finalize(strategy)
    })
}

/// Whether two keys' KZG points (g, g2, s·g2) are the same: proofs can share one pairing
/// check only then.
pub(crate) fn same_srs(a: &VerifierKey, b: &VerifierKey) -> bool {
    a.params.get_g()[0] == b.params.get_g()[0]
        && a.params.g2() == b.params.g2()
        && a.params.s_g2() == b.params.s_g2()
}

/// The input hash a proof of `key`'s model must carry for this float input (the model's input
/// must be hashed): quantized exactly as the prover quantizes, then hashed, with `input_salt`
/// absorbed first for a salted input (required then, refused otherwise). A consumer computes
/// this from the input it sent and the salt it kept, and compares it with
/// [`Verified::input_hash`].
pub fn input_hash(key: &VerifierKey, input: &[f32], input_salt: Option<Fr>) -> Result<String> {
    let h = &key.header;
    let vis = h.shape.visibility.input;
    if !vis.is_hashed() {
        return Err(Error::InvalidInput(format!(
            "this model's input is {}, not hashed",
            vis.name()
        )));
    }
    let q = h.input.quantize(input, h.shape.act_bits)?;
    let hash = crate::commitment::public_hash(vis, &q, h.shape.act_bits, input_salt)?
        .ok_or_else(|| Error::InvalidInput("this model's input is not hashed".into()))?;
    Ok(poseidon::to_hex(&hash))
}

/// The canonical form of the commitment a consumer pinned for `key`'s model: required (and
/// returned) when the model's weights are hidden, None when they are in the key.
pub fn expected_commitment(key: &VerifierKey, pinned: Option<&str>) -> Result<Option<String>> {
    match (key.header.shape.visibility.hidden_weights(), pinned) {
        (true, Some(c)) => poseidon::from_hex(c)
            .map(|f| Some(poseidon::to_hex(&f)))
            .ok_or_else(|| Error::InvalidInput(format!("'{c}' is not a model commitment"))),
        (true, None) => Err(Error::InvalidInput(
            "the model's weights are hidden: the published model commitment is needed".into(),
        )),
        (false, _) => Ok(None),
    }
}

/// Whether `bundle`'s proven input is `input`, the float input a consumer sent, quantized as the
/// prover quantizes: compared by Poseidon hash for a hashed input (salted with `input_salt`
/// for a salted one), by value for a public one. None when the model's input is hidden: no
/// proof says which input it used. Meaningful only for a bundle that verified against `key`.
pub fn proves_input(
    key: &VerifierKey,
    bundle: &ProofBundle,
    input: &[f32],
    input_salt: Option<Fr>,
) -> Result<Option<bool>> {
    let h = &key.header;
    Ok(match h.shape.visibility.input {
        TensorVisibility::Hidden | TensorVisibility::Linked => None,
        TensorVisibility::Hashed | TensorVisibility::Salted => {
            let proven = bundle
                .header
                .input_hash
                .as_deref()
                .and_then(poseidon::from_hex);
            let expected = input_hash(key, input, input_salt)?;
            Some(proven.map(|f| poseidon::to_hex(&f)) == Some(expected))
        }
        TensorVisibility::Public | TensorVisibility::Packed if input_salt.is_some() => {
            return Err(Error::InvalidInput(
                "an input salt was given, but this model's input is public, not salted".into(),
            ))
        }
        TensorVisibility::Public | TensorVisibility::Packed => {
            Some(bundle.header.input.values == h.input.quantize(input, h.shape.act_bits)?)
        }
    })
}

/// Parses `bundle_bytes` and verifies it against `key`.
pub fn verify(key: &VerifierKey, bundle_bytes: &[u8]) -> Result<Verified> {
    verify_bundle(key, &ProofBundle::from_bytes(bundle_bytes)?)
}

/// Runs the arithmetic a verification spends its time in (point decompression, a multi-scalar
/// multiplication, a pairing) on made-up points, and discards the result.
///
/// Why: WebAssembly engines compile lazily, first with a quick baseline compiler and then,
/// for code that has run enough, with an optimizing one. The first real verification in a
/// fresh page would otherwise pay for that (about 3x its warm time in Chromium). A page calls
/// this while it waits for the proof, so the proof is checked by optimized code. Natively it
/// is only wasted work, a few milliseconds.
pub fn warm_up() {
    use halo2_proofs::arithmetic::best_multiexp;
    use halo2curves::bn256::{G2Affine, G2Prepared, G1};
    use halo2curves::ff::Field;
    use halo2curves::group::{Curve, Group, GroupEncoding};
    use halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};

    const POINTS: usize = 96;
    let generator = G1::generator();
    let mut point = generator;
    let mut encoded = Vec::with_capacity(POINTS);
    for _ in 0..POINTS {
        point = point.double() + generator;
        encoded.push(point.to_affine().to_bytes());
    }
    let bases: Vec<G1Affine> = encoded
        .iter()
        .filter_map(|bytes| Option::from(G1Affine::from_bytes(bytes)))
        .collect();
    // Full-width scalars, as the verifier's random linear combinations are.
    let mut scalar = Fr::from(0x5eed_u64).pow_vartime([0x0123_4567_89ab_cdef, 0xfedc_ba98]);
    let scalars: Vec<Fr> = (0..bases.len())
        .map(|_| {
            scalar = scalar.square() + Fr::ONE;
            scalar
        })
        .collect();
    let sum = best_multiexp(&scalars, &bases).to_affine();
    let g2 = G2Prepared::from(G2Affine::generator());
    let pairing = Bn256::multi_miller_loop(&[(&sum, &g2)]).final_exponentiation();
    std::hint::black_box(pairing);
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::test_fixtures::tiny_chain;

    /// Through a key file: a key carrying an input's affine quantization (as TFLite models'
    /// keys do) has the consumer's input quantized by it, salted hash and all; a key whose
    /// quantization could not be one is refused when read.
    #[test]
    fn a_keys_input_quantization_is_checked_when_read_and_used_for_the_input_hash() {
        use crate::circuit::Visibility;
        use crate::prove::{compile_quantized, CompileOptions};
        use crate::qgraph::AffineQuant;
        let opts = CompileOptions {
            visibility: Visibility {
                input: TensorVisibility::Salted,
                ..Visibility::PUBLIC
            },
            ..Default::default()
        };
        let compiled = compile_quantized(crate::test_fixtures::tiny_graph(), &opts).unwrap();
        let params = crate::test_fixtures::params(compiled.plan.k, 7);
        let vk = halo2_proofs::plonk::keygen_vk(&params, &compiled.circuit(None)).unwrap();
        let mut header = compiled.vk_header("dev");
        let act_bits = header.shape.act_bits;
        // The quantization is not part of the circuit: only the header says it.
        let affine = AffineQuant {
            scale: 0.02,
            zero_point: -3,
            q_min: -128,
            q_max: 124,
        };
        header.input.affine = Some(affine);
        let read = |h: &crate::verifier_key::VkHeader| {
            VerifierKey::from_bytes(&VerifierKey::to_bytes(h, &params, &vk))
        };
        let key = read(&header).unwrap();
        let x: Vec<f32> = (0..8).map(|i| i as f32 * 0.37 - 1.1).collect();
        let salt = Fr::from(0x5a17);
        let q: Vec<i64> = x.iter().map(|&v| affine.quantize_centred(v)).collect();
        assert_ne!(
            q,
            crate::qgraph::quantize_values(&x, &[1, 8], 0, act_bits).unwrap()
        );
        let expected = crate::commitment::salted_tensor_hash(&q, act_bits, Some(salt)).unwrap();
        assert_eq!(
            input_hash(&key, &x, Some(salt)).unwrap(),
            poseidon::to_hex(&expected)
        );
        for bad in [
            AffineQuant {
                q_min: 10,
                q_max: 0,
                ..affine
            },
            AffineQuant {
                scale: f32::NAN,
                ..affine
            },
            AffineQuant {
                scale: 0.0,
                ..affine
            },
            AffineQuant {
                zero_point: 1 << 40,
                ..affine
            },
            // A stored range wider than the activation domain.
            AffineQuant {
                q_max: 200,
                ..affine
            },
        ] {
            let mut h = header.clone();
            h.input.affine = Some(bad);
            // (A NaN scale cannot even be written: JSON has no NaN, so the header is malformed.)
            let err = read(&h).unwrap_err().to_string();
            assert!(
                err.contains("input spec") || err.contains("header"),
                "{bad:?}: {err}"
            );
        }
    }

    /// The rehearsal reads a whole made-up proof for a key (halo2's verifier runs to the end)
    /// and its pairing check fails, for keys with public, packed and linked parts.
    #[test]
    fn a_rehearsal_runs_a_whole_verification_and_never_passes() {
        let chain = tiny_chain();
        for key in &chain.keys {
            let mut batch = None;
            run_verifier(
                key,
                &made_up_instance(key),
                &mut ProofSource::MadeUp(0),
                &mut batch,
            )
            .expect("halo2 reads the whole made-up proof");
            assert!(
                !check_pairings(batch),
                "a made-up proof passed the pairing check"
            );
            rehearse(key);
        }
        // The made-up words decode as the generator and as 1.
        let mut word = [0u8; 32];
        std::io::Read::read_exact(&mut ProofSource::MadeUp(0), &mut word).unwrap();
        use halo2curves::group::GroupEncoding;
        let mut repr = <G1Affine as GroupEncoding>::Repr::default();
        repr.as_mut().copy_from_slice(&word);
        let point = Option::<G1Affine>::from(G1Affine::from_bytes(&repr));
        assert!(point.is_some(), "the word is not a point");
        assert_eq!(
            Option::<Fr>::from(<Fr as halo2curves::ff::PrimeField>::from_repr(word)),
            Some(Fr::from(1u64))
        );
    }

    /// A chain's segment proofs are valid as parts of the chain, but a segment's key on its own
    /// is refused: its link cells would be free witnesses.
    #[test]
    fn a_segment_key_does_not_verify_as_a_whole_model() {
        let chain = tiny_chain();
        crate::segment::verify_chain(&chain.keys, &chain.bundles).unwrap();
        for (i, (key, bundle)) in chain.keys.iter().zip(&chain.bundles).enumerate() {
            let side = if i == 0 { "output" } else { "input" };
            let err = verify_bundle(key, bundle).unwrap_err().to_string();
            assert!(
                err.contains("segment of a chain") && err.contains(side),
                "segment {i}: {err}"
            );
            let err = verify(key, &bundle.to_bytes()).unwrap_err().to_string();
            assert!(err.contains("segment of a chain"), "segment {i}: {err}");
        }
    }
}
