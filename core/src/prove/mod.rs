//! The prover side: compile a float model into a quantized graph and a circuit layout, generate
//! keys, and prove inferences. Also the on-disk layout of a compiled model directory.
//!
//! - `compile`: options, the compile paths and what makes a graph provable;
//! - `files`: the compiled model directory (staged writes, keys, proving);
//! - `summary`: the human-readable description of a compiled model;
//! - `task`: one circuit's proof to make, as bytes a job engine stores ([`ProofTask`]).

mod compile;
mod files;
mod quality;
mod summary;
mod task;

pub use compile::*;
pub use files::*;
pub use quality::*;
pub use summary::*;
pub use task::ProofTask;

use crate::bundle::{BundleHeader, ProofBundle, PublicTensor, PROOF_SYSTEM};
use crate::circuit::{
    plan_layout, LayoutPlan, LinkBlinding, ModelCircuit, TensorVisibility, Visibility,
};
use crate::error::{Error, Result};
use crate::ir::Model;
use crate::qgraph::QGraph;
use crate::quant::{quantize, Calibration, QuantOptions};
use crate::srs::SrsSource;
use crate::tensor::argmax;
use crate::verifier_key::{TensorSpec, VerifierKey, VkHeader};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_pk2, keygen_vk, ProvingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255, Transcript, TranscriptWriterBuffer};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::{Field, PrimeField};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A model ready to prove: its integer graph, layout and how well it tracks the float model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Compiled {
    pub graph: QGraph,
    pub plan: LayoutPlan,
    pub labels: Option<Vec<String>>,
    pub calibration_samples: usize,
    /// Largest |float output - quantized output| over the calibration samples.
    pub max_abs_error: f64,
    /// Fraction of calibration samples whose argmax agrees with the float model.
    pub argmax_agreement: f64,
    /// The model commitment's salt (canonical little-endian bytes). Private: it lives only in
    /// the compiled model directory.
    pub salt: [u8; 32],
    /// How image files become this model's input, when the model takes images.
    pub image: Option<crate::image_input::ImagePreprocess>,
    /// How a prompt becomes this model's input, when the model reads token ids.
    pub tokenizer: Option<crate::text_input::Tokenizer>,
}

