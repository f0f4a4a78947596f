//! The served models: loaded provers (one circuit, or a chain of segments) and their public
//! model cards.

use super::tamper::BundleEdit;
use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use zkinfer_core::bundle::ProofBundle;
use zkinfer_core::chain::{ChainBundle, ChainDir, ChainKey};
use zkinfer_core::circuit::{TensorVisibility, WeightVisibility};
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::prove::{Compiled, ModelDir, ProofTask, Prover, Witness, VERIFIER_KEY_FILE};
use zkinfer_core::srs::SrsSource;

pub struct Model {
    /// The model id a consumer pins: the SHA-256 of the served verifier-key file (a chain id
    /// for a chain).
    pub id: String,
    /// The model commitment published for hidden weights (a chain's binds every segment's).
    pub commitment: Option<Fr>,
    pub proving: Proving,
    pub card: Value,
}

/// How a served model's proofs are made.
pub enum Proving {
    /// One circuit, its proving key generated once at start-up and kept.
    Circuit(Box<Prover>),
    /// A chain of segments. Only one segment's proving key is in memory at a time (at
    /// ImageNet scale each is gigabytes), so every proof generates them again, one by one:
    /// about a fifth of each segment's proving time.
    Chain {
        dir: ChainDir,
        srs: SrsSource,
        /// The whole model (the directory's top `compiled.bin`, not a segment's).
        whole: Box<Compiled>,
        key: ChainKey,
        /// The chain key file, as served.
        key_bytes: Vec<u8>,
    },
}

/// A finished proof, before it is stored: a bundle, or a chain bundle for a chain.
pub enum Proof {
    Circuit(Box<ProofBundle>),
    Chain(ChainBundle),
}

impl Proof {
    /// Falsifies the proof as `--tamper-for-tests` asks: a chain's output is its last segment's,
    /// and its claimed identity is the chain id.
    pub fn apply(&mut self, edit: &BundleEdit) {
        match (self, edit) {
            (Proof::Circuit(b), edit) => edit.apply(&mut b.header),
            (Proof::Chain(c), BundleEdit::ModelId(id)) => c.chain_id = id.clone(),
            (Proof::Chain(c), BundleEdit::Output(_)) => {
                if let Some(last) = c.bundles.last_mut() {
                    edit.apply(&mut last.header);
                }
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Proof::Circuit(b) => b.to_bytes(),
            Proof::Chain(c) => c.to_bytes(),
        }
    }
}

impl Model {
    /// Loads a compiled model directory, one circuit or a chain (`zkinfer compile` chooses),
    /// and checks it fits the parameters before anything is served.
    pub fn load(dir: &Path, srs: &SrsSource) -> Result<Model> {
        let loaded = if zkinfer_core::chain::is_chain_dir(dir) {
            load_chain(dir, srs)
        } else {
            load_circuit(dir, srs)
        };
        let mut model =
            loaded.with_context(|| format!("loading the model directory {}", dir.display()))?;
        model.card = card(&model, &srs.describe());
        Ok(model)
    }

    /// The whole model: quantizes inputs and evaluates every tensor.
    pub fn compiled(&self) -> &Compiled {
        match &self.proving {
            Proving::Circuit(p) => &p.compiled,
            Proving::Chain { whole, .. } => whole,
        }
    }

    /// The verifier-key file served at `/verifier-key` (a chain key file for a chain).
    pub fn verifier_key_bytes(&self) -> &[u8] {
        match &self.proving {
            Proving::Circuit(p) => &p.verifier_key_bytes,
            Proving::Chain { key_bytes, .. } => key_bytes,
        }
    }

    pub fn input_len(&self) -> usize {
        self.compiled().graph.input_tensor().len()
    }

    /// Separately proven segments: 1 for one circuit.
    pub fn segments(&self) -> usize {
        match &self.proving {
            Proving::Circuit(_) => 1,
            Proving::Chain { key, .. } => key.keys.len(),
        }
    }

    /// Every circuit (every segment's) has 2^k rows.
    fn k(&self) -> u32 {
        match &self.proving {
            Proving::Circuit(p) => p.compiled.plan.k,
            Proving::Chain { key, .. } => key.keys.first().map_or(0, |s| s.header.k),
        }
    }

