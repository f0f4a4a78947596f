//! Typed errors for every stage of the pipeline. Each variant names the stage so a user sees
//! where a problem arose (loading, quantizing, evaluating, proving, verifying, parsing bytes).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("model file {path} is not a valid ONNX model: {reason}")]
    MalformedModel { path: String, reason: String },
    #[error("model file {path} is not a valid TFLite model: {reason}")]
    MalformedTflite { path: String, reason: String },
    #[error("unsupported operator {op} in node '{node}'{detail}")]
    UnsupportedOp {
        op: String,
        node: String,
        detail: String,
    },
    #[error("invalid model: {0}")]
    InvalidModel(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("quantization failed: {0}")]
    Quantization(String),
    #[error(
        "value out of the proven range in step '{step}' (element {index}): {value} is outside [{min}, {max}]; \
         recompile with a calibration set that covers this input or a larger --headroom"
    )]
    OutOfRange {
        step: String,
        index: usize,
        value: i128,
        min: i64,
        max: i64,
    },
    #[error("circuit synthesis failed: {0}")]
    Synthesis(String),
    #[error("proving failed: {0}")]
    Proving(String),
    /// A setup file (powers of tau or KZG parameters) that cannot serve: unreadable layout, too
    /// few powers, or points that are not powers of one secret.
    #[error("setup file {path}: {reason}")]
    SetupFile { path: String, reason: String },
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// A segment's verifier key used as a whole model's: its `side` (input or output) is linked
    /// to a neighbouring segment, its link cells are free witnesses on their own.
    #[error(
        "this verifier key is one segment of a chain (its {side} is linked to a neighbouring \
         segment), so on its own it proves nothing about the model's {side}: verify the whole \
         chain with the chain key"
    )]
    SegmentKey { side: &'static str },
    /// A chain key whose segment `segment` does not fit the chain.
    #[error("invalid chain key: segment {segment} {reason}")]
    InvalidChain { segment: usize, reason: String },
    /// A processor that cannot run this build's field arithmetic (see [`crate::cpu`]).
    #[error("unsupported processor: {0}")]
    UnsupportedCpu(String),
    /// A verifier key whose circuit shape is beyond a chip's limits.
    #[error("unsupported circuit shape: {field} = {value}, but {limit}")]
    UnsupportedShape {
        field: &'static str,
        value: String,
        limit: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            reason: reason.into(),
        }
    }
}
