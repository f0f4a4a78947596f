//! The verifier key file: everything needed to check a proof, and nothing more.
//!
//! - a JSON header: circuit shape, k, the input/output shapes and scales, labels;
//! - the three KZG points verification uses: g[0], g2 and s·g2 (not the full parameters);
//! - the halo2 verifying key, whose fixed-column commitments bind the model's exact weights.
//!
//! The model id is the SHA-256 of the whole file, so pinning a model id pins every byte that
//! verification depends on.

use crate::circuit::{CircuitShape, ModelCircuit};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2curves::ff::FromUniformBytes;
use halo2curves::group::GroupEncoding;
use halo2curves::serde::SerdeObject;
use halo2curves::CurveAffine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

pub const MAGIC: &[u8; 8] = b"ZKINF-VK";
/// 2: the halo2 verifying key's points are stored uncompressed (v1 stored them compressed).
pub const VERSION: u32 = 2;
/// How the halo2 verifying key is encoded in the file: uncompressed points. Reading a compressed
/// point costs a square root, and a key has dozens of points: in WebAssembly this made key
/// parsing 20 ms; with raw points it is a few ms, for ~1.5 KB more per key. halo2's raw reader
/// checks only that each coordinate is in the field, so `from_bytes` checks that every point is
/// on the curve (G1 has cofactor 1, so that is the whole check).
const VK_FORMAT: SerdeFormat = SerdeFormat::RawBytes;
/// Largest k a verifier accepts (the evaluation domain is rebuilt from it).
pub const MAX_K: u32 = 26;
const MAX_HEADER: usize = 1 << 20;
const MAX_VK: usize = 64 << 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub shape: Vec<usize>,
    /// Values are integers standing for value / 2^frac_bits.
    pub frac_bits: i32,
    /// A TFLite tensor's own affine quantization (values are then `q - zero_point`, standing
    /// for `scale · value`): how a consumer's float input is quantized, as the prover does.
    /// Written only when present, so keys of other models are what they were before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affine: Option<crate::qgraph::AffineQuant>,
}

impl TensorSpec {
    /// A consumer's float values as the integers a proof of this tensor is about, quantized as
    /// the prover quantizes (see [`crate::qgraph::quantize_tensor`]).
    pub fn quantize(&self, x: &[f32], act_bits: u32) -> crate::error::Result<Vec<i64>> {
        crate::qgraph::quantize_tensor(x, &self.shape, self.frac_bits, self.affine, act_bits)
    }

