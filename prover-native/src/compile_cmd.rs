//! `zkinfer compile`: quantize an ONNX or TFLite model (or take a TFLite model's own
//! quantization), lay out its circuit and generate keys into a directory; a model whose single
//! circuit would exceed the memory budget is cut into a chain of segments instead. The policy
//! is core's (`zkinfer_core::build`), shared with the Python package; this prints its progress.

use crate::cli_util::{read_labels, Spinner};
use crate::visibility_args::VisibilityArgs;
use crate::SrsArgs;
use anyhow::{Context, Result};
use std::path::Path;
use zkinfer_core::build::compile_file;
pub(crate) use zkinfer_core::build::Calibration;
use zkinfer_core::prove::CompileOptions;

fn read_tokenizer(path: &Path) -> Result<zkinfer_core::text_input::Tokenizer> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the tokenizer {}", path.display()))?;
    Ok(zkinfer_core::text_input::Tokenizer::from_json(
        &text,
        &path.display().to_string(),
    )?)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn compile(
    model_path: &Path,
    calibration: Calibration,
    out: &Path,
    act_bits: Option<u32>,
    dot_width: Option<usize>,
    weight_bits: Option<u32>,
    headroom: f32,
    labels: Option<&Path>,
    image_preprocess: Option<&str>,
    tokenizer: Option<&Path>,
    memory_budget_gib: f64,
    onnx: zkinfer_core::onnx::OnnxChoices,
    final_softmax: zkinfer_core::tflite::FinalSoftmax,
    visibility: &VisibilityArgs,
    srs: &SrsArgs,
) -> Result<()> {
    let salt = visibility.salt()?;
    let image = image_preprocess
        .map(zkinfer_core::image_input::ImagePreprocess::parse)
        .transpose()?;
    let labels = labels.map(read_labels).transpose()?;
    let tokenizer = tokenizer.map(read_tokenizer).transpose()?;
    let opts = CompileOptions {
        act_bits,
        dot_width,
        weight_bits,
        headroom: Some(headroom),
        labels,
        visibility: visibility.visibility(),
        salt,
        image,
        tokenizer,
        memory_budget: Some(gib_to_bytes(memory_budget_gib)?),
        onnx,
        final_softmax,
    };
    let mut spinner = Spinner::default();
    let built = compile_file(
        model_path,
        calibration,
        out,
        opts,
        &srs.source(),
        &mut |p| spinner.report(p),
    )?;
    let params = built.params_time.as_secs_f64();
    let keygen = built.keygen_time.as_secs_f64();
    if built.segments > 1 {
        println!(
            "compiled {} -> {} as a chain of {} segments (parameters {params:.2} s, keygen \
             {keygen:.2} s)\nchain id: {}\nchain key: {} bytes",
            model_path.display(),
            out.display(),
            built.segments,
            built.model_id,
            built.key_bytes
        );
    } else {
        println!(
            "compiled {} -> {} (parameters {params:.2} s, keygen {keygen:.2} s)\nmodel id: {}\n\
             verifier key: {} bytes",
            model_path.display(),
            out.display(),
            built.model_id,
            built.key_bytes
        );
    }
    print!("{}", built.reveals.unwrap_or_default());
    Ok(())
}

fn gib_to_bytes(gib: f64) -> Result<u64> {
    zkinfer_core::prove::memory_budget_from_gib(gib).ok_or_else(|| {
        anyhow::anyhow!("--memory-budget must be a positive number of GiB, not {gib}")
    })
}
