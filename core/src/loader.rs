//! Model files, by content: a TFLite flatbuffer carries the identifier "TFL3"; anything else is
//! read as ONNX.

use crate::error::{Error, Result};
use crate::tflite::{FinalSoftmax, Loaded};
use std::path::Path;

/// A model file's bytes and its name (the file stem).
pub(crate) fn read_model_file(path: &Path) -> Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((bytes, name))
}

/// Loads an ONNX or TFLite model file.
pub fn load_model(path: impl AsRef<Path>) -> Result<Loaded> {
    load_model_with(
        path,
        &crate::onnx::OnnxChoices::default(),
        FinalSoftmax::Outside,
    )
}

/// [`load_model`] with an ONNX model's input choices (a TFLite model's shapes are fixed and it
/// has one input: it takes none) and what becomes of a TFLite model's final SOFTMAX (an ONNX
/// model's Softmax is always proven).
pub fn load_model_with(
    path: impl AsRef<Path>,
    choices: &crate::onnx::OnnxChoices,
    final_softmax: FinalSoftmax,
) -> Result<Loaded> {
    let path = path.as_ref();
    let (bytes, name) = read_model_file(path)?;
    let origin = path.display().to_string();
    if crate::tflite::is_tflite(&bytes) {
        if !choices.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{origin} is a TFLite model, whose shape is fixed and whose input is one: \
                 --dim and --constant-input apply to ONNX models"
            )));
        }
        crate::tflite::load_tflite_bytes(&bytes, &name, &origin, final_softmax)
    } else {
        crate::onnx::load_onnx_file_bytes(&bytes, &name, path, choices).map(Loaded::Float)
    }
}
