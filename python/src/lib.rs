//! `zkinfer._native`: the extension module under the Python package `zkinfer` (python/zkinfer).
//! Every function here converts arguments, calls zkinfer-core (the same `build` and `pinned`
//! code the CLI runs, so the two refuse the same things with the same words), and returns its
//! result as a JSON string that the Python layer turns into dicts and numpy arrays. Long steps
//! (compiling with key generation, proving) run with the interpreter released, reporting
//! progress to an optional callback.

use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyException, PyFileNotFoundError};
use pyo3::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkinfer_core::build::{self, Calibration, ModelInput, Progress};
use zkinfer_core::circuit::{TensorVisibility, Visibility, WeightVisibility};
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::poseidon;
use zkinfer_core::srs::SrsSource;
use zkinfer_core::Error;

pyo3::create_exception!(
    zkinfer,
    ZkinferError,
    PyException,
    "Something zkinfer cannot do, with the reason."
);
pyo3::create_exception!(
    zkinfer,
    InvalidInputError,
    ZkinferError,
    "An argument zkinfer cannot use: an input of the wrong size, a NaN, an option that does not \
     fit the model."
);
pyo3::create_exception!(
    zkinfer,
    ModelError,
    ZkinferError,
    "A model file zkinfer cannot read or prove: malformed, or with an unsupported operator."
);
pyo3::create_exception!(
    zkinfer,
    InvalidProofError,
    ZkinferError,
    "A proof that must not be believed: it does not verify, or not against what was pinned."
);

/// A core error as the Python exception of its kind, with the CLI's message.
fn to_py(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Rejected(why) => InvalidProofError::new_err(why),
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(message)
        }
        Error::InvalidInput(_) | Error::OutOfRange { .. } => InvalidInputError::new_err(message),
        Error::MalformedModel { .. }
        | Error::MalformedTflite { .. }
        | Error::UnsupportedOp { .. }
        | Error::InvalidModel(_)
        | Error::Quantization(_)
        | Error::UnsupportedShape { .. } => ModelError::new_err(message),
        _ => ZkinferError::new_err(message),
    }
}

fn invalid(message: impl Into<String>) -> PyErr {
    InvalidInputError::new_err(message.into())
}

/// A path that must exist, refused before any work with Python's own error.
fn existing(path: &Path, what: &str) -> PyResult<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(PyFileNotFoundError::new_err(format!(
            "{what} {} does not exist",
            path.display()
        )))
    }
}

/// The setup: a powers-of-tau or KZG parameters file, or the development parameters (cached).
fn srs(params: Option<PathBuf>, cache_dir: Option<PathBuf>) -> PyResult<SrsSource> {
    Ok(match params {
        Some(p) => {
            existing(&p, "the setup file")?;
            SrsSource::File(p)
        }
        None => SrsSource::Dev {
            cache_dir: cache_dir.unwrap_or_else(zkinfer_core::srs::default_cache_dir),
        },
    })
}

/// Progress to the Python callback `progress(event, text, seconds)`: `("start", step, None)`
/// when a slow step starts, `("end", step, seconds)` when it ends, `("note", line, None)` for a
/// line worth showing (the layout, a segment proven).
fn reporter(progress: Option<Py<PyAny>>) -> impl FnMut(Progress<'_>) + Send {
    move |p| {
        let Some(callback) = &progress else {
            return;
        };
        let (event, text, seconds) = match p {
            Progress::Started(s) => ("start", s.to_string(), None),
            Progress::Finished(s, t) => ("end", s.to_string(), Some(t.as_secs_f64())),
            Progress::Note(line) => ("note", line, None),
        };
        Python::attach(|py| {
            // A failing callback must not stop a proof that is half done: report it and go on.
            if let Err(e) = callback.call1(py, (event, text, seconds)) {
                e.print(py);
            }
        });
    }
}

