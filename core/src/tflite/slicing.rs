//! Parsing TFLite's slicing and rearranging operators into [`TfOpKind`]s with their constant
//! operands resolved: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V and UNPACK become one
//! [`TfOpKind::Window`] per output (a multi-output operator becomes one single-output operator
//! per output tensor, so the lowerings never see several outputs); SQUEEZE and EXPAND_DIMS
//! become RESHAPE (row-major order is kept); PACK, GATHER, SPACE_TO_DEPTH and DEPTH_TO_SPACE
//! keep their options. All of them move elements without arithmetic, so they are proven by copy
//! constraints and are bit-exact for any quantization that the input and output share.

use super::{tflite, Error, Result, TfOp, TfOpKind, TfTensor};

/// The operators `builtin` becomes, or None when it is not one of this module's.
pub(super) fn parse(
    builtin: tflite::BuiltinOperator,
    op: &tflite::Operator<'_>,
    inputs: &[Option<usize>],
    outputs: &[usize],
    tensors: &[TfTensor],
    op_name: &str,
) -> Result<Option<Vec<TfOp>>> {
    let bad = |why: String| Error::InvalidModel(format!("operator '{op_name}': {why}"));
    let unsupported =
        |what: &str, why: &str| super::unsupported(what, op_name, &format!(" ({why})"));
    let data = |i: usize| -> Result<usize> {
        inputs
            .get(i)
            .copied()
            .flatten()
            .ok_or_else(|| bad(format!("lacks input {i}")))
    };
    let tensor = |i: usize| -> Result<&TfTensor> { data(i).map(|t| &tensors[t]) };
    let single = |kind: TfOpKind, inputs: Vec<Option<usize>>| -> Result<Option<Vec<TfOp>>> {
        if outputs.len() != 1 {
            return Err(bad(format!("has {} outputs", outputs.len())));
        }
        Ok(Some(vec![TfOp {
            kind,
            inputs,
            outputs: outputs.to_vec(),
        }]))
    };
    let window = |source: &'static str,
                  x: usize,
                  out: usize,
                  begin: Vec<usize>,
                  steps: Vec<usize>,
                  full: Vec<usize>|
     -> TfOp {
        TfOp {
            kind: TfOpKind::Window {
                source,
                begin,
                steps,
                full,
            },
            inputs: vec![Some(x)],
            outputs: vec![out],
        }
    };
    let axis_of = |axis: i64, rank: usize, what: &str| -> Result<usize> {
        crate::tensor::resolve_index(axis, rank)
            .ok_or_else(|| bad(format!("{what} axis {axis} of a rank-{rank} tensor")))
    };
    Ok(match builtin {
        tflite::BuiltinOperator::SQUEEZE | tflite::BuiltinOperator::EXPAND_DIMS => {
            single(TfOpKind::Reshape, vec![Some(data(0)?)])?
        }
        tflite::BuiltinOperator::SLICE => {
            let x = tensor(0)?;
            let (begin, size) = (tensor(1)?.int_data()?, tensor(2)?.int_data()?);
            let rank = x.shape.len();
            if begin.len() != rank || size.len() != rank {
                return Err(bad(format!("begin and size of a rank-{rank} tensor")));
            }
            let mut b = Vec::with_capacity(rank);
            let mut full = Vec::with_capacity(rank);
            for d in 0..rank {
                let dim = x.shape[d] as i64;
                let start = begin[d];
                let len = if size[d] == -1 { dim - start } else { size[d] };
                if start < 0 || len < 0 || start + len > dim {
                    return Err(bad(format!("slice {start}+{len} of an axis of size {dim}")));
                }
                b.push(start as usize);
                full.push(len as usize);
            }
            let steps = vec![1; rank];
            single(
                TfOpKind::Window {
                    source: "SLICE",
                    begin: b,
                    steps,
                    full,
                },
                vec![Some(data(0)?)],
            )?
        }
        tflite::BuiltinOperator::STRIDED_SLICE => {
            let o = op
                .builtin_options_as_strided_slice_options()
                .ok_or_else(|| bad("lacks its STRIDED_SLICE options".into()))?;
            if o.ellipsis_mask() != 0 || o.new_axis_mask() != 0 {
                return Err(unsupported("STRIDED_SLICE", "an ellipsis or new-axis mask"));
            }
            let x = tensor(0)?;
            let (begin, end, steps) = (
                tensor(1)?.int_data()?,
                tensor(2)?.int_data()?,
                tensor(3)?.int_data()?,
            );
            let rank = x.shape.len();
            if begin.len() != rank || end.len() != rank || steps.len() != rank || rank > 31 {
                return Err(bad(format!(
                    "begin, end and strides of a rank-{rank} tensor"
                )));
            }
            let bit = |mask: i32, d: usize| mask >> d & 1 == 1;
            let mut b = Vec::with_capacity(rank);
            let mut full = Vec::with_capacity(rank);
            for d in 0..rank {
                let dim = x.shape[d] as i64;
                let step = steps[d];
                if step <= 0 {
                    return Err(unsupported("STRIDED_SLICE", "a stride below 1"));
                }
                let clamp = |v: i64| (if v < 0 { v + dim } else { v }).clamp(0, dim);
                let start = if bit(o.begin_mask(), d) {
                    0
                } else {
                    clamp(begin[d])
                };
                let len = if bit(o.shrink_axis_mask(), d) {
                    if start >= dim {
                        return Err(bad(format!("index {} of an axis of size {dim}", begin[d])));
                    }
                    1
                } else {
                    let stop = if bit(o.end_mask(), d) {
                        dim
                    } else {
                        clamp(end[d])
                    };
                    ((stop - start).max(0) + step - 1) / step
                };
                b.push(start as usize);
                full.push(len as usize);
            }
            let steps = steps.iter().map(|&s| s as usize).collect();
            single(
                TfOpKind::Window {
                    source: "STRIDED_SLICE",
                    begin: b,
                    steps,
                    full,
                },
                vec![Some(data(0)?)],
            )?
        }
        tflite::BuiltinOperator::SPLIT | tflite::BuiltinOperator::SPLIT_V => {
            // SPLIT: (axis, x); SPLIT_V: (x, size_splits, axis). The outputs' declared shapes
            // say where each piece starts.
            let (source, x_at, axis_at) = if builtin == tflite::BuiltinOperator::SPLIT {
                ("SPLIT", 1, 0)
            } else {
                ("SPLIT_V", 0, 2)
            };
            let (x_id, x) = (data(x_at)?, tensor(x_at)?);
            let axis = match tensor(axis_at)?.int_data()?.as_slice() {
                [a] => axis_of(*a, x.shape.len(), source)?,
                other => return Err(bad(format!("axis {other:?}"))),
            };
            let mut start = 0;
            let mut ops = Vec::with_capacity(outputs.len());
            for &out in outputs {
                let shape = &tensors[out].shape;
                if shape.len() != x.shape.len()
                    || (0..shape.len()).any(|d| d != axis && shape[d] != x.shape[d])
                {
                    return Err(bad(format!(
                        "output shape {shape:?} is no piece of {:?} along axis {axis}",
                        x.shape
                    )));
                }
                let mut begin = vec![0; shape.len()];
                begin[axis] = start;
                start += shape[axis];
                ops.push(window(
                    source,
                    x_id,
                    out,
                    begin,
                    vec![1; shape.len()],
                    shape.clone(),
                ));
            }
            if start != x.shape[axis] {
                return Err(bad(format!(
                    "the pieces cover {start} of {} along axis {axis}",
                    x.shape[axis]
                )));
            }
            Some(ops)
        }
        tflite::BuiltinOperator::UNPACK => {
            let o = op.builtin_options_as_unpack_options();
            let (x_id, x) = (data(0)?, tensor(0)?);
            let rank = x.shape.len();
            let axis = axis_of(o.map_or(0, |o| o.axis()) as i64, rank, "UNPACK")?;
            if outputs.len() != x.shape[axis] {
                return Err(bad(format!(
                    "{} outputs for an axis of size {}",
                    outputs.len(),
                    x.shape[axis]
                )));
            }
            let mut full = x.shape.clone();
            full[axis] = 1;
            let ops = outputs
                .iter()
                .enumerate()
                .map(|(i, &out)| {
                    let mut begin = vec![0; rank];
                    begin[axis] = i;
                    window("UNPACK", x_id, out, begin, vec![1; rank], full.clone())
                })
                .collect();
            Some(ops)
        }
        tflite::BuiltinOperator::PACK => {
            let axis = op.builtin_options_as_pack_options().map_or(0, |o| o.axis());
            single(TfOpKind::Pack { axis }, inputs.to_vec())?
        }
        tflite::BuiltinOperator::GATHER => {
            let o = op.builtin_options_as_gather_options();
            if o.is_some_and(|o| o.batch_dims() != 0) {
                return Err(unsupported("GATHER", "batch_dims other than 0"));
            }
            let axis = o.map_or(0, |o| o.axis());
            single(TfOpKind::Gather { axis }, inputs.to_vec())?
        }
        tflite::BuiltinOperator::SPACE_TO_DEPTH | tflite::BuiltinOperator::DEPTH_TO_SPACE => {
            let to_space = builtin == tflite::BuiltinOperator::DEPTH_TO_SPACE;
            let block = if to_space {
                op.builtin_options_as_depth_to_space_options()
                    .map(|o| o.block_size())
            } else {
                op.builtin_options_as_space_to_depth_options()
                    .map(|o| o.block_size())
            };
            let block = block
                .and_then(|b| usize::try_from(b).ok())
                .filter(|&b| (2..=64).contains(&b))
                .ok_or_else(|| bad(format!("block size {block:?}")))?;
            single(
                TfOpKind::DepthSpace { block, to_space },
                vec![Some(data(0)?)],
            )?
        }
        _ => None,
    })
}

