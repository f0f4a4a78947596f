//! Dividing one Conv, Dense or token-embedding step by its output channels, for a step too
//! large for any segment on its own.
//!
//! Why: a chain cuts between steps, so its smallest segment is one step. A classifier's last
//! layer can outgrow the memory budget by itself (MobileNet v2's 1×1 convolution to 1001
//! classes has 1.28 M weights; with hidden weights each costs a pack row and about two rows of
//! the Poseidon chip, 42.8 GiB at k = 22). Its output channels are independent: channel c
//! reads every input but only its own weights, bias and requantization. So the step becomes
//! several steps, each computing a contiguous block of channels from the same input, followed
//! by a [`StepKind::Concat`] that lays the blocks one after another into the original output
//! tensor. With batch 1, NCHW's channel blocks (and a Dense row's outputs) are contiguous, so
//! the concatenation is exactly the original tensor and every later step reads it unchanged.
//! The integers are the same ones the undivided step computes (a test checks the evaluation),
//! and the blocks can land in different segments, the input and the finished blocks crossing
//! the cut in the link column like any other live tensors.
//!
//! A grouped convolution (a depthwise one: ConvNeXt's 7×7 over 56×56×96 needs more rows than a
//! segment at the chain's k holds) divides by whole groups the same way, except that a block
//! reads only its groups' input channels: a [`StepKind::Slice`] takes them out of the input
//! first (contiguous in NCHW at batch 1).

use crate::ops::gather::Pick;
use crate::qgraph::{Linear, LinearKernel, QGraph, QStep, QTensor, Rounding, StepKind};

/// A step that can be divided by its output channels, and how many weights it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Divisible {
    /// How many blocks it can be divided into at most: its output channels, or a grouped
    /// convolution's groups (a block holds whole groups).
    pub channels: usize,
    pub weights: usize,
}

/// Whether `step` is divisible: a batch-1 Conv (a grouped one, depthwise included, by whole
/// groups), or a Dense step (over one row or several: a sequence's tokens), with at least two
/// output channels (groups).
pub(super) fn divisible(graph: &QGraph, step: &QStep) -> Option<Divisible> {
    if let StepKind::Embedding(t) = &step.kind {
        // Its table by channels: a block holds every row's values of its channels.
        return (t.width >= 2).then_some(Divisible {
            channels: t.width,
            weights: t.values.len(),
        });
    }
    let StepKind::Linear(lin) = &step.kind else {
        return None;
    };
    match &lin.kernel {
        LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            weight,
            ..
        } => {
            let g = geometry.group.max(1);
            let batch_one = out_shape.len() == 4 && out_shape[0] == 1 && in_shape.len() == 4;
            (batch_one
                && in_shape[1].is_multiple_of(g)
                && out_shape[1].is_multiple_of(g)
                && geometry.out_channels == out_shape[1])
                .then_some(Divisible {
                    channels: if g > 1 { g } else { out_shape[1] },
                    weights: weight.len(),
                })
        }
        LinearKernel::Dense { n_out, weight, .. } => (*n_out > 0
            && graph.tensors[step.output].len().is_multiple_of(*n_out))
        .then_some(Divisible {
            channels: *n_out,
            weights: weight.len(),
        }),
        LinearKernel::PoolSum { .. }
        | LinearKernel::Elementwise { .. }
        | LinearKernel::Taps { .. } => None,
    }
    .filter(|d| d.channels >= 2)
}