/// A float32 array's values, flattened in C order; refused with `what` if any is not finite.
fn values(array: &PyReadonlyArrayDyn<'_, f32>, what: &str) -> PyResult<Vec<f32>> {
    let v: Vec<f32> = array.as_array().iter().copied().collect();
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(invalid(format!(
            "{what} value {i} is {}, not a finite number",
            v[i]
        )));
    }
    Ok(v)
}

fn tensor_visibility(name: &str, input: bool) -> PyResult<TensorVisibility> {
    Ok(match name {
        "public" => TensorVisibility::Public,
        "packed" => TensorVisibility::Packed,
        // The input's hash is salted with the consumer's salt; an output's is not.
        "hashed" if input => TensorVisibility::Salted,
        "hashed" | "hashed-unsalted" => TensorVisibility::Hashed,
        "hidden" => TensorVisibility::Hidden,
        _ => {
            return Err(invalid(format!(
                "visibility '{name}' is not one of public, packed, hashed, hashed-unsalted, hidden"
            )))
        }
    })
}

fn visibility(weights: &str, input: &str, output: &str) -> PyResult<Visibility> {
    Ok(Visibility {
        weights: match weights {
            "hidden" => WeightVisibility::Hidden,
            "fixed" => WeightVisibility::Fixed,
            _ => {
                return Err(invalid(format!(
                    "weights '{weights}' is not one of hidden, fixed"
                )))
            }
        },
        input: tensor_visibility(input, true)?,
        output: tensor_visibility(output, false)?,
    })
}

/// A salt given as 64 hex digits, or `random`.
fn salt(given: Option<&str>, what: &str) -> PyResult<Option<Fr>> {
    match given {
        None => Ok(None),
        Some("random") => Ok(Some(zkinfer_core::commitment::random_input_salt())),
        Some(hex) => poseidon::from_hex(hex).map(Some).ok_or_else(|| {
            invalid(format!(
                "{what} '{hex}' is not 64 hex digits below the BN254 scalar modulus"
            ))
        }),
    }
}

fn to_json(v: &Value) -> String {
    v.to_string()
}