    /// Proves one inference from its witness (every tensor's values, computed when the request
    /// was accepted).
    pub fn prove(&self, witness: Witness) -> zkinfer_core::Result<Proof> {
        match &self.proving {
            Proving::Circuit(p) => p
                .compiled
                .prove_witness(&p.params, &p.pk, &p.verifier_key, witness)
                .map(|bundle| Proof::Circuit(Box::new(bundle))),
            Proving::Chain { dir, srs, .. } => {
                let mut report = |s| log_segment_proven(&self.id, s);
                dir.prove_witness(
                    srs,
                    &self.compiled().graph,
                    &witness.values,
                    witness.input_salt,
                    &mut report,
                )
                .map(Proof::Chain)
            }
        }
    }
}

impl Model {
    /// The proof tasks of one inference, for a job engine: one for a circuit, one per segment
    /// for a chain (link blinding drawn here, once). Any process that loaded this model
    /// proves them ([`Self::prove_task`]); [`Self::assemble`] makes their bundle.
    pub fn tasks(&self, witness: Witness) -> zkinfer_core::Result<Vec<ProofTask>> {
        match &self.proving {
            Proving::Circuit(_) => Ok(vec![ProofTask::whole(witness)]),
            Proving::Chain {
                dir, whole, key, ..
            } => dir.tasks(key, &whole.graph, &witness.values, witness.input_salt),
        }
    }

    /// Proves one task of [`Self::tasks`]: a proof bundle's bytes (a segment's for a chain).
    pub fn prove_task(&self, task: ProofTask) -> zkinfer_core::Result<Vec<u8>> {
        match (&self.proving, task.segment) {
            (Proving::Circuit(p), None) => p
                .compiled
                .prove_witness(&p.params, &p.pk, &p.verifier_key, task.witness)
                .map(|b| b.to_bytes()),
            (Proving::Chain { dir, srs, key, .. }, Some(_)) => {
                let (bundle, s) = dir.prove_task(key, srs, task)?;
                log_segment_proven(&self.id, s);
                Ok(bundle.to_bytes())
            }
            (_, segment) => Err(zkinfer_core::Error::InvalidInput(format!(
                "a proof task for segment {segment:?} of a model of {} segment(s)",
                self.segments()
            ))),
        }
    }

