//! Chains of segments: a graph too large for one circuit is cut into consecutive pieces, each proven by its
//! own circuit. The cut tensor is linked by commitment, at the cost of a few rows: a segment
//! holds its output in rows 0.. of an advice column that halo2 does not blind (copy-constrained
//! to the output cells), the next segment holds its input in rows 0.. of such a column (its
//! cells feed the first step), both follow it with the same `LINK_BLINDING_ROWS` random values
//! ([`crate::circuit::LinkBlinding`], drawn by the chain's prover for each cut), and every
//! segment has the same k. The columns are then equal, so their KZG commitments are, which
//! each proof carries; the verifier accepts the chain only if every pair is equal. Since KZG
//! commitments are binding, the chain proves the whole model on the first input; since the
//! shared rows are random and outnumber what the two proofs reveal of the column (its
//! commitment and one evaluation each), the link reveals nothing about the cut activations.
//!
//! A cut may go after any step. The tensors live across it (made at or before the cut, read
//! after it: at a block boundary of MobileNet v2 just the block's output, inside a residual
//! block also the skip operand) fill the link column one after another, in tensor order; the
//! segment after the cut reads each back with a [`crate::qgraph::StepKind::Slice`], the segment before it
//! gathers them with a [`crate::qgraph::StepKind::Concat`].
//!
//! The module, by what each part does:
//! - `split.rs`: cutting a graph into segments ([`split`], [`live_after`], [`Segment`]);
//! - `plan.rs`: where to cut so every segment fits the memory budget ([`plan_cuts`],
//!   [`plan_chain`], which first divides a step too large for any segment);
//! - `divide.rs`: dividing a Conv or Dense step by its output channels;
//! - `files.rs`: the chain key and chain bundle files ([`ChainKey`], [`ChainBundle`]);
//! - `check.rs`: the checks a chain's segment keys must pass;
//! - `verify.rs`: verifying segment proofs and their links ([`verify_chain`],
//!   [`verify_chain_bundle`]);
//! - `dir.rs` (prover): a compiled chain's directory on disk ([`ChainDir`]);
//! - `prove.rs` (prover): compiling and proving the segments ([`compile_segments`],
//!   [`ChainDir::prove_witness`]).
//!
//! The chain depends on the single-model prover and verifier ([`crate::prove`],
//! [`crate::verify`](mod@crate::verify), [`crate::circuit`]), never the reverse.

mod check;
#[cfg(feature = "prover")]
mod dir;
mod divide;
mod files;
mod plan;
#[cfg(feature = "prover")]
mod prove;
mod split;
#[cfg(all(test, feature = "prover"))]
mod tests;
mod verify;

#[cfg(feature = "prover")]
pub use dir::{is_chain_dir, ChainDir, CHAIN_FILE};
pub use files::{
    is_chain_bundle, is_chain_key, ChainBundle, ChainKey, BUNDLE_MAGIC, KEY_MAGIC, MAX_SEGMENTS,
    VERSION,
};
pub use plan::{plan_chain, plan_cuts};
#[cfg(feature = "prover")]
pub use prove::{
    compile_segments, prove_segments, prove_segments_with, SegmentKeys, SegmentProven,
};
pub use split::{cut_points, live_after, segment_visibility, split, Segment};
pub use verify::{verify_chain, verify_chain_bundle, verify_chain_bytes, verify_segment};
