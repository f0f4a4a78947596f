//! zkinfer core: load a model, quantize it, evaluate it exactly in integers, prove that
//! evaluation with a halo2 (KZG/BN254) circuit, and verify proofs.
//!
//! Data flows one way: loader -> IR -> quantized graph -> witness -> circuit -> proof -> verify.

pub mod circuit;
pub mod error;
pub mod ir;
#[cfg(feature = "prover")]
pub mod onnx;
pub mod qgraph;
pub mod quant;
pub mod tensor;

pub use error::{Error, Result};
