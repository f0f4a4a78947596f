//! Shape arithmetic evaluated at load time, and the shapes it fixes.
//!
//! A Keras model whose batch dimension is left dynamic (Keras's default) makes the converter
//! compute some RESHAPE targets at run time: `Dense` over a 3-D or 4-D tensor (Keras's
//! `Tensordot`) is SHAPE -> GATHER -> REDUCE_PROD -> PACK -> RESHAPE to `[rows, K]`, then
//! FULLY_CONNECTED, then a RESHAPE back to a target made by CONCATENATION. The file records
//! such tensors with a placeholder shape (`[1, 1]` for `[-1, -1]`), so the target must be
//! computed. The operators that only compute shapes ([`super::shape_computations`]) read no
//! activation values, and batch 1 makes every shape static: [`fold`] evaluates them on the
//! recorded shapes, stores each result as a constant, and gives every RESHAPE with a constant
//! target, and every FULLY_CONNECTED after one, the shape they compute.
//!
//! An operator it cannot evaluate stops the folding; the recorded shapes stand (a RESHAPE whose
//! element count then differs is refused by the lowerings, as before).

use super::{TfTensor, TfType};
use std::collections::HashSet;
use tract_tflite::tflite;

/// An integer tensor's value: its shape and row-major elements.
#[derive(Clone, Debug, PartialEq)]
struct Ints {
    shape: Vec<usize>,
    values: Vec<i64>,
}

impl Ints {
    fn vector(values: Vec<i64>) -> Self {
        Ints {
            shape: vec![values.len()],
            values,
        }
    }

    fn scalar(v: i64) -> Self {
        Ints {
            shape: vec![],
            values: vec![v],
        }
    }

    fn rank_at_most_one(&self) -> bool {
        self.shape.len() <= 1
    }
}

/// One operator as [`fold`] reads it.
pub(super) struct RawOp<'a> {
    pub builtin: tflite::BuiltinOperator,
    pub op: tflite::Operator<'a>,
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<usize>,
}

