//! The served models: loaded provers and their public model cards.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use zkinfer_core::circuit::{TensorVisibility, WeightVisibility};
use zkinfer_core::prove::{ModelDir, Prover};
use zkinfer_core::srs::SrsSource;

pub struct Model {
    pub id: String,
    pub prover: Prover,
    pub card: Value,
}

impl Model {
    pub fn load(dir: &Path, srs: &SrsSource) -> Result<Model> {
        let prover = ModelDir::new(dir)
            .prover(srs)
            .with_context(|| format!("loading the model directory {}", dir.display()))?;
        let id = prover.model_id().to_string();
        let card = card(&prover, &srs.describe());
        Ok(Model { id, prover, card })
    }

    pub fn input_len(&self) -> usize {
        self.prover.compiled.graph.input_tensor().len()
    }
}

fn card(p: &Prover, srs: &str) -> Value {
    let g = &p.compiled.graph;
    let (i, o) = (g.input_tensor(), g.output_tensor());
    let id = p.model_id();
    let vis = p.compiled.visibility();
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
        "labels": p.compiled.labels,
        // An image model's preprocessing (also in its verifier key, which the page trusts).
        "image": p.compiled.image,
        // A text model's tokenizer: how the page turns a prompt into the token ids it sends.
        "tokenizer": p.compiled.tokenizer,
        "k": p.compiled.plan.k,
        "parameters": srs,
        "verifier_key_bytes": p.verifier_key_bytes.len(),
        "visibility": vis,
        "model_commitment": p.compiled.commitment().map(|c| zkinfer_core::poseidon::to_hex(&c)),
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
