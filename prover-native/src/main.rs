//! `zkinfer`: compile an ONNX model into a provable circuit, prove inferences, verify proofs.

mod demo;
mod protocols;
mod serve;
mod setup_cmd;
mod verify_cmd;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkinfer_core::circuit::{TensorVisibility, Visibility, WeightVisibility};
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::halo2curves::ff::Field;
use zkinfer_core::poseidon;
use zkinfer_core::prove::{summary, ChainDir, CompileOptions, ModelDir, VERIFIER_KEY_FILE};
use zkinfer_core::srs::{default_cache_dir, SrsSource, DEV_WARNING};

/// `--weights` values (clap's spelling of [`WeightVisibility`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WeightsArg {
    Fixed,
    Hidden,
}

/// `--input-visibility` / `--output-visibility` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TensorArg {
    Public,
    /// Public, packed into few public field elements: much faster to verify for a large tensor
    /// (an image), at the cost of a range check per value in the proof.
    Packed,
    /// Only a Poseidon hash: for the input, salted with a salt the consumer chooses, sends and
    /// keeps (no one else can test a guessed input against it, and equal inputs do not link).
    Hashed,
    /// Only a Poseidon hash without a salt (anyone can test a guessed value against it).
    HashedUnsalted,
    Hidden,
}

impl TensorArg {
    /// The input's visibility: `hashed` is salted.
    fn input(self) -> TensorVisibility {
        match self {
            TensorArg::Hashed => TensorVisibility::Salted,
            other => other.output(),
        }
    }

    /// The output's visibility: a hash is unsalted (only the consumer has a salt, and it does
    /// not choose the output).
    fn output(self) -> TensorVisibility {
        match self {
            TensorArg::Public => TensorVisibility::Public,
            TensorArg::Packed => TensorVisibility::Packed,
            TensorArg::Hashed | TensorArg::HashedUnsalted => TensorVisibility::Hashed,
            TensorArg::Hidden => TensorVisibility::Hidden,
        }
    }
}

#[derive(Parser)]
#[command(
    name = "zkinfer",
    version,
    about = "Zero-knowledge proofs of neural-network inference (halo2, KZG over BN254)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct SrsArgs {
    /// The trusted setup: a snarkjs powers-of-tau file (`.ptau`, e.g. the Perpetual Powers of Tau
    /// files) or halo2 KZG parameters, for any k >= the circuit's; checked to be powers of one
    /// secret before use. Without it, insecure development parameters are generated and cached.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Where development parameters are cached [default: $ZKINFER_CACHE_DIR or ~/.cache/zkinfer]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl SrsArgs {
    fn source(&self) -> SrsSource {
        match &self.params {
            Some(p) => SrsSource::File(p.clone()),
            None => {
                eprintln!("{DEV_WARNING}");
                SrsSource::Dev {
                    cache_dir: self.cache_dir.clone().unwrap_or_else(default_cache_dir),
                }
            }
        }
    }
}

#[derive(Args, Clone)]
pub(crate) struct VisibilityArgs {
    /// Conv/Dense weights: `fixed` in the verifying key, or `hidden` behind a Poseidon
    /// commitment that every proof carries.
    #[arg(long, value_enum, default_value_t = WeightsArg::Hidden)]
    weights: WeightsArg,
    /// Input: `public` (integers in the proof), `packed` (public, packed into few field elements:
    /// much faster to verify for a large input), `hashed` (only its Poseidon hash, salted with
    /// the consumer's input salt), `hashed-unsalted` (a hash anyone can test guesses against),
    /// `hidden`.
    #[arg(long, value_enum, default_value_t = TensorArg::Hashed)]
    input_visibility: TensorArg,
    /// Output: `public`, `packed`, `hashed` (unsalted) or `hidden`.
    #[arg(long, value_enum, default_value_t = TensorArg::Public)]
    output_visibility: TensorArg,
    /// Salt of the model commitment: 64 hex digits, or `random`. Without a salt the commitment
    /// is a function of the weights alone, so anyone holding a candidate model can test whether
    /// it is the committed one; with a random salt it reveals nothing about them.
    #[arg(long, value_name = "HEX|random")]
    salt: Option<String>,
}

