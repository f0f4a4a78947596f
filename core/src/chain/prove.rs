//! Proving a chain: compiling every segment at the chain's k, proving the segments in order
//! with fresh link blinding, and proving a compiled chain directory ([`ChainDir`]) one
//! segment's keys at a time.

use super::dir::{ChainDir, ChainManifest, CHAIN_FILE};
use super::split::{segment_visibility, split, Segment};
use super::{ChainBundle, ChainKey};
use crate::bundle::ProofBundle;
use crate::circuit::LinkBlinding;
use crate::error::{Error, Result};
use crate::prove::{
    compile_quantized, CompileOptions, Compiled, ModelDir, ProofTask, Witness, VERIFIER_KEY_FILE,
};
use crate::qgraph::QGraph;
use crate::srs::SrsSource;
use crate::verifier_key::VerifierKey;
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use std::time::{Duration, Instant};

/// Plans every segment of `graph` cut after `cuts`, with linked activations at the cuts,
/// all at the k of the largest.
pub fn compile_segments(
    graph: &QGraph,
    cuts: &[usize],
    opts: &CompileOptions,
) -> Result<Vec<(Segment, Compiled)>> {
    let segments = split(graph, cuts)?;
    let n = segments.len();
    let mut compiled = segments
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let segment_opts = CompileOptions {
                visibility: segment_visibility(opts.visibility, i == 0, i + 1 == n),
                // Class labels (a text model's vocabulary) name the last segment's output only.
                labels: opts
                    .labels
                    .clone()
                    .or_else(|| opts.tokenizer.as_ref().map(|t| t.vocabulary.clone()))
                    .filter(|_| i + 1 == n),
                // An image becomes the first segment's input only.
                image: opts.image.filter(|_| i == 0),
                // A prompt too: the first segment's key binds the prompt rules (below).
                tokenizer: None,
                // The segment's own cheapest plan may be over the budget where another
                // dot width is not: the budget is checked on the plan at the chain's k.
                memory_budget: Some(u64::MAX),
                ..opts.clone()
            };
            let mut compiled = compile_quantized(s.graph.clone(), &segment_opts)?;
            if i == 0 {
                compiled.tokenizer = opts.tokenizer.clone();
            }
            Ok((s, compiled))
        })
        .collect::<Result<Vec<_>>>()?;
    // At the chain's k, each segment takes the dot width with the smallest prover peak.
    let k = compiled.iter().map(|(_, c)| c.plan.k).max().unwrap_or(0);
    for (s, c) in &mut compiled {
        let vis = c.plan.shape.visibility;
        c.plan = crate::circuit::plan_layout_at(&s.graph, opts.dot_width, vis, k)
            .expect("the segment's own plan fits its own k, so one fits the chain's");
        crate::prove::check_budget(&c.plan, opts)?;
    }
    Ok(compiled)
}

/// One segment's proving material.
pub struct SegmentKeys<'a> {
    pub params: &'a ParamsKZG<Bn256>,
    pub pk: &'a ProvingKey<G1Affine>,
    pub key: &'a VerifierKey,
}

