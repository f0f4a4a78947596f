//! `zkinfer predict`: run the exact integer model (the semantics a proof shows) on an input,
//! without keys or a proof.

use crate::cli_util::{compiled_and_id, fmt_values};
use crate::input_args::InputArgs;
use anyhow::Result;
use std::path::Path;
use zkinfer_core::tensor::argmax;

/// The integer model's answer without keys or a proof: what `prove` would prove, and what
/// `zkinfer serve` answers at once. Tests use it as the reference for served predictions.
pub(crate) fn predict(dir: &Path, input: &InputArgs, json: bool) -> Result<()> {
    let (compiled, model_id) = compiled_and_id(dir)?;
    let x = input.read(&compiled)?;
    let (q_in, values) = compiled.witness(&x)?;
    let raw = &values[compiled.graph.output];
    let output = compiled.graph.dequantize_output(raw);
    let class = argmax(&output);
    let label = compiled.labels.as_ref().and_then(|l| l.get(class).cloned());
    if json {
        let v = serde_json::json!({
            "model_id": model_id,
            "input_raw": q_in,
            "output_raw": raw,
            "output": output,
            "predicted_class": class,
            "predicted_label": label,
        });
        println!("{v}");
    } else {
        println!(
            "model {model_id}
prediction (integer model): class {class}{} outputs {}",
            label.map(|l| format!(" ({l})")).unwrap_or_default(),
            fmt_values(&output)
        );
    }
    Ok(())
}
