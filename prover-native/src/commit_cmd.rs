//! `zkinfer commit`: print a compiled model's commitment (hidden weights) and model id, what a
//! provider publishes.

use crate::cli_util::compiled_and_id;
use anyhow::Result;
use std::path::Path;
use zkinfer_core::chain::ChainDir;
use zkinfer_core::poseidon;

pub(crate) fn commit(dir: &Path, json: bool) -> Result<()> {
    let (compiled, model_id) = compiled_and_id(dir)?;
    // A chain's commitment combines its segments' (each commits to its own weights).
    let commitment = if zkinfer_core::chain::is_chain_dir(dir) {
        ChainDir::new(dir).commitment()?
    } else {
        compiled.commitment()
    }
    .map(|c| poseidon::to_hex(&c));
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
