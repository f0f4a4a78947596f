//! Moved into [`crate::chain`], the one module for chains of segments (splitting, planning,
//! proving, verifying). These paths are kept so that callers compile unchanged.

pub use crate::chain::{
    cut_points, live_after, plan_cuts, segment_visibility, split, verify_chain, verify_segment,
    Segment,
};

/// The prover's side of a chain: compile every segment, prove them in order.
#[cfg(feature = "prover")]
pub mod prover {
    pub use crate::chain::{compile_segments, prove_segments, prove_segments_with, SegmentKeys};
}