#[pyfunction]
#[pyo3(signature = (
    model, out, calibration=None, *, calibrate_random=false, activation_bits=None,
    weight_bits=None, dot_width=None, headroom=None, labels=None, tokenizer=None,
    image_preprocess=None, weights="hidden", input_visibility="hashed",
    output_visibility="public", salt=None, memory_budget_gib=20.0, params=None, cache_dir=None,
    progress=None, dims=None, constant_inputs=None, output_tensor=None, prove_softmax=false,
))]
#[allow(clippy::too_many_arguments)]
fn compile(
    py: Python<'_>,
    model: PathBuf,
    out: PathBuf,
    calibration: Option<PyReadonlyArrayDyn<'_, f32>>,
    calibrate_random: bool,
    activation_bits: Option<u32>,
    weight_bits: Option<u32>,
    dot_width: Option<usize>,
    headroom: Option<f32>,
    labels: Option<Vec<String>>,
    tokenizer: Option<PathBuf>,
    image_preprocess: Option<String>,
    weights: &str,
    input_visibility: &str,
    output_visibility: &str,
    salt: Option<String>,
    memory_budget_gib: f64,
    params: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
    dims: Option<std::collections::BTreeMap<String, usize>>,
    constant_inputs: Option<std::collections::BTreeMap<String, String>>,
    output_tensor: Option<String>,
    prove_softmax: bool,
) -> PyResult<String> {
    existing(&model, "the model file")?;
    let calibration = match (calibration, calibrate_random) {
        (Some(_), true) => {
            return Err(invalid(
                "calibration and calibrate_random=True: give one (real inputs are better)",
            ))
        }
        (Some(array), false) => {
            if array.ndim() < 2 {
                return Err(invalid(format!(
                    "calibration has shape {:?}: give one input per row, [samples, ...input shape]",
                    array.shape()
                )));
            }
            let rows = array.shape()[0];
            let all = values(&array, "calibration")?;
            let per = all.len().checked_div(rows).unwrap_or(0);
            Calibration::Samples(all.chunks(per.max(1)).map(<[f32]>::to_vec).collect())
        }
        (None, true) => Calibration::Random,
        (None, false) => Calibration::Missing,
    };
    let tokenizer = tokenizer
        .map(|p| -> PyResult<_> {
            let text = std::fs::read_to_string(&p).map_err(|e| {
                PyFileNotFoundError::new_err(format!("reading the tokenizer {}: {e}", p.display()))
            })?;
            zkinfer_core::text_input::Tokenizer::from_json(&text, &p.display().to_string())
                .map_err(to_py)
        })
        .transpose()?;
    let image = image_preprocess
        .as_deref()
        .map(zkinfer_core::image_input::ImagePreprocess::parse)
        .transpose()
        .map_err(to_py)?;
    let memory_budget =
        zkinfer_core::prove::memory_budget_from_gib(memory_budget_gib).ok_or_else(|| {
            invalid(format!(
                "memory_budget_gib must be a positive number of GiB, not {memory_budget_gib}"
            ))
        })?;
    let opts = zkinfer_core::prove::CompileOptions {
        act_bits: activation_bits,
        dot_width,
        weight_bits,
        headroom,
        labels,
        visibility: visibility(weights, input_visibility, output_visibility)?,
        salt: self::salt(salt.as_deref(), "salt")?,
        image,
        tokenizer,
        memory_budget: Some(memory_budget),
        onnx: zkinfer_core::onnx::OnnxChoices {
            dims: dims.unwrap_or_default().into_iter().collect(),
            constants: constant_inputs
                .unwrap_or_default()
                .into_iter()
                .map(|(name, fill)| Ok((name, fill.parse().map_err(invalid)?)))
                .collect::<PyResult<_>>()?,
            output: output_tensor,
        },
        final_softmax: zkinfer_core::tflite::FinalSoftmax::proven_if(prove_softmax),
    };
    let srs = srs(params, cache_dir)?;
    let mut report = reporter(progress);
    let built =
        py.detach(|| build::compile_file(&model, calibration, &out, opts, &srs, &mut report));
    let built = built.map_err(to_py)?;
    let (_, _, commitment) = build::open_dir(&out).map_err(to_py)?;
    Ok(to_json(&json!({
        "dir": out,
        "model_id": built.model_id,
        "segments": built.segments,
        "verifier_key_bytes": built.key_bytes,
        "params_seconds": built.params_time.as_secs_f64(),
        "keygen_seconds": built.keygen_time.as_secs_f64(),
        "model_commitment": commitment.map(|c| poseidon::to_hex(&c)),
    })))
}

/// The model input of one of `input` (an array), `image` (a path) or `text` (a prompt).
fn model_input(
    input: Option<PyReadonlyArrayDyn<'_, f32>>,
    image: Option<PathBuf>,
    text: Option<String>,
) -> PyResult<ModelInput> {
    match (input, image, text) {
        (Some(a), None, None) => Ok(ModelInput::Values(values(&a, "input")?)),
        (None, Some(p), None) => {
            existing(&p, "the image")?;
            Ok(ModelInput::Image(p))
        }
        (None, None, Some(t)) => Ok(ModelInput::Prompt(t)),
        _ => Err(invalid("give exactly one of input, image or text")),
    }
}

fn open(dir: &Path) -> PyResult<(zkinfer_core::prove::Compiled, String, Option<Fr>)> {
    existing(dir, "the compiled model directory")?;
    build::open_dir(dir).map_err(to_py)
}

