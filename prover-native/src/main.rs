//! `zkinfer`: compile an ONNX model into a provable circuit, prove inferences, verify proofs.
//!
//! This file holds the command line (clap) and the dispatch; each subcommand lives in its own
//! module.

mod classify_cmd;
mod cli_util;
mod commit_cmd;
mod compile_cmd;
mod demo;
mod demo_text;
mod evaluate_cmd;
mod input_args;
mod predict_cmd;
mod protocols;
mod prove_cmd;
mod serve;
mod setup_cmd;
mod verify_cmd;
mod visibility_args;

use clap::{Args, Parser, Subcommand};
use input_args::InputArgs;
use std::path::PathBuf;
use visibility_args::VisibilityArgs;
use zkinfer_core::srs::{default_cache_dir, SrsSource, DEV_WARNING};

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

/// The bundled examples `zkinfer demo` runs.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Example {
    Mnist,
    Text,
}

#[derive(Subcommand)]
enum Command {
    /// Quantize an ONNX or TFLite model (or take a TFLite model's own uint8/int8 quantization),
    /// lay out its circuit and generate keys into a directory.
    Compile {
        /// ONNX (float32, float16, or onnxruntime's static or dynamic quantization), float TFLite (also with
        /// float16 or dynamic-range int8 weights) or integer-quantized TFLite model (batch
        /// size 1). Files quantized by a tool are read as the float network they simulate; only
        /// integer TFLite keeps its own arithmetic.
        model: PathBuf,
        /// Calibration inputs: {"input_data": [[...], ...]}, one flattened sample per list: real
        /// inputs, whose ranges set the fixed-point scales. A float model needs them (or
        /// --calibrate-random); a TFLite-quantized model has its own scales.
        #[arg(long, value_name = "DATA.json")]
        calibration: Option<PathBuf>,
        /// Calibrate a float model on 16 seeded random inputs instead of real data: for trying a
        /// model out only, since the scales then fit noise, not your inputs.
        #[arg(long, conflicts_with = "calibration")]
        calibrate_random: bool,
        /// Output directory (created if missing).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Bits of the activation domain (lookup table 2^B rows per function) [default: chosen from the model size]
        #[arg(long)]
        activation_bits: Option<u32>,
        /// Products per dot-product row [default: chosen by the layout planner]
        #[arg(long)]
        dot_width: Option<usize>,
        /// Bits of the quantized weights, 4 to 16 [default: 16]. Hidden weights are committed in
        /// limbs of --activation-bits bits: weights no wider than that take one limb instead of
        /// two, which halves the hashing in every proof (check the accuracy with `evaluate`).
        #[arg(long)]
        weight_bits: Option<u32>,
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
        /// Accept `--text` prompts, tokenized by this file: {"vocabulary": [...], "context": N,
        /// "pad": "...", "lowercase": true} (examples/text/tokenizer.json). Without --labels, a
        /// model with one output per token gets the vocabulary as its labels.
        #[arg(long, value_name = "TOKENIZER.json")]
        tokenizer: Option<PathBuf>,
        /// Prover memory budget in GiB: a model whose single circuit's estimated peak exceeds it
        /// is cut into a chain of segments that each fit; compile fails only when no cutting does.
        #[arg(long, value_name = "GIB", default_value_t = 20.0)]
        memory_budget: f64,
        /// A value for a symbolic dimension of an ONNX model's input (exporters' `sequence`,
        /// `height`...), by its name: a proof is of one shape. Repeat for several; a symbolic
        /// first (batch) dimension is 1 without it.
        #[arg(long = "dim", value_name = "NAME=N", value_parser = parse_dim)]
        dims: Vec<(String, usize)>,
        /// Hold an ONNX model's input other than the proven one constant, by its name: `ones`
        /// (an attention mask over the whole sequence), `zeros` (token type ids), `range`
        /// (position ids 0..n along the last axis). The constant is part of the model and its id.
        #[arg(long = "constant-input", value_name = "NAME=ones|zeros|range", value_parser = parse_constant_input)]
        constant_inputs: Vec<(String, zkinfer_core::onnx::InputFill)>,
        /// The ONNX tensor the proof shows, by name, when not the graph's one output: one of
        /// several outputs (a language model's logits beside its key/value cache) or any tensor
        /// inside the graph. Only the nodes it needs are compiled.
        #[arg(long, value_name = "NAME")]
        output_tensor: Option<String>,
        /// Prove a TFLite model's final SOFTMAX and show its probabilities (an integer model's by
        /// TFLite's reference kernel, at steps of 1/256) instead of the logits it reads, which are
        /// the proven output by default. The class is then the first of the most probable: two
        /// classes within a step tie, where the logits would tell them apart. An ONNX model's
        /// Softmax is always proven.
        #[arg(long)]
        prove_softmax: bool,
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
        /// Prove on the job engine instead of here: the witness is computed here, each proof
        /// task (one per chain segment) is queued in this PostgreSQL database for the `zkinfer
        /// worker`s that share it and this model directory, and the bundle is written when
        /// they are done.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
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
    /// The top-1 accuracy of a compiled model's proven integer semantics on your labelled data
    /// (and, with --model, the float model's, and how often the two agree). No proof.
    Evaluate {
        /// A directory written by `zkinfer compile`.
        dir: PathBuf,
        /// Labelled data: {"inputs": [[...], ...], "labels": [class, ...]}, one flattened input
        /// per list (the test-set format of `prove-dataset`).
        #[arg(long, value_name = "DATA.json")]
        dataset: PathBuf,
        /// The float ONNX or TFLite model the directory was compiled from, to compare with.
        #[arg(long, value_name = "MODEL")]
        model: Option<PathBuf>,
        /// The directory was compiled with --prove-softmax: compare with the float TFLite
        /// model's probabilities, not its logits.
        #[arg(long, requires = "model")]
        prove_softmax: bool,
        /// Print one JSON object.
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
        /// The prompt you sent to a text model: tokenized with the tokenizer the verifier key
        /// binds, its ids must be the proof's input (or hash to it).
        #[arg(long, value_name = "PROMPT", conflicts_with = "input")]
        text: Option<String>,
        /// The salt you sent with --input or --text and kept, when the input JSON does not hold
        /// it ("input_salt"): 64 hex digits.
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
    /// Prove the proof jobs that `zkinfer serve --database URL` queues, beside any number of
    /// other workers on any machines sharing the database and the compiled model directories.
    /// A worker that dies mid-proof loses only that job's time: the others take it again.
    Worker(serve::WorkerArgs),
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
    /// Compile, prove and verify a bundled example in one go: the MNIST CNN (default) or, with
    /// `--example text`, a character-level GPT's next character.
    Demo {
        /// Working directory for the compiled model and proof [default: a fresh temp directory]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Which bundled example: mnist (a digit classifier) or text (a character-level GPT).
        #[arg(long, value_enum, default_value_t = Example::Mnist)]
        example: Example,
        /// Which bundled held-out digit (0-9) to prove (mnist).
        #[arg(long, default_value_t = 7)]
        digit: u8,
        /// The prompt whose next character is proven (text).
        #[arg(
            long,
            default_value = "call me ishmael. some years ago, never mind how long precisely, having little or no mon"
        )]
        prompt: String,
        #[command(flatten)]
        srs: SrsArgs,
    },
}

