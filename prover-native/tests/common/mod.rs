//! Helpers shared by the tests that run the `zkinfer` binary: running it, compiling the bundled
//! MNIST example, running `zkinfer serve` on a free port, and plain HTTP requests.
#![allow(dead_code)] // each test file uses a different subset

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use zkinfer_core::circuit::Visibility;
use zkinfer_core::prove::{CompileOptions, Compiled, ModelDir};
use zkinfer_tests::fixtures;

pub use zkinfer_tests::shared_data::repo;

/// Runs the `zkinfer` binary with `args`.
pub fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .expect("run zkinfer")
}

/// What a run printed: its stdout, then its stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn digit(d: u8) -> Vec<u8> {
    std::fs::read(repo().join(format!("examples/mnist/digits/digit_{d}.json"))).unwrap()
}

/// The bundled MNIST example compiled with the library's default options (everything public)
/// into `dir`: a copy of the fixture every test binary shares. With `dot_width`, another
/// layout, so another model id, for the same network with the same scales: a stand-in a lying
/// server could pass off as this model.
pub fn compile_mnist(dir: &Path, dot_width: Option<usize>) {
    let fixture = match dot_width {
        None => fixtures::mnist_public(),
        Some(20) => fixtures::mnist_public_width20(),
        Some(w) => panic!("no shared fixture at dot width {w}"),
    };
    fixtures::copy_dir(&fixture, dir);
}

/// The bundled MNIST example compiled with `visibility` into `dir` (a copy of a shared fixture
/// where there is one); `edit` then changes the compiled model (for example a weight), which is
/// rewritten. Only a model with hidden weights may be edited so: its keys do not depend on the
/// weights (`core/tests/model_circuit.rs`), so the copied keys are the edited model's.
pub fn compile_mnist_with(
    dir: &Path,
    visibility: Visibility,
    edit: Option<impl FnOnce(&mut Compiled)>,
) {
    match fixtures::mnist_with(visibility) {
        Some(fixture) => fixtures::copy_dir(&fixture, dir),
        None => fixtures::compile_mnist_into(
            dir,
            CompileOptions {
                visibility,
                ..Default::default()
            },
        ),
    }
    if let Some(edit) = edit {
        assert!(
            visibility.hidden_weights(),
            "the keys would change with the weights"
        );
        edit_compiled(dir, edit);
    }
}

/// The weights of the first convolution or dense step of `compiled` (the MNIST example's first
/// convolution), for tests that change a weight.
pub fn first_linear_weights(compiled: &mut Compiled) -> &mut Vec<i64> {
    use zkinfer_core::qgraph::{LinearKernel, StepKind};
    compiled
        .graph
        .steps
        .iter_mut()
        .find_map(|st| match &mut st.kind {
            StepKind::Linear(lin) => match &mut lin.kernel {
                LinearKernel::Conv { weight, .. } | LinearKernel::Dense { weight, .. } => {
                    Some(weight)
                }
                _ => None,
            },
            _ => None,
        })
        .expect("the model has a convolution or dense step")
}

/// Changes the compiled model in `dir` (a model or a chain's segment directory) in place with
/// `edit`, its keys left as they were.
pub fn edit_compiled(dir: &Path, edit: impl FnOnce(&mut Compiled)) {
    let model = ModelDir::new(dir);
    let mut compiled = model.compiled().unwrap();
    edit(&mut compiled);
    model.write_compiled(&compiled).unwrap();
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    pub fn start(model: &Path, data: &Path, log: PathBuf, extra: &[&str]) -> Server {
        Server::start_many(&[model], data, log, extra)
    }

    pub fn start_many(models: &[&Path], data: &Path, log: PathBuf, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .arg("serve")
            .args(models)
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start zkinfer serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("zkinfer serve: listening on ") else {
            let _ = child.kill();
            panic!(
                "server did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Server {
            base: addr.to_string(),
            child,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> Resp {
        request("GET", &self.url(path), None)
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Resp {
        request("POST", &self.url(path), Some(body))
    }

    /// Polls a receipt until it is no longer pending.
    pub fn wait_proof(&self, receipt: &str) -> Resp {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let r = self.get(&format!("/api/proofs/{receipt}"));
            if r.status != 202 {
                return r;
            }
            let s = r.json()["status"].as_str().unwrap().to_string();
            assert!(s == "queued" || s == "proving", "{s}");
            assert!(
                Instant::now() < deadline,
                "proof for {receipt} never finished"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Kills the process abruptly (like a crash).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- server log ---\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub coop: Option<String>,
    pub coep: Option<String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts a JSON error with this status, returning its message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.content_type.starts_with("application/json"));
        self.json()["error"]
            .as_str()
            .expect("an error message")
            .to_string()
    }
}

pub fn request(method: &str, url: &str, body: Option<&[u8]>) -> Resp {
    let r = ureq::request(method, url).timeout(Duration::from_secs(60));
    let res = match body {
        Some(b) => r.set("content-type", "application/json").send_bytes(b),
        None => r.call(),
    };
    let resp = match res {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let h = |n: &str| resp.header(n).map(str::to_string);
    let (status, content_type) = (resp.status(), h("content-type").unwrap_or_default());
    let (coop, coep) = (
        h("cross-origin-opener-policy"),
        h("cross-origin-embedder-policy"),
    );
    let mut body = vec![];
    resp.into_reader()
        .take(16 << 20)
        .read_to_end(&mut body)
        .unwrap();
    Resp {
        status,
        content_type,
        coop,
        coep,
        body,
    }
}

/// Held-out MNIST digits `from..from + n` of the bundled example (examples/mnist/README.md: 784
/// bytes per image), as the model's inputs (pixels / 255), with their labels.
pub fn heldout_digits(from: usize, n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mnist = repo().join("examples/mnist");
    let pixels = std::fs::read(mnist.join("heldout.bin")).unwrap();
    let labels = std::fs::read(mnist.join("heldout-labels.bin")).unwrap();
    let inputs = (from..from + n)
        .map(|i| {
            pixels[i * 784..(i + 1) * 784]
                .iter()
                .map(|&p| p as f32 / 255.0)
                .collect()
        })
        .collect();
    (
        inputs,
        (from..from + n).map(|i| labels[i] as usize).collect(),
    )
}

/// A labelled test set file as `prove-dataset`, `attest-accuracy` and `evaluate` read it.
pub fn write_test_set(path: &Path, inputs: &[Vec<f32>], labels: &[usize]) {
    let set = serde_json::json!({ "inputs": inputs, "labels": labels });
    std::fs::write(path, serde_json::to_vec(&set).unwrap()).unwrap();
}

/// The zoo's small MLP (8-bit activations, the served defaults: hidden weights, salted input)
/// compiled as a chain of segments under a tiny memory budget.
pub fn compile_small_chain(dir: &std::path::Path) -> u64 {
    let model = repo().join("examples/onnx-zoo/mlp_activations.onnx");
    let o = zkinfer(&[
        "compile",
        model.to_str().unwrap(),
        "--calibrate-random",
        "--activation-bits",
        "8",
        "--memory-budget",
        SMALL_CHAIN_BUDGET,
        "-o",
        dir.to_str().unwrap(),
    ]);
    let printed = text(&o);
    assert!(o.status.success(), "{printed}");
    let segments = printed
        .split("as a chain of ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not compiled as a chain: {printed}"));
    assert!(segments >= 2, "{printed}");
    segments
}

/// A budget under which the small MLP is cut into segments (three today).
const SMALL_CHAIN_BUDGET: &str = "0.34";

/// A JSON array of numbers (an answer's `output`, say) as f64s.
pub fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}