    /// The served proof from every task's bundle, in task order: the bundle itself for a
    /// circuit, the chain bundle of the segments' for a chain. It is verified against the served
    /// key first (milliseconds), so that a receipt never says `done` with a bundle that a
    /// worker got wrong or a database changed.
    pub fn assemble(&self, mut parts: Vec<Vec<u8>>) -> zkinfer_core::Result<Vec<u8>> {
        let bytes = match &self.proving {
            Proving::Circuit(p) if parts.len() == 1 => {
                let bytes = parts.remove(0);
                zkinfer_core::verify(&p.verifier_key, &bytes)?;
                bytes
            }
            Proving::Circuit(_) => {
                return Err(zkinfer_core::Error::InvalidInput(format!(
                    "{} proofs for one circuit",
                    parts.len()
                )))
            }
            Proving::Chain { key, .. } => {
                let bundles = parts
                    .iter()
                    .map(|b| ProofBundle::from_bytes(b))
                    .collect::<zkinfer_core::Result<Vec<_>>>()?;
                let chain = ChainDir::bundle(key, bundles)?;
                zkinfer_core::chain::verify_chain_bundle(key, &chain)?;
                chain.to_bytes()
            }
        };
        Ok(bytes)
    }
}

fn log_segment_proven(model: &str, s: zkinfer_core::chain::SegmentProven) {
    tracing::info!(
        model = %model,
        segment = s.index + 1,
        of = s.of,
        key_seconds = s.key_time.as_secs_f64(),
        proof_seconds = s.proof_time.as_secs_f64(),
        "segment proven"
    );
}

/// A server proves many times with each key: single circuits' keys hold their extended-domain
/// cosets (each proof then skips recomputing them), in the given order, while the memory fits
/// `budget` beside `concurrent` proofs at the largest estimated peak and the cosets already
/// held. A served chain's segments are planned to fill the budget on their own (their keys are
/// made for every proof), so beside a chain nothing is held. Returns the bytes held.
pub fn hold_cosets(models: &mut [Model], concurrent: usize, budget: u64) -> u64 {
    if concurrent == 0
        || models
            .iter()
            .any(|m| matches!(m.proving, Proving::Chain { .. }))
    {
        return 0;
    }
    let largest_peak = models
        .iter()
        .map(|m| m.compiled().plan.estimated_peak_bytes)
        .max()
        .unwrap_or(0);
    let proofs = largest_peak.saturating_mul(concurrent as u64);
    let mut held = 0u64;
    for m in models {
        if let Proving::Circuit(p) = &mut m.proving {
            if p.hold_extended_cosets(budget, proofs.saturating_add(held)) {
                held += p.extended_cosets_bytes();
            }
        }
    }
    held
}

fn load_circuit(dir: &Path, srs: &SrsSource) -> Result<Model> {
    let prover = ModelDir::new(dir).prover(srs)?;
    Ok(Model {
        id: prover.model_id().to_string(),
        commitment: prover.compiled.commitment(),
        proving: Proving::Circuit(Box::new(prover)),
        card: Value::Null,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A chain directory, checked as far as it can be without key generation: every segment's
/// directory holds the chain key's segment, and the parameters are the setup the chain was
/// compiled under, so that a wrong directory fails at start-up, not at the first proof.
fn load_chain(dir: &Path, srs: &SrsSource) -> Result<Model> {
    let chain = ChainDir::new(dir);
    let top = ModelDir::new(dir);
    let key_bytes = read(&top.path(VERIFIER_KEY_FILE))?;
    let key = ChainKey::from_bytes(&key_bytes)?;
    let whole = chain.whole()?;
    for (i, segment_key) in key.keys.iter().enumerate() {
        let segment = chain.segment_dir(i);
        let bytes = read(&segment.path(VERIFIER_KEY_FILE))?;
        ensure!(
            zkinfer_core::verifier_key::model_id(&bytes) == segment_key.model_id,
            "{}: its verifier key is not the chain key's segment {i}: recompile",
            segment.dir.display()
        );
        segment.compiled()?;
    }
    let Some(first) = key.keys.first() else {
        bail!("the chain key holds no segment");
    };
    let params = srs.load(first.header.k)?;
    let setup = zkinfer_core::setup::params_setup_digest(&params);
    ensure!(
        setup == first.setup_digest,
        "the chain was compiled under the setup {}, these parameters are the setup {setup}: \
         serve it with the parameters it was compiled with",
        first.setup_digest
    );
    Ok(Model {
        id: key.chain_id.clone(),
        commitment: chain.commitment()?,
        proving: Proving::Chain {
            dir: chain,
            srs: srs.clone(),
            whole: Box::new(whole),
            key,
            key_bytes,
        },
        card: Value::Null,
    })
}

fn card(m: &Model, srs: &str) -> Value {
    let g = &m.compiled().graph;
    let (i, o) = (g.input_tensor(), g.output_tensor());
    let id = &m.id;
    let vis = m.compiled().visibility();
    let tensor = |v: TensorVisibility, name: &str| {
        match v {
        TensorVisibility::Public => format!("public: the quantized {name} integers are in the proof bundle and bound by the proof"),
        TensorVisibility::Packed => format!("public: the quantized {name} integers are in the proof bundle and bound by the proof, packed into few public field elements"),
        TensorVisibility::Hashed => format!("hashed: the proof carries the Poseidon hash of the quantized {name} integers; the {name} itself stays private"),
        TensorVisibility::Salted => format!("salted: the proof carries the Poseidon hash of a salt and the quantized {name} integers; send your own \"input_salt\" (64 hex digits) with the {name} and keep it, or keep the one the answer returns: only with it can the hash be checked against the {name}"),
        TensorVisibility::Hidden => format!("hidden: the proof says nothing about the {name}"),
        TensorVisibility::Linked => format!(
            "linked: the {name} is committed to in a column that links this proof to the next segment's"
        ),
    }
    };
    json!({
        "id": id,
        "name": g.name,
        "input": { "shape": i.shape, "frac_bits": i.frac_bits },
        "output": { "shape": o.shape, "frac_bits": o.frac_bits },
        "labels": m.compiled().labels,
        // An image model's preprocessing (also in its verifier key, which the page trusts).
        "image": m.compiled().image,
        // A text model's tokenizer: how the page turns a prompt into the token ids it sends.
        "tokenizer": m.compiled().tokenizer,
        "k": m.k(),
        // More than one: a chain, whose proofs are chain bundles (a verifier checks every
        // segment's proof and every link against the chain key).
        "segments": m.segments(),
        "parameters": srs,
        "verifier_key_bytes": m.verifier_key_bytes().len(),
        "visibility": vis,
        "model_commitment": m.commitment.map(|c| zkinfer_core::poseidon::to_hex(&c)),
        "public": {
            "input": tensor(vis.input, "input"),
            "output": tensor(vis.output, "output"),
            "weights": match vis.weights {
                WeightVisibility::Fixed => "fixed in the verifying key: the model id is the SHA-256 of the verifier-key file, so a proof for other weights does not verify against this id",
                WeightVisibility::Hidden => "hidden: every proof carries the Poseidon commitment of the weights it used (model_commitment); pin it next to the model id, since the verifying key alone does not fix the weights",
            },
            "activations": "private witness values",
        },
        "links": {
            "self": format!("/api/models/{id}"),
            "verifier_key": format!("/api/models/{id}/verifier-key"),
            "predict": format!("/api/models/{id}/predict"),
        },
    })
}

/// Models by id, in the order given on the command line.
#[derive(Clone)]
pub struct Registry {
    pub models: Vec<Arc<Model>>,
    by_id: HashMap<String, Arc<Model>>,
}

impl Registry {
    pub fn new(models: Vec<Model>) -> Result<Registry> {
        let mut by_id = HashMap::new();
        let models: Vec<Arc<Model>> = models.into_iter().map(Arc::new).collect();
        for m in &models {
            if by_id.insert(m.id.clone(), m.clone()).is_some() {
                bail!("model {} is given twice", m.id);
            }
        }
        Ok(Registry { models, by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Model>> {
        self.by_id.get(&id.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkinfer_core::build::{compile_file, Calibration};
    use zkinfer_core::prove::CompileOptions;

    /// The bundled MNIST example, compiled into `out` under the development parameters.
    fn mnist(out: &Path, srs: &SrsSource) {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mnist");
        compile_file(
            &example.join("model.onnx"),
            Calibration::File(example.join("calibration.json")),
            out,
            CompileOptions::default(),
            srs,
            &mut |_| {},
        )
        .unwrap();
    }

    fn held(models: &[Model]) -> Vec<bool> {
        models
            .iter()
            .map(|m| match &m.proving {
                Proving::Circuit(p) => p.pk.has_extended_cosets(),
                Proving::Chain { .. } => false,
            })
            .collect()
    }

    #[test]
    fn served_keys_hold_their_cosets_only_while_all_of_them_fit_beside_the_proofs() {
        let tmp = tempfile::tempdir().unwrap();
        let srs = SrsSource::Dev {
            cache_dir: zkinfer_core::srs::default_cache_dir(),
        };
        let dir = tmp.path().join("mnist");
        mnist(&dir, &srs);
        let load = || -> Vec<Model> { (0..3).map(|_| Model::load(&dir, &srs).unwrap()).collect() };
        let (peak, one) = match &load()[0].proving {
            Proving::Circuit(p) => (
                p.compiled.plan.estimated_peak_bytes,
                p.extended_cosets_bytes(),
            ),
            Proving::Chain { .. } => unreachable!("the example is one circuit"),
        };
        // Two proofs at once and room for two keys' cosets: the first two hold, the third not.
        let mut models = load();
        assert_eq!(hold_cosets(&mut models, 2, 2 * peak + 2 * one), 2 * one);
        assert_eq!(held(&models), [true, true, false]);
        // One proof at a time and room for three.
        let mut models = load();
        assert_eq!(hold_cosets(&mut models, 1, peak + 3 * one), 3 * one);
        assert_eq!(held(&models), [true, true, true]);
        // No proofs in this process (workers elsewhere), or no room: nothing held.
        let mut models = load();
        assert_eq!(hold_cosets(&mut models, 0, u64::MAX), 0);
        assert_eq!(hold_cosets(&mut models, 1, peak + one - 1), 0);
        assert_eq!(held(&models), [false, false, false]);
    }
}