/// `graph` with step `index` replaced by `parts` steps over contiguous blocks of its output
/// channels and their concatenation; None when the step is not divisible so (see
/// [`divisible`]; a requantization whose per-channel data does not follow the
/// channels is kept whole too). A grouped convolution's block reads only its groups' input
/// channels, which a [`StepKind::Slice`] before it takes out of the input (contiguous in NCHW
/// at batch 1): such a division makes two steps a block.
pub(super) fn divide_step(graph: &QGraph, index: usize, parts: usize) -> Option<QGraph> {
    let step = graph.steps.get(index)?;
    let units = divisible(graph, step)?.channels;
    if parts < 2 || parts > units {
        return None;
    }
    if let StepKind::Embedding(t) = &step.kind {
        return divide_embedding(graph, index, t, parts);
    }
    let StepKind::Linear(lin) = &step.kind else {
        return None;
    };
    // A grouped convolution's (output channels, input channels per group, input plane).
    let grouped = match &lin.kernel {
        LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            ..
        } if geometry.group > 1 => Some((
            out_shape[1],
            in_shape[1] / geometry.group,
            in_shape[2] * in_shape[3],
        )),
        _ => None,
    };
    let channels = grouped.map_or(units, |(out_channels, _, _)| out_channels);
    // Output channels per unit (a group's, or 1).
    let per_unit = channels / units;
    let per_channel_outputs = graph.tensors[step.output].len() / channels;
    // A Dense step over several rows: its outputs are row-major, so a block of channels is
    // not contiguous, and a gather (not a concatenation) puts the blocks back in place.
    let dense_rows = matches!(lin.kernel, LinearKernel::Dense { .. }) && per_channel_outputs > 1;
    // Part p's channels (whole units).
    let block = |p: usize| {
        (
            p * units / parts * per_unit,
            (p + 1) * units / parts * per_unit,
        )
    };
    let mut out = graph.clone();
    let mut new_steps = Vec::with_capacity(2 * parts + 1);
    let mut blocks = Vec::with_capacity(parts);
    for p in 0..parts {
        let (c0, c1) = block(p);
        let mut kernel = channel_block_kernel(&lin.kernel, channels, c0, c1)?;
        let mut inputs = step.inputs.clone();
        if let Some((_, per_group, plane)) = grouped {
            let (g0, g1) = (c0 / per_unit, c1 / per_unit);
            let (i0, i1) = (g0 * per_group, g1 * per_group);
            let input = *step.inputs.first()?;
            let mut sliced: QTensor = graph.tensors[input].clone();
            if sliced.shape.len() != 4 || sliced.len() != units * per_group * plane {
                return None;
            }
            sliced.name = format!("{} [channels {i0}..{i1}]", sliced.name);
            sliced.shape[1] = i1 - i0;
            let id = out.tensors.len();
            out.tensors.push(sliced);
            new_steps.push(QStep {
                name: format!("{} [input channels {i0}..{i1}]", step.name),
                kind: StepKind::Slice { start: i0 * plane },
                inputs: vec![input],
                output: id,
            });
            inputs = vec![id];
            if let LinearKernel::Conv {
                geometry, in_shape, ..
            } = &mut kernel
            {
                geometry.group = g1 - g0;
                in_shape[1] = i1 - i0;
            }
        }
        let rounding = if dense_rows {
            row_block_rounding(&lin.rescale.rounding, channels, per_channel_outputs, c0, c1)?
        } else {
            channel_block_rounding(&lin.rescale.rounding, channels, per_channel_outputs, c0, c1)?
        };
        let mut tensor: QTensor = graph.tensors[step.output].clone();
        tensor.name = format!("{} [channels {c0}..{c1}]", tensor.name);
        match (dense_rows, tensor.shape.len()) {
            (true, rank) if rank >= 2 && tensor.shape[rank - 1] == channels => {
                tensor.shape[rank - 1] = c1 - c0
            }
            (false, 4 | 2) => tensor.shape[1] = c1 - c0,
            _ => return None,
        }
        let id = out.tensors.len();
        out.tensors.push(tensor);
        blocks.push(id);
        new_steps.push(QStep {
            name: format!("{} [channels {c0}..{c1}]", step.name),
            kind: StepKind::Linear(Linear {
                kernel,
                rescale: crate::qgraph::Rescale {
                    rounding,
                    act: lin.rescale.act,
                },
            }),
            inputs,
            output: id,
        });
    }
    let kind = if dense_rows {
        interleave(per_channel_outputs, parts, &block)?
    } else {
        StepKind::Concat
    };
    new_steps.push(QStep {
        name: format!("{} [channel blocks concatenated]", step.name),
        kind,
        inputs: blocks,
        output: step.output,
    });
    out.steps.splice(index..=index, new_steps);
    Some(out)
}

/// The gather putting `parts` blocks of channels of a row-major `[rows, channels]` tensor back
/// in place: output `r·C + c` is block p's element `r·(c1 - c0) + c - c0`.
fn interleave(
    rows: usize,
    parts: usize,
    block: &dyn Fn(usize) -> (usize, usize),
) -> Option<StepKind> {
    let mut picks = Vec::new();
    for r in 0..rows {
        for p in 0..parts {
            let (c0, c1) = block(p);
            for c in c0..c1 {
                picks.push(Pick::Input {
                    slot: u32::try_from(p).ok()?,
                    index: u32::try_from(r * (c1 - c0) + c - c0).ok()?,
                });
            }
        }
    }
    Some(StepKind::Gather { picks })
}

/// A token embedding divided by channels: each block looks its channels up in a table of its
/// own (every row's values of those channels), and a gather puts each token's blocks back in
/// place.
fn divide_embedding(
    graph: &QGraph,
    index: usize,
    table: &crate::ops::embedding::EmbeddingTable,
    parts: usize,
) -> Option<QGraph> {
    let step = &graph.steps[index];
    let channels = table.width;
    let rows = graph.tensors[step.output].len() / channels;
    let block = |p: usize| (p * channels / parts, (p + 1) * channels / parts);
    let mut out = graph.clone();
    let mut new_steps = Vec::with_capacity(parts + 1);
    let mut blocks = Vec::with_capacity(parts);
    for p in 0..parts {
        let (c0, c1) = block(p);
        let mut tensor: QTensor = graph.tensors[step.output].clone();
        let rank = tensor.shape.len();
        if rank == 0 || tensor.shape[rank - 1] != channels {
            return None;
        }
        tensor.shape[rank - 1] = c1 - c0;
        tensor.name = format!("{} [channels {c0}..{c1}]", tensor.name);
        let id = out.tensors.len();
        out.tensors.push(tensor);
        blocks.push(id);
        new_steps.push(QStep {
            name: format!("{} [channels {c0}..{c1}]", step.name),
            kind: StepKind::Embedding(table.channels(c0, c1)?),
            inputs: step.inputs.clone(),
            output: id,
        });
    }
    new_steps.push(QStep {
        name: format!("{} [channel blocks concatenated]", step.name),
        kind: interleave(rows, parts, &block)?,
        inputs: blocks,
        output: step.output,
    });
    out.steps.splice(index..=index, new_steps);
    Some(out)
}

