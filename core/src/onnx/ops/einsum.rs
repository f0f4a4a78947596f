//! Einsum of one or two operands, as Keras's MultiHeadAttention (through tf2onnx) and
//! `torch.einsum` export it, lowered onto the core operators a matrix product already uses: each
//! operand's axes moved into `[batch, free, contracted]` order by a transpose (wiring), the
//! product as a dense layer (one operand constant: its weights) or a matrix product (both
//! computed), and the result moved into the output's order.
//!
//! Letters are classified by where they appear: in both operands and the output (batch), in
//! both but not the output (contracted), in one operand and the output (free). A letter that
//! one operand alone sums away, a letter repeated within an operand (a diagonal), an ellipsis and
//! a constant operand with batch letters are refused by name.

use super::*;

/// An operand's letters, one per axis.
fn letters(node: &NodeProto, term: &str, rank: usize) -> Result<Vec<char>> {
    let l: Vec<char> = term.chars().collect();
    if term.contains('.') {
        return Err(unsupported(node, "an ellipsis in the equation"));
    }
    if l.len() != rank || l.iter().any(|c| !c.is_ascii_alphabetic()) {
        return Err(unsupported(
            node,
            format!("the term '{term}' for an operand of rank {rank}"),
        ));
    }
    let mut seen = l.clone();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != l.len() {
        return Err(unsupported(
            node,
            format!("a letter repeated in '{term}' (a diagonal)"),
        ));
    }
    Ok(l)
}

/// An operand: a computed tensor or a constant, with its shape.
enum Operand {
    Computed(TensorId),
    Constant(Const),
}

