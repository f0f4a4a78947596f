//! zkinfer core: load a model, quantize it, evaluate it exactly in integers, prove that
//! evaluation with a halo2 (KZG/BN254) circuit, and verify proofs.
//!
//! Data flows one way: loader -> IR -> quantized graph -> witness -> circuit -> proof -> verify.
//! With default features off, only the verify path (and what it needs to rebuild the circuit's
//! constraint system) is compiled, which keeps the WebAssembly verifier small.

#[cfg(feature = "prover")]
pub mod build;
pub mod bundle;
pub mod chain;
pub mod circuit;
mod codec;
pub mod commitment;
pub mod cpu;
pub mod error;
#[cfg(feature = "prover")]
pub mod fsutil;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod image_input;
#[cfg(feature = "prover")]
pub mod input;
#[doc(hidden)]
pub mod input_vectors;
pub mod ir;
#[cfg(feature = "prover")]
pub mod loader;
#[cfg(feature = "prover")]
pub mod onnx;
pub mod ops;
#[cfg(feature = "prover")]
pub mod pinned;
pub mod poseidon;
#[cfg(feature = "prover")]
pub mod protocols;
#[cfg(feature = "prover")]
pub mod prove;
pub mod qgraph;
pub mod quant;
pub mod segment;
pub mod setup;
#[cfg(feature = "prover")]
pub mod srs;
pub mod tensor;
#[cfg(all(test, feature = "prover"))]
mod test_fixtures;
pub mod text_input;
#[cfg(feature = "prover")]
pub mod tflite;
pub mod verifier_key;
pub mod verify;

pub use bundle::ProofBundle;
pub use error::{Error, Result};
pub use halo2curves;
pub use verifier_key::VerifierKey;
pub use verify::{verify, Verified};
