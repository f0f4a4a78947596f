//! Benchmark: compile, keygen, prove and verify the peer benchmark models, one child process
//! per model so peak RSS is per model. Prints a Markdown table.
//!
//! usage: zkinfer-bench [BENCH_DIR] [MODEL[@VISIBILITY]...]   (BENCH_DIR defaults to
//! ../shared/data/bench; MODEL defaults to mnist-example (the bundled example), m1_mlp, m2_lenet
//! and m3_cifar; VISIBILITY is `public` (the default: weights in the key, input and output
//! public), `served` (weights hidden behind a Poseidon commitment, input hashed, output public),
//! `hidden-weights` or `hashed-input`). `mobilenet:OPS:SIZE` is the first OPS operators of the
//! uint8 MobileNet v2 at SIZE×SIZE under TFLite's integer semantics (e.g. `mobilenet:10:16`).
//! `mobilenet-segment:I` is segment I of the whole 224×224 model's chain, planned as
//! `zkinfer compile --weights fixed --input-visibility public` plans it under the default memory
//! budget, proven on its share of a dev image's witness (a chain's segments can be proven one at
//! a time, or on separate machines); `mobilenet-segment:I@served` plans it with hidden weights
//! and the salted input hash, as `zkinfer compile` does by default.
//!
//! `prove s` is a first proof with a fresh key; `prove, key held s` a second proof after the key
//! computed its extended-domain cosets once (`cosets held s`, vendored halo2 patch 11), as a
//! server's key does when they fit the default memory budget beside a proof (`-` otherwise).
//! Peak RSS includes the held cosets.
//!
//! `zkinfer-bench --fft` times the prover's FFT (vendored halo2 patch 10) against the one it
//! replaced, alone and two at once (as the prover runs them), at the sizes proofs use.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkinfer_core::circuit::{LinkBlinding, TensorVisibility};
use zkinfer_core::prove::{compile, CompileOptions};
use zkinfer_core::srs::{default_cache_dir, SrsSource};

fn cpu_time() -> Duration {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv =
        |t: libc::timeval| Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64);
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Model, calibration and input files of a benchmark model; `mnist-example` is the bundled
/// example (examples/mnist), the others are NAME.onnx, NAME.cal.json, NAME.input.json in `dir`.
fn files(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    if name == "mnist-example" {
        let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mnist");
        return (
            ex.join("model.onnx"),
            ex.join("calibration.json"),
            ex.join("digits/digit_7.json"),
        );
    }
    let f = |suffix: &str| dir.join(format!("{name}.{suffix}"));
    (f("onnx"), f("cal.json"), f("input.json"))
}

fn visibility(spec: &str) -> Result<zkinfer_core::circuit::Visibility> {
    use zkinfer_core::circuit::{Visibility, WeightVisibility};
    Ok(match spec {
        "public" => Visibility::PUBLIC,
        "served" => Visibility::SERVED,
        "hidden-weights" => Visibility {
            weights: WeightVisibility::Hidden,
            ..Visibility::PUBLIC
        },
        "hashed-input" => Visibility {
            input: TensorVisibility::Hashed,
            ..Visibility::PUBLIC
        },
        "salted-input" => Visibility {
            input: TensorVisibility::Salted,
            ..Visibility::PUBLIC
        },
        other => {
            bail!(
                "unknown visibility '{other}' (public, served, hidden-weights, hashed-input, \
                 salted-input)"
            )
        }
    })
}