pub(super) fn einsum(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let equation: String = attr_str(node, "equation")
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (lhs, out) = match equation.split_once("->") {
        Some((lhs, out)) => (lhs.to_string(), Some(out.to_string())),
        None => (equation.clone(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != node.input.len() || !(1..=2).contains(&terms.len()) {
        return Err(unsupported(
            node,
            format!(
                "the equation '{equation}' over {} operands (one or two)",
                node.input.len()
            ),
        ));
    }
    let mut operands = Vec::with_capacity(2);
    for i in 0..terms.len() {
        let name = node.input[i].as_str();
        operands.push(match l.tensors.get(name) {
            Some(&t) => Operand::Computed(t),
            None => Operand::Constant(
                l.constant(node, i)?
                    .cloned()
                    .ok_or_else(|| unsupported(node, format!("missing operand {i}")))?,
            ),
        });
    }
    let shape_of = |b: &ModelBuilder, o: &Operand| match o {
        Operand::Computed(t) => b.shape(*t).to_vec(),
        Operand::Constant(c) => c.shape.clone(),
    };
    let shapes: Vec<Vec<usize>> = operands.iter().map(|o| shape_of(b, o)).collect();
    let sets: Vec<Vec<char>> = terms
        .iter()
        .zip(&shapes)
        .map(|(t, s)| letters(node, t, s.len()))
        .collect::<Result<_>>()?;
    // Implicit output: the letters that appear once, in alphabetical order.
    let out: Vec<char> = match out {
        Some(o) => letters(node, &o, o.chars().count())?,
        None => {
            let mut once: Vec<char> = sets
                .iter()
                .flatten()
                .copied()
                .filter(|c| sets.iter().flatten().filter(|d| *d == c).count() == 1)
                .collect();
            once.sort_unstable();
            once
        }
    };
    let size = |c: char| -> Option<usize> {
        sets.iter()
            .zip(&shapes)
            .find_map(|(s, sh)| s.iter().position(|&d| d == c).map(|i| sh[i]))
    };
    for c in &out {
        if size(*c).is_none() {
            return Err(unsupported(
                node,
                format!("output letter '{c}' in no operand"),
            ));
        }
    }
    for (s, sh) in sets.iter().zip(&shapes) {
        for (i, &c) in s.iter().enumerate() {
            if size(c) != Some(sh[i]) {
                return Err(unsupported(node, format!("letter '{c}' with two sizes")));
            }
        }
    }
    if operands.len() == 1 {
        return one_operand(l, b, node, &operands[0], &sets[0], &shapes[0], &out);
    }
    let (sa, sb) = (&sets[0], &sets[1]);
    let in_out = |c: &char| out.contains(c);
    let batch: Vec<char> = sa
        .iter()
        .copied()
        .filter(|c| sb.contains(c) && in_out(c))
        .collect();
    let contracted: Vec<char> = sa
        .iter()
        .copied()
        .filter(|c| sb.contains(c) && !in_out(c))
        .collect();
    let free_a: Vec<char> = sa.iter().copied().filter(|c| !sb.contains(c)).collect();
    let free_b: Vec<char> = sb.iter().copied().filter(|c| !sa.contains(c)).collect();
    if let Some(c) = free_a.iter().chain(&free_b).find(|c| !in_out(c)) {
        return Err(unsupported(
            node,
            format!("letter '{c}' summed within one operand"),
        ));
    }
    let product = |letters: &[char]| {
        letters
            .iter()
            .map(|&c| size(c).unwrap_or(1))
            .product::<usize>()
    };
    let (p_batch, p_a, p_k, p_b) = (
        product(&batch),
        product(&free_a),
        product(&contracted),
        product(&free_b),
    );
    // The product's natural output order: batch, then A's free letters, then B's.
    let natural: Vec<char> = batch
        .iter()
        .chain(&free_a)
        .chain(&free_b)
        .copied()
        .collect();
    let natural_shape: Vec<usize> = natural.iter().map(|&c| size(c).unwrap_or(1)).collect();
    let order = |from: &[char], to: &[char]| -> Vec<i64> {
        to.iter()
            .map(|c| from.iter().position(|d| d == c).unwrap_or(0) as i64)
            .collect()
    };
    let product_out = match (&operands[0], &operands[1]) {
        (Operand::Computed(a), Operand::Computed(bt)) => {
            let a_order: Vec<char> = batch
                .iter()
                .chain(&free_a)
                .chain(&contracted)
                .copied()
                .collect();
            let b_order: Vec<char> = batch
                .iter()
                .chain(&contracted)
                .chain(&free_b)
                .copied()
                .collect();
            let a = arrange(
                b,
                node,
                *a,
                &order(sa, &a_order),
                vec![p_batch, p_a, p_k],
                "lhs",
            )?;
            let bt = arrange(
                b,
                node,
                *bt,
                &order(sb, &b_order),
                vec![p_batch, p_k, p_b],
                "rhs",
            )?;
            let y = emit_part(b, node, "product", Op::MatMul, vec![a, bt], None)?;
            emit_part(
                b,
                node,
                "product-axes",
                Op::Reshape,
                vec![y],
                Some(natural_shape.clone()),
            )?
        }
        (x, w) => {
            // One constant operand: its weights, the computed one's rows. The product's output
            // is then [computed's free letters, constant's free letters]; batch letters would
            // need weights per batch item.
            let swapped = matches!(x, Operand::Constant(_));
            let (x, w, sx, sw, fx, fw) = if swapped {
                (w, x, sb, sa, &free_b, &free_a)
            } else {
                (x, w, sa, sb, &free_a, &free_b)
            };
            let (Operand::Computed(x), Operand::Constant(w)) = (x, w) else {
                return Err(unsupported(node, "two constant operands"));
            };
            if !batch.is_empty() {
                return Err(unsupported(
                    node,
                    format!("a constant operand with batch letters {batch:?}"),
                ));
            }
            let (p_x, p_w) = (product(fx), product(fw));
            let x_order: Vec<char> = fx.iter().chain(&contracted).copied().collect();
            let x = arrange(b, node, *x, &order(sx, &x_order), vec![p_x, p_k], "rows")?;
            let w_order: Vec<char> = contracted.iter().chain(fw).copied().collect();
            let weights = transposed_constant(w, &order(sw, &w_order));
            let weights = Const {
                shape: vec![p_k, p_w],
                values: weights,
                integer: false,
            };
            let (op, inputs) = crate::onnx::matmul_by_constant(node, x, &weights)?;
            let y = emit_part(b, node, "product", op, inputs, None)?;
            let got: Vec<char> = fx.iter().chain(fw).copied().collect();
            let got_shape: Vec<usize> = got.iter().map(|&c| size(c).unwrap_or(1)).collect();
            let y = emit_part(
                b,
                node,
                "product-axes",
                Op::Reshape,
                vec![y],
                Some(got_shape),
            )?;
            // In the natural order (A's free letters first).
            let perm = order(&got, &natural);
            arrange(b, node, y, &perm, natural_shape.clone(), "natural")?
        }
    };
    finish(l, b, node, product_out, &natural, &out)
}

/// `t` transposed by `perm` (when it moves anything) and reshaped to `to`.
fn arrange(
    b: &mut ModelBuilder,
    node: &NodeProto,
    t: TensorId,
    perm: &[i64],
    to: Vec<usize>,
    part: &str,
) -> Result<TensorId> {
    let moved = perm.iter().enumerate().any(|(i, &p)| p != i as i64);
    let t = if moved {
        let g = maps::transpose(b.shape(t), Some(perm)).map_err(|e| unsupported(node, e))?;
        emit_part(
            b,
            node,
            &format!("{part}-transposed"),
            Op::Gather(g),
            vec![t],
            None,
        )?
    } else {
        t
    };
    if b.shape(t) == to.as_slice() {
        return Ok(t);
    }
    emit_part(
        b,
        node,
        &format!("{part}-view"),
        Op::Reshape,
        vec![t],
        Some(to),
    )
}

/// A constant's values with its axes in the order `perm` (row-major).
fn transposed_constant(c: &Const, perm: &[i64]) -> Vec<f64> {
    let shape: Vec<usize> = perm.iter().map(|&p| c.shape[p as usize]).collect();
    let (os, xs) = (
        crate::tensor::strides(&shape),
        crate::tensor::strides(&c.shape),
    );
    (0..c.values.len())
        .map(|i| {
            let j: usize = (0..shape.len())
                .map(|d| (i / os[d]) % shape[d].max(1) * xs[perm[d] as usize])
                .sum();
            c.values[j]
        })
        .collect()
}

/// The node's output: `t` (its letters `have`) moved into the output's order.
fn finish(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    t: TensorId,
    have: &[char],
    out: &[char],
) -> Result<()> {
    let perm: Vec<i64> = out
        .iter()
        .map(|c| have.iter().position(|d| d == c).unwrap_or(0) as i64)
        .collect();
    if perm.iter().enumerate().any(|(i, &p)| p != i as i64) {
        let g = maps::transpose(b.shape(t), Some(&perm)).map_err(|e| unsupported(node, e))?;
        emit(l, b, node, Op::Gather(g), vec![t], None)?;
    } else {
        let shape = b.shape(t).to_vec();
        emit(l, b, node, Op::Reshape, vec![t], Some(shape))?;
    }
    Ok(())
}

/// One operand: a transpose (every letter kept), else refused.
fn one_operand(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    operand: &Operand,
    set: &[char],
    _shape: &[usize],
    out: &[char],
) -> Result<()> {
    let Operand::Computed(t) = operand else {
        return Err(unsupported(node, "a constant operand alone"));
    };
    if out.len() != set.len() || out.iter().any(|c| !set.contains(c)) {
        return Err(unsupported(
            node,
            "a one-operand equation that sums or takes a diagonal (a transpose only)",
        ));
    }
    finish(l, b, node, *t, set, out)
}

#[cfg(test)]
#[path = "einsum_tests.rs"]
mod tests;