impl VisibilityArgs {
    fn visibility(&self) -> Visibility {
        Visibility {
            weights: match self.weights {
                WeightsArg::Fixed => WeightVisibility::Fixed,
                WeightsArg::Hidden => WeightVisibility::Hidden,
            },
            input: self.input_visibility.input(),
            output: self.output_visibility.output(),
        }
    }

    fn salt(&self) -> Result<Option<Fr>> {
        match self.salt.as_deref() {
            None => Ok(None),
            Some("random") => Ok(Some(Fr::random(rand::rngs::OsRng))),
            Some(hex) => poseidon::from_hex(hex).map(Some).with_context(|| {
                format!("--salt '{hex}' is not 64 hex digits below the BN254 scalar modulus")
            }),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Quantize an ONNX or TFLite model (or take a TFLite model's own uint8/int8 quantization),
    /// lay out its circuit and generate keys into a directory.
    Compile {
        /// Float ONNX, float TFLite or quantized TFLite model (batch size 1).
        model: PathBuf,
        /// Calibration inputs: {"input_data": [[...], ...]}, one flattened sample per list.
        #[arg(long, value_name = "DATA.json")]
        calibration: Option<PathBuf>,
        /// Output directory (created if missing).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Bits of the activation domain (lookup table 2^B rows per function) [default: chosen from the model size]
        #[arg(long)]
        activation_bits: Option<u32>,
        /// Products per dot-product row [default: chosen by the layout planner]
        #[arg(long)]
        dot_width: Option<usize>,
        /// Factor applied to calibrated ranges before choosing scales.
        #[arg(long, default_value_t = 2.0)]
        headroom: f32,
        /// Text file with one class label per line.
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        /// Accept `--image` inputs, preprocessed so: inception (87.5% central crop, pixels to
        /// [-1, 1]), raw (0..255), unit (0..1) or scale=S,offset=O[,crop=F].
        #[arg(long, value_name = "SPEC")]
        image_preprocess: Option<String>,
        /// Prover memory budget in GiB: a model whose single circuit's estimated peak exceeds it
        /// is cut into a chain of segments that each fit; compile fails only when no cutting does.
        #[arg(long, value_name = "GIB", default_value_t = 20.0)]
        memory_budget: f64,
        #[command(flatten)]
        visibility: VisibilityArgs,
        #[command(flatten)]
        srs: SrsArgs,
    },
    /// Print a compiled model's commitment (hidden weights) and model id: what a provider
    /// publishes. The same weights and salt always give the same commitment.
    Commit {
        /// A directory written by `zkinfer compile`.
        dir: PathBuf,
        /// Print JSON: {"model_id", "model_commitment", "visibility"}.
        #[arg(long)]
        json: bool,
    },
    /// Run the integer model on an input and prove it, writing a proof bundle.
    Prove {
        /// A directory written by `zkinfer compile`.
        dir: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// The consumer's salt for a salted input hash: 64 hex digits, or `random`
        /// [default: the input JSON's "input_salt", else a fresh random salt, printed]
        #[arg(long, value_name = "HEX|random")]
        input_salt: Option<String>,
        /// Where to write the proof bundle.
        #[arg(short, long, value_name = "PROOF")]
        output: PathBuf,
        #[command(flatten)]
        srs: SrsArgs,
    },
    /// Run the exact integer model (the semantics a proof shows) on an input, without proving.
    Predict {
        /// A directory written by `zkinfer compile`.
        dir: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON object: model_id, input_raw, output_raw, output, predicted_class,
        /// predicted_label.
        #[arg(long)]
        json: bool,
    },
    /// Classify an image with a TFLite model, running TFLite's exact integer semantics for a
    /// uint8/int8 model (the model's own input quantization takes the pixels) or the float
    /// model with inception preprocessing. No proof.
    Classify {
        /// A .tflite model.
        model: PathBuf,
        /// A JPEG or PNG image (87.5% central crop, bilinear resize to the model's input).
        #[arg(long, value_name = "IMAGE")]
        image: PathBuf,
        /// Text file with one class label per line.
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        /// How many classes to print.
        #[arg(long, default_value_t = 5)]
        top: usize,
    },
    /// Verify a proof bundle against a verifier key; exit 0 only if it is valid.
    Verify {
        /// The verifier key file (DIR/verifier-key).
        verifier_key: PathBuf,
        /// The proof bundle.
        proof: PathBuf,
        /// Only accept proofs for this model id (hex SHA-256 of the verifier key).
        #[arg(long)]
        model_id: Option<String>,
        /// Only accept proofs made with the model of this commitment (hidden weights): the
        /// commitment the provider published.
        #[arg(long, value_name = "HEX")]
        commitment: Option<String>,
        /// Only accept a key made under the trusted setup of this digest (the `setup:` line
        /// of a VALID verdict; a digest of the key's KZG points, whatever its label says).
        #[arg(long, value_name = "DIGEST")]
        setup: Option<String>,
        /// The input you sent (JSON). For a hashed input, its hash is computed here (with the
        /// file's "input_salt" for a salted one) and must equal the proof's; for a public
        /// input, it must equal the proven input.
        #[arg(long, value_name = "INPUT.json")]
        input: Option<PathBuf>,
        /// The salt you sent with --input and kept, when the input JSON does not hold it
        /// ("input_salt"): 64 hex digits.
        #[arg(long, value_name = "HEX")]
        input_salt: Option<String>,
    },
    /// Check a setup file (snarkjs `.ptau` or halo2 KZG parameters) and print its setup digest:
    /// the value consumers pin with `verify --setup`. The digest is the same for every k.
    SetupDigest {
        /// The setup file.
        file: PathBuf,
        /// How many powers to check, as a circuit size 2^k [default: the file's, at most 20].
        #[arg(long, value_parser = setup_cmd::parse_k)]
        k: Option<u32>,
    },
    /// Serve models over HTTP: predictions at once, proofs from a bounded background queue.
    ///
    /// Endpoints: GET /api/models, GET /api/models/{id}, GET /api/models/{id}/verifier-key,
    /// POST /api/models/{id}/predict, GET /api/proofs/{receipt}, GET /api/receipts/{receipt},
    /// POST /api/models/{id}/attestations, GET /api/attestations/{job}, GET /api/provider,
    /// GET /api/health; static files (--web) at /. Logs go to stderr (RUST_LOG sets the level).
    Serve(serve::ServeArgs),
    /// Consumer: audit a provider's signed receipts by requesting proofs for a random sample
    /// sized for a detection goal; writes a report with re-checkable evidence. Exit 1 if caught.
    Audit(protocols::AuditArgs),
    /// Third party: re-check the evidence in an audit report.
    AuditRecheck(protocols::RecheckArgs),
    /// Provider: prove the model's inference on every item of a committed, labelled test set
    /// (or on the sample a consumer's seed selects), writing an accuracy attestation.
    ProveDataset(protocols::ProveDatasetArgs),
    /// Anyone: verify an accuracy attestation against the test set and compute the accuracy
    /// from the proven outputs.
    AttestAccuracy(protocols::AttestArgs),
    /// Trustless retrieval from a Merkle-committed collection (commit, respond, verify).
    #[command(subcommand)]
    Retrieval(protocols::RetrievalCommand),
    /// Compile, prove and verify the bundled MNIST example in one go.
    Demo {
        /// Working directory for the compiled model and proof [default: a fresh temp directory]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Which bundled held-out digit (0-9) to prove.
        #[arg(long, default_value_t = 7)]
        digit: u8,
        #[command(flatten)]
        srs: SrsArgs,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile {
            model,
            calibration,
            output,
            activation_bits,
            dot_width,
            headroom,
            labels,
            image_preprocess,
            memory_budget,
            visibility,
            srs,
        } => compile(
            &model,
            calibration.as_deref(),
            &output,
            activation_bits,
            dot_width,
            headroom,
            labels.as_deref(),
            image_preprocess.as_deref(),
            memory_budget,
            &visibility,
            &srs,
        ),
        Command::Commit { dir, json } => commit(&dir, json),
        Command::Prove {
            dir,
            input,
            input_salt,
            output,
            srs,
        } => prove(&ProveRequest {
            dir: &dir,
            input: &input,
            input_salt: input_salt.as_deref(),
            out: &output,
            srs: &srs,
        }),
        Command::Predict { dir, input, json } => predict(&dir, &input, json),
        Command::Classify {
            model,
            image,
            labels,
            top,
        } => classify(&model, &image, labels.as_deref(), top),
        Command::Verify {
            verifier_key,
            proof,
            model_id,
            commitment,
            setup,
            input,
            input_salt,
        } => verify_cmd::verify(
            &verifier_key,
            &proof,
            &verify_cmd::Pins {
                model_id: model_id.as_deref(),
                commitment: commitment.as_deref(),
                setup: setup.as_deref(),
                input: input.as_deref(),
                input_salt: input_salt.as_deref(),
            },
        ),
        Command::SetupDigest { file, k } => setup_cmd::setup_digest(&file, k),
        Command::Demo { dir, digit, srs } => demo::run(dir, digit, &srs),
        Command::Serve(args) => serve::run(args),
        Command::Audit(a) => protocols::audit(a),
        Command::AuditRecheck(a) => protocols::recheck(a),
        Command::ProveDataset(a) => protocols::prove_dataset(a),
        Command::AttestAccuracy(a) => protocols::attest_accuracy(a),
        Command::Retrieval(c) => protocols::retrieval(c),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// Runs `f` with a spinner showing the elapsed time.
pub(crate) fn step<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    pb.set_message(label.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    let t = Instant::now();
    let r = f();
    pb.finish_and_clear();
    let elapsed = t.elapsed();
    if r.is_ok() {
        eprintln!("{label}: {:.2} s", elapsed.as_secs_f64());
    }
    r.map(|v| (v, elapsed))
}

pub(crate) fn read_labels(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading labels {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn compile(
    model_path: &Path,
    calibration: Option<&Path>,
    out: &Path,
    act_bits: Option<u32>,
    dot_width: Option<usize>,
    headroom: f32,
    labels: Option<&Path>,
    image_preprocess: Option<&str>,
    memory_budget_gib: f64,
    visibility: &VisibilityArgs,
    srs: &SrsArgs,
) -> Result<()> {
    let salt = visibility.salt()?;
    let image = image_preprocess
        .map(zkinfer_core::image_input::ImagePreprocess::parse)
        .transpose()?;
    let labels = labels.map(read_labels).transpose()?;
    let mut opts = CompileOptions {
        act_bits,
        dot_width,
        headroom: Some(headroom),
        labels,
        visibility: visibility.visibility(),
        salt,
        image,
        memory_budget: Some(gib_to_bytes(memory_budget_gib)?),
    };
    let model = match zkinfer_core::loader::load_model(model_path)? {
        zkinfer_core::tflite::Loaded::Float(m) => m,
        zkinfer_core::tflite::Loaded::Quantized(graph) => {
            // TFLite fixed the quantization: no calibration, the integer semantics are TFLite's.
            if calibration.is_some() {
                anyhow::bail!(
                    "{} is already quantized by TFLite; --calibration applies to float models only",
                    model_path.display()
                );
            }
            if opts.image.is_none() {
                if let (Some(a), [1, 3, _, _]) = (
                    graph.input_tensor().affine,
                    graph.input_tensor().shape.as_slice(),
                ) {
                    // Images become the stored pixels TFLite's own pipeline feeds this model.
                    opts.image = Some(zkinfer_core::image_input::ImagePreprocess::raw_pixels_of(
                        a.scale,
                        a.zero_point,
                        0.875,
                    ));
                }
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
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading calibration {}", p.display()))?;
            zkinfer_core::input::parse_samples(&text, model.input_len())
                .with_context(|| format!("calibration {}", p.display()))?
        }
        None => {
            eprintln!(
                "no --calibration given: calibrating on 16 seeded synthetic inputs (8 uniform \
                 in [0, 1), 8 standard normal); pass real samples for a real model"
            );
            zkinfer_core::quant::synthetic_calibration(model.input_len())
        }
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
    if !(gib.is_finite() && gib > 0.0) {
        anyhow::bail!("--memory-budget must be a positive number of GiB, not {gib}");
    }
    Ok((gib * (1u64 << 30) as f64) as u64)
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
    let budget = opts
        .memory_budget
        .unwrap_or(zkinfer_core::prove::DEFAULT_MEMORY_BUDGET);
    if compiled.plan.estimated_peak_bytes > budget {
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
    use zkinfer_core::segment::{plan_cuts, prover::compile_segments};
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    println!(
        "one circuit would need about {:.1} GiB, over the memory budget of {:.2} GiB: cutting \
         the model into segments linked by commitments",
        gib(compiled.plan.estimated_peak_bytes),
        gib(budget)
    );
    let graph = &compiled.graph;
    let (cuts, _) = step("planning the segments", || {
        Ok(plan_cuts(graph, opts.dot_width, opts.visibility, budget)?)
    })?;
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

fn commit(dir: &Path, json: bool) -> Result<()> {
    let (compiled, model_id) = compiled_and_id(dir)?;
    // A chain's commitment combines its segments' (each commits to its own weights).
    let commitment = if zkinfer_core::prove::is_chain_dir(dir) {
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

/// What `zkinfer prove` was asked: a model directory (a single circuit or a chain), the input
/// and its salt, where to write the bundle, and the parameters.
struct ProveRequest<'a> {
    dir: &'a Path,
    input: &'a InputArgs,
    input_salt: Option<&'a str>,
    out: &'a Path,
    srs: &'a SrsArgs,
}

fn prove(request: &ProveRequest<'_>) -> Result<()> {
    if zkinfer_core::prove::is_chain_dir(request.dir) {
        return prove_chain(request);
    }
    let (dir, input, out) = (request.dir, request.input, request.out);
    let model_dir = ModelDir::new(dir);
    // Cheap checks first: the input must parse and fit before keys are loaded.
    let compiled = model_dir.compiled()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    let (q_in, values) = compiled.witness(&x)?;
    zkinfer_core::fsutil::check_writable(out)?;
    let (prover, _) = step("loading keys", || {
        Ok(model_dir.prover(&request.srs.source())?)
    })?;
    print_prediction(&compiled.graph, &values);
    let (bundle, t) = step(
        &format!("proving on {} threads", rayon::current_num_threads()),
        || {
            let witness = zkinfer_core::prove::Witness {
                input: q_in,
                values,
                input_salt,
            };
            Ok(prover.compiled.prove_witness(
                &prover.params,
                &prover.pk,
                &prover.verifier_key,
                witness,
            )?)
        },
    )?;
    let bytes = bundle.to_bytes();
    zkinfer_core::fsutil::write_atomic(out, &bytes)?;
    println!(
        "proof bundle written to {} ({} bytes, proof {} bytes, proving {:.2} s)",
        out.display(),
        bytes.len(),
        bundle.proof.len(),
        t.as_secs_f64()
    );
    Ok(())
}

/// What the integer model computed (and a proof will show), before proving.
fn print_prediction(graph: &zkinfer_core::qgraph::QGraph, values: &[Vec<i64>]) {
    let prediction = graph.dequantize_output(&values[graph.output]);
    println!(
        "prediction (integer model): class {} outputs {}",
        argmax(&prediction),
        fmt_values(&prediction)
    );
}

/// `prove` for a model compiled as a chain: every segment in turn, one proving key in memory.
fn prove_chain(request: &ProveRequest<'_>) -> Result<()> {
    let (input, out) = (request.input, request.out);
    let chain = ChainDir::new(request.dir);
    let compiled = chain.whole()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    let (_, values) = compiled.witness(&x)?;
    zkinfer_core::fsutil::check_writable(out)?;
    print_prediction(&compiled.graph, &values);
    // One line per segment instead of a spinner: a full-size chain proves for an hour.
    eprintln!(
        "proving the chain's segments one at a time on {} threads",
        rayon::current_num_threads()
    );
    let t0 = Instant::now();
    let mut report = |p: zkinfer_core::prove::SegmentProven| {
        eprintln!(
            "segment {}/{}: proving key {:.1} s, proof {:.1} s",
            p.index + 1,
            p.of,
            p.key_time.as_secs_f64(),
            p.proof_time.as_secs_f64()
        )
    };
    let bundle = chain.prove_witness(
        &request.srs.source(),
        &compiled.graph,
        &values,
        input_salt,
        &mut report,
    )?;
    let t = t0.elapsed();
    let bytes = bundle.to_bytes();
    zkinfer_core::fsutil::write_atomic(out, &bytes)?;
    println!(
        "chain bundle written to {} ({} segments, {} bytes, proving {:.2} s)",
        out.display(),
        bundle.bundles.len(),
        bytes.len(),
        t.as_secs_f64()
    );
    Ok(())
}

/// The integer model's answer without keys or a proof: what `prove` would prove, and what
/// `zkinfer serve` answers at once. Tests use it as the reference for served predictions.
fn predict(dir: &Path, input: &InputArgs, json: bool) -> Result<()> {
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

/// `zkinfer classify`: a TFLite model's top classes for an image, by the integer (or float)
/// evaluator, without a proof.
fn classify(model: &Path, image: &Path, labels: Option<&Path>, top: usize) -> Result<()> {
    use zkinfer_core::image_input::ImagePreprocess;
    let labels = labels.map(read_labels).transpose()?;
    let loaded = zkinfer_core::tflite::load_tflite(model)?;
    let shape = match &loaded {
        zkinfer_core::tflite::Loaded::Quantized(g) => g.input_tensor().shape.clone(),
        zkinfer_core::tflite::Loaded::Float(m) => m.input_shape().to_vec(),
    };
    let [1, 3, h, w] = shape.as_slice() else {
        anyhow::bail!(
            "{} takes {shape:?}, not an image [1, 3, H, W]",
            model.display()
        )
    };
    let scores: Vec<f64> = match &loaded {
        zkinfer_core::tflite::Loaded::Quantized(g) => {
            let a = g.input_tensor().affine.expect("TFLite graphs are affine");
            let x =
                ImagePreprocess::raw_pixels_of(a.scale, a.zero_point, 0.875).load(image, *h, *w)?;
            let q = g.quantize_input(&x)?;
            let values = g.evaluate(&q)?;
            g.dequantize_output(&values[g.output])
        }
        zkinfer_core::tflite::Loaded::Float(m) => {
            let x = ImagePreprocess::INCEPTION.load(image, *h, *w)?;
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

/// A model input: a JSON file, or an image preprocessed as the model was compiled to expect.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct InputArgs {
    /// Input JSON: {"input_data": [[...]]} (flattened, NCHW).
    #[arg(long, value_name = "INPUT.json")]
    input: Option<PathBuf>,
    /// A JPEG or PNG image (the model must be compiled with --image-preprocess).
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,
}

impl InputArgs {
    /// The salt to prove an input of visibility `vis` with: `flag` (64 hex digits, or
    /// `random`), else the input JSON's "input_salt", else, for a salted input, a fresh random
    /// salt, printed since the consumer needs it to check the proof against its input. None
    /// for an input that is not salted (a salt given then is refused: it would salt nothing).
    fn salt(&self, vis: TensorVisibility, flag: Option<&str>) -> Result<Option<Fr>> {
        let random = flag == Some("random");
        let given = match (&self.input, flag.filter(|_| !random)) {
            (Some(path), flag) => read_input_salt(path, flag)?,
            (None, Some(hex)) => {
                Some(zkinfer_core::commitment::parse_input_salt(hex).context("--input-salt")?)
            }
            (None, None) => None,
        };
        if random && given.is_some() {
            bail!(
                "--input-salt random, but the input JSON has its own \"input_salt\", which the \
                 proof could then not be checked against: give one"
            );
        }
        if vis != TensorVisibility::Salted {
            if given.is_some() || random {
                bail!(
                    "this model's input is {}, not salted: drop the input salt",
                    vis.name()
                );
            }
            return Ok(None);
        }
        if random || given.is_none() {
            let salt = zkinfer_core::commitment::random_input_salt();
            println!(
                "input salt (drawn at random{}): {}\n  keep it: checking the proof against your \
                 input needs it (zkinfer verify ... --input INPUT --input-salt SALT), and the \
                 bundle does not carry it",
                if random { "" } else { ": the input has none" },
                poseidon::to_hex(&salt)
            );
            return Ok(Some(salt));
        }
        Ok(given)
    }

    fn read(&self, compiled: &zkinfer_core::prove::Compiled) -> Result<Vec<f32>> {
        let t = compiled.graph.input_tensor();
        match (&self.input, &self.image) {
            (Some(p), _) => read_input(p, t.len()),
            (None, Some(img)) => {
                let pre = compiled.image.ok_or_else(|| {
                    anyhow::anyhow!(
                        "this model was compiled without --image-preprocess, so it takes JSON inputs only"
                    )
                })?;
                match t.shape.as_slice() {
                    [1, 3, h, w] => Ok(pre.load(img, *h, *w)?),
                    s => anyhow::bail!(
                        "--image needs a model whose input is [1, 3, H, W], not {s:?}"
                    ),
                }
            }
            (None, None) => anyhow::bail!("give --input or --image"),
        }
    }
}

fn read_input(path: &Path, len: usize) -> Result<Vec<f32>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading input {}", path.display()))?;
    Ok(zkinfer_core::input::parse_single(&text, len)?)
}

/// The input salt of the input JSON at `path` ("input_salt"), or `flag` (64 hex digits) when
/// given; refuses two different ones.
pub(crate) fn read_input_salt(path: &Path, flag: Option<&str>) -> Result<Option<Fr>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading input {}", path.display()))?;
    let in_file = zkinfer_core::input::parse_input_salt(&text)
        .with_context(|| format!("input {}", path.display()))?;
    let flag = flag
        .map(zkinfer_core::commitment::parse_input_salt)
        .transpose()
        .context("--input-salt")?;
    match (flag, in_file) {
        (Some(a), Some(b)) if a != b => bail!(
            "--input-salt differs from the \"input_salt\" in {}: give one",
            path.display()
        ),
        (flag, in_file) => Ok(flag.or(in_file)),
    }
}

/// A compiled model directory's graph and model id (the SHA-256 of its verifier key).
fn compiled_and_id(dir: &Path) -> Result<(zkinfer_core::prove::Compiled, String)> {
    let model_dir = ModelDir::new(dir);
    let compiled = model_dir.compiled()?;
    let key_path = model_dir.path(VERIFIER_KEY_FILE);
    let key =
        std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
    Ok((compiled, zkinfer_core::verifier_key::model_id(&key)))
}

pub(crate) use zkinfer_core::tensor::argmax;

pub(crate) fn fmt_values(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().take(16).map(|x| format!("{x:.3}")).collect();
    format!(
        "[{}{}]",
        parts.join(", "),
        if v.len() > 16 { ", ..." } else { "" }
    )
}