#[pyfunction]
#[pyo3(signature = (dir, input=None, *, image=None, text=None))]
fn predict(
    dir: PathBuf,
    input: Option<PyReadonlyArrayDyn<'_, f32>>,
    image: Option<PathBuf>,
    text: Option<String>,
) -> PyResult<String> {
    let input = model_input(input, image, text)?;
    let (compiled, model_id, _) = open(&dir)?;
    let x = build::input_values(&compiled, &input).map_err(to_py)?;
    let (q_in, values) = compiled.witness(&x).map_err(to_py)?;
    let raw = &values[compiled.graph.output];
    let output = compiled.graph.dequantize_output(raw);
    let class = zkinfer_core::tensor::argmax(&output);
    Ok(to_json(&json!({
        "model_id": model_id,
        "input": x,
        "input_raw": q_in,
        "output_raw": raw,
        "output": output,
        "output_shape": compiled.graph.output_tensor().shape,
        "predicted_class": class,
        "predicted_label": compiled.labels.as_ref().and_then(|l| l.get(class)),
    })))
}

#[pyfunction]
#[pyo3(signature = (dir, out, input=None, *, image=None, text=None, input_salt=None, params=None,
    cache_dir=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove(
    py: Python<'_>,
    dir: PathBuf,
    out: PathBuf,
    input: Option<PyReadonlyArrayDyn<'_, f32>>,
    image: Option<PathBuf>,
    text: Option<String>,
    input_salt: Option<String>,
    params: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let input = model_input(input, image, text)?;
    let (compiled, model_id, _) = open(&dir)?;
    let x = build::input_values(&compiled, &input).map_err(to_py)?;
    // A salted input hash needs the consumer's salt; without one a fresh salt is drawn and
    // returned, since checking the proof against the input needs it.
    let salted = compiled.visibility().input == TensorVisibility::Salted;
    let given = salt(input_salt.as_deref(), "input_salt")?;
    let input_salt = match (salted, given) {
        (true, Some(s)) => Some(s),
        (true, None) => Some(zkinfer_core::commitment::random_input_salt()),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(invalid(format!(
                "this model's input is {}, not salted: drop input_salt",
                compiled.visibility().input.name()
            )))
        }
    };
    drop(compiled);
    let srs = srs(params, cache_dir)?;
    let mut report = reporter(progress);
    let proved = py
        .detach(|| build::prove_dir(&dir, &x, input_salt, &srs, &out, &mut report))
        .map_err(to_py)?;
    Ok(to_json(&json!({
        "proof": out,
        "model_id": model_id,
        "input_salt": input_salt.map(|s| poseidon::to_hex(&s)),
        "output": proved.output,
        "predicted_class": zkinfer_core::tensor::argmax(&proved.output),
        "bundle_bytes": proved.bundle_bytes,
        "segments": proved.segments,
        "prove_seconds": proved.prove_time.as_secs_f64(),
    })))
}

fn read(path: &Path, what: &str) -> PyResult<Vec<u8>> {
    existing(path, what)?;
    std::fs::read(path)
        .map_err(|e| ZkinferError::new_err(format!("reading {}: {e}", path.display())))
}

#[pyfunction]
#[pyo3(signature = (verifier_key, proof, *, model_id=None, commitment=None, setup=None,
    input=None, text=None, input_salt=None))]
