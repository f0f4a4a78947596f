//! The `zkinfer` binary as a user runs it: the compile/prove/verify flow on the bundled MNIST
//! example, and clear errors (non-zero exit, nothing half-written) for bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .expect("run zkinfer")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Fails with a message mentioning `needle`, exit code 1.
fn assert_fails(o: &Output, needle: &str) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected failure, got {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
    assert!(
        stderr(o).contains(needle),
        "stderr lacks {needle:?}:\n{}",
        stderr(o)
    );
}

/// `zkinfer compile` on the bundled MNIST example, with its calibration data, into `out`.
fn compile_example(out: &Path) -> Output {
    compile_example_with(out, &[])
}

/// [`compile_example`] with `extra` flags.
fn compile_example_with(out: &Path, extra: &[&str]) -> Output {
    let mnist = repo().join("examples/mnist");
    let (model, calibration) = (mnist.join("model.onnx"), mnist.join("calibration.json"));
    let mut args = vec!["compile", s(&model), "--calibration", s(&calibration)];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", s(out)]);
    zkinfer(&args)
}

#[test]
fn compile_prove_verify_flow_and_bad_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mnist");
    let mnist = repo().join("examples/mnist");
    let model = mnist.join("model.onnx");

    // Errors that must come before any expensive work.
    assert_fails(
        &zkinfer(&["compile", "/nonexistent/model.onnx", "-o", s(&dir)]),
        "cannot read /nonexistent/model.onnx",
    );
    let garbage = tmp.path().join("garbage.onnx");
    std::fs::write(
        &garbage,
        b"\x08\x07this is not a protobuf model\xff\xff\xff",
    )
    .unwrap();
    assert_fails(
        &zkinfer(&["compile", s(&garbage), "-o", s(&dir)]),
        "not a valid ONNX model",
    );
    let unsupported = repo().join("prover-native/tests/fixtures/unsupported_hardmax.onnx");
    assert_fails(
        &zkinfer(&["compile", s(&unsupported), "-o", s(&dir)]),
        "unsupported operator Hardmax in node 'the_hardmax'",
    );
    let bad_cal = tmp.path().join("bad_cal.json");
    std::fs::write(&bad_cal, r#"{"input_data": [[0.5, 0.5]]}"#).unwrap();
    assert_fails(
        &zkinfer(&[
            "compile",
            s(&model),
            "--calibration",
            s(&bad_cal),
            "-o",
            s(&dir),
        ]),
        "has 2 values; the model's input has 784",
    );
    // A float model without calibration data is refused, naming both ways forward, unless
    // random calibration is asked for by name.
    let o = zkinfer(&["compile", s(&model), "-o", s(&dir)]);
    assert_fails(&o, "is a float model");
    assert!(
        stderr(&o).contains("--calibration DATA.json") && stderr(&o).contains("--calibrate-random"),
        "{}",
        stderr(&o)
    );
    // Both at once is a usage error (clap's exit status 2).
    let o = zkinfer(&[
        "compile",
        s(&model),
        "--calibration",
        s(&bad_cal),
        "--calibrate-random",
        "-o",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    // A dot width no verifier key may hold is refused before calibration and key generation.
    assert_fails(
        &zkinfer(&[
            "compile",
            s(&model),
            "--calibrate-random",
            "--dot-width",
            "300",
            "-o",
            s(&dir),
        ]),
        "dot_width",
    );
    assert!(!dir.exists(), "a failed compile left files behind");

    // The real flow.
    let out = compile_example(&dir);
    assert!(out.status.success(), "compile failed: {}", stderr(&out));
    assert!(stdout(&out).contains("layout: k="));
    assert!(stderr(&out).contains("INSECURE development KZG parameters"));
    for f in [
        "compiled.bin",
        "proving-key.bin",
        "verifier-key",
        "summary.txt",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let proof = tmp.path().join("two.proof");
    let digit = mnist.join("digits/digit_2.json");
    // The consumer sends its input with a salt it chose and keeps (the CLI's default hashes the
    // input with it).
    let input_salt = zkinfer_core::poseidon::to_hex(&zkinfer_core::halo2curves::bn256::Fr::from(
        0x5a17_5eed_u64,
    ));
    let sent = tmp.path().join("sent.json");
    let mut sent_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&digit).unwrap()).unwrap();
    sent_json["input_salt"] = serde_json::json!(input_salt);
    std::fs::write(&sent, sent_json.to_string()).unwrap();
    let out = zkinfer(&["prove", s(&dir), "--input", s(&sent), "-o", s(&proof)]);
    assert!(out.status.success(), "prove failed: {}", stderr(&out));
    assert!(
        stdout(&out).contains("prediction (integer model): class 2"),
        "{}",
        stdout(&out)
    );
    let key = dir.join("verifier-key");
    // predict: the integer model without keys or proof gives exactly the proven input and output.
    let out = zkinfer(&["predict", s(&dir), "--input", s(&digit), "--json"]);
    assert!(out.status.success(), "predict failed: {}", stderr(&out));
    let p: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let bundle =
        zkinfer_core::bundle::ProofBundle::from_bytes(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(p["predicted_class"], 2);
    assert_eq!(
        p["model_id"].as_str(),
        Some(bundle.header.model_id.as_str())
    );
    // Its reader gone (`predict ... | head -c 1`), predict ends quietly, not with a panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["predict", s(&dir), "--input", s(&digit), "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    assert!(
        !stderr(&closed).contains("panicked"),
        "predict into a closed pipe: {}",
        stderr(&closed)
    );
    // The CLI's default visibility: the input is hashed with the consumer's salt (its integers
    // are not in the bundle, and without the salt no one can test a guessed input against the
    // hash) and the weights are hidden behind a commitment.
    let input_raw: Vec<i64> = serde_json::from_value(p["input_raw"].clone()).unwrap();
    assert!(bundle.header.input.values.is_empty());
    let salt = zkinfer_core::commitment::parse_input_salt(&input_salt).unwrap();
    let hex = zkinfer_core::poseidon::to_hex;
    let salted = zkinfer_core::commitment::salted_tensor_hash(&input_raw, 12, Some(salt));
    assert_eq!(
        bundle.header.input_hash.as_deref(),
        Some(hex(&salted.unwrap()).as_str())
    );
    let unsalted = zkinfer_core::commitment::tensor_hash(&input_raw, 12).unwrap();
    assert_ne!(bundle.header.input_hash, Some(hex(&unsalted)));
    assert_eq!(
        p["output_raw"],
        serde_json::json!(bundle.header.output.values)
    );
    let out = zkinfer(&["verify", s(&key), s(&proof)]);
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
    assert!(
        stdout(&out).contains("VALID proof") && stdout(&out).contains("class 2"),
        "{}",
        stdout(&out)
    );

    // The published commitment: `commit` prints it, the same every time, and it is the one in
    // the proof.
    let out = zkinfer(&["commit", s(&dir), "--json"]);
    assert!(out.status.success(), "commit failed: {}", stderr(&out));
    let c: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let commitment = c["model_commitment"].as_str().unwrap().to_string();
    assert_eq!(
        Some(commitment.as_str()),
        bundle.header.model_commitment.as_deref()
    );
    assert_eq!(
        stdout(&zkinfer(&["commit", s(&dir), "--json"])),
        stdout(&out)
    );
    // A consumer pins the commitment and checks the proof is for the input it sent, with the
    // salt it kept: in the input file, or given apart.
    let out = zkinfer(&[
        "verify",
        s(&key),
        s(&proof),
        "--commitment",
        &commitment,
        "--input",
        s(&sent),
    ]);
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
    assert!(
        stdout(&out).contains("matches the pinned one")
            && stdout(&out).contains("matches your input")
    );
    let verify_input = |input: &Path, salt: Option<&str>| {
        let mut args = vec!["verify", s(&key), s(&proof), "--input", s(input)];
        args.extend(
            salt.map(|salt| ["--input-salt", salt])
                .into_iter()
                .flatten(),
        );
        zkinfer(&args)
    };
    let out = verify_input(&digit, Some(&input_salt));
    assert!(
        stdout(&out).contains("matches your input"),
        "{}",
        stderr(&out)
    );
    assert_fails(&verify_input(&digit, None), "salts its input hash");
    let other_salt =
        zkinfer_core::poseidon::to_hex(&(salt + zkinfer_core::halo2curves::bn256::Fr::from(1)));
    assert_fails(&verify_input(&digit, Some(&other_salt)), "another input");
    assert_fails(&verify_input(&sent, Some(&other_salt)), "differs from");
    assert_fails(&verify_input(&digit, Some("0x1234")), "64 hex digits");
    let mut other_commitment = commitment.clone();
    other_commitment.replace_range(10..11, if &commitment[10..11] == "0" { "1" } else { "0" });
    assert_fails(
        &zkinfer(&[
            "verify",
            s(&key),
            s(&proof),
            "--commitment",
            &other_commitment,
        ]),
        "not the pinned commitment",
    );
    assert_fails(
        &verify_input(&mnist.join("digits/digit_3.json"), Some(&input_salt)),
        "the proof is for another input",
    );
    // Pinning another model id fails.
    assert_fails(
        &zkinfer(&["verify", s(&key), s(&proof), "--model-id", &"ab".repeat(32)]),
        "not the pinned model",
    );
    // The setup is named by value: a VALID verdict under the development parameters says, on
    // stdout and loudly on stderr, that it proves nothing; pinning another setup fails before
    // the proof is read, pinning the development one explicitly is allowed.
    let out = zkinfer(&["verify", s(&key), s(&proof)]);
    let dev = zkinfer_core::setup::DEVELOPMENT_SETUP_DIGEST;
    assert!(
        stdout(&out).contains(&format!("setup: {dev}")) && stdout(&out).contains("INSECURE"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("WARNING") && stderr(&out).contains("proves nothing"),
        "{}",
        stderr(&out)
    );
    assert_fails(
        &zkinfer(&["verify", s(&key), s(&proof), "--setup", &"cd".repeat(32)]),
        "not the pinned setup",
    );
    let out = zkinfer(&["verify", s(&key), s(&proof), "--setup", dev]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Truncated proof bundle.
    let bytes = std::fs::read(&proof).unwrap();
    let truncated = tmp.path().join("truncated.proof");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(&zkinfer(&["verify", s(&key), s(&truncated)]), "truncated");
    // A proof file given as the key.
    assert_fails(
        &zkinfer(&["verify", s(&proof), s(&proof)]),
        "malformed verifier key",
    );
    // Wrong input shape, out-of-range and non-numeric values: rejected before proving.
    let wrong = tmp.path().join("wrong.json");
    let p2 = tmp.path().join("never.proof");
    std::fs::write(&wrong, r#"{"input_data": [[0.1, 0.2, 0.3]]}"#).unwrap();
    assert_fails(
        &zkinfer(&["prove", s(&dir), "--input", s(&wrong), "-o", s(&p2)]),
        "the model's input has 784",
    );
    let big: Vec<String> = (0..784)
        .map(|i| if i == 5 { "1e6".into() } else { "0.5".into() })
        .collect();
    std::fs::write(
        &wrong,
        format!(r#"{{"input_data": [[{}]]}}"#, big.join(",")),
    )
    .unwrap();
    assert_fails(
        &zkinfer(&["prove", s(&dir), "--input", s(&wrong), "-o", s(&p2)]),
        "outside the range",
    );
    std::fs::write(&wrong, r#"{"input_data": [["x"]]}"#).unwrap();
    assert_fails(
        &zkinfer(&["prove", s(&dir), "--input", s(&wrong), "-o", s(&p2)]),
        "expected a number",
    );
    // Non-finite values: an f32 overflow, a NaN token, a number beyond f64.
    for (first, needle) in [
        ("1e39", "not a finite 32-bit float"),
        ("NaN", "not valid JSON"),
        ("1e400", "number out of range"),
    ] {
        let values: Vec<&str> = std::iter::once(first)
            .chain(std::iter::repeat_n("0", 783))
            .collect();
        std::fs::write(
            &wrong,
            format!(r#"{{"input_data": [[{}]]}}"#, values.join(",")),
        )
        .unwrap();
        assert_fails(
            &zkinfer(&["prove", s(&dir), "--input", s(&wrong), "-o", s(&p2)]),
            needle,
        );
    }
    assert_fails(
        &zkinfer(&[
            "prove",
            s(&dir),
            "--input",
            "/nonexistent.json",
            "-o",
            s(&p2),
        ]),
        "reading input",
    );
    // An output directory that does not exist: the error names it and nothing is written.
    let nowhere = tmp.path().join("no/such/dir/out.proof");
    assert_fails(
        &zkinfer(&["prove", s(&dir), "--input", s(&digit), "-o", s(&nowhere)]),
        "no/such/dir/out.proof",
    );
    assert!(!p2.exists());
    // A model directory that is not one.
    assert_fails(
        &zkinfer(&["prove", s(tmp.path()), "--input", s(&digit), "-o", s(&p2)]),
        "compiled.bin",
    );

    // An interrupted prove (SIGKILL while proving, as a crash or an OOM kill would) leaves
    // nothing in the output directory: the bundle is written to a temporary file and renamed
    // only once complete, and nothing is written before the proof exists.
    let out_dir = tmp.path().join("interrupted");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("digit.proof");
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["prove", s(&dir), "--input", s(&digit), "-o", s(&target)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it has printed the prediction (keys loaded, proving under way), then kill it.
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    while !line.contains("prediction") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0,
            "prove ended before printing its prediction"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert!(left.is_empty(), "an interrupted prove left {left:?}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["compile", "prove", "predict", "verify", "demo", "serve"] {
        let out = zkinfer(&[sub, "--help"]);
        assert!(out.status.success());
        assert!(stdout(&out).contains("Usage: zkinfer"), "{sub}");
    }
}

/// Mounts a tmpfs at `dir` with `options`; false (with a note) where mounting is not permitted.
fn mount_tmpfs(dir: &Path, options: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs", s(dir)])
        .output()
        .is_ok_and(|o| o.status.success());
    // CI runs as root and sets ZKINFER_REQUIRE_MOUNT_TESTS, so there a skip is a failure.
    if !ok && std::env::var_os("ZKINFER_REQUIRE_MOUNT_TESTS").is_some() {
        panic!("cannot mount a tmpfs at {}", dir.display());
    }
    if !ok {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs at {} (needs root)",
            dir.display()
        );
    }
    ok
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk and a read-only file system as the output of `compile` and `prove`: a clear
/// error naming the cause, exit code 1, and nothing left behind (no partial bundle, key or
/// temporary file). Uses small tmpfs mounts, so it needs root (CI runs as root).
#[test]
fn full_and_read_only_output_file_systems() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let read_only = tmp.path().join("read-only");
    // 4 KiB: smaller than any bundle or key file.
    if !mount_tmpfs(&full, "size=4k") {
        return;
    }
    let _full = Unmount(full.clone());
    assert!(mount_tmpfs(&read_only, "ro,size=1m"));
    let _read_only = Unmount(read_only.clone());

    let mnist = repo().join("examples/mnist");
    let digit = mnist.join("digits/digit_4.json");
    for (root, cause) in [
        (&full, "No space left on device"),
        (&read_only, "Read-only file system"),
    ] {
        let out_dir = root.join("model");
        let out = compile_example(&out_dir);
        assert_fails(&out, cause);
        let left: Vec<_> = std::fs::read_dir(root).unwrap().collect();
        assert!(left.is_empty(), "a failed compile left {left:?}");
    }

    // A compiled model to prove from: the shared fixture (the CLI's compile has its own test).
    let dir = tmp.path().join("mnist");
    zkinfer_tests::fixtures::copy_dir(&zkinfer_tests::fixtures::mnist_public(), &dir);
    // Its input is public: an input salt would salt nothing, and is refused before any work.
    let unwritten = tmp.path().join("salted.proof");
    assert_fails(
        &zkinfer(&[
            "prove",
            s(&dir),
            "--input",
            s(&digit),
            "--input-salt",
            "random",
            "-o",
            s(&unwritten),
        ]),
        "not salted",
    );
    assert!(!unwritten.exists());
    for (root, cause) in [
        (&full, "No space left on device"),
        (&read_only, "Read-only file system"),
    ] {
        let proof = root.join("digit.proof");
        assert_fails(
            &zkinfer(&["prove", s(&dir), "--input", s(&digit), "-o", s(&proof)]),
            cause,
        );
        let left: Vec<_> = std::fs::read_dir(root).unwrap().collect();
        assert!(left.is_empty(), "a failed prove left {left:?}");
    }
}

use zkinfer_tests::shared_data::shared_data as shared;

#[test]
fn float_tflite_model_compiles_proves_and_verifies() {
    let Some(bench) = shared("bench") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("zkml-mnist");
    let o = zkinfer(&[
        "compile",
        s(&bench.join("zkml_mnist.tflite")),
        "--calibration",
        s(&bench.join("m2_lenet.cal.json")),
        "--weights",
        "fixed",
        "-o",
        s(&dir),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The LeNet bench input is an MNIST-shaped [1,1,28,28] digit.
    let input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bench.join("m2_lenet.input.json")).unwrap())
            .unwrap();
    let input_path = tmp.path().join("input.json");
    std::fs::write(
        &input_path,
        serde_json::json!({"input_data": input["input_data"]}).to_string(),
    )
    .unwrap();
    let proof = tmp.path().join("proof");
    let o = zkinfer(&["prove", s(&dir), "--input", s(&input_path), "-o", s(&proof)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkinfer(&["verify", s(&dir.join("verifier-key")), s(&proof)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("VALID"), "{}", stdout(&o));
}

#[test]
fn tflite_quantized_model_classifies_images_and_compiles_within_a_memory_budget() {
    let Some(imagenet) = shared("imagenet") else {
        return;
    };
    let model = imagenet.join("mobilenet_v2_1.0_224_quant.tflite");
    let o = zkinfer(&[
        "classify",
        s(&model),
        "--image",
        s(&imagenet.join("dev/n01440764_tench.JPEG")),
        "--labels",
        s(&imagenet.join("imagenet_labels.txt")),
        "--top",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("tench"), "{}", stdout(&o));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // TFLite fixed the quantization: calibration data is refused, before any work.
    let o = zkinfer(&[
        "compile",
        s(&model),
        "--calibration",
        s(&repo().join("examples/mnist/calibration.json")),
        "-o",
        s(&out),
    ]);
    assert_fails(&o, "already quantized by TFLite");
    assert!(!out.exists());
    // So are weight bits: its weights keep TFLite's.
    let o = zkinfer(&["compile", s(&model), "--weight-bits", "8", "-o", s(&out)]);
    assert_fails(&o, "--weight-bits applies to float models only");
    assert!(!out.exists());
    // The whole model in one circuit does not fit the default 20 GiB budget, and under a
    // 2 GiB budget no chain fits (with the default hidden weights, as with fixed ones):
    // refused with the step in the way, before any key is generated, and nothing written.
    let o = zkinfer(&["compile", s(&model), "--memory-budget", "2", "-o", s(&out)]);
    assert_fails(&o, "alone needs about");
    assert!(
        stdout(&o).contains("over the memory budget"),
        "{}",
        stdout(&o)
    );
    assert!(!out.exists());
    // An image needs a model compiled to take images.
    let o = zkinfer(&[
        "classify",
        s(&model),
        "--image",
        s(&imagenet.join("labels.csv")),
    ]);
    assert_fails(&o, "image");
}

#[test]
fn image_inputs_follow_the_compiled_preprocessing() {
    let Some(imagenet) = shared("imagenet") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mnist");
    // The MNIST example takes [1,1,28,28], not an RGB image: an image preprocessing is refused
    // when compiling, before any work, and nothing is written.
    let mnist = repo().join("examples/mnist");
    let o = compile_example_with(&out, &["--image-preprocess", "unit"]);
    assert_fails(&o, "[1, 3, H, W]");
    assert!(!out.exists());
    let o = zkinfer(&[
        "compile",
        s(&mnist.join("model.onnx")),
        "--image-preprocess",
        "bogus",
        "-o",
        s(&tmp.path().join("x")),
    ]);
    assert_fails(&o, "image preprocessing");
    // Compiled without one, it takes no image either.
    let o = compile_example_with(&out, &["--weights", "fixed"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let image = imagenet.join("dev/n01440764_tench.JPEG");
    let o = zkinfer(&["predict", s(&out), "--image", s(&image)]);
    assert_fails(&o, "[1, 3, H, W]");
    let o = zkinfer(&[
        "predict",
        s(&out),
        "--input",
        s(&mnist.join("calibration.json")),
        "--image",
        s(&image),
    ]);
    assert!(!o.status.success());
}

/// A model over the memory budget is compiled as a chain of segments linked by commitments; with
/// the default hidden weights each segment commits to its own weights and `commit` prints the
/// chain's commitment of them. `prove` proves every segment and `verify` checks every proof and
/// link, and the pinned commitment: another input, another commitment, a changed byte, a
/// segment's own key and half a chain are rejected; a changed segment directory is refused by
/// `prove` without writing anything.
#[test]
fn a_model_over_the_budget_becomes_a_verifiable_chain_pinned_by_its_commitment() {
    let tmp = tempfile::tempdir().unwrap();
    let mnist = repo().join("examples/mnist");
    let dir = tmp.path().join("chain");
    let compile = |budget: &str| compile_example_with(&dir, &["--memory-budget", budget]);
    // Below what the largest block needs: refused, and nothing is written.
    assert_fails(&compile("0.1"), "alone needs about");
    assert!(!dir.exists());
    let o = compile("0.48");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("as a chain of 2 segments"),
        "{}",
        stdout(&o)
    );
    // Segments keep no proving key (regenerated at prove time, checked against the key).
    assert!(dir.join("segment-1/verifier-key").exists());
    assert!(!dir.join("segment-1/proving-key.bin").exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    let o = zkinfer(&["commit", s(&dir), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let commit: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let commitment = commit["model_commitment"].as_str().unwrap().to_string();
    assert_eq!(commit["visibility"]["weights"], "hidden");

    let digit = |d: u8| mnist.join(format!("digits/digit_{d}.json"));
    let proof = tmp.path().join("d7.proof");
    // The chain's input is hashed with a salt (the default); the input has none, so prove
    // draws one and prints it for the consumer to keep.
    let o = zkinfer(&["prove", s(&dir), "--input", s(&digit(7)), "-o", s(&proof)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o);
    let salt = printed
        .split("input salt (drawn at random: the input has none): ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no drawn input salt printed: {printed}"))
        .to_string();
    let key = dir.join("verifier-key");
    let verify_input = |d: u8, salt: &str, commitment: &str| {
        zkinfer(&[
            "verify",
            s(&key),
            s(&proof),
            "--input",
            s(&digit(d)),
            "--input-salt",
            salt,
            "--commitment",
            commitment,
        ])
    };
    let o = verify_input(7, &salt, &commitment);
    assert!(o.status.success(), "{}", stderr(&o));
    for said in [
        "VALID chain of 2",
        "class 7",
        "matches your input",
        "matches the pinned one",
    ] {
        assert!(stdout(&o).contains(said), "{said}: {}", stdout(&o));
    }
    assert_fails(&verify_input(3, &salt, &commitment), "another input");
    // Another commitment (the last hex digit changed) is refused.
    let mut other = commitment.clone();
    let last = other.pop().unwrap();
    other.push(if last == '0' { '1' } else { '0' });
    assert_fails(&verify_input(7, &salt, &other), "not the pinned commitment");
    assert_fails(
        &zkinfer(&["verify", s(&key), s(&proof), "--input", s(&digit(7))]),
        "salts its input hash",
    );
    let bytes = std::fs::read(&proof).unwrap();
    let bad = tmp.path().join("bad.proof");
    for at in [bytes.len() - 100, bytes.len() / 4] {
        let mut b = bytes.clone();
        b[at] ^= 1;
        std::fs::write(&bad, &b).unwrap();
        assert_fails(&zkinfer(&["verify", s(&key), s(&bad)]), "INVALID");
    }
    // A segment's own key is not the chain's, and a chain bundle is not a proof bundle.
    assert_fails(
        &zkinfer(&["verify", s(&dir.join("segment-0/verifier-key")), s(&proof)]),
        "INVALID",
    );
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(&zkinfer(&["verify", s(&key), s(&bad)]), "INVALID");
    // A segment's compiled model with one step's activation changed (the first ReLU of the
    // last segment that has one): it no longer computes the chain's integer model, and prove
    // refuses it, writing nothing.
    let mut edited = None;
    for segment in ["segment-1", "segment-0"] {
        let original = std::fs::read(dir.join(segment).join("compiled.bin")).unwrap();
        common::edit_compiled(&dir.join(segment), |changed| {
            use zkinfer_core::qgraph::{Activation, StepKind};
            let act = changed
                .graph
                .steps
                .iter_mut()
                .find_map(|st| match &mut st.kind {
                    StepKind::Linear(lin) if matches!(lin.rescale.act, Activation::Relu) => {
                        Some(&mut lin.rescale.act)
                    }
                    _ => None,
                });
            if let Some(act) = act {
                *act = Activation::Identity;
                edited = Some((segment, original));
            }
        });
        if edited.is_some() {
            break;
        }
    }
    let (segment, original) = edited.expect("no segment has a step with a ReLU");
    let again = tmp.path().join("again.proof");
    let o = zkinfer(&["prove", s(&dir), "--input", s(&digit(7)), "-o", s(&again)]);
    assert_fails(&o, "not the integer model's evaluation");
    assert!(!again.exists());
    std::fs::write(dir.join(segment).join("compiled.bin"), original).unwrap();
    // A segment's compiled model swapped for the other's: its key header is not the stored
    // one, so prove refuses before generating any key, and writes nothing.
    std::fs::copy(
        dir.join("segment-0/compiled.bin"),
        dir.join("segment-1/compiled.bin"),
    )
    .unwrap();
    let o = zkinfer(&["prove", s(&dir), "--input", s(&digit(7)), "-o", s(&again)]);
    assert_fails(&o, "not the stored verifier key's");
    assert!(!again.exists());
}

/// With fixed weights a segment's key fixes its weights: a segment directory whose compiled
/// model had a weight changed after compiling still gets a proving key (the key header is the
/// same), but its proof does not verify against the stored key, and prove refuses it, writing
/// nothing.
#[test]
fn a_chain_segment_changed_after_compiling_is_refused_by_its_stored_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mnist = repo().join("examples/mnist");
    let dir = tmp.path().join("chain");
    // One lane per dot row makes the one-circuit layout (k=15) too tall for the budget, while
    // each half fits k=14: otherwise the example's convolutions, proven by the randomized
    // check, leave the model at the 12-bit table's k=14, which no cutting lowers.
    let o = compile_example_with(
        &dir,
        &[
            "--weights",
            "fixed",
            "--dot-width",
            "1",
            "--activation-bits",
            "12",
            "--memory-budget",
            "0.45",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("as a chain of 2 segments"),
        "{}",
        stdout(&o)
    );
    // The second segment's first weight, one step up: its output is unchanged after rounding,
    // so the witness the prover computes still passes; only the proof check can tell.
    common::edit_compiled(&dir.join("segment-1"), |changed| {
        common::first_linear_weights(changed)[0] += 1;
    });
    let proof = tmp.path().join("d7.proof");
    let digit = mnist.join("digits/digit_7.json");
    let o = zkinfer(&["prove", s(&dir), "--input", s(&digit), "-o", s(&proof)]);
    assert_fails(&o, "does not verify against its stored verifier key");
    assert!(!proof.exists());
}

/// `zkinfer evaluate` on the user's own labelled data: the compiled model's held-out accuracy,
/// the float model's, and their agreement, equal to the library's figures; bad data is refused
/// naming the item, and a TFLite-quantized model is no float model to compare with.
#[test]
fn evaluate_reports_held_out_accuracy_and_agreement_with_the_float_model() {
    let tmp = tempfile::tempdir().unwrap();
    let mnist = repo().join("examples/mnist");
    // The example as compiled for the suite (no keys are needed to evaluate).
    let dir = tmp.path().join("m");
    zkinfer_tests::fixtures::copy_dir(
        &zkinfer_tests::fixtures::mnist_with(zkinfer_core::circuit::Visibility::PUBLIC).unwrap(),
        &dir,
    );
    let n = 60;
    let (inputs, labels) = common::heldout_digits(0, n);
    let data = tmp.path().join("heldout.json");
    common::write_test_set(&data, &inputs, &labels);

    let model = mnist.join("model.onnx");
    let o = zkinfer(&[
        "evaluate",
        s(&dir),
        "--dataset",
        s(&data),
        "--model",
        s(&model),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let compiled = zkinfer_core::prove::ModelDir::new(&dir).compiled().unwrap();
    let float = match zkinfer_core::loader::load_model(&model).unwrap() {
        zkinfer_core::tflite::Loaded::Float(m) => m,
        _ => unreachable!(),
    };
    let items: Vec<(Vec<f32>, usize)> =
        inputs.iter().cloned().zip(labels.iter().copied()).collect();
    let want = zkinfer_core::prove::evaluate(&compiled, Some(&float), &items).unwrap();
    assert_eq!(got["samples"], n);
    assert_eq!(got["quantized_correct"], want.quantized_correct);
    assert_eq!(
        got["float"]["float_correct"],
        want.float.unwrap().float_correct
    );
    assert_eq!(
        got["float"]["agreement"],
        serde_json::json!(want.float.unwrap().agreement)
    );
    // The example is a real classifier: most held-out digits right.
    assert!(want.quantized_accuracy > 0.9, "{want:?}");
    let o = zkinfer(&["evaluate", s(&dir), "--dataset", s(&data)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("({} of {n})", want.quantized_correct))
            && stdout(&o).contains("pass --model"),
        "{}",
        stdout(&o)
    );

    // Bad data: an input of another size, a label the model does not have.
    let mut short = inputs.clone();
    short[3].truncate(100);
    common::write_test_set(&data, &short, &labels);
    assert_fails(
        &zkinfer(&["evaluate", s(&dir), "--dataset", s(&data)]),
        "item 3 has 100 input values; the model reads 784",
    );
    let mut wrong = labels.clone();
    wrong[5] = 10;
    common::write_test_set(&data, &inputs, &wrong);
    assert_fails(
        &zkinfer(&["evaluate", s(&dir), "--dataset", s(&data)]),
        "item 5 is labelled 10, but the model has 10 outputs",
    );
    std::fs::write(&data, br#"{"inputs": [[0.5]], "labels": []}"#).unwrap();
    assert_fails(
        &zkinfer(&["evaluate", s(&dir), "--dataset", s(&data)]),
        "1 inputs and 0 labels",
    );
    common::write_test_set(&data, &inputs, &labels);
    assert_fails(
        &zkinfer(&[
            "evaluate",
            s(&dir),
            "--dataset",
            s(&data),
            "--model",
            s(&repo().join("examples/int8/resnet_int8.tflite")),
        ]),
        "already quantized by TFLite",
    );
}

/// `verify --text`: the prompt is spelled with the tokenizer the verifier key binds, so a
/// consumer checks a proof against what it typed. Uses the text example's proof (hidden
/// weights, salted prompt hash) that scripts/make-wasm-fixtures.sh writes.
#[test]
fn verify_checks_a_typed_prompt_spelled_with_the_keys_tokenizer() {
    let dir = repo().join("verifier-wasm/tests/fixtures");
    let (key, proof, input) = (
        dir.join("gpt-key"),
        dir.join("gpt.proof"),
        dir.join("gpt.input.json"),
    );
    if !(key.exists() && proof.exists() && input.exists()) {
        assert!(
            !zkinfer_tests::shared_data::required(),
            "the text example's proof is missing from {}: run scripts/make-wasm-fixtures.sh",
            dir.display()
        );
        eprintln!("skipped: no text example proof (scripts/make-wasm-fixtures.sh)");
        return;
    }
    let sent: serde_json::Value = serde_json::from_slice(&std::fs::read(&input).unwrap()).unwrap();
    let salt = sent["input_salt"].as_str().unwrap();
    let verify = |prompt: &str, salt: Option<&str>| {
        let mut args = vec!["verify", s(&key), s(&proof), "--text", prompt];
        if let Some(salt) = salt {
            args.extend(["--input-salt", salt]);
        }
        zkinfer(&args)
    };
    // The fixture's prompt; and the same ids typed with capitals and a run of whitespace.
    for prompt in [
        "It is not down in any map; true places never ar",
        "IT IS NOT DOWN in any map;  true\tplaces never ar",
    ] {
        let ok = verify(prompt, Some(salt));
        assert!(ok.status.success(), "{prompt:?}: {}", stderr(&ok));
        assert!(
            stdout(&ok).contains("(matches your input)"),
            "{}",
            stdout(&ok)
        );
    }
    assert_fails(
        &verify(
            "It is not down in any map; true places never an",
            Some(salt),
        ),
        "INVALID: the proof is for another input",
    );
    assert_fails(
        &verify("It is not down in any map; true places never ar", None),
        "give the salt",
    );
    assert_fails(
        &verify("true places never 4r", Some(salt)),
        "is not in this model's vocabulary",
    );
    // Text goes with a key that binds a tokenizer: the digit model's does not.
    let digit = zkinfer(&[
        "verify",
        s(&dir.join("verifier-key")),
        s(&dir.join("digit_7.proof")),
        "--text",
        "seven",
    ]);
    assert_fails(&digit, "binds no tokenizer");
    let both = zkinfer(&[
        "verify",
        s(&key),
        s(&proof),
        "--text",
        "a",
        "--input",
        s(&input),
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

/// A text model proven in segments: the first segment's key binds the prompt rules, the last
/// segment's labels are the vocabulary, and the chain key puts them together, so a prompt is
/// checked against the chain key's tokenizer as it is against a single key's.
#[test]
fn a_text_model_proven_as_a_chain_binds_its_tokenizer_across_the_segments() {
    use zkinfer_core::chain::ChainKey;
    use zkinfer_core::text_input::Tokenizer;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chars");
    let text = repo().join("examples/text");
    let compiled = zkinfer(&[
        "compile",
        s(&repo().join("examples/onnx-zoo/char_mlp.onnx")),
        "--calibration",
        s(&text.join("calibration.json")),
        "--tokenizer",
        s(&text.join("tokenizer.json")),
        "--activation-bits",
        "8",
        // Its one circuit needs about 0.4 GiB: two k = 12 segments fit this budget.
        "--memory-budget",
        "0.38",
        "-o",
        s(&dir),
    ]);
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    assert!(
        stdout(&compiled).contains("as a chain of"),
        "{}",
        stdout(&compiled)
    );
    let key_path = dir.join("verifier-key");
    let key = ChainKey::from_bytes(&std::fs::read(&key_path).unwrap()).unwrap();
    let tokenizer = Tokenizer::from_json(
        &std::fs::read_to_string(text.join("tokenizer.json")).unwrap(),
        "t",
    )
    .unwrap();
    assert_eq!(key.tokenizer(), Some(tokenizer));
    assert!(key.keys[0].header.labels.is_none() && key.keys[0].header.text.is_some());

    let proof = tmp.path().join("next.proof");
    let salt = "0x00000000000000000000000000000000000000000000000000000000000c0ffe";
    let prompt = "Call me Ishmael. Some years ago";
    let proved = zkinfer(&[
        "prove",
        s(&dir),
        "--text",
        prompt,
        "--input-salt",
        salt,
        "-o",
        s(&proof),
    ]);
    assert!(proved.status.success(), "{}", stderr(&proved));
    let verify = |prompt: &str| {
        zkinfer(&[
            "verify",
            s(&key_path),
            s(&proof),
            "--text",
            prompt,
            "--input-salt",
            salt,
        ])
    };
    let ok = verify("CALL ME ISHMAEL.  Some years ago");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("VALID chain of"), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains("(matches your input)"),
        "{}",
        stdout(&ok)
    );
    assert_fails(
        &verify("Call me Ishmael. Some years agO!"),
        "INVALID: the proof is for another input",
    );
}

/// `zkinfer compile` of the fixture `prover-native/tests/fixtures/NAME.onnx` (made with the
/// `onnx` package's helpers: `x: [batch, sequence, 4]`, MatMul by a constant, Relu) into `dir`,
/// calibrated at random with fixed weights, with `extra` flags.
fn compile_sequence_fixture(name: &str, dir: &Path, extra: &[&str]) -> Output {
    let model = repo().join(format!("prover-native/tests/fixtures/{name}.onnx"));
    let mut args = vec![
        "compile",
        s(&model),
        "--calibrate-random",
        "--weights",
        "fixed",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", s(dir)]);
    zkinfer(&args)
}

/// `zkinfer predict` on the compiled `dir` with three tokens of four features succeeds.
fn predicts_three_rows(dir: &Path) {
    let input = dir.with_extension("input.json");
    let x: Vec<f32> = (0..12).map(|i| i as f32 / 4.0 - 1.0).collect();
    std::fs::write(&input, serde_json::json!({ "input_data": [x] }).to_string()).unwrap();
    let o = zkinfer(&["predict", s(dir), "--input", s(&input)]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A model exported with dynamic axes (`dynamic_sequence`): compile names the symbolic
/// dimension and the flag before doing anything, and with `--dim sequence=3` it compiles to
/// that shape and predicts.
#[test]
fn a_symbolic_input_dimension_is_given_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dynamic");
    let compile = |extra: &[&str]| compile_sequence_fixture("dynamic_sequence", &dir, extra);
    assert_fails(&compile(&[]), "--dim sequence=N");
    assert!(!dir.exists(), "a failed compile left files behind");
    assert_fails(&compile(&["--dim", "seq=3"]), "no dimension named 'seq'");
    let o = compile(&["--dim", "sequence=0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = compile(&["--dim", "sequence=3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    predicts_three_rows(&dir);
}

/// `masked_sequence` compiled into `dir` with three tokens and `extra` arguments.
fn compile_masked_fixture(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--dim", "sequence=3"];
    args.extend_from_slice(extra);
    compile_sequence_fixture("masked_sequence", dir, &args)
}

/// A HuggingFace-shaped export reads an `attention_mask` beside its input (`masked_sequence`:
/// an int64 mask `[batch, sequence]` multiplying the features): compile names the inputs and
/// the flag, and with `--constant-input attention_mask=ones` the mask is part of the model.
#[test]
fn an_extra_input_is_held_constant_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("masked");
    let compile = |extra: &[&str]| compile_masked_fixture(&dir, extra);
    assert_fails(&compile(&[]), "--constant-input");
    assert!(!dir.exists(), "a failed compile left files behind");
    let o = compile(&["--constant-input", "attention_mask=twos"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = compile(&["--constant-input", "attention_mask=ones"]);
    assert!(o.status.success(), "{}", stderr(&o));
    predicts_three_rows(&dir);
}

/// `--output-tensor` proves a tensor chosen by name (here `r`, the features before the mask):
/// only the nodes it needs are compiled, so the mask input no longer needs a value; a name no
/// node writes is refused before anything is written.
#[test]
fn the_tensor_to_prove_is_chosen_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("features");
    let compile = |extra: &[&str]| compile_masked_fixture(&dir, extra);
    assert_fails(
        &compile(&["--output-tensor", "nope"]),
        "--output-tensor 'nope': no node writes it",
    );
    assert!(!dir.exists(), "a failed compile left files behind");
    let o = compile(&["--output-tensor", "r"]);
    assert!(o.status.success(), "{}", stderr(&o));
    predicts_three_rows(&dir);
}
