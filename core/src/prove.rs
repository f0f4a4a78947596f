//! The prover side: compile a float model into a quantized graph and a circuit layout, generate
//! keys, and prove inferences. Also the on-disk layout of a compiled model directory.

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

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Activation/lookup domain bits; chosen from the model size when None.
    pub act_bits: Option<u32>,
    /// Products per dot-product row; chosen by the planner when None.
    pub dot_width: Option<usize>,
    pub headroom: Option<f32>,
    pub labels: Option<Vec<String>>,
    /// What proofs reveal. [`Visibility::default`] is everything public;
    /// [`Visibility::SERVED`] is what the CLI compiles by default.
    pub visibility: Visibility,
    /// Salt of the model commitment (hidden weights); zero if None.
    pub salt: Option<Fr>,
    /// How image files become this model's input (`--image`); None: JSON inputs only.
    pub image: Option<crate::image_input::ImagePreprocess>,
    /// Refuse a layout whose estimated prover peak memory exceeds this many bytes
    /// ([`DEFAULT_MEMORY_BUDGET`] when None).
    pub memory_budget: Option<u64>,
}

/// The prover's default memory budget: 20 GiB, leaving room on a 24 GiB machine.
pub const DEFAULT_MEMORY_BUDGET: u64 = 20 << 30;

/// How a compiled model is proven: as one circuit, or cut into a chain of segments linked by
/// commitments. Proving one circuit needs its whole layout in memory at once, so a model is
/// chained exactly when that estimated peak exceeds the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofShape {
    /// One circuit: its estimated prover peak fits the budget.
    Single,
    /// Segments that are each cut to fit `budget` bytes.
    Chain { budget: u64 },
}

impl ProofShape {
    /// The shape for a model whose single circuit's estimated prover peak is
    /// `estimated_peak_bytes`, under `memory_budget` bytes ([`DEFAULT_MEMORY_BUDGET`] when None).
    pub fn of(estimated_peak_bytes: u64, memory_budget: Option<u64>) -> ProofShape {
        let budget = memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
        if estimated_peak_bytes > budget {
            ProofShape::Chain { budget }
        } else {
            ProofShape::Single
        }
    }
}

/// A memory budget given in GiB (`zkinfer compile --memory-budget`), in bytes; None unless it is
/// a positive, finite number (a zero or negative budget fits no circuit, and NaN compares with
/// nothing).
pub fn memory_budget_from_gib(gib: f64) -> Option<u64> {
    (gib.is_finite() && gib > 0.0).then_some((gib * (1u64 << 30) as f64) as u64)
}

/// A forced dot width outside what a verifier key may hold, or a visibility no circuit has, is
/// refused before any work: a key made with it could never be read (`CircuitShape::validate`).
fn check_options(opts: &CompileOptions) -> Result<()> {
    use crate::circuit::limits::MAX_DOT_WIDTH;
    opts.visibility.check()?;
    match opts.dot_width {
        Some(w) if !(1..=MAX_DOT_WIDTH).contains(&w) => Err(Error::UnsupportedShape {
            field: "dot_width",
            value: w.to_string(),
            limit: format!("a dot product has 1 to {MAX_DOT_WIDTH} lanes"),
        }),
        _ => Ok(()),
    }
}

/// Refuses, before any key work, a plan that could not be proven or whose key could not be read
/// back: its shape must be within every chip's limits (what `VerifierKey::from_bytes` checks)
/// and its estimated prover peak within the budget.
pub(crate) fn check_budget(plan: &LayoutPlan, opts: &CompileOptions) -> Result<()> {
    plan.shape.validate(plan.k)?;
    let budget = opts.memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
    if plan.estimated_peak_bytes > budget {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(Error::InvalidInput(format!(
            "the layout needs k={} ({} rows); proving it would take about {:.1} GiB, over the \
             memory budget of {:.1} GiB (`zkinfer compile` cuts such a model into a chain of \
             segments)",
            plan.k,
            plan.dot_rows.max(plan.max_rows).max(plan.table_rows),
            gib(plan.estimated_peak_bytes),
            gib(budget)
        )));
    }
    Ok(())
}

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
}

/// Smallest activation width we accept by default, and the largest the planner grows to.
const MIN_AUTO_ACT_BITS: u32 = 12;
const MAX_AUTO_ACT_BITS: u32 = 16;

