//! Float TFLite models whose weights are stored small. TensorFlow's converter writes two such
//! forms when asked to optimize without a representative dataset:
//!
//! - float16 quantization: each weight is a FLOAT16 constant read through a DEQUANTIZE;
//! - dynamic-range quantization: weights are int8 constants with a scale (per tensor or per
//!   channel), read directly by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, whose hybrid
//!   kernels quantize the float activations on the fly.
//!
//! Their activations are float32, so zkinfer quantizes them by its own calibration like any float
//! model, and their weights are the float32 values they stand for: `scale · (q - zero_point)`, or
//! the float16 value widened. [`widen_weights`] rewrites the graph so, before the float lowering.

use super::{TfGraph, TfOpKind, TfQuant, TfTensor, TfType};
use crate::error::{Error, Result};

/// The graph with every small-stored weight as a float32 constant: a DEQUANTIZE of a constant
/// becomes the constant it writes, a FLOAT16 constant is widened, and an int8 or uint8 constant
/// with a scale is dequantized. Activations must already be float32: a DEQUANTIZE of an
/// activation stays (the float lowering refuses it by name).
pub(crate) fn widen_weights(g: &TfGraph) -> Result<TfGraph> {
    let mut out = g.clone();
    for t in &mut out.tensors {
        if t.data.is_some() && needs_widening(t) {
            widen(t)?;
        }
    }
    let mut ops = Vec::with_capacity(out.ops.len());
    for op in std::mem::take(&mut out.ops) {
        let constant_input = match (&op.kind, op.inputs.first().copied().flatten()) {
            (TfOpKind::Dequantize, Some(i)) if out.tensors[i].data.is_some() => Some(i),
            _ => None,
        };
        let (Some(i), &[o]) = (constant_input, &op.outputs[..]) else {
            ops.push(op);
            continue;
        };
        let (from, to) = (&out.tensors[i], &out.tensors[o]);
        // Constants were widened above, so a well-formed input is float32 now.
        if from.dtype != TfType::F32 || from.shape != to.shape || to.dtype != TfType::F32 {
            return Err(Error::InvalidModel(format!(
                "DEQUANTIZE '{}' of constant '{}' ({:?} {:?}) writes {:?} {:?}",
                to.name, from.name, from.dtype, from.shape, to.dtype, to.shape
            )));
        }
        let data = from.data.clone();
        out.tensors[o].data = data;
        out.tensors[o].quant = None;
    }
    out.ops = ops;
    Ok(out)
}

/// Whether a constant stands for float32 values: FLOAT16, or 8 bits with a scale.
fn needs_widening(t: &TfTensor) -> bool {
    match t.dtype {
        TfType::F16 => true,
        TfType::I8 | TfType::U8 => t.quant.is_some(),
        TfType::F32 | TfType::I32 | TfType::I64 => false,
    }
}

/// Replaces a constant's contents by the float32 values it stands for.
fn widen(t: &mut TfTensor) -> Result<()> {
    let values: Vec<f32> = match (t.dtype, &t.quant) {
        (TfType::F16, _) => t
            .constant()?
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        (TfType::I8 | TfType::U8, Some(q)) => dequantized(t, q)?,
        _ => return Ok(()),
    };
    t.data = Some(values.iter().flat_map(|v| v.to_le_bytes()).collect());
    t.dtype = TfType::F32;
    t.quant = None;
    Ok(())
}

