//! The proof bundle: one versioned, self-describing file holding the model id, the public input
//! and output (integers with their scales) and the proof bytes.

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"ZKINF-PF";
pub const VERSION: u32 = 1;
pub const PROOF_SYSTEM: &str = "halo2-kzg-bn254-shplonk-blake2b";
const MAX_HEADER: usize = 64 << 20;
const MAX_PROOF: usize = 64 << 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicTensor {
    pub shape: Vec<usize>,
    pub frac_bits: i32,
    /// The integers; empty when the model keeps this tensor hashed or hidden.
    pub values: Vec<i64>,
}

impl PublicTensor {
    pub fn dequantized(&self) -> Vec<f64> {
        let s = 2f64.powi(self.frac_bits);
        self.values.iter().map(|&v| v as f64 / s).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub proof_system: String,
    /// SHA-256 of the verifier key file this proof was made for.
    pub model_id: String,
    pub input: PublicTensor,
    pub output: PublicTensor,
    /// Poseidon hash of the input's integers (0x hex), for a model whose input is hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hash: Option<String>,
    /// Likewise for a hashed output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_hash: Option<String>,
    /// The model commitment (0x hex), for a model whose weights are hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_commitment: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProofBundle {
    pub header: BundleHeader,
    pub proof: Vec<u8>,
}

impl ProofBundle {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, VERSION);
        w.json(&self.header);
        w.section(&self.proof);
        w.bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "proof bundle";
        let mut r = Reader::open(bytes, WHAT, MAGIC, VERSION)?;
        let header: BundleHeader = r.json(MAX_HEADER)?;
        let proof = r.section(MAX_PROOF)?.to_vec();
        r.finish()?;
        if header.proof_system != PROOF_SYSTEM {
            return Err(Error::malformed(
                WHAT,
                format!("unknown proof system '{}'", header.proof_system),
            ));
        }
        Ok(ProofBundle { header, proof })
    }
}
