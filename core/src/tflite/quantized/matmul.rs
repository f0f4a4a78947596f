//! The int8 lowering of BATCH_MATMUL (attention's `Q·Kᵀ` and `P·V` as Keras's
//! MultiHeadAttention converts): the batched product of the two centred operands, each
//! accumulator requantized as the interpreter does ([`crate::ops::matmul::MatRequant`]).
//!
//! The product reads its operands in TFLite's row-major order. Our layout of a 4-D tensor is
//! NCHW, so a 4-D operand is first copied into a rank-3 tensor of TFLite's order (a gather,
//! proven by copy constraints), an `adj` operand transposed the same way, and the product's
//! rank-3 output copied back into the 4-D output's layout.

use super::{per_tensor, stored_range, unsupported, Builder};
use crate::error::{Error, Result};
use crate::ops::gather::Pick;
use crate::ops::matmul::{MatMulShape, MatProduct, MatRequant};
use crate::qgraph::{QStep, QTensor, QTensorId, QuantizedMultiplier, StepKind};
use crate::tflite::{movement, TfOp, TfTensor, TfType};

impl<'g> Builder<'g> {
    pub(super) fn batch_matmul(&mut self, op: &TfOp, adj_x: bool, adj_y: bool) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let [(a, at), (b, bt)] = self.two_inputs(op)?;
        let refuse = |why: String| unsupported("BATCH_MATMUL", &name, &format!(" ({why})"));
        // The interpreter's kernel takes int8 (and int16), not uint8.
        if [at.dtype, bt.dtype, out_t.dtype] != [TfType::I8; 3] {
            return Err(refuse(format!(
                "operands {:?} and {:?} into {:?}: TFLite's quantized kernel is int8",
                at.dtype, bt.dtype, out_t.dtype
            )));
        }
        let (a, a_shape) = self.row_major(a.id, at, adj_x, &name)?;
        let (b, b_shape) = self.row_major(b.id, bt, adj_y, &name)?;
        let (shape, product) = MatMulShape::of(&a_shape, &b_shape).map_err(refuse)?;
        if shape.iter().product::<usize>() != out_t.len() {
            return Err(Error::InvalidModel(format!(
                "BATCH_MATMUL '{name}': the product has shape {shape:?}, the model declares {:?}",
                out_t.shape
            )));
        }
        let (sa, _) = per_tensor(at)?;
        let (sb, _) = per_tensor(bt)?;
        let (so, zp_out) = per_tensor(out_t)?;
        // In double, as the interpreter's Prepare computes it.
        let multiplier = QuantizedMultiplier::from_real(sa as f64 * sb as f64 / so as f64);
        let (act_min, act_max) = stored_range(out_t)?;
        let requant = MatRequant {
            multiplier,
            out_zero_point: zp_out,
            act_min,
            act_max,
            // The interpreter's int8 BATCH_MATMUL runs through ruy on x86, as FULLY_CONNECTED.
            ties_up: true,
        };
        let kind = StepKind::MatMul(MatProduct {
            shape: product,
            shift: 0,
            requant: Some(requant),
        });
        if out_t.shape.len() < 4 {
            return self.push(op, kind, vec![a, b]);
        }
        // The rank-3 product, then its copy into the 4-D output's layout.
        let flat = self.copy_of(out_t, shape.clone(), &format!("{name}/row-major"))?;
        self.q.steps.push(QStep {
            name: format!("{name}/row-major"),
            kind,
            inputs: vec![a, b],
            output: flat,
        });
        let picks = movement::reshape(&shape, &out_t.shape).map_err(refuse)?;
        self.push(op, StepKind::Gather { picks }, vec![flat])
    }

    /// A tensor of `like`'s quantization holding `shape` in TFLite's row-major order.
    fn copy_of(&mut self, like: &TfTensor, shape: Vec<usize>, name: &str) -> Result<QTensorId> {
        let (scale, zero_point) = per_tensor(like)?;
        let (q_min, q_max) = stored_range(like)?;
        self.q.tensors.push(QTensor {
            name: name.into(),
            shape,
            frac_bits: 0,
            affine: Some(crate::qgraph::AffineQuant {
                scale,
                zero_point,
                q_min,
                q_max,
            }),
        });
        Ok(self.q.tensors.len() - 1)
    }

    /// Operand `id` (TFLite tensor `t`) in TFLite's row-major order as a tensor of rank 3 or
    /// less, its last two axes swapped when `adjoint`: the tensor itself when that is already
    /// its layout, else a copy.
    fn row_major(
        &mut self,
        id: QTensorId,
        t: &TfTensor,
        adjoint: bool,
        name: &str,
    ) -> Result<(QTensorId, Vec<usize>)> {
        let refuse = |why: String| unsupported("BATCH_MATMUL", name, &format!(" ({why})"));
        let mut shape = t.shape.clone();
        if shape.len() < 2 {
            return Err(refuse(format!("an operand of shape {shape:?}")));
        }
        // A 4-D operand's batch axes folded into one: [N, H, W, C] -> [N·H, W, C].
        if shape.len() == 4 {
            shape = vec![shape[0] * shape[1], shape[2], shape[3]];
        }
        let rank = shape.len();
        let mut picks = if t.shape.len() == 4 {
            Some(movement::reshape(&t.shape, &shape).map_err(refuse)?)
        } else {
            None
        };
        if adjoint {
            let mut perm: Vec<i64> = (0..rank as i64).collect();
            perm.swap(rank - 2, rank - 1);
            let (swapped, transpose) = movement::transpose(&shape, &perm).map_err(refuse)?;
            // Composed with the copy before it, if any.
            picks = Some(match picks {
                Some(first) => transpose
                    .iter()
                    .map(|p| match *p {
                        Pick::Input { index, .. } => first[index as usize],
                        Pick::Zero => Pick::Zero,
                    })
                    .collect(),
                None => transpose,
            });
            shape = swapped;
        }
        let Some(picks) = picks else {
            return Ok((id, shape));
        };
        let copy = self.copy_of(t, shape.clone(), &format!("{name}/{}-row-major", t.name))?;
        self.q.steps.push(QStep {
            name: format!("{name}/{}", t.name),
            kind: StepKind::Gather { picks },
            inputs: vec![id],
            output: copy,
        });
        Ok((copy, shape))
    }
}