    /// The real values the integers of this tensor stand for.
    pub fn dequantize(&self, values: &[i64]) -> Vec<f64> {
        let per_unit = match self.affine {
            Some(a) => a.scale as f64,
            None => 2f64.powi(-self.frac_bits),
        };
        values.iter().map(|&v| v as f64 * per_unit).collect()
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VkHeader {
    pub model_name: String,
    pub shape: CircuitShape,
    pub k: u32,
    pub input: TensorSpec,
    pub output: TensorSpec,
    /// Class names for the output, when known.
    pub labels: Option<Vec<String>>,
    /// Where the KZG parameters came from ("insecure development parameters" or a file).
    pub srs: String,
    /// How an image becomes the input (crop, pixel mapping), for a model compiled to take
    /// images: a consumer preparing its own photo reads it from the key it pinned, not from
    /// what a server says. Absent (and not written, so older keys keep their bytes) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::image_input::ImagePreprocess>,
    /// How a prompt becomes the input, for a next-token model compiled with a tokenizer: with
    /// the labels (its vocabulary) this is the whole tokenizer, so a consumer spells its prompt
    /// as the key it pinned says. Absent (and not written) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<crate::text_input::PromptRules>,
}

impl VkHeader {
    /// The tokenizer this key binds (its labels and prompt rules), for a text model.
    pub fn tokenizer(&self) -> Option<crate::text_input::Tokenizer> {
        let rules = self.text?;
        crate::text_input::Tokenizer::from_key(self.labels.as_ref()?, rules).ok()
    }

    /// Why this header's prompt rules make no tokenizer for its model, if they do not: they need
    /// the labels as a vocabulary of one token per output, and a context that is the input.
    fn text_unfit(&self) -> Option<String> {
        let rules = self.text?;
        let segment = self.shape.visibility.output == crate::circuit::TensorVisibility::Linked;
        let why = match &self.labels {
            // The first segment of a chain reads the prompt; the chain's last segment names
            // the vocabulary, and the chain key checks the two together.
            None if segment && rules.context == self.input.len() => return None,
            None => "it names no labels, which would be its vocabulary".to_string(),
            Some(v) if v.len() != self.output.len() => format!(
                "its {} labels are not one token per output ({} outputs)",
                v.len(),
                self.output.len()
            ),
            Some(_) if rules.context != self.input.len() => format!(
                "its context of {} tokens is not the model's {} input values",
                rules.context,
                self.input.len()
            ),
            Some(v) => crate::text_input::Tokenizer::from_key(v, rules).err()?,
        };
        Some(format!("the key's tokenizer is unusable: {why}"))
    }
}

/// A parsed verifier key.
#[derive(Clone, Debug)]
pub struct VerifierKey {
    pub header: VkHeader,
    pub model_id: String,
    /// Which setup the key depends on, by value ([`crate::setup`]): the digest of its KZG
    /// points, whatever `header.srs` says.
    pub setup_digest: String,
    pub(crate) params: ParamsKZG<Bn256>,
    pub(crate) vk: VerifyingKey<G1Affine>,
    /// Digest of the header and KZG points, absorbed into the proof transcript before anything
    /// else, so a proof is bound to every byte of the key file (halo2 itself binds the
    /// verifying key's commitments).
    pub(crate) context: Fr,
}

/// The transcript context of a key file's header and KZG-point sections.
fn context_digest(header: &[u8], points: &[u8]) -> Fr {
    let mut h = Sha512::new();
    h.update(b"zkinfer verifier-key context v1");
    h.update((header.len() as u64).to_le_bytes());
    h.update(header);
    h.update(points);
    let wide: [u8; 64] = h.finalize().into();
    Fr::from_uniform_bytes(&wide)
}

pub fn model_id(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl VerifierKey {
    pub fn to_bytes(
        header: &VkHeader,
        params: &ParamsKZG<Bn256>,
        vk: &VerifyingKey<G1Affine>,
    ) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, VERSION);
        w.json(header);
        w.section(&kzg_points(params));
        w.section(&vk.to_bytes(VK_FORMAT));
        w.bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_sharing_setup(bytes, None)
    }

    /// [`Self::from_bytes`], taking the decoded setup from `earlier` when this key's KZG points
    /// are byte for byte the ones `earlier` was read from (a chain's segments share one setup):
    /// decoding s·g2 costs a square root in Fq2, the largest part of a key's parse.
    pub(crate) fn from_bytes_sharing_setup(bytes: &[u8], earlier: Option<&Self>) -> Result<Self> {
        const WHAT: &str = "verifier key";
        let mut r = Reader::open(bytes, WHAT, MAGIC, VERSION)?;
        let header_bytes = r.section(MAX_HEADER)?;
        let header: VkHeader = serde_json::from_slice(header_bytes)
            .map_err(|e| Error::malformed(WHAT, format!("header: {e}")))?;
        let bad = |m: String| Error::malformed(WHAT, m);
        if header.k == 0 || header.k > MAX_K {
            return Err(bad(format!("k = {} is outside 1..={MAX_K}", header.k)));
        }
        // Every bound a chip's soundness assumes of the shape (`circuit::limits`), before halo2
        // builds the constraint system from it.
        header.shape.validate(header.k)?;
        for (name, t) in [("input", &header.input), ("output", &header.output)] {
            let n = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if t.shape.is_empty()
                || n.is_none_or(|n| n == 0 || n >= 1usize << header.k)
                || t.frac_bits.abs() > 64
                || t.affine.is_some_and(|a| {
                    // A usable scale, and a stored range (as TFLite's, in i32) that the
                    // activation domain holds once centred.
                    let half = 1i64 << (header.shape.act_bits - 1);
                    let i32_range = i32::MIN as i64..=i32::MAX as i64;
                    let valid = a.scale.is_finite()
                        && a.scale > 0.0
                        && [a.zero_point, a.q_min, a.q_max]
                            .iter()
                            .all(|v| i32_range.contains(v))
                        && a.q_min <= a.q_max
                        && a.q_min - a.zero_point >= -half
                        && a.q_max - a.zero_point < half;
                    !valid
                })
            {
                return Err(bad(format!(
                    "{name} spec {t:?} is invalid for k = {}",
                    header.k
                )));
            }
        }
        if let Some(why) = header
            .image
            .and_then(|image| image.unfit_for(&header.input.shape))
        {
            return Err(bad(why));
        }
        if let Some(why) = header.text_unfit() {
            return Err(bad(why));
        }
        let points = r.section(32 + 64 + 64)?;
        let setup_digest = crate::setup::setup_digest(points);
        let params = match earlier {
            // The digest names the points by value (SHA-256 of these exact bytes).
            Some(e) if e.setup_digest == setup_digest && e.header.k == header.k => e.params.clone(),
            _ => {
                params_from_points(header.k, points).map_err(|e| bad(format!("KZG points: {e}")))?
            }
        };
        let vk_bytes = r.section(MAX_VK)?;
        r.finish()?;
        // The halo2 key repeats k right after its version byte; it must agree with the header
        // before we let halo2 build a domain from it.
        if vk_bytes.len() < 5
            || vk_bytes[0] != 0x02
            || u32::from_le_bytes([vk_bytes[1], vk_bytes[2], vk_bytes[3], vk_bytes[4]]) != header.k
        {
            return Err(bad(
                "halo2 verifying key does not match the header's k".into()
            ));
        }
        let vk = VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut &vk_bytes[..],
            VK_FORMAT,
            header.shape.clone(),
        )
        .map_err(|e| bad(format!("halo2 verifying key: {e}")))?;
        // The constraint system comes from the header's shape, the commitments from the key's
        // bytes: a shape that is not the one the key was made for (an older chip layout, an
        // edited flag) must be refused here, not index past the commitments in verification.
        let cs = vk.cs();
        let fixed = vk.fixed_commitments().len();
        if fixed != cs.num_fixed_columns()
            || cs.fixed_queries().iter().any(|(c, _)| c.index() >= fixed)
        {
            return Err(bad(format!(
                "halo2 verifying key: {fixed} fixed commitments for a circuit shape with {} \
                 fixed columns (a key made for another shape)",
                cs.num_fixed_columns()
            )));
        }
        let commitments = vk
            .fixed_commitments()
            .iter()
            .chain(vk.permutation().commitments());
        if let Some(i) = commitments
            .enumerate()
            .find_map(|(i, p)| (!bool::from(p.is_on_curve())).then_some(i))
        {
            return Err(bad(format!(
                "halo2 verifying key: commitment {i} is not a point on the curve"
            )));
        }
        // One key, one encoding: bytes the reader ignores (padding bits) must not vary.
        if vk.to_bytes(VK_FORMAT) != vk_bytes {
            return Err(bad("halo2 verifying key is not in canonical form".into()));
        }
        let context = context_digest(header_bytes, points);
        Ok(VerifierKey {
            context,
            model_id: model_id(bytes),
            setup_digest,
            header,
            params,
            vk,
        })
    }
}