fn one(dir: &Path, spec: &str) -> Result<String> {
    let (name, vis) = spec.split_once('@').unwrap_or((spec, "public"));
    let visibility = visibility(vis)?;
    let name = if vis == "public" {
        name.to_string()
    } else {
        format!("{name}@{vis}")
    };
    let name = name.as_str();
    let opts = CompileOptions {
        visibility,
        ..Default::default()
    };
    let base = name.split('@').next().unwrap_or(name);
    if let Some(index) = base.strip_prefix("mobilenet-segment:") {
        let (compiled, values) = mobilenet_segment(dir, index.parse()?, visibility)?;
        return measure(name, &compiled, ProofSource::Values(values));
    }
    let (compiled, x) = match base.strip_prefix("mobilenet:") {
        Some(cut) => mobilenet_prefix(dir, cut, &opts)?,
        None => {
            let (path, cal_path, input_path) = files(dir, base);
            let model = zkinfer_core::onnx::load_onnx(&path)?;
            let read =
                |p: &Path| std::fs::read_to_string(p).with_context(|| p.display().to_string());
            let cal = zkinfer_core::input::parse_samples(&read(&cal_path)?, model.input_len())?;
            let x = zkinfer_core::input::parse_single(&read(&input_path)?, model.input_len())?;
            (compile(&model, &cal, &opts)?, x)
        }
    };
    measure(name, &compiled, ProofSource::Input(x))
}

/// What a proof is made from: the model's float input, or a segment's share of the whole
/// model's integer values.
enum ProofSource {
    Input(Vec<f32>),
    Values(Vec<Vec<i64>>),
}

/// Keygen, prove and verify `compiled`; one table row.
fn measure(
    name: &str,
    compiled: &zkinfer_core::prove::Compiled,
    source: ProofSource,
) -> Result<String> {
    let params = SrsSource::Dev {
        cache_dir: default_cache_dir(),
    }
    .load(compiled.plan.k)?;
    let t = Instant::now();
    let (pk, key_bytes) = compiled.keygen(&params, "dev")?;
    let keygen = t.elapsed();
    let key = zkinfer_core::VerifierKey::from_bytes(&key_bytes)?;
    let (cpu0, t) = (cpu_time(), Instant::now());
    let input_salt = (compiled.visibility().input == TensorVisibility::Salted)
        .then(zkinfer_core::commitment::random_input_salt);
    let prove_once = |pk: &halo2_proofs::plonk::ProvingKey<_>| match &source {
        ProofSource::Input(x) => compiled.prove(&params, pk, &key, x, input_salt),
        ProofSource::Values(v) => {
            let witness = zkinfer_core::prove::Witness::of_segment(v.clone(), input_salt);
            compiled.prove_segment_witness(&params, pk, &key, witness, segment_blinding(compiled))
        }
    };
    // A segment's proof means something only beside its neighbours'; on its own the bench
    // checks it as the chain verifier checks each segment.
    let check = |key: &zkinfer_core::VerifierKey, bytes: &[u8]| -> Result<()> {
        if compiled.visibility().is_segment() {
            let bundle = zkinfer_core::bundle::ProofBundle::from_bytes(bytes)?;
            zkinfer_core::chain::verify_segment(key, &bundle)?;
        } else {
            zkinfer_core::verify(key, bytes)?;
        }
        Ok(())
    };
    let bundle = prove_once(&pk)?;
    let (prove, prove_cpu) = (t.elapsed(), cpu_time() - cpu0);
    // A server's proofs: the key holds its extended-domain cosets (computed once, timed apart),
    // when they fit the default budget beside a proof; "-" when they do not.
    let mut pk = pk;
    let held = pk
        .extended_cosets_bytes()
        .saturating_add(compiled.plan.estimated_peak_bytes)
        <= zkinfer_core::prove::DEFAULT_MEMORY_BUDGET;
    let held_prove = if held {
        let t = Instant::now();
        pk.precompute_extended_cosets();
        let hold = t.elapsed();
        let t = Instant::now();
        let again = prove_once(&pk)?;
        let prove_held = t.elapsed();
        check(&key, &again.to_bytes())?;
        format!(
            "{:.2} | {:.2}",
            hold.as_secs_f64(),
            prove_held.as_secs_f64()
        )
    } else {
        "- | -".to_string()
    };
    let bytes = bundle.to_bytes();
    // Verification as a consumer does it: parse the key file, then check the bundle.
    let t = Instant::now();
    let runs = 5;
    for _ in 0..runs {
        let key = zkinfer_core::VerifierKey::from_bytes(&key_bytes)?;
        check(&key, &bytes)?;
    }
    let verify = t.elapsed() / runs;
    let p = &compiled.plan;
    Ok(format!(
        "| {name} | {} | {}+{} | {} | {} | {:.2} | {:.2} | {:.2} | {held_prove} | {:.0} | {} | {:.1} | {:.4} |",
        p.k,
        p.advice_columns,
        p.fixed_columns,
        p.dot_rows
            .max(p.max_rows)
            .max(p.table_rows)
            .max(p.pack_rows)
            .max(p.hash_rows),
        p.shape.dot_width,
        keygen.as_secs_f64(),
        prove.as_secs_f64(),
        prove_cpu.as_secs_f64(),
        peak_rss_mib(),
        bundle.proof.len(),
        verify.as_secs_f64() * 1e3,
        compiled.max_abs_error,
    ))
}

