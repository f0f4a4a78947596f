//! `zkinfer evaluate`: the held-out accuracy of a compiled model's proven semantics (the exact
//! integer model) on the user's own labelled data, and, given the float model it was compiled
//! from, how often the two agree. Nothing is proven: it answers "is this compiled model good
//! enough to serve?" before any proof is paid for.

use crate::cli_util::{compiled_and_id, step};
use anyhow::{bail, Context, Result};
use std::path::Path;
use zkinfer_core::protocols::accuracy::Dataset;

pub(crate) fn evaluate(
    dir: &Path,
    dataset: &Path,
    model: Option<&Path>,
    prove_softmax: bool,
    json: bool,
) -> Result<()> {
    let bytes = std::fs::read(dataset).with_context(|| format!("reading {}", dataset.display()))?;
    let (data, _) =
        Dataset::parse(&bytes).with_context(|| format!("labelled data {}", dataset.display()))?;
    let (compiled, model_id) = compiled_and_id(dir)?;
    let float_model = match model {
        None => None,
        Some(path) => match zkinfer_core::loader::load_model_with(
            path,
            &Default::default(),
            zkinfer_core::tflite::FinalSoftmax::proven_if(prove_softmax),
        )? {
            zkinfer_core::tflite::Loaded::Float(m) => Some(m),
            zkinfer_core::tflite::Loaded::Quantized(_) => bail!(
                "{} is already quantized by TFLite: the compiled model runs its own integer \
                 semantics, so there is no float model to compare with (leave out --model)",
                path.display()
            ),
        },
    };
    let items: Vec<(Vec<f32>, usize)> = data.inputs.into_iter().zip(data.labels).collect();
    let (e, _) = step(&format!("evaluating on {} items", items.len()), || {
        Ok(zkinfer_core::prove::evaluate(
            &compiled,
            float_model.as_ref(),
            &items,
        )?)
    })?;
    if json {
        let mut v = serde_json::to_value(e)?;
        v["model_id"] = serde_json::json!(model_id);
        println!("{v}");
        return Ok(());
    }
    println!("model {model_id}, {} labelled items", e.samples);
    println!(
        "proven integer model: top-1 accuracy {:.2}% ({} of {})",
        100.0 * e.quantized_accuracy,
        e.quantized_correct,
        e.samples
    );
    match e.float {
        Some(f) => println!(
            "float model: top-1 accuracy {:.2}% ({} of {}); the proven model's class is the float \
             model's on {:.2}% of the items; largest output difference {:.5}",
            100.0 * f.float_accuracy,
            f.float_correct,
            e.samples,
            100.0 * f.agreement,
            f.max_abs_difference
        ),
        None => {
            println!("(pass --model with the float model it was compiled from to compare with it)")
        }
    }
    Ok(())
}