impl Compiled {
    /// `compiled.bin`'s bytes: magic, version, then the bincode of the model.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = crate::codec::Writer::new(COMPILED_MAGIC, COMPILED_VERSION).bytes;
        bincode::serialize_into(&mut bytes, self).map_err(|e| Error::Synthesis(e.to_string()))?;
        Ok(bytes)
    }

    /// Reads [`Compiled::to_bytes`]'s format; anything else is a typed error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Compiled> {
        const WHAT: &str = "compiled model";
        let body =
            crate::codec::Reader::open(bytes, WHAT, COMPILED_MAGIC, COMPILED_VERSION)?.rest();
        bincode::deserialize(body).map_err(|e| Error::malformed(WHAT, e.to_string()))
    }

    pub fn circuit(&self, values: Option<Vec<Vec<i64>>>) -> ModelCircuit {
        ModelCircuit {
            shape: self.plan.shape.clone(),
            graph: Arc::new(self.graph.clone()),
            values: values.map(Arc::new),
            salt: self.salt(),
            input_salt: None,
            link_blinding: Default::default(),
        }
    }

    pub fn visibility(&self) -> Visibility {
        self.plan.shape.visibility
    }

    pub fn salt(&self) -> Fr {
        Option::from(Fr::from_repr(self.salt)).unwrap_or(Fr::ZERO)
    }

    /// The model commitment a provider publishes (None if the weights are in the key).
    pub fn commitment(&self) -> Option<Fr> {
        self.visibility()
            .hidden_weights()
            .then(|| crate::commitment::model_commitment(&self.graph, self.salt()))
    }

    pub fn vk_header(&self, srs: &str) -> VkHeader {
        let spec = |t: &crate::qgraph::QTensor| TensorSpec {
            shape: t.shape.clone(),
            frac_bits: t.frac_bits,
            affine: t.affine,
        };
        VkHeader {
            model_name: self.graph.name.clone(),
            shape: self.plan.shape.clone(),
            k: self.plan.k,
            input: spec(self.graph.input_tensor()),
            output: spec(self.graph.output_tensor()),
            labels: self.labels.clone(),
            srs: srs.to_string(),
            image: self.image,
            text: self.tokenizer.as_ref().map(|t| t.rules()),
        }
    }

    /// Generates the proving key and the verifier key file bytes. One synthesis serves both
    /// (halo2's `keygen_pk2`; its verifying key is `keygen_vk`'s: selectors uncompressed).
    pub fn keygen(
        &self,
        params: &ParamsKZG<Bn256>,
        srs: &str,
    ) -> Result<(ProvingKey<G1Affine>, Vec<u8>)> {
        let pk = keygen_pk2(params, &self.circuit(None), false)
            .map_err(|e| Error::Synthesis(format!("proving key: {e:?}")))?;
        let vk_bytes = VerifierKey::to_bytes(&self.vk_header(srs), params, pk.get_vk());
        Ok((pk, vk_bytes))
    }

    /// Generates only the verifier key file bytes (a chain stores no proving keys).
    pub fn verifier_key_bytes(&self, params: &ParamsKZG<Bn256>, srs: &str) -> Result<Vec<u8>> {
        let vk = keygen_vk(params, &self.circuit(None))
            .map_err(|e| Error::Synthesis(format!("verifying key: {e:?}")))?;
        Ok(VerifierKey::to_bytes(&self.vk_header(srs), params, &vk))
    }

    /// The proving key for a stored verifier key, without recomputing the verifying key's
    /// commitments (the multi-scalar multiplications that are most of key generation). Refuses a
    /// key whose header (model, shape, k, tensors, parameters) is not this model's. A key that
    /// passes that check but was made from other weights yields proofs that do not verify against
    /// it, so a caller proving this way checks its proofs
    /// ([`crate::chain::ChainDir::prove_witness`] does).
    pub fn proving_key_for(
        &self,
        params: &ParamsKZG<Bn256>,
        key: &VerifierKey,
        srs: &str,
    ) -> Result<ProvingKey<G1Affine>> {
        if key.header != self.vk_header(srs) {
            return Err(Error::InvalidInput(
                "the compiled model and these parameters are not the stored verifier key's \
                 (other parameters, or a changed directory): recompile"
                    .into(),
            ));
        }
        keygen_pk(params, key.vk.clone(), &self.circuit(None))
            .map_err(|e| Error::Synthesis(format!("proving key: {e:?}")))
    }

    /// Runs the integer model on a float input: (quantized input, every tensor's values).
    pub fn witness(&self, input: &[f32]) -> Result<(Vec<i64>, Vec<Vec<i64>>)> {
        let q = self.graph.quantize_input(input)?;
        let values = self.graph.evaluate(&q)?;
        Ok((q, values))
    }

    /// Proves one inference, returning the bundle. `input_salt` is the salt of a salted input's
    /// hash, which the consumer chose (required then, refused otherwise).
    pub fn prove(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        key: &VerifierKey,
        input: &[f32],
        input_salt: Option<Fr>,
    ) -> Result<ProofBundle> {
        let (input, values) = self.witness(input)?;
        let witness = Witness {
            input,
            values,
            input_salt,
        };
        self.prove_witness(params, pk, key, witness)
    }

    /// Proves a whole model (no linked input or output) on `witness`.
    pub fn prove_witness(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        key: &VerifierKey,
        witness: Witness,
    ) -> Result<ProofBundle> {
        if self.visibility().is_segment() {
            return Err(Error::Proving(
                "a segment of a chain is proven with its links' blinding \
                 (prove_segment_witness)"
                    .into(),
            ));
        }
        self.prove_circuit(params, pk, key, witness, LinkBlinding::default())
    }

    /// Proves a segment of a chain, its link columns blinded with `blinding`, which the
    /// neighbouring segments' proofs share ([`LinkBlinding::for_chain`]).
    pub fn prove_segment_witness(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        key: &VerifierKey,
        witness: Witness,
        blinding: LinkBlinding,
    ) -> Result<ProofBundle> {
        let vis = self.visibility();
        let linked = |v: TensorVisibility| v == TensorVisibility::Linked;
        if linked(vis.input) != blinding.input.is_some()
            || linked(vis.output) != blinding.output.is_some()
        {
            return Err(Error::Proving(
                "the link blinding does not match the segment's linked sides".into(),
            ));
        }
        self.prove_circuit(params, pk, key, witness, blinding)
    }

    fn prove_circuit(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        key: &VerifierKey,
        witness: Witness,
        link_blinding: LinkBlinding,
    ) -> Result<ProofBundle> {
        let Witness {
            input: q_in,
            values,
            input_salt,
        } = witness;
        let vis = self.visibility();
        let act_bits = self.graph.act_bits;
        // Before any work: the salt must be there exactly when the input hash is salted.
        let input_hash = crate::commitment::public_hash(vis.input, &q_in, act_bits, input_salt)?;
        // A witness that is not the integer semantics of this input would only yield a proof
        // that fails to verify: catch it here with a clear error instead.
        if values.len() != self.graph.tensors.len() || self.graph.evaluate(&q_in)? != values {
            return Err(Error::Proving(
                "the witness is not the integer model's evaluation of this input".into(),
            ));
        }
        let output = values[self.graph.output].clone();
        let circuit = ModelCircuit {
            link_blinding,
            input_salt,
            ..self.circuit(Some(values))
        };
        let instance = circuit.instance(&q_in, &output)?;
        let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
        transcript
            .common_scalar(key.context)
            .map_err(|e| Error::Proving(e.to_string()))?;
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
            params,
            pk,
            &[circuit],
            &[&[&instance]],
            rand::rngs::OsRng,
            &mut transcript,
        )
        .map_err(|e| Error::Proving(format!("{e:?}")))?;
        let t = |x: &crate::qgraph::QTensor, v: TensorVisibility, values: &[i64]| PublicTensor {
            shape: x.shape.clone(),
            frac_bits: x.frac_bits,
            values: if v.carries_values() {
                values.to_vec()
            } else {
                vec![]
            },
        };
        let hex = |h: Option<Fr>| h.map(|h| crate::poseidon::to_hex(&h));
        let output_hash = crate::commitment::public_hash(vis.output, &output, act_bits, None)?;
        Ok(ProofBundle {
            header: BundleHeader {
                proof_system: PROOF_SYSTEM.into(),
                model_id: key.model_id.clone(),
                input: t(self.graph.input_tensor(), vis.input, &q_in),
                output: t(self.graph.output_tensor(), vis.output, &output),
                input_hash: hex(input_hash),
                output_hash: hex(output_hash),
                model_commitment: hex(self.commitment()),
            },
            proof: transcript.finalize(),
        })
    }
}