fn channel_block_kernel(
    kernel: &LinearKernel,
    channels: usize,
    c0: usize,
    c1: usize,
) -> Option<LinearKernel> {
    let slice = |v: &[i64]| -> Option<Vec<i64>> {
        v.len().is_multiple_of(channels).then(|| {
            let per = v.len() / channels;
            v[c0 * per..c1 * per].to_vec()
        })
    };
    Some(match kernel {
        LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            weight,
            bias,
        } => {
            let mut geometry = geometry.clone();
            geometry.out_channels = c1 - c0;
            let mut out_shape = out_shape.clone();
            out_shape[1] = c1 - c0;
            LinearKernel::Conv {
                geometry,
                in_shape: in_shape.clone(),
                out_shape,
                weight: slice(weight)?,
                bias: slice(bias)?,
            }
        }
        LinearKernel::Dense {
            n_in, weight, bias, ..
        } => LinearKernel::Dense {
            n_in: *n_in,
            n_out: c1 - c0,
            weight: slice(weight)?,
            bias: slice(bias)?,
        },
        LinearKernel::PoolSum { .. }
        | LinearKernel::Elementwise { .. }
        | LinearKernel::Taps { .. } => return None,
    })
}

/// The rounding of channels `c0..c1` of a Dense step over `rows` rows (row-major outputs):
/// per-output divisors picked row by row, a per-tensor multiplier kept (per-channel fixed-point
/// roundings of several rows are kept whole).
fn row_block_rounding(
    rounding: &Rounding,
    channels: usize,
    rows: usize,
    c0: usize,
    c1: usize,
) -> Option<Rounding> {
    let pick = |d: &[u64]| -> Vec<u64> {
        (0..rows)
            .flat_map(|r| d[r * channels + c0..r * channels + c1].iter().copied())
            .collect()
    };
    block_rounding(rounding, channels * rows, &pick, None)
}

/// The rounding of channels `c0..c1`: per-output divisors sliced, per-channel multipliers
/// sliced (a per-tensor one kept).
fn channel_block_rounding(
    rounding: &Rounding,
    channels: usize,
    per_channel_outputs: usize,
    c0: usize,
    c1: usize,
) -> Option<Rounding> {
    let pick = |d: &[u64]| d[c0 * per_channel_outputs..c1 * per_channel_outputs].to_vec();
    let multipliers = (channels, per_channel_outputs, c0, c1);
    block_rounding(
        rounding,
        channels * per_channel_outputs,
        &pick,
        Some(multipliers),
    )
}

/// A block's rounding: per-output divisors (`outputs` of them) through `pick`, a per-tensor
/// divisor or multiplier kept; per-channel multipliers sliced when `multipliers` says how
/// (channels, outputs per channel, the block's channels), else the rounding is kept whole.
fn block_rounding(
    rounding: &Rounding,
    outputs: usize,
    pick: &dyn Fn(&[u64]) -> Vec<u64>,
    multipliers: Option<(usize, usize, usize, usize)>,
) -> Option<Rounding> {
    let divisors = |d: &[u64]| -> Option<Vec<u64>> {
        match d.len() {
            1 => Some(d.to_vec()),
            n if n == outputs => Some(pick(d)),
            _ => None,
        }
    };
    Some(match rounding {
        Rounding::HalfUp { divisors: d } => Rounding::HalfUp {
            divisors: divisors(d)?,
        },
        Rounding::HalfAwayFromZero {
            divisors: d,
            zero_point,
        } => Rounding::HalfAwayFromZero {
            divisors: divisors(d)?,
            zero_point: *zero_point,
        },
        Rounding::FixedPoint(fp) => {
            let mut fp = fp.clone();
            if fp.multipliers.len() != 1 {
                let (channels, per_channel, c0, c1) = multipliers?;
                if fp.multipliers.len() != channels || fp.inner.max(1) != per_channel {
                    return None;
                }
                fp.multipliers = fp.multipliers[c0..c1].to_vec();
            }
            Rounding::FixedPoint(fp)
        }
    })
}

#[cfg(all(test, feature = "prover"))]
#[path = "divide_tests.rs"]
mod tests;
