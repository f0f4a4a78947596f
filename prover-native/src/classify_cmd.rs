//! `zkinfer classify`: a TFLite model's top classes for an image, by TFLite's exact integer
//! semantics (a uint8/int8 model) or the float model, without a proof.

use crate::cli_util::read_labels;
use anyhow::Result;
use std::path::Path;

/// `zkinfer classify`: a TFLite model's top classes for an image, by the integer (or float)
/// evaluator, without a proof.
pub(crate) fn classify(
    model: &Path,
    image: &Path,
    labels: Option<&Path>,
    top: usize,
) -> Result<()> {
    use zkinfer_core::image_input::{image_hw, ImagePreprocess};
    let labels = labels.map(read_labels).transpose()?;
    let loaded = zkinfer_core::tflite::load_tflite(model)?;
    let shape = match &loaded {
        zkinfer_core::tflite::Loaded::Quantized(g) => g.input_tensor().shape.clone(),
        zkinfer_core::tflite::Loaded::Float(m) => m.input_shape().to_vec(),
    };
    let Some((h, w)) = image_hw(&shape) else {
        anyhow::bail!(
            "{} takes {shape:?}, not an image [1, 3, H, W]",
            model.display()
        )
    };
    let x = ImagePreprocess::for_classify(&loaded)?.load(image, h, w)?;
    let scores: Vec<f64> = match &loaded {
        zkinfer_core::tflite::Loaded::Quantized(g) => {
            let q = g.quantize_input(&x)?;
            let values = g.evaluate(&q)?;
            g.dequantize_output(&values[g.output])
        }
        zkinfer_core::tflite::Loaded::Float(m) => {
            let out = m.eval_float(&x)?;
            out[m.output].data.iter().map(|&v| v as f64).collect()
        }
    };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    for &c in order.iter().take(top) {
        let label = labels
            .as_ref()
            .and_then(|l| l.get(c))
            .map_or("", String::as_str);
        println!("{c:>5} {:>9.4} {label}", scores[c]);
    }
    Ok(())
}