/// One inference to prove: the quantized input, every tensor's integers (the integer model's
/// evaluation of that input), and the salt of a salted input's hash, which the consumer chose
/// (None for any other input). The salt is a private witness: no bundle carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub input: Vec<i64>,
    pub values: Vec<Vec<i64>>,
    pub input_salt: Option<Fr>,
}

impl Witness {
    /// A segment's witness from its share of the whole model's values
    /// ([`crate::chain::Segment::values`]), whose first tensor is the segment's input.
    pub fn of_segment(values: Vec<Vec<i64>>, input_salt: Option<Fr>) -> Witness {
        Witness {
            input: values.first().cloned().unwrap_or_default(),
            values,
            input_salt,
        }
    }
}

/// Top-1 accuracy (fractions) of a float model and of its quantized, proven integer semantics.
#[derive(Clone, Copy, Debug)]
pub struct Accuracy {
    pub samples: usize,
    pub float: f64,
    pub quantized: f64,
}

/// The float model's output on `x` and its compiled integer model's (the proven semantics),
/// dequantized.
pub(crate) fn float_and_proven_outputs(
    model: &Model,
    compiled: &Compiled,
    x: &[f32],
) -> Result<(Vec<f64>, Vec<f64>)> {
    Ok((float_output(model, x)?, proven_output(compiled, x)?))
}