pub fn compile(model: &Model, calibration: &[Vec<f32>], opts: &CompileOptions) -> Result<Compiled> {
    check_options(opts)?;
    let cal = Calibration::run(model, calibration)?;
    let mut q = QuantOptions::default();
    if let Some(h) = opts.headroom {
        q.headroom = h;
    }
    let act_bits = match opts.act_bits {
        Some(b) => b,
        None => {
            // The table costs 2^B rows per function; take the widest B that does not make the
            // circuit taller than its linear layers already need.
            q.act_bits = MIN_AUTO_ACT_BITS;
            let g = quantize(model, &cal, &q)?;
            let plan = plan_layout(&g, opts.dot_width, opts.visibility);
            let need = plan
                .dot_rows
                .max(plan.max_rows)
                .max(plan.instance_len)
                .max(plan.pack_rows)
                .max(plan.hash_rows);
            let n_fns = 2 + g.clips().len();
            let mut b = MIN_AUTO_ACT_BITS;
            while b < MAX_AUTO_ACT_BITS
                && (n_fns << (b + 1)) <= need.next_power_of_two().saturating_sub(16)
            {
                b += 1;
            }
            b
        }
    };
    q.act_bits = act_bits;
    let graph = quantize(model, &cal, &q)?;
    let plan = plan_layout(&graph, opts.dot_width, opts.visibility);
    check_budget(&plan, opts)?;
    let mut max_abs_error: f64 = 0.0;
    let mut agree = 0;
    for (i, s) in calibration.iter().enumerate() {
        let e = crate::quant::compare(model, &graph, s).map_err(|e| {
            Error::Quantization(format!(
                "calibration sample {i} does not fit the chosen scales: {e}"
            ))
        })?;
        max_abs_error = max_abs_error.max(e.max_abs_error);
        let float: Vec<f64> = e.float_output.iter().map(|&v| v as f64).collect();
        if argmax(&float) == argmax(&e.quantized_output) {
            agree += 1;
        }
    }
    check_labels(&graph, opts)?;
    Ok(Compiled {
        graph,
        plan,
        labels: opts.labels.clone(),
        calibration_samples: calibration.len(),
        max_abs_error,
        argmax_agreement: agree as f64 / calibration.len() as f64,
        salt: opts.salt.unwrap_or(Fr::ZERO).to_repr(),
        image: opts.image,
    })
}

/// The labels, if any, name every output.
fn check_labels(graph: &QGraph, opts: &CompileOptions) -> Result<()> {
    match &opts.labels {
        Some(labels) if labels.len() != graph.output_tensor().len() => {
            Err(Error::InvalidInput(format!(
                "{} labels for {} outputs",
                labels.len(),
                graph.output_tensor().len()
            )))
        }
        _ => Ok(()),
    }
}

/// Plans a graph that is already quantized (a TFLite uint8/int8 model, with TFLite's exact
/// integer semantics) for proving. Refuses, before any key work, what the circuit cannot prove.
pub fn compile_quantized(graph: QGraph, opts: &CompileOptions) -> Result<Compiled> {
    check_options(opts)?;
    check_provable(&graph)?;
    if let Some(b) = opts.act_bits {
        if b != graph.act_bits {
            return Err(Error::InvalidInput(format!(
                "this model is quantized by TFLite; its activation domain is {} bits, not {b}",
                graph.act_bits
            )));
        }
    }
    check_labels(&graph, opts)?;
    let plan = plan_layout(&graph, opts.dot_width, opts.visibility);
    check_budget(&plan, opts)?;
    Ok(Compiled {
        graph,
        plan,
        labels: opts.labels.clone(),
        calibration_samples: 0,
        max_abs_error: 0.0,
        argmax_agreement: 1.0,
        salt: opts.salt.unwrap_or(Fr::ZERO).to_repr(),
        image: opts.image,
    })
}

