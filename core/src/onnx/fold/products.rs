//! MatMul of two constants (LLaMA-family exports compute their rotary embedding's angles as
//! `inv_freq[:, None] @ positions[None, :]` from the position ids).

use super::{unsupported, Const, NodeProto};
use crate::error::Result;

/// numpy's matmul: a 1-D operand gains a unit dimension (dropped from the result), the
/// dimensions before the last two broadcast.
pub(super) fn matmul(node: &NodeProto, a: &Const, b: Option<&Const>) -> Result<Const> {
    let b = b.ok_or_else(|| unsupported(node, "no second operand"))?;
    let (mut sa, mut sb) = (a.shape.clone(), b.shape.clone());
    if sa.is_empty() || sb.is_empty() {
        return Err(unsupported(node, "a scalar operand"));
    }
    let (vector_a, vector_b) = (sa.len() == 1, sb.len() == 1);
    if vector_a {
        sa.insert(0, 1);
    }
    if vector_b {
        sb.push(1);
    }
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != k2 {
        return Err(unsupported(
            node,
            format!("shapes {:?} and {:?} do not multiply", a.shape, b.shape),
        ));
    }
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let batch = crate::onnx::ops::broadcast_shape(ba, bb).ok_or_else(|| {
        unsupported(
            node,
            format!("batch dimensions {ba:?} and {bb:?} do not broadcast"),
        )
    })?;
    let ia = crate::tensor::broadcast_indices(ba, &batch)
        .ok_or_else(|| unsupported(node, "the first operand's batch"))?;
    let ib = crate::tensor::broadcast_indices(bb, &batch)
        .ok_or_else(|| unsupported(node, "the second operand's batch"))?;
    // Bounded before any work: a hostile [N, 1] @ [1, N] would ask for N² elements.
    let largest = a.values.len().max(b.values.len());
    let elements = ia.len().checked_mul(m).and_then(|v| v.checked_mul(n));
    if elements.is_none_or(|e| e > super::MAX_FOLDED.max(largest)) {
        return Err(unsupported(node, "a folded constant of over 2^20 elements"));
    }
    let mut values = Vec::with_capacity(ia.len() * m * n);
    for (&pa, &pb) in ia.iter().zip(&ib) {
        let (x, y) = (&a.values[pa * m * k..], &b.values[pb * k * n..]);
        for r in 0..m {
            for c in 0..n {
                values.push((0..k).map(|j| x[r * k + j] * y[j * n + c]).sum());
            }
        }
    }
    let mut shape = batch;
    if !vector_a {
        shape.push(m);
    }
    if !vector_b {
        shape.push(n);
    }
    Ok(Const {
        shape,
        values,
        integer: a.integer && b.integer,
    })
}