/// The copies a parsed rearranging operator makes: the output's TFLite shape (computed, to be
/// checked against the declared one), its picks (NHWC semantics, our layout) and which of the
/// operator's inputs are data (the others are constant operands).
pub(super) fn picks_of(
    op: &TfOp,
    g: &super::TfGraph,
) -> Result<(Vec<usize>, Vec<crate::ops::gather::Pick>, Vec<usize>)> {
    use super::movement;
    let name = op.name(g);
    let why = |e: String| super::unsupported(op.kind.name(), &name, &format!(" ({e})"));
    let out_shape = &g.tensors[op.outputs[0]].shape;
    match &op.kind {
        TfOpKind::Window {
            begin, steps, full, ..
        } => {
            let x = op.input(g, 0)?;
            let picks = movement::window(&x.shape, begin, steps, full, out_shape).map_err(why)?;
            Ok((out_shape.clone(), picks, vec![0]))
        }
        TfOpKind::Pack { axis } => {
            let shapes: Vec<&[usize]> = (0..op.inputs.len())
                .map(|i| op.input(g, i).map(|t| t.shape.as_slice()))
                .collect::<Result<_>>()?;
            let (shape, picks) = movement::pack(&shapes, *axis).map_err(why)?;
            Ok((shape, picks, (0..op.inputs.len()).collect()))
        }
        TfOpKind::Gather { axis } => {
            let (x, indices) = (op.input(g, 0)?, op.input(g, 1)?);
            let (shape, picks) =
                movement::gather(&x.shape, &indices.int_data()?, &indices.shape, *axis)
                    .map_err(why)?;
            Ok((shape, picks, vec![0]))
        }
        TfOpKind::DepthSpace { block, to_space } => {
            let x = op.input(g, 0)?;
            let (shape, picks) = movement::depth_space(&x.shape, *block, *to_space).map_err(why)?;
            Ok((shape, picks, vec![0]))
        }
        other => Err(Error::InvalidModel(format!(
            "'{name}': {} is not a rearranging operator",
            other.name()
        ))),
    }
}

