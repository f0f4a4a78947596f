//! Operators, one folder each: the IR node (shape, float evaluation), its quantized lowering,
//! its exact integer semantics and its circuit step, with their tests.
//!
//! Front ends (ONNX, TFLite) only map their nodes onto these core operators. Each folder's
//! `quant.rs` lowers its IR node to quantized steps from a [`quant_context::LowerCtx`]
//! (`crate::quant` calibrates, picks scales and dispatches over every operator); the circuit
//! layout of each step kind is in `crate::circuit::steps`. Moves are checked by the golden
//! circuit pins (`tests/tests/golden_model_ids.rs`).
//! Operators use [`quant_context`] and `crate::qgraph`, never `crate::quant`. Reshape, which
//! has no folder, keeps its input's integers and scale; [`lookup`] steps come already
//! quantized from TFLite, and [`resample`] reaches the IR as Dense layers.
//!
//! - [`conv`], [`dense`], [`pool`], [`elementwise`] (Add, Relu, Clip): the linear operators,
//!   proven by the dot-product chip and a rescale; [`window`]: the sliding-window geometry
//!   convolution and pooling share.
//! - [`unary`]: elementwise functions (Sigmoid, Tanh, SiLU, HardSwish, ...) proven by a lookup
//!   of their quantized table.
//! - [`gather`]: data movement (Concat, Slice, Split, Transpose, Pad, Gather, Resize nearest):
//!   every output element is one input element or zero, proven by copy constraints alone.
//! - [`lookup`]: an 8-bit tensor through an explicit 256-entry table: TFLite's int8 and uint8
//!   elementwise operators, computed as its interpreter computes them.
//! - [`mul`]: the product of two computed tensors, one broadcast (squeeze-and-excite), rounded
//!   by a power of two or, for TFLite, by a fixed-point multiplier.
//! - [`squared_difference`]: TFLite's int8 `(a - b)²` (a layer norm's variance), both inputs
//!   rescaled by table, the difference squared on a product row.
//! - [`matmul`]: the matrix product of two computed tensors (attention), proven by Freivalds'
//!   check.
//! - [`embedding`]: a token embedding with fixed weights, each token's row looked up by its id
//!   in a table of fixed columns (folded from the one-hot composition hidden weights need).
//! - [`resample`]: linear and cubic resizing, one constant matrix per axis (a dense layer over
//!   the axis).
//! - [`quant_context`]: what every operator's quantized lowering is given and gives back.

pub mod byte_softmax;
pub mod conv;
pub mod dense;
pub mod elementwise;
pub mod embedding;
pub mod gather;
pub mod lookup;
pub mod matmul;
pub mod mul;
pub mod pool;
pub mod quant_context;
pub mod resample;
pub mod squared_difference;
pub mod unary;
pub mod window;
