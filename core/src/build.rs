//! From a model file to a compiled model directory, as `zkinfer compile` and the Python package
//! do it: load the file; take a TFLite model's own quantization or calibrate a float model;
//! plan the layout; then write one circuit's keys, or, when one circuit's estimated prover peak
//! is over the memory budget, cut the model into a chain of segments and write theirs. The
//! policy lives here, once, so both front ends refuse the same things with the same words.
//!
//! Progress is reported through a callback ([`Progress`]): a front end shows a spinner, a
//! progress bar or nothing; lines worth printing come as [`Progress::Note`].

use crate::chain::{compile_segments, plan_chain, ChainDir};
use crate::error::{Error, Result};
use crate::prove::{summary, CompileOptions, Compiled, ModelDir, ProofShape, VERIFIER_KEY_FILE};
use crate::srs::SrsSource;
use std::path::Path;
use std::time::{Duration, Instant};

/// Where a float model's calibration inputs come from.
#[derive(Clone, Debug)]
pub enum Calibration {
    /// Real inputs, each flattened.
    Samples(Vec<Vec<f32>>),
    /// Real inputs in a JSON file (`{"input_data": [[...], ...]}`).
    File(std::path::PathBuf),
    /// Seeded random inputs, asked for by name (`--calibrate-random`).
    Random,
    /// None given: refused for a float model, required for a quantized one.
    Missing,
}