/// The float model's output on `x`.
pub(crate) fn float_output(model: &Model, x: &[f32]) -> Result<Vec<f64>> {
    let f = model.eval_float(x)?;
    Ok(f[model.output].data.iter().map(|&v| v as f64).collect())
}

/// The compiled integer model's output on `x` (the proven semantics), dequantized.
pub(crate) fn proven_output(compiled: &Compiled, x: &[f32]) -> Result<Vec<f64>> {
    let (_, values) = compiled.witness(x)?;
    Ok(compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]))
}

/// Measures top-1 accuracy on labelled samples `(input, class)`.
pub fn accuracy(
    model: &Model,
    compiled: &Compiled,
    samples: impl IntoIterator<Item = (Vec<f32>, usize)>,
) -> Result<Accuracy> {
    let (mut n, mut float_ok, mut int_ok) = (0usize, 0usize, 0usize);
    for (x, label) in samples {
        let (float, quantized) = float_and_proven_outputs(model, compiled, &x)?;
        float_ok += (argmax(&float) == label) as usize;
        int_ok += (argmax(&quantized) == label) as usize;
        n += 1;
    }
    let frac = |ok: usize| if n == 0 { 0.0 } else { ok as f64 / n as f64 };
    Ok(Accuracy {
        samples: n,
        float: frac(float_ok),
        quantized: frac(int_ok),
    })
}

#[cfg(test)]
mod compiled_file_tests {
    use super::*;
    use crate::ir::{Dense, ModelBuilder, Op};
    use crate::tensor::Tensor;

    fn compiled() -> Compiled {
        let mut b = ModelBuilder::new("file", "x", vec![1, 2]).unwrap();
        let dense = Dense {
            weight: Tensor::new(vec![1, 2], vec![0.5, -0.25]),
            bias: vec![0.0],
        };
        let y = b.add("d", Op::Dense(dense), vec![0], "y", None).unwrap();
        let model = b.finish(y).unwrap();
        let samples = vec![vec![0.5, -1.0], vec![1.0, 0.25]];
        compile(&model, &samples, &CompileOptions::default()).unwrap()
    }