/// Whether the circuit's chips can prove every step of `graph`: fixed-point requantization
/// needs the 16-bit domain and multipliers within the requantization chip's shifts, and clamps
/// after it.
pub fn check_provable(graph: &QGraph) -> Result<()> {
    use crate::circuit::requant::{RequantConfig, REQUANT_ACT_BITS};
    use crate::qgraph::{Activation, Rounding, StepKind};
    let refuse = |step: &str, why: String| {
        Err(Error::InvalidModel(format!(
            "step '{step}' cannot be proven: {why}"
        )))
    };
    for s in &graph.steps {
        if let StepKind::Linear(lin) = &s.kind {
            if let Activation::Table(t) = lin.rescale.act {
                if t.act_bits != graph.act_bits {
                    return refuse(
                        &s.name,
                        format!(
                            "its {} table is over {} bits, the graph's domain over {}",
                            t.func.name(),
                            t.act_bits,
                            graph.act_bits
                        ),
                    );
                }
            }
        }
        if let StepKind::Product(p) = &s.kind {
            let n_b = s
                .inputs
                .get(1)
                .and_then(|&t| graph.tensors.get(t))
                .map_or(0, |t| t.len());
            let n_out = graph.tensors.get(s.output).map_or(0, |t| t.len());
            if p.shift > graph.act_bits
                || p.second.len() != n_out
                || p.second.iter().any(|&j| j as usize >= n_b)
            {
                return refuse(
                    &s.name,
                    "its product's shift or broadcast does not fit its tensors".into(),
                );
            }
        }
        if let StepKind::Gather { picks } = &s.kind {
            let ins: Vec<Vec<()>> = s
                .inputs
                .iter()
                .map(|&t| vec![(); graph.tensors.get(t).map_or(0, |t| t.len())])
                .collect();
            let ins: Vec<&[()]> = ins.iter().map(|v| v.as_slice()).collect();
            let n_out = graph.tensors.get(s.output).map_or(0, |t| t.len());
            if picks.len() != n_out || crate::ops::gather::pick_all(picks, &ins).is_none() {
                return refuse(&s.name, "its picks do not match its tensors".into());
            }
        }
        let multipliers: Vec<_> = match &s.kind {
            StepKind::Linear(lin) => match &lin.rescale.rounding {
                Rounding::FixedPoint(fp) => {
                    if !matches!(lin.rescale.act, Activation::Clip { .. }) {
                        return refuse(
                            &s.name,
                            "fixed-point requantization without a clamp".into(),
                        );
                    }
                    fp.multipliers.clone()
                }
                Rounding::HalfUp { .. } | Rounding::HalfAwayFromZero { .. } => continue,
            },
            StepKind::QuantizedAdd(add) | StepKind::QuantizedSub(add) => {
                let mut m = add.input_multipliers.to_vec();
                m.push(add.output_multiplier);
                m
            }
            StepKind::QuantizedMul(mul) => vec![mul.multiplier],
            StepKind::Lookup(table) => {
                let (lo, hi) = graph.domain();
                if let Err(e) = table.check(lo, hi) {
                    return refuse(&s.name, e);
                }
                continue;
            }
            StepKind::Max { .. }
            | StepKind::Reshape
            | StepKind::Slice { .. }
            | StepKind::Concat
            | StepKind::Gather { .. }
            | StepKind::Product(_) => continue,
        };
        if graph.act_bits != REQUANT_ACT_BITS {
            return refuse(
                &s.name,
                format!(
                    "fixed-point requantization needs a {REQUANT_ACT_BITS}-bit activation domain, not {}",
                    graph.act_bits
                ),
            );
        }
        if let Some(m) = multipliers.iter().find(|m| !RequantConfig::supports(**m)) {
            return refuse(
                &s.name,
                format!("multiplier {m:?} is outside the chip's shifts"),
            );
        }
    }
    Ok(())
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
#[derive(Clone, Debug)]
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

/// Measures top-1 accuracy on labelled samples `(input, class)`.
pub fn accuracy(
    model: &Model,
    compiled: &Compiled,
    samples: impl IntoIterator<Item = (Vec<f32>, usize)>,
) -> Result<Accuracy> {
    let (mut n, mut float_ok, mut int_ok) = (0usize, 0usize, 0usize);
    for (x, label) in samples {
        let f = model.eval_float(&x)?;
        let float: Vec<f64> = f[model.output].data.iter().map(|&v| v as f64).collect();
        float_ok += (argmax(&float) == label) as usize;
        let (_, values) = compiled.witness(&x)?;
        let quantized = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
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

/// Fills a temporary sibling directory of `dir` with `fill` and puts it in `dir`'s place only
/// once complete, so a failure or an interruption never leaves a half-written directory.
pub(crate) fn write_staged<T>(dir: &Path, fill: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = fill(&staging).and_then(|t| {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::rename(&staging, dir).map_err(|e| Error::io(dir, e))?;
        Ok(t)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Files of a compiled model directory.
pub struct ModelDir {
    pub dir: PathBuf,
}

pub const COMPILED_FILE: &str = "compiled.bin";
/// `compiled.bin` starts with these magic bytes and [`COMPILED_VERSION`] (the framing of
/// verifier keys and proof bundles), then the bincode of [`Compiled`]: a file of another kind,
/// or from a build whose compiled form differs, is named as such instead of failing to decode.
pub const COMPILED_MAGIC: &[u8; 8] = b"ZKINF-CM";
/// Raised whenever [`Compiled`]'s encoding changes (new step kinds appended to the end of
/// [`crate::qgraph::StepKind`] leave older files readable).
pub const COMPILED_VERSION: u32 = 1;
pub const PROVING_KEY_FILE: &str = "proving-key.bin";
pub const VERIFIER_KEY_FILE: &str = "verifier-key";
pub const SUMMARY_FILE: &str = "summary.txt";

/// Everything `prove` needs, loaded from a model directory.
pub struct Prover {
    pub compiled: Compiled,
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
    pub verifier_key: VerifierKey,
    pub verifier_key_bytes: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub params: Duration,
    pub keygen: Duration,
}

impl ModelDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelDir { dir: dir.into() }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Generates keys for `compiled` and writes the directory. Files are written into a
    /// temporary sibling directory that replaces `dir` only once complete, so a failure or an
    /// interruption never leaves a half-written model directory.
    pub fn write(&self, compiled: &Compiled, srs: &SrsSource, summary: &str) -> Result<Timings> {
        write_staged(&self.dir, |staging| {
            ModelDir::new(staging).write_files(compiled, srs, summary, true)
        })
    }

    /// Writes `compiled.bin`.
    pub fn write_compiled(&self, compiled: &Compiled) -> Result<()> {
        crate::fsutil::write_atomic(&self.path(COMPILED_FILE), &compiled.to_bytes()?)
    }

    /// Writes `compiled.bin`, the verifier key and the summary, and the proving key when
    /// `with_proving_key` (a chain's segments leave it out: see
    /// [`crate::chain::ChainDir::write`]).
    pub(crate) fn write_files(
        &self,
        compiled: &Compiled,
        srs: &SrsSource,
        summary: &str,
        with_proving_key: bool,
    ) -> Result<Timings> {
        // The compiled graph first: a full or unwritable disk shows up before key generation.
        self.write_compiled(compiled)?;
        let t0 = Instant::now();
        let params = srs.load(compiled.plan.k)?;
        let t_params = t0.elapsed();
        let t1 = Instant::now();
        let vk_bytes = if with_proving_key {
            let (pk, vk_bytes) = compiled.keygen(&params, &srs.label(&params))?;
            crate::fsutil::write_atomic(
                &self.path(PROVING_KEY_FILE),
                &pk.to_bytes(SerdeFormat::RawBytes),
            )?;
            vk_bytes
        } else {
            compiled.verifier_key_bytes(&params, &srs.label(&params))?
        };
        let t_keygen = t1.elapsed();
        crate::fsutil::write_atomic(&self.path(VERIFIER_KEY_FILE), &vk_bytes)?;
        let id = crate::verifier_key::model_id(&vk_bytes);
        let summary = format!(
            "{summary}model id (SHA-256 of verifier-key): {id}\nparameters: {}\nsetup digest: {}\n",
            srs.describe(),
            crate::setup::describe(&crate::setup::params_setup_digest(&params))
        );
        crate::fsutil::write_atomic(&self.path(SUMMARY_FILE), summary.as_bytes())?;
        Ok(Timings {
            params: t_params,
            keygen: t_keygen,
        })
    }

    pub(crate) fn read(&self, file: &str) -> Result<Vec<u8>> {
        let p = self.path(file);
        std::fs::read(&p).map_err(|e| Error::io(&p, e))
    }

    pub fn compiled(&self) -> Result<Compiled> {
        Compiled::from_bytes(&self.read(COMPILED_FILE)?).map_err(|e| match e {
            Error::Malformed { what, reason } => Error::malformed(
                what,
                format!(
                    "{}: {reason} (recompile the model)",
                    self.path(COMPILED_FILE).display()
                ),
            ),
            e => e,
        })
    }

    /// Loads everything needed to prove. Without a stored proving key (a chain's segment), the
    /// proving key is generated again for the stored verifier key
    /// ([`Compiled::proving_key_for`]; the caller checks its proofs against that key).
    pub fn prover(&self, srs: &SrsSource) -> Result<Prover> {
        let compiled = self.compiled()?;
        let verifier_key_bytes = self.read(VERIFIER_KEY_FILE)?;
        let verifier_key = VerifierKey::from_bytes(&verifier_key_bytes)?;
        let params = srs.load(compiled.plan.k)?;
        let setup = crate::setup::params_setup_digest(&params);
        if setup != verifier_key.setup_digest {
            return Err(Error::InvalidInput(format!(
                "{}: its verifier key was made under the setup {}, these parameters are the \
                 setup {setup}: prove with the parameters the model was compiled with",
                self.dir.display(),
                verifier_key.setup_digest
            )));
        }
        let pk = if self.path(PROVING_KEY_FILE).exists() {
            let pk_bytes = self.read(PROVING_KEY_FILE)?;
            ProvingKey::<G1Affine>::from_bytes::<ModelCircuit>(
                &pk_bytes,
                SerdeFormat::RawBytes,
                compiled.plan.shape.clone(),
            )
            .map_err(|e| Error::malformed("proving key", e.to_string()))?
        } else {
            compiled
                .proving_key_for(&params, &verifier_key, &srs.label(&params))
                .map_err(|e| match e {
                    Error::InvalidInput(m) => {
                        Error::InvalidInput(format!("{}: {m}", self.dir.display()))
                    }
                    e => e,
                })?
        };
        Ok(Prover {
            compiled,
            params,
            pk,
            verifier_key,
            verifier_key_bytes,
        })
    }
}

impl Prover {
    pub fn model_id(&self) -> &str {
        &self.verifier_key.model_id
    }

    /// Proves one inference (`input_salt`: see [`Witness`]).
    pub fn prove(&self, input: &[f32], input_salt: Option<Fr>) -> Result<ProofBundle> {
        self.compiled.prove(
            &self.params,
            &self.pk,
            &self.verifier_key,
            input,
            input_salt,
        )
    }
}

/// A human-readable description of a compiled model.
pub fn summary(model: Option<&Model>, compiled: &Compiled, source: &Path) -> String {
    let g = &compiled.graph;
    let mut s = format!(
        "zkinfer compiled model\nsource: {}\ninput: {:?} at scale 2^{}\noutput: {:?} at scale 2^{}\n",
        source.display(),
        g.input_tensor().shape,
        g.input_tensor().frac_bits,
        g.output_tensor().shape,
        g.output_tensor().frac_bits
    );
    match model {
        Some(model) => s += &format!("float operators: {}\n", model.nodes.len()),
        None => s += "quantized by TFLite: its integer semantics, exactly\n",
    }
    s += "quantized steps:\n";
    for st in &g.steps {
        let t = &g.tensors[st.output];
        let kind = match &st.kind {
            crate::qgraph::StepKind::Linear(l) => format!(
                "linear, {} then {:?}",
                match &l.rescale.rounding {
                    crate::qgraph::Rounding::HalfUp { divisors } =>
                        format!("divisor {}", divisors.first().copied().unwrap_or(1)),
                    crate::qgraph::Rounding::HalfAwayFromZero { divisors, .. } => format!(
                        "divisor {}, raw sum rounded half away from zero",
                        divisors.first().copied().unwrap_or(1)
                    ),
                    crate::qgraph::Rounding::FixedPoint(fp) => format!(
                        "fixed-point multiplier ({} channel(s)), zero point {}{}",
                        fp.multipliers.len(),
                        fp.out_zero_point,
                        if fp.ties_up { ", ties rounded up" } else { "" }
                    ),
                },
                l.rescale.act
            ),
            crate::qgraph::StepKind::Max { .. } => "max pool".into(),
            crate::qgraph::StepKind::Reshape => "reshape".into(),
            crate::qgraph::StepKind::Slice { start } => format!("slice from {start}"),
            crate::qgraph::StepKind::Concat => "concatenation".into(),
            crate::qgraph::StepKind::QuantizedAdd(_) => "quantized add (TFLite)".into(),
            crate::qgraph::StepKind::QuantizedSub(_) => "quantized sub (TFLite)".into(),
            crate::qgraph::StepKind::QuantizedMul(_) => "quantized mul (TFLite)".into(),
            crate::qgraph::StepKind::Lookup(_) => "8-bit lookup table (TFLite)".into(),
            crate::qgraph::StepKind::Product(p) => {
                format!("product of two tensors, divisor {}", p.divisor())
            }
            crate::qgraph::StepKind::Gather { picks } => format!(
                "data movement{}",
                if crate::ops::gather::Gather::has_zeros(picks) {
                    " with zero padding"
                } else {
                    ""
                }
            ),
        };
        s += &format!(
            "  {:<28} {:<40} -> {:?} at 2^{}\n",
            st.name, kind, t.shape, t.frac_bits
        );
    }
    s += &format!("layout: {}\n", compiled.plan);
    s += &format!(
        "calibration: {} samples, max |float - quantized| output error {:.5}, argmax agreement {:.1}%\n",
        compiled.calibration_samples,
        compiled.max_abs_error,
        100.0 * compiled.argmax_agreement
    );
    s += &describe_visibility(compiled);
    s
}

/// What a proof of this model reveals, in words.
pub fn describe_visibility(compiled: &Compiled) -> String {
    let vis = compiled.visibility();
    let tensor = |name: &str, v: TensorVisibility| match v {
        TensorVisibility::Public => format!("the {name} is public (integers at the scale above)"),
        TensorVisibility::Packed => format!(
            "the {name} is public (integers at the scale above, packed into few public field \
             elements)"
        ),
        TensorVisibility::Hashed => {
            format!("the {name} is hashed (only its Poseidon hash is public)")
        }
        TensorVisibility::Salted => format!(
            "the {name} is hashed with a salt the consumer chooses (only that hash is public; \
             without the salt no one can test a guessed {name} against it)"
        ),
        TensorVisibility::Hidden => format!("the {name} is hidden"),
        TensorVisibility::Linked => {
            format!("the {name} is linked to the neighbouring segment by a column commitment")
        }
    };
    let weights = match compiled.commitment() {
        Some(c) => format!(
            "the weights are hidden, bound by the model commitment {}",
            crate::poseidon::to_hex(&c)
        ),
        None => "the weights are fixed in the verifying key (bound by the model id)".into(),
    };
    format!(
        "public: {}; {}; {}; intermediate activations are private witness values.\n",
        tensor("input", vis.input),
        tensor("output", vis.output),
        weights
    )
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;

    /// A forced dot width that no verifier key may hold (1 to 256 lanes) is refused by name
    /// before any planning or key generation, on both compile paths.
    #[test]
    fn a_dot_width_beyond_the_chips_limits_is_refused_before_any_work() {
        let graph = crate::test_fixtures::tiny_graph();
        for width in [0, 257, 300] {
            let opts = CompileOptions {
                dot_width: Some(width),
                ..CompileOptions::default()
            };
            let err = compile_quantized(graph.clone(), &opts)
                .expect_err("refused")
                .to_string();
            assert!(err.contains("dot_width") && err.contains("256"), "{err}");
        }
        let opts = CompileOptions {
            dot_width: Some(256),
            ..CompileOptions::default()
        };
        compile_quantized(graph, &opts).expect("256 lanes are allowed");
    }
}

#[cfg(test)]
mod proof_shape_tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn a_model_within_the_budget_is_proven_as_one_circuit() {
        assert_eq!(ProofShape::of(3 * GIB, Some(4 * GIB)), ProofShape::Single);
        assert_eq!(ProofShape::of(4 * GIB, Some(4 * GIB)), ProofShape::Single);
    }

    #[test]
    fn a_model_over_the_budget_is_proven_as_a_chain() {
        assert_eq!(
            ProofShape::of(4 * GIB + 1, Some(4 * GIB)),
            ProofShape::Chain { budget: 4 * GIB }
        );
    }

    #[test]
    fn without_a_budget_the_default_budget_applies() {
        assert_eq!(
            ProofShape::of(DEFAULT_MEMORY_BUDGET, None),
            ProofShape::Single
        );
        assert_eq!(
            ProofShape::of(DEFAULT_MEMORY_BUDGET + 1, None),
            ProofShape::Chain {
                budget: DEFAULT_MEMORY_BUDGET
            }
        );
    }

    #[test]
    fn a_budget_in_gib_becomes_bytes() {
        assert_eq!(memory_budget_from_gib(20.0), Some(DEFAULT_MEMORY_BUDGET));
        assert_eq!(memory_budget_from_gib(0.5), Some(GIB / 2));
    }

    #[test]
    fn a_budget_that_is_not_a_positive_finite_number_is_refused() {
        for gib in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(memory_budget_from_gib(gib), None, "{gib}");
        }
    }
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
        newer[8] = 2;
        assert!(message(&newer).contains("format version 2"));
        // Cut anywhere in the body: an error, never a panic.
        for cut in [3, 12, bytes.len() / 2, bytes.len() - 1] {
            assert!(message(&bytes[..cut]).starts_with("compiled model"));
        }
    }
}