/// Fresh link blinding for a segment proven on its own: random rows on each linked side, as a
/// middle segment of a chain would get from its neighbours.
fn segment_blinding(compiled: &zkinfer_core::prove::Compiled) -> LinkBlinding {
    let vis = compiled.visibility();
    let mut blinding = LinkBlinding::for_chain(3, &mut rand::rngs::OsRng).swap_remove(1);
    if vis.input != TensorVisibility::Linked {
        blinding.input = None;
    }
    if vis.output != TensorVisibility::Linked {
        blinding.output = None;
    }
    blinding
}

/// The uint8 MobileNet v2 (from the imagenet directory beside BENCH_DIR), its first `ops`
/// operators at `size`×`size` when given, under TFLite's integer semantics, and the dev image
/// its benchmarks prove, preprocessed for it.
fn mobilenet(
    dir: &Path,
    prefix: Option<(usize, usize)>,
) -> Result<(zkinfer_core::qgraph::QGraph, Vec<f32>)> {
    let imagenet = dir.join("../imagenet");
    let bytes = std::fs::read(imagenet.join("mobilenet_v2_1.0_224_quant.tflite"))?;
    let mut full = zkinfer_core::tflite::parse(&bytes, "mobilenet_v2", "bench")?;
    let size = match prefix {
        Some((ops, size)) => {
            full = full.truncated(ops, size, size)?;
            size
        }
        None => 224,
    };
    let zkinfer_core::tflite::Loaded::Quantized(graph) = zkinfer_core::tflite::lower(&full)? else {
        bail!("the uint8 MobileNet lowered to a float graph");
    };
    let x = zkinfer_core::image_input::ImagePreprocess::stored_pixels_of(graph.input_tensor())
        .context("a TFLite input has a zero point")?
        .load(&imagenet.join("dev/n01440764_tench.JPEG"), size, size)?;
    Ok((graph, x))
}

/// `mobilenet:OPS:SIZE`: the first OPS operators of the uint8 MobileNet v2 at SIZE×SIZE, on a
/// dev image.
fn mobilenet_prefix(
    dir: &Path,
    cut: &str,
    opts: &CompileOptions,
) -> Result<(zkinfer_core::prove::Compiled, Vec<f32>)> {
    let (ops, size) = cut
        .split_once(':')
        .context("mobilenet:OPS:SIZE, e.g. mobilenet:10:16")?;
    let (graph, x) = mobilenet(dir, Some((ops.parse()?, size.parse()?)))?;
    Ok((zkinfer_core::prove::compile_quantized(graph, opts)?, x))
}

/// `mobilenet-segment:I[@VISIBILITY]`: segment I of the whole uint8 MobileNet v2's chain under
/// the default memory budget (by default fixed weights, public input and output; `@served`:
/// hidden weights, as `zkinfer compile` does by default), with its values from the whole
/// model's evaluation on a dev image.
fn mobilenet_segment(
    dir: &Path,
    index: usize,
    visibility: zkinfer_core::circuit::Visibility,
) -> Result<(zkinfer_core::prove::Compiled, Vec<Vec<i64>>)> {
    let (graph, x) = mobilenet(dir, None)?;
    let opts = CompileOptions {
        visibility,
        ..Default::default()
    };
    let budget = zkinfer_core::prove::DEFAULT_MEMORY_BUDGET;
    // As `zkinfer compile` plans a chain (dividing a step too large for any segment).
    let (graph, cuts) = zkinfer_core::chain::plan_chain(&graph, None, opts.visibility, budget)?;
    let mut segments = zkinfer_core::segment::prover::compile_segments(&graph, &cuts, &opts)?;
    if index >= segments.len() {
        bail!("the chain has {} segments", segments.len());
    }
    let whole = graph.evaluate(&graph.quantize_input(&x)?)?;
    let (segment, compiled) = segments.swap_remove(index);
    eprintln!("segment {index} of {}: {}", cuts.len() + 1, compiled.plan);
    Ok((compiled, segment.values(&whole)))
}