/// The data-movement kind a rearranging operator is reported as.
pub(super) fn movement_kind(kind: &TfOpKind) -> crate::ops::gather::Movement {
    use crate::ops::gather::Movement;
    match kind {
        TfOpKind::Pack { .. } => Movement::Concat,
        TfOpKind::Gather { .. } => Movement::Gather,
        TfOpKind::DepthSpace { .. } => Movement::Transpose,
        _ => Movement::Slice,
    }
}

/// Seeded byte mutants of the example models `names` (in examples/tflite-ptq/) load, lower and
/// run (integer or float), or are refused, never panic; returns how many loaded.
#[cfg(test)]
pub(super) fn mutants_load_or_are_refused(names: &[&str], seed: u64) -> usize {
    use rand::{Rng, SeedableRng};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tflite-ptq");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut loaded = 0;
    for &name in names {
        let original = std::fs::read(dir.join(name)).unwrap();
        for _ in 0..150 {
            let mut bytes = original.clone();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
            }
            let run = std::panic::catch_unwind(|| {
                match super::load_tflite_bytes(&bytes, name, name, super::FinalSoftmax::Outside) {
                    Ok(super::Loaded::Quantized(q)) => {
                        let _ = q.evaluate(&vec![0; q.input_tensor().len()]);
                        true
                    }
                    Ok(super::Loaded::Float(m)) => {
                        let _ = m.eval_float(&vec![0.0; m.input_len()]);
                        true
                    }
                    Err(_) => false,
                }
            });
            match run {
                Ok(ok) => loaded += usize::from(ok),
                Err(_) => panic!("a mutant of {name} panicked"),
            }
        }
    }
    loaded
}