/// Proves the chain on the whole graph's quantized input `q_in` (its hash salted with
/// `input_salt` if the chain's input is salted), its links blinded with fresh random values.
pub fn prove_segments(
    whole: &QGraph,
    segments: &[(Segment, Compiled)],
    keys: &[SegmentKeys<'_>],
    q_in: &[i64],
    input_salt: Option<Fr>,
) -> Result<Vec<ProofBundle>> {
    let blinding = LinkBlinding::for_chain(segments.len(), &mut rand::rngs::OsRng);
    prove_segments_with(whole, segments, keys, q_in, input_salt, &blinding)
}

/// Proves the chain with the given link blinding, one per segment
/// ([`LinkBlinding::for_chain`]).
pub fn prove_segments_with(
    whole: &QGraph,
    segments: &[(Segment, Compiled)],
    keys: &[SegmentKeys<'_>],
    q_in: &[i64],
    input_salt: Option<Fr>,
    blinding: &[LinkBlinding],
) -> Result<Vec<ProofBundle>> {
    if keys.len() != segments.len() || blinding.len() != segments.len() {
        return Err(Error::InvalidInput(format!(
            "{} keys for {} segments",
            keys.len(),
            segments.len()
        )));
    }
    let values = whole.evaluate(q_in)?;
    segments
        .iter()
        .zip(keys)
        .zip(blinding)
        .enumerate()
        .map(|(i, (((segment, compiled), k), blinding))| {
            let v = segment.values(&values);
            let witness = Witness::of_segment(v, input_salt.filter(|_| i == 0));
            compiled.prove_segment_witness(k.params, k.pk, k.key, witness, blinding.clone())
        })
        .collect()
}

/// One segment of a chain proven by [`ChainDir::prove_witness`].
#[derive(Clone, Copy, Debug)]
pub struct SegmentProven {
    pub index: usize,
    pub of: usize,
    /// Loading the segment and generating its proving key.
    pub key_time: Duration,
    /// Proving it and checking the proof against its verifier key.
    pub proof_time: Duration,
}

impl ChainDir {
    /// The chain's segments, cut from `whole` (from [`Self::whole`]) as the manifest says.
    fn segments(&self, whole: &QGraph, chain_key: &ChainKey) -> Result<Vec<Segment>> {
        let manifest: ChainManifest =
            serde_json::from_slice(&ModelDir::new(&self.dir).read(CHAIN_FILE)?)
                .map_err(|e| Error::malformed("chain manifest", e.to_string()))?;
        let segments = split(whole, &manifest.cuts)?;
        if segments.len() != chain_key.keys.len() {
            return Err(Error::InvalidInput(format!(
                "{} cuts for a chain of {} segments: recompile",
                manifest.cuts.len(),
                chain_key.keys.len()
            )));
        }
        Ok(segments)
    }

    /// The chain key in this directory, which [`Self::tasks`], [`Self::prove_task`] and
    /// [`Self::bundle`] work against (a server reads it once and keeps it).
    pub fn chain_key(&self) -> Result<ChainKey> {
        ChainKey::from_bytes(&ModelDir::new(&self.dir).read(VERIFIER_KEY_FILE)?)
    }

    /// One proof task per segment for the inference whose every tensor is `values` (the whole
    /// model's, evaluated on one input), with link blinding drawn once for the chain: the
    /// tasks can be proven in any order, by any process holding this directory
    /// ([`Self::prove_task`]), and their bundles make one chain bundle in segment order.
    pub fn tasks(
        &self,
        chain_key: &ChainKey,
        whole: &QGraph,
        values: &[Vec<i64>],
        input_salt: Option<Fr>,
    ) -> Result<Vec<ProofTask>> {
        let segments = self.segments(whole, chain_key)?;
        let blinding = LinkBlinding::for_chain(segments.len(), &mut rand::rngs::OsRng);
        Ok(segments
            .iter()
            .zip(blinding)
            .enumerate()
            .map(|(i, (segment, blinding))| ProofTask {
                segment: Some(i),
                witness: Witness::of_segment(segment.values(values), input_salt.filter(|_| i == 0)),
                blinding,
            })
            .collect())
    }

    /// Proves one segment's task (from [`Self::tasks`]), loading that segment's keys only.
    pub fn prove_task(
        &self,
        chain_key: &ChainKey,
        srs: &SrsSource,
        task: ProofTask,
    ) -> Result<(ProofBundle, SegmentProven)> {
        let of = chain_key.keys.len();
        let i = match task.segment {
            Some(i) if i < of => i,
            other => {
                return Err(Error::InvalidInput(format!(
                    "a proof task for segment {other:?} of a chain of {of} segments"
                )))
            }
        };
        let t_key = Instant::now();
        let prover = self.segment_dir(i).prover(srs)?;
        let key_time = t_key.elapsed();
        let t_proof = Instant::now();
        if prover.verifier_key.model_id != chain_key.keys[i].model_id {
            return Err(Error::InvalidInput(format!(
                "segment-{i} does not hold the chain key's segment {i}: recompile"
            )));
        }
        // (A segment directory that does not match its cut fails the witness check.)
        let bundle = prover.compiled.prove_segment_witness(
            &prover.params,
            &prover.pk,
            &prover.verifier_key,
            task.witness,
            task.blinding,
        )?;
        // The proving key was made for the stored verifier key from compiled.bin: a proof
        // that does not verify against that key means the two do not belong together.
        if let Err(e) = crate::verify::verify_any_bundle(&prover.verifier_key, &bundle) {
            return Err(Error::InvalidInput(format!(
                "segment-{i}: its proof does not verify against its stored verifier key \
                 ({e}): compiled.bin was changed after compiling, recompile"
            )));
        }
        let proven = SegmentProven {
            index: i,
            of,
            key_time,
            proof_time: t_proof.elapsed(),
        };
        Ok((bundle, proven))
    }

    /// The chain bundle of segment proofs made by [`Self::prove_task`], in segment order.
    pub fn bundle(chain_key: &ChainKey, bundles: Vec<ProofBundle>) -> Result<ChainBundle> {
        if bundles.len() != chain_key.keys.len() {
            return Err(Error::InvalidInput(format!(
                "{} segment proofs for a chain of {} segments",
                bundles.len(),
                chain_key.keys.len()
            )));
        }
        Ok(ChainBundle {
            chain_id: chain_key.chain_id.clone(),
            bundles,
        })
    }

    /// Proves the chain on `values`, every tensor of the whole model (`whole`, from
    /// [`Self::whole`]) evaluated on one input, loading one segment's keys at a time so that
    /// only one proving key is in memory. `input_salt` salts the first segment's input hash
    /// (see [`Witness`]). `progress` hears about each segment once proven.
    pub fn prove_witness(
        &self,
        srs: &SrsSource,
        whole: &QGraph,
        values: &[Vec<i64>],
        input_salt: Option<Fr>,
        progress: &mut dyn FnMut(SegmentProven),
    ) -> Result<ChainBundle> {
        let chain_key = self.chain_key()?;
        let tasks = self.tasks(&chain_key, whole, values, input_salt)?;
        let mut bundles = Vec::with_capacity(tasks.len());
        for task in tasks {
            let (bundle, proven) = self.prove_task(&chain_key, srs, task)?;
            progress(proven);
            bundles.push(bundle);
        }
        Self::bundle(&chain_key, bundles)
    }
}
