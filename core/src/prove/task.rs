//! A proof task: everything one proof of one circuit needs besides its keys, as bytes that a
//! job engine can store and another process (another machine) can prove. A model proven as one
//! circuit has one task per inference; a chain has one per segment, all cut from one witness
//! at once, with the link blinding drawn once for the whole chain so that the segments' link
//! commitments agree whichever worker proves which segment.
//!
//! The bytes hold the witness and the link blinding: as secret as the input itself. They live
//! only until the proof is made (the engine deletes them then).
//!
//! Format (framing of [`crate::codec`]): magic `ZKITASK\0`, version, a JSON header (segment,
//! tensor count, salt and blinding as field elements in hex), then one section per tensor of
//! little-endian `i64` values.

use super::Witness;
use crate::circuit::{LinkBlinding, LINK_BLINDING_ROWS};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::poseidon::{from_hex, to_hex};
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"ZKITASK\0";
const VERSION: u32 = 1;
const WHAT: &str = "proof task";
const MAX_HEADER: usize = 1 << 16;

/// One circuit's proof to make: `segment` is the chain segment's index, `None` for a model
/// proven as one circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofTask {
    pub segment: Option<usize>,
    pub witness: Witness,
    pub blinding: LinkBlinding,
}

#[derive(Serialize, Deserialize)]
struct Header {
    segment: Option<usize>,
    tensors: usize,
    input_salt: Option<String>,
    blinding_input: Option<Vec<String>>,
    blinding_output: Option<Vec<String>>,
}

fn rows_to_hex(rows: &Option<[Fr; LINK_BLINDING_ROWS]>) -> Option<Vec<String>> {
    rows.as_ref().map(|r| r.iter().map(to_hex).collect())
}

fn fr(hex: &str) -> Result<Fr> {
    from_hex(hex).ok_or_else(|| Error::malformed(WHAT, format!("not a field element: {hex:?}")))
}

fn rows_from_hex(rows: Option<Vec<String>>) -> Result<Option<[Fr; LINK_BLINDING_ROWS]>> {
    let Some(rows) = rows else { return Ok(None) };
    if rows.len() != LINK_BLINDING_ROWS {
        return Err(Error::malformed(
            WHAT,
            format!(
                "{} link blinding rows, a link has {LINK_BLINDING_ROWS}",
                rows.len()
            ),
        ));
    }
    let mut out = [Fr::zero(); LINK_BLINDING_ROWS];
    for (o, h) in out.iter_mut().zip(&rows) {
        *o = fr(h)?;
    }
    Ok(Some(out))
}

impl ProofTask {
    /// The task of a model proven as one circuit: its whole witness, no links.
    pub fn whole(witness: Witness) -> ProofTask {
        ProofTask {
            segment: None,
            witness,
            blinding: LinkBlinding::default(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, VERSION);
        w.json(&Header {
            segment: self.segment,
            tensors: self.witness.values.len(),
            input_salt: self.witness.input_salt.as_ref().map(to_hex),
            blinding_input: rows_to_hex(&self.blinding.input),
            blinding_output: rows_to_hex(&self.blinding.output),
        });
        w.section(&i64s(&self.witness.input));
        for t in &self.witness.values {
            w.section(&i64s(t));
        }
        w.bytes
    }

    /// Reads a task; malformed bytes are an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<ProofTask> {
        let mut r = Reader::open(bytes, WHAT, MAGIC, VERSION)?;
        let h: Header = r.json(MAX_HEADER)?;
        // Every tensor takes at least its 4-byte length: a count beyond that is a lie.
        if h.tensors > bytes.len() / 4 {
            return Err(Error::malformed(
                WHAT,
                format!("{} tensors in {} bytes", h.tensors, bytes.len()),
            ));
        }
        let input = from_i64s(r.section(bytes.len())?)?;
        let values = (0..h.tensors)
            .map(|_| from_i64s(r.section(bytes.len())?))
            .collect::<Result<Vec<_>>>()?;
        r.finish()?;
        Ok(ProofTask {
            segment: h.segment,
            witness: Witness {
                input,
                values,
                input_salt: h.input_salt.as_deref().map(fr).transpose()?,
            },
            blinding: LinkBlinding {
                input: rows_from_hex(h.blinding_input)?,
                output: rows_from_hex(h.blinding_output)?,
            },
        })
    }
}

fn i64s(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_i64s(b: &[u8]) -> Result<Vec<i64>> {
    if !b.len().is_multiple_of(8) {
        return Err(Error::malformed(
            WHAT,
            format!("a tensor of {} bytes is not whole 64-bit integers", b.len()),
        ));
    }
    Ok(b.chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("chunks of 8")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> ProofTask {
        ProofTask {
            segment: Some(2),
            witness: Witness {
                input: vec![1, -2, 3],
                values: vec![vec![1, -2, 3], vec![i64::MIN, i64::MAX, 0], vec![]],
                input_salt: Some(Fr::from(77u64)),
            },
            blinding: LinkBlinding {
                input: Some(std::array::from_fn(|i| Fr::from(i as u64 + 5))),
                output: None,
            },
        }
    }

    #[test]
    fn a_task_reads_back_as_written() {
        let t = task();
        assert_eq!(ProofTask::from_bytes(&t.to_bytes()).unwrap(), t);
        let single = ProofTask {
            segment: None,
            blinding: LinkBlinding::default(),
            ..task()
        };
        assert_eq!(ProofTask::from_bytes(&single.to_bytes()).unwrap(), single);
    }

    #[test]
    fn a_truncated_or_altered_task_is_an_error_not_a_panic() {
        let bytes = task().to_bytes();
        for n in 0..bytes.len() {
            assert!(ProofTask::from_bytes(&bytes[..n]).is_err(), "{n} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(ProofTask::from_bytes(&longer).is_err());
        let mut wrong = bytes.clone();
        wrong[0] ^= 1;
        assert!(ProofTask::from_bytes(&wrong).is_err());
    }
}
