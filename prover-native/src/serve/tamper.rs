//! `--tamper-for-tests`: makes the server lie the way a dishonest or lazy prover would, so the
//! browser page (and the loopback tests) can show that a consumer who pins a model id catches
//! every lie. Never for production: every answer about the affected proofs is false.
//!
//! - `output`: the proof is made honestly, then the bundle's public output is changed (the top
//!   class and the runner-up swap values); the immediate prediction already reports the changed
//!   output, so the server's story is consistent and only the SNARK can catch it.
//! - `prediction`: the immediate prediction is changed that way, but the proof is honest: it
//!   verifies, and only comparing it with what the server said at once catches the lie.
//! - `other-model`: the prediction is computed and proven with another served model that takes
//!   the same input; the bundle says so (it names the other model).
//! - `other-model-relabelled`: as `other-model`, but the bundle claims to be for the requested
//!   model; only the binding of the proof to the pinned verifier key can catch it.
//! - `other-model-key`: as `other-model`, and the requested model's verifier-key endpoint serves
//!   the other model's key, so the bundle verifies against the served key; only the consumer's
//!   pin (the key's SHA-256) catches it.
//! - `swap-model`: a fraction (`--tamper-rate`) of requests is answered and proven with the
//!   other model while the signed receipt and the bundle name the requested one. With hidden
//!   weights and the same architecture both models have the same verifier key, so the proof
//!   verifies against the pinned key; only the pinned model commitment catches it, and a sampled
//!   audit finds it.
//! - `tokenizer`: a text model's card gives a tokenizer that pads with another token and keeps
//!   capitals; predictions and proofs are honest. A consumer spelling prompts with the card's
//!   tokenizer would send other ids than the verifier key's tokenizer gives (and refuse
//!   capitals); one that spells with the pinned key's tokenizer is unaffected.

use super::models::{Model, Registry};
use anyhow::{bail, Result};
use clap::ValueEnum;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use zkinfer_core::bundle::BundleHeader;
use zkinfer_core::tensor::argmax;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TamperMode {
    /// Prove honestly, then serve a bundle (and a prediction) with a changed output.
    Output,
    /// Answer with a changed output at once; the proof is honest (and disagrees).
    Prediction,
    /// Prove with another served model of the same input and output shape; the bundle names it.
    OtherModel,
    /// Like other-model, but the bundle claims to be for the requested model.
    OtherModelRelabelled,
    /// Like other-model, and serve the other model's verifier key for the requested model.
    OtherModelKey,
    /// Answer and prove a fraction (--tamper-rate) of requests with the other model, under the
    /// requested model's name and signed receipt.
    SwapModel,
    /// Serve a text model's card with a tokenizer that pads with another token and does not
    /// lowercase; answers and proofs are honest.
    Tokenizer,
}

/// The flag's own spelling (`other-model-key`), as clap derives it from the variant name.
impl std::fmt::Display for TamperMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no variant is skipped");
        f.write_str(value.get_name())
    }
}

impl TamperMode {
    fn uses_other_model(self) -> bool {
        !matches!(
            self,
            TamperMode::Output | TamperMode::Prediction | TamperMode::Tokenizer
        )
    }
}

/// A change applied to a finished, valid bundle before it is stored and served.
#[derive(Clone, Debug)]
pub enum BundleEdit {
    /// Replace the public output integers.
    Output(Vec<i64>),
    /// Claim another model id.
    ModelId(String),
}

impl BundleEdit {
    pub fn apply(&self, header: &mut BundleHeader) {
        match self {
            BundleEdit::Output(values) => header.output.values = values.clone(),
            BundleEdit::ModelId(id) => header.model_id = id.clone(),
        }
    }
}

/// The active tampering: the mode and, for the other-model modes, which model stands in for
/// each served model.
pub struct Tamper {
    pub mode: TamperMode,
    stand_in: HashMap<String, Arc<Model>>,
    /// swap-model: the fraction of requests swapped, and the requests seen so far.
    rate: f64,
    requests: AtomicU64,
    /// `--tamper-dodge`: cut the connection instead of serving a swapped receipt's proof.
    pub dodge: bool,
}

fn compatible(a: &Model, b: &Model) -> bool {
    let (ga, gb) = (&a.compiled().graph, &b.compiled().graph);
    ga.input_tensor().shape == gb.input_tensor().shape
        && ga.output_tensor().shape == gb.output_tensor().shape
}

impl Tamper {
    /// Pairs every served model with the next compatible one (same input and output shape, in
    /// command-line order, wrapping around). Refuses to start when a model has none, since the
    /// flag would otherwise silently serve honest proofs for it.
    pub fn new(
        mode: TamperMode,
        rate: f64,
        dodge: bool,
        registry: &Registry,
        given_stand_in: Option<Model>,
    ) -> Result<Tamper> {
        let mut stand_in = HashMap::new();
        if mode == TamperMode::Tokenizer
            && !registry
                .models
                .iter()
                .any(|m| m.compiled().tokenizer.is_some())
        {
            bail!("--tamper-for-tests tokenizer needs a served text model (compiled with --tokenizer)");
        }
        if mode == TamperMode::SwapModel {
            // The stand-in is not served under its own name: with hidden weights and the same
            // architecture it has the same model id as the model it impersonates.
            let Some(other) = given_stand_in else {
                bail!("--tamper-for-tests swap-model needs --tamper-stand-in DIR");
            };
            let other = Arc::new(other);
            for m in &registry.models {
                if !compatible(m, &other) {
                    bail!(
                        "the stand-in model does not take the input of model {}",
                        m.id
                    );
                }
                stand_in.insert(m.id.clone(), other.clone());
            }
        } else if mode.uses_other_model() {
            let ms = &registry.models;
            for (i, m) in ms.iter().enumerate() {
                let other = (1..ms.len())
                    .map(|d| &ms[(i + d) % ms.len()])
                    .find(|o| compatible(m, o));
                let Some(other) = other else {
                    bail!(
                        "--tamper-for-tests {} needs at least two served models with the same input and output shape, and model {} has no such partner ({} model(s) served)",
                        mode,
                        m.id,
                        ms.len()
                    );
                };
                stand_in.insert(m.id.clone(), other.clone());
            }
        }
        Ok(Tamper {
            mode,
            stand_in,
            rate,
            requests: AtomicU64::new(0),
            dodge,
        })
    }