/// The key file's KZG points section: g[0] (compressed G1), g2 and s·g2 (compressed G2), the
/// verifier's whole view of the setup; [`crate::setup::setup_digest`] names a setup by it.
pub(crate) fn kzg_points(params: &ParamsKZG<Bn256>) -> Vec<u8> {
    use halo2_proofs::poly::commitment::ParamsProver;
    points_of(&params.get_g()[0], &params.g2(), &params.s_g2())
}

/// The KZG points section of g[0], g2 and s·g2 (see [`kzg_points`]).
pub(crate) fn points_of(g: &G1Affine, g2: &G2Affine, s_g2: &G2Affine) -> Vec<u8> {
    let mut points = Vec::with_capacity(32 + 64 + 64);
    points.extend_from_slice(g.to_bytes().as_ref());
    points.extend_from_slice(g2.to_bytes().as_ref());
    points.extend_from_slice(s_g2.to_bytes().as_ref());
    points
}

/// Rebuilds verifier parameters from g[0], g2 and s·g2. KZG verification with instance
/// evaluation (SHPLONK) needs only these three points and n = 2^k.
fn params_from_points(k: u32, points: &[u8]) -> std::io::Result<ParamsKZG<Bn256>> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    if points.len() != 32 + 64 + 64 {
        return Err(bad("expected 160 bytes"));
    }
    let mut g1_repr = <G1Affine as GroupEncoding>::Repr::default();
    g1_repr.as_mut().copy_from_slice(&points[..32]);
    let g0 = Option::<G1Affine>::from(G1Affine::from_bytes(&g1_repr))
        .ok_or_else(|| bad("g[0] is not a curve point"))?;
    let g2_point = |b: &[u8]| {
        // A setup's g2 is normally the group's generator (halo2's and the ceremonies'): then it
        // is recognised by its bytes instead of decoded.
        let generator = G2Affine::generator();
        if b == generator.to_bytes().as_ref() {
            return Ok(generator);
        }
        // halo2curves' G2 decoding unwraps each coordinate half, so a half at or above the field
        // modulus would panic inside it: check both halves (flag bits cleared) first.
        for (i, half) in b.chunks(32).enumerate() {
            let mut repr = [0u8; 32];
            repr.copy_from_slice(half);
            if i == 1 {
                repr[31] &= 0x3f;
            }
            if Option::<Fq>::from(Fq::from_bytes(&repr)).is_none() {
                return Err(bad("a G2 point has a coordinate outside the field"));
            }
        }
        let mut repr = <G2Affine as GroupEncoding>::Repr::default();
        repr.as_mut().copy_from_slice(b);
        Option::<G2Affine>::from(G2Affine::from_bytes(&repr))
            .ok_or_else(|| bad("a G2 point is not on the curve"))
    };
    let (g2, s_g2) = (g2_point(&points[32..96])?, g2_point(&points[96..160])?);
    // ParamsKZG has no public constructor; read a one-point (k = 0) instance, then set k. The
    // points were decoded and checked above, so they go in raw (uncompressed) form and are not
    // decompressed a second time (two G2 square roots are most of a key's parse).
    let mut raw = 0u32.to_le_bytes().to_vec();
    g0.write_raw(&mut raw)?;
    g0.write_raw(&mut raw)?;
    g2.write_raw(&mut raw)?;
    s_g2.write_raw(&mut raw)?;
    let tiny =
        ParamsKZG::<Bn256>::read_custom(&mut raw.as_slice(), SerdeFormat::RawBytesUnchecked)?;
    Ok(tiny.from_parts(k, vec![g0], Some(vec![]), g2, s_g2))
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::test_fixtures::tiny_chain;

    /// A key file with `change` made to a real key's header (re-serialized, so only the shape
    /// check can refuse it).
    fn changed(change: impl Fn(&mut CircuitShape)) -> Result<VerifierKey> {
        let key = &tiny_chain().keys[0];
        let mut header = key.header.clone();
        change(&mut header.shape);
        VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &key.params, &key.vk))
    }

    /// A key whose header names another Poseidon layout than the one its halo2 key was made
    /// with (keys from before the paired rounds, or an edited flag) is refused when read, and
    /// never reaches the verifier, which would index past its commitments.
    #[test]
    fn a_key_read_under_another_poseidon_layout_is_refused() {
        let key = &crate::test_fixtures::tiny_hidden_chain().keys[0];
        assert!(key.header.shape.poseidon_paired_rounds);
        let read = |paired: bool| {
            let mut header = key.header.clone();
            header.shape.poseidon_paired_rounds = paired;
            VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &key.params, &key.vk))
        };
        read(true).unwrap();
        assert!(
            read(false).is_err(),
            "a key under another Poseidon layout was read"
        );
    }

    /// Shapes beyond a chip's limits are refused when the key is read, naming the field.
    #[test]
    fn a_key_shape_beyond_a_chips_limits_is_refused() {
        changed(|_| ()).unwrap();
        // The requantization chip's remainder limbs are unique only in the 16-bit domain.
        let err = changed(|s| {
            s.fixed_point = true;
            s.act_bits = 20;
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("act_bits") && err.contains("16"), "{err}");
        // A 20-bit activation table does not fit the key's 2^k rows.
        let err = changed(|s| s.act_bits = 20).unwrap_err().to_string();
        assert!(err.contains("act_bits") && err.contains("k ="), "{err}");
    }

    /// An image preprocessing in a key reads back as written, for an input that is one RGB
    /// image; for any other input, or with a mapping no image could use, the key is refused.
    #[test]
    fn a_keys_image_preprocessing_reads_back_only_for_an_rgb_input() {
        let key = &tiny_chain().keys[0];
        let with = |shape: Vec<usize>, image: crate::image_input::ImagePreprocess| {
            let mut header = key.header.clone();
            header.input.shape = shape;
            header.image = Some(image);
            VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &key.params, &key.vk))
        };
        let unit = crate::image_input::ImagePreprocess::parse("unit").unwrap();
        let read = with(vec![1, 3, 4, 4], unit).unwrap();
        assert_eq!(read.header.image, Some(unit));
        let err = with(vec![1, 1, 4, 4], unit).unwrap_err().to_string();
        assert!(
            err.contains("image preprocessing") && err.contains("[1, 3, H, W]"),
            "{err}"
        );
        for bad in [
            crate::image_input::ImagePreprocess {
                scale: f32::NAN,
                ..unit
            },
            crate::image_input::ImagePreprocess {
                central_fraction: 0.0,
                ..unit
            },
            crate::image_input::ImagePreprocess {
                central_fraction: 1.5,
                ..unit
            },
        ] {
            assert!(with(vec![1, 3, 4, 4], bad).is_err(), "{bad:?} accepted");
        }
        // A key without one writes no field at all: older keys keep their bytes.
        let plain = VerifierKey::to_bytes(&key.header, &key.params, &key.vk);
        assert!(!String::from_utf8_lossy(&plain).contains("\"image\""));
    }

    /// A key's prompt rules read back, with its labels, as the tokenizer it was compiled with;
    /// rules that make no tokenizer of the model's labels and shapes refuse the key.
    #[test]
    fn a_keys_tokenizer_reads_back_only_when_its_labels_and_shapes_make_one() {
        use crate::text_input::PromptRules;
        // The tiny chain's last segment: its output is the model's (segment 0's is linked).
        let key = &tiny_chain().keys[1];
        let vocabulary = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        let outputs = key.header.output.len();
        let inputs = key.header.input.len();
        let rules = PromptRules {
            context: inputs,
            pad: 1,
            lowercase: true,
        };
        let with = |labels: Option<Vec<String>>, rules: PromptRules| {
            let mut header = key.header.clone();
            header.labels = labels;
            header.text = Some(rules);
            VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &key.params, &key.vk))
        };
        let read = with(Some(vocabulary(outputs)), rules).unwrap();
        let t = read.header.tokenizer().unwrap();
        assert_eq!((t.rules(), t.vocabulary), (rules, vocabulary(outputs)));
        let mut repeated = vocabulary(outputs);
        repeated[1] = repeated[0].clone();
        for (labels, rules, why) in [
            (None, rules, "no labels"),
            (Some(vocabulary(outputs + 1)), rules, "one token per output"),
            (
                Some(vocabulary(outputs)),
                PromptRules {
                    context: inputs + 1,
                    ..rules
                },
                "context",
            ),
            (
                Some(vocabulary(outputs)),
                PromptRules {
                    pad: outputs as u32,
                    ..rules
                },
                "padding id",
            ),
            (Some(repeated), rules, "twice"),
        ] {
            let err = with(labels, rules).unwrap_err().to_string();
            assert!(err.contains("tokenizer") && err.contains(why), "{err}");
        }
        // A key without one writes no field at all: other keys keep their bytes.
        let plain = VerifierKey::to_bytes(&key.header, &key.params, &key.vk);
        assert!(!String::from_utf8_lossy(&plain).contains("\"text\""));
        assert_eq!(key.header.tokenizer(), None);
        // A chain's first segment reads the prompt but names no outputs: its rules stand alone
        // (the chain key checks them with the last segment's labels), for its own input only.
        let first = &tiny_chain().keys[0];
        let with_rules = |context: usize| {
            let mut header = first.header.clone();
            header.text = Some(PromptRules { context, ..rules });
            VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &first.params, &first.vk))
        };
        let inputs = first.header.input.len();
        assert!(with_rules(inputs).is_ok());
        let err = with_rules(inputs + 1).unwrap_err().to_string();
        assert!(err.contains("no labels"), "{err}");
    }

    /// The verifier's parameters rebuilt from a key's points are the prover's: the same g[0],
    /// g2 and s·g2 (what the pairing check uses), and the same points written back.
    #[test]
    fn a_keys_setup_points_read_back_as_the_same_parameters() {
        use halo2_proofs::poly::commitment::{Params, ParamsProver};
        let chain = tiny_chain();
        let key = &chain.keys[0];
        let points = kzg_points(&key.params);
        let params = params_from_points(key.header.k, &points).unwrap();
        assert_eq!(params.k(), key.params.k());
        assert_eq!(params.get_g()[0], key.params.get_g()[0]);
        assert_eq!(params.g2(), key.params.g2());
        assert_eq!(params.s_g2(), key.params.s_g2());
        assert_eq!(kzg_points(&params), points);
        // A G2 coordinate outside the field is refused before the parameters are built.
        let mut bad = points.clone();
        bad[32..64].fill(0xff);
        bad[63] = 0x3f;
        assert!(params_from_points(key.header.k, &bad).is_err());
    }

    /// The setup a key depends on is read from its KZG points, not its label: a development
    /// key relabelled as a ceremony's is still the development setup, in the key and in every
    /// verification result; a key under another secret has another digest.
    #[test]
    fn the_setup_is_identified_by_value_not_by_label() {
        use crate::setup::DEVELOPMENT_SETUP_DIGEST;
        let chain = tiny_chain();
        let key = &chain.keys[0];
        assert_eq!(key.setup_digest, DEVELOPMENT_SETUP_DIGEST);
        let mut header = key.header.clone();
        header.srs = "the Perpetual Powers of Tau ceremony (trusted)".into();
        let relabelled =
            VerifierKey::from_bytes(&VerifierKey::to_bytes(&header, &key.params, &key.vk)).unwrap();
        assert_ne!(relabelled.model_id, key.model_id);
        assert_eq!(relabelled.setup_digest, DEVELOPMENT_SETUP_DIGEST);
        let verified = crate::segment::verify_chain(&chain.keys, &chain.bundles).unwrap();
        assert_eq!(verified.setup_digest, DEVELOPMENT_SETUP_DIGEST);
        assert!(verified.development_setup);
        // The same circuit under another secret.
        let other = crate::test_fixtures::params(key.header.k, crate::srs::DEV_SEED ^ 1);
        let file = chain.segments[0]
            .1
            .verifier_key_bytes(&other, "dev")
            .unwrap();
        let other_key = VerifierKey::from_bytes(&file).unwrap();
        assert_ne!(other_key.setup_digest, DEVELOPMENT_SETUP_DIGEST);
        assert!(!crate::setup::is_development_setup(&other_key.setup_digest));
        // A key read after another takes the earlier key's decoded setup only when its points
        // are the same bytes: a key under another secret keeps its own s·g2.
        let after_other = VerifierKey::from_bytes_sharing_setup(&file, Some(key)).unwrap();
        assert_eq!(after_other.params.s_g2(), other.s_g2());
        assert_ne!(after_other.params.s_g2(), key.params.s_g2());
        let own_bytes = VerifierKey::to_bytes(&key.header, &key.params, &key.vk);
        let after_same =
            VerifierKey::from_bytes_sharing_setup(&own_bytes, Some(&other_key)).unwrap();
        assert_eq!(kzg_points(&after_same.params), kzg_points(&key.params));
        let shared = VerifierKey::from_bytes_sharing_setup(&own_bytes, Some(key)).unwrap();
        assert_eq!(kzg_points(&shared.params), kzg_points(&key.params));
        assert_eq!(shared.setup_digest, key.setup_digest);
    }
}