/// `scale · (q - zero_point)` per element, the scale and zero point per tensor or per channel
/// along the quantization's axis.
fn dequantized(t: &TfTensor, q: &TfQuant) -> Result<Vec<f32>> {
    let ints = t.int_data()?;
    let bad = |why: String| Error::InvalidModel(format!("weight '{}': {why}", t.name));
    let channels = q.scales.len();
    // Elements after the quantized axis: one channel's run.
    let inner = if channels == 1 {
        ints.len().max(1)
    } else {
        let axis = t.shape.get(q.dim).copied();
        if axis != Some(channels) {
            return Err(bad(format!(
                "{channels} scales along axis {} of shape {:?}",
                q.dim, t.shape
            )));
        }
        t.shape[q.dim + 1..].iter().product::<usize>().max(1)
    };
    Ok(ints
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = if channels == 1 {
                0
            } else {
                (i / inner) % channels
            };
            q.scales[c] * (v - q.zero_points[c]) as f32
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::TfOp;

    fn tensor(name: &str, shape: Vec<usize>, dtype: TfType, data: Option<Vec<u8>>) -> TfTensor {
        TfTensor {
            name: name.into(),
            shape,
            dtype,
            quant: None,
            data,
        }
    }

    fn floats(t: &TfTensor) -> Vec<f32> {
        t.f32_data().expect("a float32 constant")
    }

    #[test]
    fn an_int8_weight_with_per_channel_scales_becomes_its_float_values() {
        // Shape [2, 3], channels along axis 0: scales 0.5 and 2, zero points 0 and 1.
        let mut w = tensor(
            "w",
            vec![2, 3],
            TfType::I8,
            Some([1i8, -2, 3, 1, 0, -1].iter().map(|&v| v as u8).collect()),
        );
        w.quant = Some(TfQuant {
            scales: vec![0.5, 2.0],
            zero_points: vec![0, 1],
            dim: 0,
        });
        widen(&mut w).unwrap();
        assert_eq!(w.dtype, TfType::F32);
        assert_eq!(floats(&w), vec![0.5, -1.0, 1.5, 0.0, -2.0, -4.0]);
    }

    #[test]
    fn scales_that_do_not_match_the_channel_axis_are_refused() {
        let mut w = tensor("w", vec![2, 3], TfType::I8, Some(vec![0; 6]));
        w.quant = Some(TfQuant {
            scales: vec![1.0; 3],
            zero_points: vec![0; 3],
            dim: 0,
        });
        let err = widen(&mut w).unwrap_err().to_string();
        assert!(err.contains("'w'") && err.contains("3 scales"), "{err}");
    }

    #[test]
    fn a_dequantize_of_a_float16_constant_becomes_a_float32_constant() {
        let halves: Vec<u8> = [1.5f32, -0.25, 65504.0]
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect();
        let g = TfGraph {
            name: "g".into(),
            tensors: vec![
                tensor("x", vec![3], TfType::F32, None),
                tensor("w16", vec![3], TfType::F16, Some(halves)),
                tensor("w", vec![3], TfType::F32, None),
                tensor("y", vec![3], TfType::F32, None),
            ],
            ops: vec![
                TfOp {
                    kind: TfOpKind::Dequantize,
                    inputs: vec![Some(1)],
                    outputs: vec![2],
                },
                TfOp {
                    kind: TfOpKind::Mul {
                        act: super::super::FusedActivation::None,
                    },
                    inputs: vec![Some(0), Some(2)],
                    outputs: vec![3],
                },
            ],
            input: 0,
            output: 3,
        };
        let widened = widen_weights(&g).unwrap();
        assert_eq!(widened.ops.len(), 1, "the DEQUANTIZE is gone");
        assert!(matches!(widened.ops[0].kind, TfOpKind::Mul { .. }));
        assert_eq!(floats(&widened.tensors[2]), vec![1.5, -0.25, 65504.0]);
    }

    #[test]
    fn a_dequantize_of_an_activation_is_left_for_the_lowering_to_refuse() {
        let g = TfGraph {
            name: "g".into(),
            tensors: vec![
                tensor("x", vec![3], TfType::I8, None),
                tensor("y", vec![3], TfType::F32, None),
            ],
            ops: vec![TfOp {
                kind: TfOpKind::Dequantize,
                inputs: vec![Some(0)],
                outputs: vec![1],
            }],
            input: 0,
            output: 1,
        };
        assert_eq!(widen_weights(&g).unwrap().ops.len(), 1);
    }
}