fn main() -> Result<()> {
    zkinfer_core::cpu::check()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--fft") {
        return fft_table();
    }
    if args.first().map(String::as_str) == Some("--one") {
        let (dir, name) = (args.get(1).context("dir")?, args.get(2).context("model")?);
        println!("{}", one(Path::new(dir), name)?);
        return Ok(());
    }
    let dir = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/bench"));
    if !dir.is_dir() {
        bail!(
            "{} is not a directory (pass the bench data directory)",
            dir.display()
        );
    }
    let models: Vec<String> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ["mnist-example", "m1_mlp", "m2_lenet", "m3_cifar"]
            .map(String::from)
            .to_vec()
    };
    println!(
        "threads: {}, cores: {}",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| model | k | columns (advice+fixed) | rows | dot width | keygen s | prove s | prove CPU-s | cosets held s | prove, key held s | peak RSS MiB | proof bytes | verify ms | max abs error |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for m in models {
        let out = std::process::Command::new(std::env::current_exe()?)
            .args(["--one", dir.to_str().context("utf-8 path")?, &m])
            .output()?;
        if !out.status.success() {
            bail!(
                "{m}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

/// Milliseconds per FFT of 2^log_n field elements, median of `runs`, with `concurrent`
/// transforms running at once (the prover transforms its columns two at a time on two cores).
fn fft_ms(
    transform: fn(
        &mut [zkinfer_core::halo2curves::bn256::Fr],
        zkinfer_core::halo2curves::bn256::Fr,
        u32,
    ),
    log_n: u32,
    concurrent: usize,
) -> f64 {
    use rand::SeedableRng;
    use rayon::prelude::*;
    use zkinfer_core::halo2curves::bn256::Fr;
    use zkinfer_core::halo2curves::ff::{Field, PrimeField};
    let mut omega = Fr::ROOT_OF_UNITY;
    for _ in log_n..Fr::S {
        omega = omega.square();
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(log_n as u64);
    let a: Vec<Fr> = (0..1usize << log_n).map(|_| Fr::random(&mut rng)).collect();
    let runs = 7;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let mut inputs = vec![a.clone(); concurrent];
            let t = Instant::now();
            inputs
                .par_iter_mut()
                .for_each(|v| transform(v, omega, log_n));
            t.elapsed().as_secs_f64() * 1e3 / concurrent as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn fft_table() -> Result<()> {
    type Fr = zkinfer_core::halo2curves::bn256::Fr;
    fn replaced(a: &mut [Fr], omega: Fr, log_n: u32) {
        let unused = halo2_proofs::fft::recursive::FFTData::<Fr>::default();
        halo2_proofs::fft::parallel::fft(a, omega, log_n, &unused, false);
    }
    fn blocked(a: &mut [Fr], omega: Fr, log_n: u32) {
        halo2_proofs::fft::blocked::fft(a, omega, log_n);
    }
    println!("threads: {}", rayon::current_num_threads());
    println!("| size | replaced ms | blocked ms | replaced, 2 at once, ms each | blocked, 2 at once, ms each |");
    println!("|---|---|---|---|---|");
    for log_n in [14, 16, 18, 20] {
        println!(
            "| 2^{log_n} | {:.1} | {:.1} | {:.1} | {:.1} |",
            fft_ms(replaced, log_n, 1),
            fft_ms(blocked, log_n, 1),
            fft_ms(replaced, log_n, 2),
            fft_ms(blocked, log_n, 2),
        );
    }
    Ok(())
}