#[allow(clippy::too_many_arguments)]
fn verify(
    py: Python<'_>,
    verifier_key: PathBuf,
    proof: PathBuf,
    model_id: Option<String>,
    commitment: Option<String>,
    setup: Option<String>,
    input: Option<PyReadonlyArrayDyn<'_, f32>>,
    text: Option<String>,
    input_salt: Option<String>,
) -> PyResult<String> {
    use zkinfer_core::pinned::{verify_pinned, Pins, SentInput};
    let key_bytes = read(&verifier_key, "the verifier key")?;
    let bundle = read(&proof, "the proof bundle")?;
    let input = match (input, text) {
        (Some(a), None) => Some(SentInput::Values(values(&a, "input")?)),
        (None, Some(t)) => Some(SentInput::Prompt(t)),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(invalid("give input or text, not both")),
    };
    let input_salt = match input_salt.as_deref() {
        Some("random") => return Err(invalid("input_salt: give the salt the proof was made with")),
        other => salt(other, "input_salt")?,
    };
    let pins = Pins {
        model_id,
        commitment,
        setup,
        input,
        input_salt,
    };
    let verdict = py
        .detach(|| verify_pinned(&key_bytes, &bundle, &pins))
        .map_err(to_py)?;
    let v = &verdict.verified;
    Ok(to_json(&json!({
        "valid": true,
        "model_id": v.model_id,
        "segments": verdict.segments,
        "visibility": v.visibility,
        "output": v.output_values,
        "output_raw": v.output.values,
        "predicted_class": v.predicted_class,
        "predicted_label": v.predicted_label,
        "input_hash": v.input_hash,
        "output_hash": v.output_hash,
        "model_commitment": v.model_commitment,
        "setup_digest": v.setup_digest,
        "development_setup": v.development_setup,
        "checked": {
            "commitment": verdict.commitment_checked,
            "setup": verdict.setup_checked,
            "input": verdict.input_checked,
        },
    })))
}

#[pyfunction]
fn commit(dir: PathBuf) -> PyResult<String> {
    let (compiled, model_id, commitment) = open(&dir)?;
    Ok(to_json(&json!({
        "model_id": model_id,
        "model_commitment": commitment.map(|c| poseidon::to_hex(&c)),
        "visibility": compiled.visibility(),
    })))
}

/// What a verifier key (or chain key) says: header, model id, setup.
#[pyfunction]
fn inspect_key(path: PathBuf) -> PyResult<String> {
    let bytes = read(&path, "the verifier key")?;
    if zkinfer_core::chain::is_chain_key(&bytes) {
        let chain = zkinfer_core::chain::ChainKey::from_bytes(&bytes).map_err(to_py)?;
        let headers: Vec<&zkinfer_core::verifier_key::VkHeader> =
            chain.keys.iter().map(|k| &k.header).collect();
        return Ok(to_json(&json!({
            "model_id": chain.chain_id,
            "model_name": chain.model_name,
            "segments": chain.keys.len(),
            "setup_digest": chain.keys[0].setup_digest,
            "development_setup": zkinfer_core::setup::is_development_setup(&chain.keys[0].setup_digest),
            "segment_headers": headers,
        })));
    }
    let key = zkinfer_core::VerifierKey::from_bytes(&bytes).map_err(to_py)?;
    Ok(to_json(&json!({
        "model_id": key.model_id,
        "model_name": key.header.model_name,
        "segments": 1,
        "setup_digest": key.setup_digest,
        "development_setup": zkinfer_core::setup::is_development_setup(&key.setup_digest),
        "header": key.header,
    })))
}

/// What a proof bundle (or chain bundle) makes public, before any verification.
#[pyfunction]
fn inspect_bundle(path: PathBuf) -> PyResult<String> {
    let bytes = read(&path, "the proof bundle")?;
    if zkinfer_core::chain::is_chain_bundle(&bytes) {
        let chain = zkinfer_core::chain::ChainBundle::from_bytes(&bytes).map_err(to_py)?;
        let headers: Vec<_> = chain.bundles.iter().map(|b| &b.header).collect();
        return Ok(to_json(&json!({
            "segments": chain.bundles.len(),
            "segment_headers": headers,
        })));
    }
    let bundle = zkinfer_core::ProofBundle::from_bytes(&bytes).map_err(to_py)?;
    Ok(to_json(&json!({
        "segments": 1,
        "header": bundle.header,
        "proof_bytes": bundle.proof.len(),
    })))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ZkinferError", py.get_type::<ZkinferError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("InvalidProofError", py.get_type::<InvalidProofError>())?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_key, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_bundle, m)?)?;
    Ok(())
}