/// `NAME=FILL` of `--constant-input`.
fn parse_constant_input(
    s: &str,
) -> std::result::Result<(String, zkinfer_core::onnx::InputFill), String> {
    let (name, fill) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=ones|zeros|range"))?;
    if name.trim().is_empty() {
        return Err(format!("'{s}' names no input"));
    }
    Ok((name.trim().to_string(), fill.trim().parse()?))
}

/// `NAME=N` of `--dim`.
fn parse_dim(s: &str) -> std::result::Result<(String, usize), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=N"))?;
    let n: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("'{value}' in '{s}' is not a positive whole number"))?;
    if name.trim().is_empty() || n == 0 {
        return Err(format!("'{s}' needs a name and a positive size"));
    }
    Ok((name.trim().to_string(), n))
}

fn main() {
    let cli = Cli::parse();
    // Commands that only print (to a pager, `head`, a pipe) end quietly when the reader goes
    // away, as Unix tools do, instead of panicking on a failed print. Not the ones holding
    // sockets (serve, worker, prove on the engine), which must see a closed peer as an error.
    if matches!(
        cli.command,
        Command::Predict { .. }
            | Command::Classify { .. }
            | Command::Commit { .. }
            | Command::SetupDigest { .. }
            | Command::Evaluate { .. }
    ) {
        // SAFETY: setting a signal's disposition to the default before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    // Before any field arithmetic: an old x86-64 processor gets a sentence, not SIGILL.
    if let Err(e) = zkinfer_core::cpu::check() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let result = match cli.command {
        Command::Compile {
            model,
            calibration,
            calibrate_random,
            output,
            activation_bits,
            dot_width,
            weight_bits,
            headroom,
            labels,
            image_preprocess,
            tokenizer,
            memory_budget,
            dims,
            constant_inputs,
            output_tensor,
            prove_softmax,
            visibility,
            srs,
        } => compile_cmd::compile(
            &model,
            match (calibration.as_deref(), calibrate_random) {
                (Some(file), _) => compile_cmd::Calibration::File(file.to_path_buf()),
                (None, true) => compile_cmd::Calibration::Random,
                (None, false) => compile_cmd::Calibration::Missing,
            },
            &output,
            activation_bits,
            dot_width,
            weight_bits,
            headroom,
            labels.as_deref(),
            image_preprocess.as_deref(),
            tokenizer.as_deref(),
            memory_budget,
            zkinfer_core::onnx::OnnxChoices {
                dims,
                constants: constant_inputs,
                output: output_tensor,
            },
            zkinfer_core::tflite::FinalSoftmax::proven_if(prove_softmax),
            &visibility,
            &srs,
        ),
        Command::Commit { dir, json } => commit_cmd::commit(&dir, json),
        Command::Prove {
            dir,
            input,
            input_salt,
            output,
            database,
            srs,
        } => prove_cmd::prove(&prove_cmd::ProveRequest {
            dir: &dir,
            input: &input,
            input_salt: input_salt.as_deref(),
            out: &output,
            srs: &srs,
            database: database.as_deref(),
        }),
        Command::Predict { dir, input, json } => predict_cmd::predict(&dir, &input, json),
        Command::Evaluate {
            dir,
            dataset,
            model,
            prove_softmax,
            json,
        } => evaluate_cmd::evaluate(&dir, &dataset, model.as_deref(), prove_softmax, json),
        Command::Classify {
            model,
            image,
            labels,
            top,
        } => classify_cmd::classify(&model, &image, labels.as_deref(), top),
        Command::Verify {
            verifier_key,
            proof,
            model_id,
            commitment,
            setup,
            input,
            text,
            input_salt,
        } => verify_cmd::verify(
            &verifier_key,
            &proof,
            &verify_cmd::Pins {
                model_id: model_id.as_deref(),
                commitment: commitment.as_deref(),
                setup: setup.as_deref(),
                input: input.as_deref(),
                text: text.as_deref(),
                input_salt: input_salt.as_deref(),
            },
        ),
        Command::SetupDigest { file, k } => setup_cmd::setup_digest(&file, k),
        Command::Demo {
            dir,
            example: Example::Mnist,
            digit,
            srs,
            ..
        } => demo::run(dir, digit, &srs),
        Command::Demo {
            dir,
            example: Example::Text,
            prompt,
            srs,
            ..
        } => demo_text::run(dir, &prompt, &srs),
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => serve::run_worker(args),
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