    /// The model whose prover answers a request for `requested` (called once per request).
    pub fn prover_for(&self, requested: &Arc<Model>) -> Arc<Model> {
        if self.mode == TamperMode::SwapModel {
            // Request k is swapped when floor((k+1)·rate) > floor(k·rate): exactly the rate,
            // spread evenly (rate 0.1: requests 9, 19, 29, ...).
            let k = self.requests.fetch_add(1, Ordering::SeqCst) as f64;
            if ((k + 1.0) * self.rate).floor() <= (k * self.rate).floor() {
                return requested.clone();
            }
        }
        self.stand_in
            .get(&requested.id)
            .cloned()
            .unwrap_or_else(|| requested.clone())
    }

    /// The model standing in for `requested` (itself if none).
    pub fn stand_in_for(&self, requested: &Arc<Model>) -> Arc<Model> {
        self.stand_in
            .get(&requested.id)
            .cloned()
            .unwrap_or_else(|| requested.clone())
    }

    /// The model card served for a model whose honest card is `card`.
    pub fn card(&self, card: &serde_json::Value) -> serde_json::Value {
        let mut card = card.clone();
        if self.mode == TamperMode::Tokenizer {
            if let Some(t) = card.get_mut("tokenizer").filter(|t| t.is_object()) {
                let words = t["vocabulary"].as_array().map_or(1, Vec::len).max(1) as u64;
                let pad = t["pad"].as_u64().unwrap_or(0);
                t["pad"] = ((pad + 1) % words).into();
                t["lowercase"] = false.into();
            }
        }
        card
    }

    /// The model whose verifier key is served for `requested`.
    pub fn key_for(&self, requested: &Arc<Model>) -> Arc<Model> {
        match self.mode {
            TamperMode::OtherModelKey => self.stand_in_for(requested),
            _ => requested.clone(),
        }
    }

    /// The lie told about an honest output `values` of the model `requested`: the output the
    /// server claims (and the edit to make to the bundle so it claims it too).
    pub fn edit(&self, requested: &Model, values: &[i64]) -> (Vec<i64>, Option<BundleEdit>) {
        match self.mode {
            TamperMode::Output => {
                let lie = tampered_output(values);
                (lie.clone(), Some(BundleEdit::Output(lie)))
            }
            TamperMode::Prediction => (tampered_output(values), None),
            TamperMode::OtherModelRelabelled | TamperMode::SwapModel => (
                values.to_vec(),
                Some(BundleEdit::ModelId(requested.id.clone())),
            ),
            TamperMode::OtherModel | TamperMode::OtherModelKey | TamperMode::Tokenizer => {
                (values.to_vec(), None)
            }
        }
    }

    /// Loud, because a server started with this flag must never be mistaken for a real one.
    pub fn announce(&self) {
        let msg = format!(
            "DANGER: --tamper-for-tests {} is on: this server deliberately serves FALSE predictions or proofs, which clients must refuse; for tests only, never for real use",
            self.mode
        );
        eprintln!("\n{}\n{msg}\n{}\n", "!".repeat(78), "!".repeat(78));
        tracing::warn!(mode = %self.mode, "{msg}");
        for (id, other) in &self.stand_in {
            tracing::warn!(model = %id, stand_in = %other.id, "requests for this model are answered with the stand-in model");
        }
    }
}

/// A different output that stays inside the model's value range: the largest and the
/// second-largest value swap places, so the predicted class changes (if they are equal, the
/// former top value is lowered by one so the argmax still moves). Values stay within the range
/// the verifier accepts, so the rejection comes from the SNARK and not from a range check.
pub fn tampered_output(values: &[i64]) -> Vec<i64> {
    let mut out = values.to_vec();
    if out.len() < 2 {
        // A single output: change it by one step toward zero (or away from it at zero).
        if let Some(v) = out.first_mut() {
            *v = if *v > 0 { *v - 1 } else { *v + 1 };
        }
        return out;
    }
    let top = argmax_i(&out);
    let runner = (0..out.len())
        .filter(|&i| i != top)
        .max_by_key(|&i| (out[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    out.swap(top, runner);
    if out == values {
        // Top and runner-up were equal: lower the (first) top one so the argmax moves on.
        out[top] -= 1;
    }
    out
}

/// Index of the first largest value: core's argmax (its tie rule), on integers.
fn argmax_i(v: &[i64]) -> usize {
    argmax(&v.iter().map(|&x| x as f64).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampered_output_moves_the_argmax_and_stays_close() {
        let v = vec![3, -2, 40, 7, 39];
        let t = tampered_output(&v);
        assert_eq!(t, vec![3, -2, 39, 7, 40]);
        assert_ne!(argmax_i(&t), argmax_i(&v));
        // Ties: the first of the equal maxima was the argmax; it must change.
        let v = vec![5, 9, 9, 1];
        let t = tampered_output(&v);
        assert_ne!(t, v);
        assert_ne!(argmax_i(&t), argmax_i(&v));
        let v = vec![0];
        assert_ne!(tampered_output(&v), v);
    }
}
