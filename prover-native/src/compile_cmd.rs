//! `zkinfer compile`: quantize an ONNX or TFLite model (or take a TFLite model's own
//! quantization), lay out its circuit and generate keys into a directory; a model whose single
//! circuit would exceed the memory budget is cut into a chain of segments instead.

use crate::cli_util::{read_labels, step};
use crate::visibility_args::VisibilityArgs;
use crate::SrsArgs;
use anyhow::{Context, Result};
use std::path::Path;
use zkinfer_core::chain::ChainDir;
use zkinfer_core::prove::{summary, CompileOptions, ModelDir, ProofShape, VERIFIER_KEY_FILE};

fn read_tokenizer(path: &Path) -> Result<zkinfer_core::text_input::Tokenizer> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the tokenizer {}", path.display()))?;
    Ok(zkinfer_core::text_input::Tokenizer::from_json(
        &text,
        &path.display().to_string(),
    )?)
}

/// Where a float model's calibration inputs come from.
#[derive(Clone, Copy)]
pub(crate) enum CalibrationSource<'a> {
    /// `--calibration FILE`: real inputs.
    File(&'a Path),
    /// `--calibrate-random`: seeded random inputs, asked for by name.
    Random,
    /// Neither: refused for a float model.
    None,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn compile(
    model_path: &Path,
    calibration: CalibrationSource<'_>,
    out: &Path,
    act_bits: Option<u32>,
    dot_width: Option<usize>,
    weight_bits: Option<u32>,
    headroom: f32,
    labels: Option<&Path>,
    image_preprocess: Option<&str>,
    tokenizer: Option<&Path>,
    memory_budget_gib: f64,
    visibility: &VisibilityArgs,
    srs: &SrsArgs,
) -> Result<()> {
    let salt = visibility.salt()?;
    let image = image_preprocess
        .map(zkinfer_core::image_input::ImagePreprocess::parse)
        .transpose()?;
    let labels = labels.map(read_labels).transpose()?;
    let tokenizer = tokenizer.map(read_tokenizer).transpose()?;
    let mut opts = CompileOptions {
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
    };
    let model = match zkinfer_core::loader::load_model(model_path)? {
        zkinfer_core::tflite::Loaded::Float(m) => m,
        zkinfer_core::tflite::Loaded::Quantized(graph) => {
            // TFLite fixed the quantization: no calibration, the integer semantics are TFLite's.
            if weight_bits.is_some() {
                anyhow::bail!(
                    "{} is already quantized by TFLite: its weights keep their own bits \
                     (--weight-bits applies to float models only)",
                    model_path.display()
                );
            }
            if !matches!(calibration, CalibrationSource::None) {
                anyhow::bail!(
                    "{} is already quantized by TFLite; --calibration and --calibrate-random \
                     apply to float models only",
                    model_path.display()
                );
            }
            if opts.image.is_none() {
                // Images become the stored pixels TFLite's own pipeline feeds this model.
                opts.image =
                    zkinfer_core::image_input::ImagePreprocess::default_for_quantized(&graph);
            }
            let budget = opts.memory_budget.replace(u64::MAX);
            let (compiled, _) = step("planning the layout", || {
                Ok(zkinfer_core::prove::compile_quantized(graph, &opts)?)
            })?;
            opts.memory_budget = budget;
            return write_compiled(&compiled, None, model_path, out, srs, &opts);
        }
    };
    let samples = match calibration {
        CalibrationSource::File(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading calibration {}", p.display()))?;
            zkinfer_core::input::parse_samples(&text, model.input_len())
                .with_context(|| format!("calibration {}", p.display()))?
        }
        CalibrationSource::Random => {
            eprintln!(
                "--calibrate-random: calibrating on 16 seeded random inputs (8 uniform in [0, 1), \
                 8 standard normal); the scales fit them, not your data: measure the result with \
                 `zkinfer evaluate` before serving it"
            );
            zkinfer_core::quant::synthetic_calibration(model.input_len())
        }
        // Silently calibrating on noise gives scales that may clip real inputs: refused before
        // any key work, with both ways forward.
        CalibrationSource::None => anyhow::bail!(
            "{} is a float model: its fixed-point scales come from calibration inputs. Pass \
             --calibration DATA.json with a few dozen real inputs ({{\"input_data\": [[...], ...]}}, \
             one flattened input per list; docs/bring-your-own-model.md writes one from a numpy \
             array), or --calibrate-random to try the model on random inputs",
            model_path.display()
        ),
    };
    // The budget is checked on the whole model's layout below, which may become a chain.
    let budget = opts.memory_budget.replace(u64::MAX);
    let (compiled, _) = step("quantizing and planning the layout", || {
        Ok(zkinfer_core::prove::compile(&model, &samples, &opts)?)
    })?;
    opts.memory_budget = budget;
    println!("layout: {}", compiled.plan);
    println!(
        "quantization: activations {} bits; over {} calibration samples the output differs from the float model by at most {:.5} and the argmax agrees on {:.1}%",
        compiled.graph.act_bits,
        compiled.calibration_samples,
        compiled.max_abs_error,
        100.0 * compiled.argmax_agreement
    );
    write_compiled(&compiled, Some(&model), model_path, out, srs, &opts)
}

fn gib_to_bytes(gib: f64) -> Result<u64> {
    zkinfer_core::prove::memory_budget_from_gib(gib).ok_or_else(|| {
        anyhow::anyhow!("--memory-budget must be a positive number of GiB, not {gib}")
    })
}

/// Writes a compiled model directory (keys included) and reports what it holds. A model whose
/// single circuit would exceed the memory budget is cut into a chain of segments instead.
fn write_compiled(
    compiled: &zkinfer_core::prove::Compiled,
    model: Option<&zkinfer_core::ir::Model>,
    model_path: &Path,
    out: &Path,
    srs: &SrsArgs,
    opts: &CompileOptions,
) -> Result<()> {
    if model.is_none() {
        println!("layout: {}", compiled.plan);
    }
    let text = summary(model, compiled, model_path);
    let shape = ProofShape::of(compiled.plan.estimated_peak_bytes, opts.memory_budget);
    if let ProofShape::Chain { budget } = shape {
        return write_chain(compiled, &text, model_path, out, srs, opts, budget);
    }
    let dir = ModelDir::new(out);
    let (timings, _) = step("generating keys", || {
        Ok(dir.write(compiled, &srs.source(), &text)?)
    })?;
    let vk = std::fs::read(dir.path(VERIFIER_KEY_FILE))?;
    println!(
        "compiled {} -> {} (parameters {:.2} s, keygen {:.2} s)\nmodel id: {}\nverifier key: {} bytes",
        model_path.display(),
        out.display(),
        timings.params.as_secs_f64(),
        timings.keygen.as_secs_f64(),
        zkinfer_core::verifier_key::model_id(&vk),
        vk.len()
    );
    print!("{}", zkinfer_core::prove::describe_visibility(compiled));
    Ok(())
}

/// Cuts the model into segments that each fit `budget`, generates their keys and writes the
/// chain directory.
fn write_chain(
    compiled: &zkinfer_core::prove::Compiled,
    text: &str,
    model_path: &Path,
    out: &Path,
    srs: &SrsArgs,
    opts: &CompileOptions,
    budget: u64,
) -> Result<()> {
    use zkinfer_core::chain::{compile_segments, plan_chain};
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    println!(
        "one circuit would need about {:.1} GiB, over the memory budget of {:.2} GiB: cutting \
         the model into segments linked by commitments",
        gib(compiled.plan.estimated_peak_bytes),
        gib(budget)
    );
    let ((graph, cuts), _) = step("planning the segments", || {
        Ok(plan_chain(
            &compiled.graph,
            opts.dot_width,
            opts.visibility,
            budget,
        )?)
    })?;
    let divided;
    let compiled = match graph {
        std::borrow::Cow::Borrowed(_) => compiled,
        std::borrow::Cow::Owned(graph) => {
            println!(
                "steps too large for any segment were divided by output channels: {} steps \
                 became {}",
                compiled.graph.steps.len(),
                graph.steps.len()
            );
            divided = zkinfer_core::prove::Compiled {
                graph,
                plan: compiled.plan.clone(),
                labels: compiled.labels.clone(),
                calibration_samples: compiled.calibration_samples,
                max_abs_error: compiled.max_abs_error,
                argmax_agreement: compiled.argmax_agreement,
                salt: compiled.salt,
                image: compiled.image,
                tokenizer: compiled.tokenizer.clone(),
            };
            &divided
        }
    };
    let graph = &compiled.graph;
    let segments = compile_segments(graph, &cuts, opts)?;
    for (i, (s, c)) in segments.iter().enumerate() {
        println!("segment {i}: {} steps, {}", s.graph.steps.len(), c.plan);
    }
    let chain = ChainDir::new(out);
    let (timings, _) = step("generating the segments' keys", || {
        Ok(chain.write(compiled, &cuts, &segments, &srs.source(), text)?)
    })?;
    let key = std::fs::read(out.join(VERIFIER_KEY_FILE))?;
    println!(
        "compiled {} -> {} as a chain of {} segments (parameters {:.2} s, keygen {:.2} s)\n\
         chain id: {}\nchain key: {} bytes",
        model_path.display(),
        out.display(),
        segments.len(),
        timings.params.as_secs_f64(),
        timings.keygen.as_secs_f64(),
        zkinfer_core::verifier_key::model_id(&key),
        key.len()
    );
    Ok(())
}
