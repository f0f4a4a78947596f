//! Folding the one-hot composition of a token embedding into one table step (fixed weights).
//!
//! The ONNX front end lowers `Gather(E, ids)` to two quantized steps: a Dense step with one
//! input and a row per vocabulary entry, `acc_o = w·id + b_o` with `b_o = b_0 - o·c`, rounded and
//! passed through the NearZero table (the one-hot vector, `h` at the id's row, 0 elsewhere); and
//! a Dense step with `Eᵀ` as its weights over each token's one-hot row. The fold checks that
//! structure, checks that every id `(v·c - b_0)/w` gives exactly the one-hot vector at `v` (every
//! difference `v - o` of two rows, through the step's own rounding and table), and tabulates the
//! second step's outputs for each one-hot vector with its own rounding and activation. The
//! folded step therefore gives the same integers as the two steps for every id it holds; an
//! input that is no id is refused by the folded step's evaluation instead of embedding to the
//! composition's zeros.

use super::EmbeddingTable;
use crate::ops::unary::UnaryFn;
use crate::qgraph::{Activation, Linear, LinearKernel, QGraph, QStep, Rescale, Rounding, StepKind};

/// `graph` with every one-hot embedding composition folded into an [`EmbeddingTable`] step;
/// compositions whose structure or integers do not allow it are kept as they are. In place: a
/// transformer's graph holds its weights, and GPT-2's is gigabytes.
pub fn fold_one_hot_embeddings(mut graph: QGraph) -> QGraph {
    let mut i = 0;
    while i + 1 < graph.steps.len() {
        match fold_at(&graph, i) {
            Some(folded) => {
                let one_hot = graph.steps[i].output;
                graph.steps.splice(i..=i + 1, [folded]);
                remove_tensor(&mut graph, one_hot);
            }
            None => i += 1,
        }
    }
    graph
}

/// The step that replaces steps `i` and `i + 1`, if they are a foldable composition (the first
/// step's output is then read by the second alone).
fn fold_at(graph: &QGraph, i: usize) -> Option<QStep> {
    let (one_hot, rows) = (&graph.steps[i], &graph.steps[i + 1]);
    let (a, b) = (linear(one_hot)?, linear(rows)?);
    let one_hot_out = one_hot.output;
    // The one-hot vector is read by the row selection alone.
    if rows.inputs != [one_hot_out]
        || graph.output == one_hot_out
        || graph
            .steps
            .iter()
            .enumerate()
            .any(|(j, s)| j != i + 1 && s.inputs.contains(&one_hot_out))
        || one_hot.inputs.len() != 1
    {
        return None;
    }
    let ids = one_hot.inputs[0];
    let LinearKernel::Dense {
        n_in: 1,
        n_out: vocabulary,
        weight: id_weights,
        bias: offsets,
    } = &a.kernel
    else {
        return None;
    };
    let Activation::Table(t) = a.rescale.act else {
        return None;
    };
    if t.func != UnaryFn::NearZero {
        return None;
    }
    let LinearKernel::Dense {
        n_in,
        n_out: width,
        weight: table_t,
        bias: row_bias,
    } = &b.kernel
    else {
        return None;
    };
    let (vocabulary, width, tokens) = (*vocabulary, *width, graph.tensors[ids].len());
    if *n_in != vocabulary
        || vocabulary < 2
        || tokens == 0
        || offsets.len() != vocabulary
        || id_weights.len() != vocabulary
        || row_bias.len() != width
        || width == 0
        || graph.tensors[one_hot_out].len() != tokens * vocabulary
        || graph.tensors[rows.output].len() != tokens * width
    {
        return None;
    }
    // `acc_o = w·id + b_0 - o·c`: one weight, offsets in steps of `c`, one divisor.
    let w = *id_weights.first()?;
    let c = offsets[0].checked_sub(offsets[1])?;
    if w == 0
        || id_weights.iter().any(|&x| x != w)
        || offsets.iter().enumerate().any(|(o, &b_o)| {
            Some(b_o)
                != (o as i64)
                    .checked_mul(c)
                    .and_then(|oc| offsets[0].checked_sub(oc))
        })
        || c.checked_rem(w) != Some(0)
        || offsets[0].checked_rem(w) != Some(0)
    {
        return None;
    }
    let (id_step, first_id) = (c.checked_div(w)?, offsets[0].checked_div(w)?.checked_neg()?);
    if id_step <= 0 || !same_divisors(&a.rescale, vocabulary, tokens, true) {
        return None;
    }
    let (lo, hi) = graph.domain();
    // Output `o` for the id of row `v` depends on `v - o` only: `(v - o)·c` plus the rounding.
    let position = |k: i64| -> Option<i64> {
        let acc = (k as i128).checked_mul(c as i128)? + a.rescale.bias_offset(0);
        let q = a.rescale.quotient(0, acc)?;
        (lo as i128..=hi as i128)
            .contains(&q)
            .then(|| a.rescale.activate(q as i64))
    };
    let one = position(0).filter(|&h| h != 0)?;
    let span = vocabulary as i64 - 1;
    for k in (-span..=span).filter(|&k| k != 0) {
        if position(k)? != 0 {
            return None;
        }
    }
    // Each row: the second step's outputs for the one-hot vector `one·e_v`.
    if !same_divisors(&b.rescale, width, tokens, false) || table_t.len() != width * vocabulary {
        return None;
    }
    let mut values = Vec::with_capacity(vocabulary * width);
    for v in 0..vocabulary {
        for ch in 0..width {
            let acc = b.rescale.bias_offset(ch)
                + row_bias[ch] as i128
                + table_t[ch * vocabulary + v] as i128 * one as i128;
            let q = b.rescale.quotient(ch, acc)?;
            if q < lo as i128 || q > hi as i128 {
                return None;
            }
            values.push(b.rescale.activate(q as i64));
        }
    }
    let table = EmbeddingTable {
        first_id,
        id_step,
        width,
        values,
    };
    table.check(lo, hi).ok()?;
    Some(QStep {
        name: rows.name.clone(),
        kind: StepKind::Embedding(table),
        inputs: vec![ids],
        output: rows.output,
    })
}

fn linear(step: &QStep) -> Option<&Linear> {
    match &step.kind {
        StepKind::Linear(lin) => Some(lin),
        _ => None,
    }
}

/// Whether a half-up rescale over `rows` rows of `per_row` outputs divides output `r·per_row + o`
/// as it divides output `o` (the fold tabulates row 0's rounding), and, when `uniform`, every
/// output alike (the one-hot step's rounding is then one function of `v - o`).
fn same_divisors(rescale: &Rescale, per_row: usize, rows: usize, uniform: bool) -> bool {
    let Rounding::HalfUp { divisors } = &rescale.rounding else {
        return false;
    };
    let period = if uniform { 1 } else { per_row.max(1) };
    divisors.len() == per_row * rows
        && divisors
            .iter()
            .enumerate()
            .all(|(o, &d)| d == divisors[o % period])
}

/// Removes tensor `t`, read and written by no step, renumbering the later ones.
fn remove_tensor(graph: &mut QGraph, t: usize) {
    graph.tensors.remove(t);
    let shift = |x: &mut usize| {
        if *x > t {
            *x -= 1;
        }
    };
    for s in &mut graph.steps {
        s.inputs.iter_mut().for_each(shift);
        shift(&mut s.output);
    }
    shift(&mut graph.input);
    shift(&mut graph.output);
}