    #[test]
    fn a_tokenizer_names_the_outputs_only_of_a_model_with_one_output_per_token() {
        let mut b = ModelBuilder::new("next", "ids", vec![1, 2]).unwrap();
        let dense = Dense {
            weight: Tensor::new(vec![3, 2], vec![0.5, -0.25, 0.1, 0.2, -0.3, 0.4]),
            bias: vec![0.0; 3],
        };
        let y = b.add("d", Op::Dense(dense), vec![0], "y", None).unwrap();
        let model = b.finish(y).unwrap();
        let samples = vec![vec![0.0, 1.0], vec![2.0, 1.0]];
        let tokenizer = |vocabulary: &str, context: usize| {
            let json = serde_json::json!({"vocabulary": vocabulary.chars().map(String::from)
                .collect::<Vec<_>>(), "context": context, "pad": "a"});
            crate::text_input::Tokenizer::from_json(&json.to_string(), "t").unwrap()
        };
        let with = |t, labels: Option<Vec<String>>| CompileOptions {
            tokenizer: Some(t),
            labels,
            ..CompileOptions::default()
        };
        let c = compile(&model, &samples, &with(tokenizer("abc", 2), None)).unwrap();
        assert_eq!(c.labels, Some(vec!["a".into(), "b".into(), "c".into()]));
        for (opts, why) in [
            (
                with(tokenizer("abcd", 2), None),
                "4 tokens but the model has 3 outputs",
            ),
            (with(tokenizer("abc", 3), None), "context is 3 tokens"),
            (
                with(
                    tokenizer("abc", 2),
                    Some(vec!["x".into(), "y".into(), "z".into()]),
                ),
                "labels are its vocabulary",
            ),
        ] {
            let e = compile(&model, &samples, &opts).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn compiled_files_round_trip_and_anything_else_is_named_not_decoded() {
        let c = compiled();
        let bytes = c.to_bytes().unwrap();
        assert_eq!(&bytes[..8], COMPILED_MAGIC);
        let back = Compiled::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes().unwrap(), bytes);
        let message = |bytes: &[u8]| match Compiled::from_bytes(bytes) {
            Err(Error::Malformed { what, reason }) => format!("{what}: {reason}"),
            Err(e) => panic!("expected a malformed compiled model, got {e:?}"),
            Ok(_) => panic!("accepted"),
        };
        // A compiled.bin of before the header (the bare bincode), a verifier key, a newer version.
        let bare = bincode::serialize(&c).unwrap();
        assert!(message(&bare).contains("wrong magic"), "{}", message(&bare));
        assert!(message(b"ZKINF-VK\x01\0\0\0").contains("wrong magic"));
        let mut newer = bytes.clone();
        let next = COMPILED_VERSION + 1;
        newer[8..12].copy_from_slice(&next.to_le_bytes());
        assert!(message(&newer).contains(&format!("format version {next}")));
        // Cut anywhere in the body: an error, never a panic.
        for cut in [3, 12, bytes.len() / 2, bytes.len() - 1] {
            assert!(message(&bytes[..cut]).starts_with("compiled model"));
        }
    }

    #[test]
    fn weights_as_wide_as_the_activations_are_committed_one_limb_each() {
        let mut b = ModelBuilder::new("wide", "x", vec![1, 4]).unwrap();
        let dense = Dense {
            weight: Tensor::new(vec![3, 4], (0..12).map(|i| 0.3 - 0.05 * i as f32).collect()),
            bias: vec![0.1, -0.2, 0.05],
        };
        let y = b.add("d", Op::Dense(dense), vec![0], "y", None).unwrap();
        let model = b.finish(y).unwrap();
        let samples = vec![vec![0.5, -1.0, 0.25, 1.0], vec![1.0, 0.25, -0.5, 0.0]];
        let weight_limbs = |weight_bits: Option<u32>| {
            let opts = CompileOptions {
                act_bits: Some(12),
                weight_bits,
                visibility: Visibility::SERVED,
                ..CompileOptions::default()
            };
            let c = compile(&model, &samples, &opts).unwrap();
            let t = crate::commitment::param_tensors(&c.graph);
            let w = t.iter().find(|t| !t.is_bias).unwrap();
            (w.limbs, w.values.iter().map(|v| v.abs()).max().unwrap())
        };
        // The default 16 bits need two 12-bit limbs; 12 bits fit one.
        let (limbs, max) = weight_limbs(None);
        assert_eq!(limbs, 2, "largest weight {max}");
        let (limbs, max) = weight_limbs(Some(12));
        assert_eq!(limbs, 1, "largest weight {max}");
        assert!(max < 1 << 11);
        for bad in [3, 17] {
            let opts = CompileOptions {
                weight_bits: Some(bad),
                ..CompileOptions::default()
            };
            let e = compile(&model, &samples, &opts).unwrap_err().to_string();
            assert!(e.contains("weight bits must be 4 to 16"), "{e}");
        }
    }
}