/// Evaluates the shape-only operators `shape_only` (indices into `ops`) in order, storing each
/// result in its output tensor, then repairs the shapes that depend on them (see the module).
pub(super) fn fold(ops: &[RawOp<'_>], shape_only: &HashSet<usize>, tensors: &mut [TfTensor]) {
    // The tensors given a value here: a RESHAPE whose target is one takes the folded shape
    // (one whose target the file stores keeps its recorded output shape, as before).
    let mut folded = HashSet::new();
    for (n, raw) in ops.iter().enumerate() {
        if !shape_only.contains(&n) {
            continue;
        }
        let Some(value) = evaluate(raw, tensors) else {
            break;
        };
        let [out] = raw.outputs[..] else { break };
        let t = &mut tensors[out];
        t.shape = value.shape.clone();
        t.dtype = TfType::I32;
        t.data = Some(
            value
                .values
                .iter()
                .flat_map(|&v| (v as i32).to_le_bytes())
                .collect(),
        );
        folded.insert(out);
    }
    repair_shapes(ops, shape_only, &folded, tensors);
}

fn value(tensors: &[TfTensor], t: Option<usize>) -> Option<Ints> {
    let t = &tensors[t?];
    t.data.as_ref()?;
    if !matches!(t.dtype, TfType::I32 | TfType::I64) {
        return None;
    }
    Some(Ints {
        shape: t.shape.clone(),
        values: t.int_data().ok()?,
    })
}

fn evaluate(raw: &RawOp<'_>, tensors: &[TfTensor]) -> Option<Ints> {
    let input = |i: usize| value(tensors, raw.inputs.get(i).copied().flatten());
    let op = &raw.op;
    match raw.builtin {
        tflite::BuiltinOperator::SHAPE => {
            let t = &tensors[raw.inputs.first().copied().flatten()?];
            Some(Ints::vector(t.shape.iter().map(|&d| d as i64).collect()))
        }
        tflite::BuiltinOperator::CAST => input(0),
        tflite::BuiltinOperator::STRIDED_SLICE => {
            let o = op.builtin_options_as_strided_slice_options()?;
            if o.ellipsis_mask() != 0 || o.new_axis_mask() != 0 {
                return None;
            }
            let (x, begin, end, strides) = (input(0)?, input(1)?, input(2)?, input(3)?);
            if x.shape.len() != 1 || begin.values.len() != 1 || end.values.len() != 1 {
                return None;
            }
            let n = x.values.len() as i64;
            let stride = *strides.values.first()?;
            if stride <= 0 {
                return None;
            }
            let clamp = |v: i64| if v < 0 { v + n } else { v }.clamp(0, n);
            let b = if o.begin_mask() & 1 != 0 {
                0
            } else {
                clamp(begin.values[0])
            };
            let shrink = o.shrink_axis_mask() & 1 != 0;
            let e = if shrink {
                b + 1
            } else if o.end_mask() & 1 != 0 {
                n
            } else {
                clamp(end.values[0])
            };
            let picked: Vec<i64> = (b..e.max(b))
                .step_by(stride as usize)
                .map(|i| x.values[i as usize])
                .collect();
            if shrink {
                picked.first().map(|&v| Ints::scalar(v))
            } else {
                Some(Ints::vector(picked))
            }
        }
        tflite::BuiltinOperator::SLICE => {
            let (x, begin, size) = (input(0)?, input(1)?, input(2)?);
            if x.shape.len() != 1 {
                return None;
            }
            let b = usize::try_from(*begin.values.first()?).ok()?;
            let size = *size.values.first()?;
            let e = if size < 0 {
                x.values.len()
            } else {
                b.checked_add(size as usize)?
            };
            Some(Ints::vector(x.values.get(b..e)?.to_vec()))
        }
        tflite::BuiltinOperator::GATHER => {
            let axis = op
                .builtin_options_as_gather_options()
                .map_or(0, |o| o.axis());
            let (x, indices) = (input(0)?, input(1)?);
            if axis != 0 || x.shape.len() != 1 || !indices.rank_at_most_one() {
                return None;
            }
            let n = x.values.len() as i64;
            let values = indices
                .values
                .iter()
                .map(|&i| {
                    let i = if i < 0 { i + n } else { i };
                    x.values.get(usize::try_from(i).ok()?).copied()
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Ints {
                shape: indices.shape,
                values,
            })
        }
        tflite::BuiltinOperator::REDUCE_PROD => {
            let x = input(0)?;
            if !x.rank_at_most_one() {
                return None;
            }
            let product = x.values.iter().try_fold(1i64, |p, &v| p.checked_mul(v))?;
            let keep = op
                .builtin_options_as_reducer_options()
                .is_some_and(|o| o.keep_dims());
            Some(if keep {
                Ints::vector(vec![product])
            } else {
                Ints::scalar(product)
            })
        }
        tflite::BuiltinOperator::CONCATENATION | tflite::BuiltinOperator::PACK => {
            let mut values = vec![];
            for i in 0..raw.inputs.len() {
                let part = input(i)?;
                if !part.rank_at_most_one() {
                    return None;
                }
                values.extend(part.values);
            }
            Some(Ints::vector(values))
        }
        tflite::BuiltinOperator::MUL
        | tflite::BuiltinOperator::ADD
        | tflite::BuiltinOperator::SUB
        | tflite::BuiltinOperator::FLOOR_DIV => {
            let (a, b) = (input(0)?, input(1)?);
            let shape = if a.values.len() >= b.values.len() {
                a.shape.clone()
            } else {
                b.shape.clone()
            };
            let n = a.values.len().max(b.values.len());
            if !(a.values.len() == n || a.values.len() == 1)
                || !(b.values.len() == n || b.values.len() == 1)
            {
                return None;
            }
            let values = (0..n)
                .map(|i| {
                    let (x, y) = (a.values[i % a.values.len()], b.values[i % b.values.len()]);
                    match raw.builtin {
                        tflite::BuiltinOperator::MUL => x.checked_mul(y),
                        tflite::BuiltinOperator::ADD => x.checked_add(y),
                        tflite::BuiltinOperator::SUB => x.checked_sub(y),
                        _ => (y != 0).then(|| x.div_euclid(y)),
                    }
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Ints { shape, values })
        }
        _ => None,
    }
}

/// RESHAPEs whose target is now a constant take it (one `-1` resolved by the input's element
/// count); a FULLY_CONNECTED whose recorded output does not hold `rows · N` values takes
/// `[rows, N]`, or its input's leading axes and `N` when it keeps them (same rank).
fn repair_shapes(
    ops: &[RawOp<'_>],
    shape_only: &HashSet<usize>,
    folded: &HashSet<usize>,
    tensors: &mut [TfTensor],
) {
    for (n, raw) in ops.iter().enumerate() {
        if shape_only.contains(&n) {
            continue;
        }
        let (Some(Some(x)), Some(&out)) = (raw.inputs.first(), raw.outputs.first()) else {
            continue;
        };
        let x = *x;
        let len = |t: &TfTensor| t.shape.iter().product::<usize>();
        match raw.builtin {
            tflite::BuiltinOperator::RESHAPE => {
                let target = raw.inputs.get(1).copied().flatten();
                if !target.is_some_and(|t| folded.contains(&t)) {
                    continue;
                }
                let Some(target) = value(tensors, target) else {
                    continue;
                };
                if let Some(shape) = resolve(&target.values, len(&tensors[x])) {
                    tensors[out].shape = shape;
                }
            }
            tflite::BuiltinOperator::FULLY_CONNECTED => {
                let Some(Some(w)) = raw.inputs.get(1) else {
                    continue;
                };
                let [n_out, k] = tensors[*w].shape[..] else {
                    continue;
                };
                let input = &tensors[x];
                if k == 0 || !len(input).is_multiple_of(k) {
                    continue;
                }
                let rows = len(input) / k;
                if len(&tensors[out]) == rows * n_out {
                    continue;
                }
                let keeps = tensors[out].shape.len() == input.shape.len()
                    && input.shape.len() > 2
                    && input.shape.last() == Some(&k);
                tensors[out].shape = if keeps {
                    let mut s = input.shape.clone();
                    *s.last_mut().expect("rank > 2") = n_out;
                    s
                } else {
                    vec![rows, n_out]
                };
            }
            _ => {}
        }
    }
}

/// A RESHAPE target with at most one `-1`, as a shape of `len` elements.
fn resolve(target: &[i64], len: usize) -> Option<Vec<usize>> {
    let known = target
        .iter()
        .filter(|&&d| d != -1)
        .try_fold(1usize, |p, &d| p.checked_mul(usize::try_from(d).ok()?))?;
    let unknown = target.iter().filter(|&&d| d == -1).count();
    let fill = match unknown {
        0 if known == len => 0,
        1 if known > 0 && len.is_multiple_of(known) => len / known,
        _ => return None,
    };
    Some(
        target
            .iter()
            .map(|&d| if d == -1 { fill } else { d as usize })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn a_reshape_target_resolves_one_unknown_axis_by_the_element_count() {
        assert_eq!(resolve(&[256, 96], 24576), Some(vec![256, 96]));
        assert_eq!(resolve(&[-1, 96], 24576), Some(vec![256, 96]));
        assert_eq!(
            resolve(&[1, 16, 16, 384], 98304),
            Some(vec![1, 16, 16, 384])
        );
        // A target that does not hold the input's elements, two unknowns or a negative size
        // leave the recorded shape.
        assert_eq!(resolve(&[255, 96], 24576), None);
        assert_eq!(resolve(&[-1, -1], 24576), None);
        assert_eq!(resolve(&[-2, 96], 24576), None);
        assert_eq!(resolve(&[-1, 0], 24576), None);
    }
}