#[cfg(test)]
mod tests {
    /// Seeded byte mutants of the rearranging models (their begin, end, stride, index, axis
    /// and block operands included) load, lower and run, or are refused, never panic.
    #[test]
    fn mutated_rearranging_models_load_or_are_refused_without_panicking() {
        let loaded = super::mutants_load_or_are_refused(
            &[
                "op_strided_slice_int8.tflite",
                "op_split_concat_int8.tflite",
                "op_unpack_pack_int8.tflite",
                "op_space_depth_gather_int8.tflite",
            ],
            20261203,
        );
        assert!(
            loaded > 0,
            "no mutant loaded: the mutation is too coarse to test anything"
        );
    }

    /// The same for float models whose weights are stored small (float16 constants read through
    /// DEQUANTIZE, int8 weights with per-channel scales): their types, scales and data.
    #[test]
    fn mutated_float16_and_dynamic_range_models_load_or_are_refused_without_panicking() {
        let loaded = super::mutants_load_or_are_refused(
            &[
                "keras_mbv3_float16.tflite",
                "keras_mbv3_dynamic_range.tflite",
            ],
            20261207,
        );
        assert!(
            loaded > 0,
            "no mutant loaded: the mutation is too coarse to test anything"
        );
    }

    /// The same for the bilinear resizes (their size operands and options included) and the
    /// constant tensors made graph tensors (their shapes and data).
    #[test]
    fn mutated_resize_and_constant_tensor_models_load_or_are_refused_without_panicking() {
        let loaded = super::mutants_load_or_are_refused(
            &[
                "op_resize_bilinear_int8.tflite",
                "op_tensor_constants_int8.tflite",
                "op_channel_constants_int8.tflite",
            ],
            20261204,
        );
        assert!(
            loaded > 0,
            "no mutant loaded: the mutation is too coarse to test anything"
        );
    }
}
