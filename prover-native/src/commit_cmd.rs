//! `zkinfer commit`: print a compiled model's commitment (hidden weights) and model id, what a
//! provider publishes.

use anyhow::Result;
use std::path::Path;
use zkinfer_core::poseidon;

pub(crate) fn commit(dir: &Path, json: bool) -> Result<()> {
    // A chain's commitment combines its segments' (each commits to its own weights).
    let (compiled, model_id, commitment) = zkinfer_core::build::open_dir(dir)?;
    let commitment = commitment.map(|c| poseidon::to_hex(&c));
    if json {
        println!(
            "{}",
            serde_json::json!({
                "model_id": model_id,
                "model_commitment": commitment,
                "visibility": compiled.visibility(),
            })
        );
    } else {
        println!("model id: {model_id}");
        match commitment {
            Some(c) => println!("model commitment: {c}"),
            None => println!("model commitment: none (the weights are fixed in the verifier key; the model id binds them)"),
        }
    }
    Ok(())
}