/// What a compile reports as it goes.
#[derive(Clone, Debug)]
pub enum Progress<'a> {
    /// A slow step starts.
    Started(&'a str),
    /// That step ended after this long.
    Finished(&'a str, Duration),
    /// A line for the user (the layout, the quantization's error, the segments).
    Note(String),
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Built {
    /// The model id: SHA-256 of the verifier key (of the chain key for a chain).
    pub model_id: String,
    /// How many separately proven segments (1: one circuit).
    pub segments: usize,
    /// Size of the verifier key (the chain key) in bytes.
    pub key_bytes: usize,
    /// Time to load or generate the setup's parameters, and to generate the keys.
    pub params_time: Duration,
    pub keygen_time: Duration,
    /// What a proof reveals, in words (one circuit; a chain's segments say it in the key).
    pub reveals: Option<String>,
}

/// Compiles the model file at `model_path` into the directory `out` (written whole or not at
/// all). A TFLite model quantized by TFLite takes no calibration and no `weight_bits`; a float
/// model needs calibration inputs of its input's length.
pub fn compile_file(
    model_path: &Path,
    calibration: Calibration,
    out: &Path,
    mut opts: CompileOptions,
    srs: &SrsSource,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Built> {
    let model = match crate::loader::load_model_with(model_path, &opts.onnx, opts.final_softmax)? {
        crate::tflite::Loaded::Float(m) => m,
        crate::tflite::Loaded::Quantized(graph) => {
            // TFLite fixed the quantization: no calibration, the integer semantics are TFLite's.
            if opts.weight_bits.is_some() {
                return Err(Error::InvalidInput(format!(
                    "{} is already quantized by TFLite: its weights keep their own bits \
                     (--weight-bits applies to float models only)",
                    model_path.display()
                )));
            }
            if !matches!(calibration, Calibration::Missing) {
                return Err(Error::InvalidInput(format!(
                    "{} is already quantized by TFLite; --calibration and --calibrate-random \
                     apply to float models only",
                    model_path.display()
                )));
            }
            if opts.image.is_none() {
                // Images become the stored pixels TFLite's own pipeline feeds this model.
                opts.image = crate::image_input::ImagePreprocess::default_for_quantized(&graph);
            }
            let budget = opts.memory_budget.replace(u64::MAX);
            let compiled = timed(progress, "planning the layout", || {
                crate::prove::compile_quantized(graph, &opts)
            })?;
            opts.memory_budget = budget;
            progress(Progress::Note(format!("layout: {}", compiled.plan)));
            return write(&compiled, None, model_path, out, srs, &opts, progress);
        }
    };
    let samples = match calibration {
        Calibration::File(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            crate::input::parse_samples(&text, model.input_len())
                .map_err(|e| Error::InvalidInput(format!("calibration {}: {e}", path.display())))?
        }
        Calibration::Samples(samples) => {
            if let Some((i, s)) = samples
                .iter()
                .enumerate()
                .find(|(_, s)| s.len() != model.input_len())
            {
                return Err(Error::InvalidInput(format!(
                    "calibration sample {i} has {} values; the model's input has {}",
                    s.len(),
                    model.input_len()
                )));
            }
            samples
        }
        Calibration::Random => {
            let inputs = match crate::quant::token_vocabulary(&model) {
                Some(v) => format!("token-id sequences (ids uniform below the vocabulary's {v})"),
                None => "inputs (8 uniform in [0, 1), 8 standard normal)".into(),
            };
            progress(Progress::Note(format!(
                "calibrating on 16 seeded random {inputs}: the scales fit them, not your data; \
                 measure the result on held-out data before serving it"
            )));
            crate::quant::synthetic_calibration_for(&model)
        }
        // Silently calibrating on noise gives scales that may clip real inputs: refused before
        // any key work, with both ways forward.
        Calibration::Missing => {
            return Err(Error::InvalidInput(format!(
                "{} is a float model: its fixed-point scales come from calibration inputs. Pass \
                 --calibration DATA.json with a few dozen real inputs ({{\"input_data\": [[...], \
                 ...]}}, one flattened input per list; docs/bring-your-own-model.md writes one \
                 from a numpy array), or --calibrate-random to try the model on random inputs",
                model_path.display()
            )))
        }
    };
    // The budget is checked on the whole model's layout below, which may become a chain.
    let budget = opts.memory_budget.replace(u64::MAX);
    let compiled = timed(progress, "quantizing and planning the layout", || {
        crate::prove::compile(&model, &samples, &opts)
    })?;
    opts.memory_budget = budget;
    progress(Progress::Note(format!("layout: {}", compiled.plan)));
    progress(Progress::Note(format!(
        "quantization: activations {} bits; over {} calibration samples the output differs \
         from the float model by at most {:.5} and the argmax agrees on {:.1}%",
        compiled.graph.act_bits,
        compiled.calibration_samples,
        compiled.max_abs_error,
        100.0 * compiled.argmax_agreement
    )));
    write(
        &compiled,
        Some(&model),
        model_path,
        out,
        srs,
        &opts,
        progress,
    )
}

/// Runs `f` between a started and a finished report.
fn timed<T>(
    progress: &mut dyn FnMut(Progress<'_>),
    label: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    progress(Progress::Started(label));
    let t = Instant::now();
    let r = f()?;
    progress(Progress::Finished(label, t.elapsed()));
    Ok(r)
}

/// Writes a compiled model directory (keys included). A model whose single circuit would
/// exceed the memory budget is cut into a chain of segments instead.
fn write(
    compiled: &Compiled,
    model: Option<&crate::ir::Model>,
    model_path: &Path,
    out: &Path,
    srs: &SrsSource,
    opts: &CompileOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Built> {
    let text = summary(model, compiled, model_path);
    let shape = ProofShape::of(compiled.plan.estimated_peak_bytes, opts.memory_budget);
    if let ProofShape::Chain { budget } = shape {
        return write_chain(compiled, &text, out, srs, opts, budget, progress);
    }
    let dir = ModelDir::new(out);
    let timings = timed(progress, "generating keys", || {
        dir.write(compiled, srs, &text)
    })?;
    let key = read(&dir.path(VERIFIER_KEY_FILE))?;
    Ok(Built {
        model_id: crate::verifier_key::model_id(&key),
        segments: 1,
        key_bytes: key.len(),
        params_time: timings.params,
        keygen_time: timings.keygen,
        reveals: Some(crate::prove::describe_visibility(compiled)),
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Cuts the model into segments that each fit `budget`, generates their keys and writes the
/// chain directory.
fn write_chain(
    compiled: &Compiled,
    text: &str,
    out: &Path,
    srs: &SrsSource,
    opts: &CompileOptions,
    budget: u64,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Built> {
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    progress(Progress::Note(format!(
        "one circuit would need about {:.1} GiB, over the memory budget of {:.2} GiB: cutting \
         the model into segments linked by commitments",
        gib(compiled.plan.estimated_peak_bytes),
        gib(budget)
    )));
    let (graph, cuts) = timed(progress, "planning the segments", || {
        plan_chain(&compiled.graph, opts.dot_width, opts.visibility, budget)
    })?;
    let divided;
    let compiled = match graph {
        std::borrow::Cow::Borrowed(_) => compiled,
        std::borrow::Cow::Owned(graph) => {
            progress(Progress::Note(format!(
                "steps too large for any segment were divided by output channels: {} steps \
                 became {}",
                compiled.graph.steps.len(),
                graph.steps.len()
            )));
            divided = Compiled {
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
    let segments = compile_segments(&compiled.graph, &cuts, opts)?;
    for (i, (s, c)) in segments.iter().enumerate() {
        progress(Progress::Note(format!(
            "segment {i}: {} steps, {}",
            s.graph.steps.len(),
            c.plan
        )));
    }
    let chain = ChainDir::new(out);
    let timings = timed(progress, "generating the segments' keys", || {
        chain.write(compiled, &cuts, &segments, srs, text)
    })?;
    let key = read(&out.join(VERIFIER_KEY_FILE))?;
    Ok(Built {
        model_id: crate::verifier_key::model_id(&key),
        segments: segments.len(),
        key_bytes: key.len(),
        params_time: timings.params,
        keygen_time: timings.keygen,
        reveals: None,
    })
}

/// A model input as a consumer gives it.
#[derive(Clone, Debug)]
pub enum ModelInput {
    /// The input values, flattened (NCHW for images).
    Values(Vec<f32>),
    /// A JPEG or PNG image, prepared as the model was compiled to expect (`--image-preprocess`).
    Image(std::path::PathBuf),
    /// A prompt to a text model (compiled with a tokenizer): its last tokens, left-padded.
    Prompt(String),
}

/// The model input values of `input` for `compiled`, checked against its input's length.
pub fn input_values(compiled: &Compiled, input: &ModelInput) -> Result<Vec<f32>> {
    let t = compiled.graph.input_tensor();
    match input {
        ModelInput::Values(v) => {
            if v.len() != t.len() {
                return Err(Error::InvalidInput(format!(
                    "the input has {} values; the model's input {:?} has {}",
                    v.len(),
                    t.shape,
                    t.len()
                )));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "input value {i} is {}, not a finite number",
                    v[i]
                )));
            }
            Ok(v.clone())
        }
        ModelInput::Prompt(prompt) => {
            let tokenizer = compiled.tokenizer.as_ref().ok_or_else(|| {
                Error::InvalidInput(
                    "this model was compiled without --tokenizer, so it takes no text prompts"
                        .into(),
                )
            })?;
            tokenizer.window(prompt)
        }
        ModelInput::Image(path) => {
            let Some((h, w)) = crate::image_input::image_hw(&t.shape) else {
                return Err(Error::InvalidInput(format!(
                    "an image needs a model whose input is [1, 3, H, W], not {:?}",
                    t.shape
                )));
            };
            let pre = compiled.image.ok_or_else(|| {
                Error::InvalidInput(
                    "this model was compiled without --image-preprocess, so it takes no images"
                        .into(),
                )
            })?;
            pre.load(path, h, w)
        }
    }
}

/// A compiled model directory (one circuit or a chain): its compiled model, model id and, for
/// hidden weights, the commitment its provider publishes.
pub fn open_dir(dir: &Path) -> Result<(Compiled, String, Option<halo2curves::bn256::Fr>)> {
    let model_dir = ModelDir::new(dir);
    let compiled = model_dir.compiled()?;
    let model_id = crate::verifier_key::model_id(&model_dir.read(VERIFIER_KEY_FILE)?);
    let commitment = if crate::chain::is_chain_dir(dir) {
        ChainDir::new(dir).commitment()?
    } else {
        compiled.commitment()
    };
    Ok((compiled, model_id, commitment))
}

/// What a proof run wrote.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The integer model's output, dequantized (what the proof shows, for a public output).
    pub output: Vec<f64>,
    /// Bytes of the bundle written (a chain bundle for a chain).
    pub bundle_bytes: usize,
    /// Separately proven segments (1: one circuit).
    pub segments: usize,
    /// Time spent loading keys and proving.
    pub prove_time: Duration,
}

/// Proves the model of directory `dir` (one circuit or a chain) on the input values `x`,
/// salting a salted input hash with `input_salt`, and writes the bundle to `out` atomically.
/// The output path is checked before any proving.
pub fn prove_dir(
    dir: &Path,
    x: &[f32],
    input_salt: Option<halo2curves::bn256::Fr>,
    srs: &SrsSource,
    out: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Proved> {
    let t0 = Instant::now();
    if crate::chain::is_chain_dir(dir) {
        let chain = ChainDir::new(dir);
        let compiled = chain.whole()?;
        let (_, values) = compiled.witness(x)?;
        crate::fsutil::check_writable(out)?;
        let output = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
        progress(Progress::Note(prediction_line(&output)));
        let mut report = |p: crate::chain::SegmentProven| {
            progress(Progress::Note(format!(
                "segment {}/{}: proving key {:.1} s, proof {:.1} s",
                p.index + 1,
                p.of,
                p.key_time.as_secs_f64(),
                p.proof_time.as_secs_f64()
            )))
        };
        let bundle = chain.prove_witness(srs, &compiled.graph, &values, input_salt, &mut report)?;
        let bytes = bundle.to_bytes();
        crate::fsutil::write_atomic(out, &bytes)?;
        return Ok(Proved {
            output,
            bundle_bytes: bytes.len(),
            segments: bundle.bundles.len(),
            prove_time: t0.elapsed(),
        });
    }
    let model_dir = ModelDir::new(dir);
    let compiled = model_dir.compiled()?;
    let (q_in, values) = compiled.witness(x)?;
    crate::fsutil::check_writable(out)?;
    let prover = timed(progress, "loading keys", || model_dir.prover(srs))?;
    let output = compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]);
    progress(Progress::Note(prediction_line(&output)));
    let bundle = timed(progress, "proving", || {
        let witness = crate::prove::Witness {
            input: q_in,
            values,
            input_salt,
        };
        prover
            .compiled
            .prove_witness(&prover.params, &prover.pk, &prover.verifier_key, witness)
    })?;
    let bytes = bundle.to_bytes();
    crate::fsutil::write_atomic(out, &bytes)?;
    Ok(Proved {
        output,
        bundle_bytes: bytes.len(),
        segments: 1,
        prove_time: t0.elapsed(),
    })
}

/// The integer model's prediction, as printed before a proof starts.
fn prediction_line(output: &[f64]) -> String {
    format!(
        "prediction (integer model): class {} outputs {}",
        crate::tensor::argmax(output),
        crate::tensor::preview(output)
    )
}
