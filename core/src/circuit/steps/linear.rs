//! Linear steps (Conv, Dense, pooling sums, elementwise affine maps): each output element is a
//! dot product of its terms' input wires with their weights plus a bias, laid out over
//! consecutive rows of the dot chip (as many as its length needs at the dot width; hidden
//! weights are copied from their committed cells), then on the dot product's last row rescaled
//! (half up or half away from zero) by the rescale chip or requantized by the fixed-point
//! chip, its activation applied by lookup.
//!
//! A convolution with public weights whose randomized check takes fewer rows (a 1×1 one wider
//! than the dot width; any other where the shape's `conv_freivalds` says so) is instead proven
//! by the pointwise chip: the claimed accumulators `W·X + B` are witnessed one per row (then
//! rescaled as above), and checked against `W·(X·r)` in the second phase, X the input or its
//! im2col matrix.

use super::StepLayout;
use crate::circuit::dot::{DotConfig, HiddenWeights};
use crate::circuit::pointwise::{CommittedParams, PointwiseConfig, PointwiseDims};
use crate::circuit::requant::RequantParams;
use crate::circuit::{ModelConfig, Wire};
use crate::qgraph::{Activation, Linear, LinearKernel, QStep, Rounding, Term};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

impl StepLayout<'_, '_> {
    /// Step `step_index`, a linear step: the randomized convolution check if it applies, else
    /// one dot product per output.
    pub fn linear(
        &mut self,
        step_index: usize,
        step: &QStep,
        lin: &Linear,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let tag = self.tag_of(lin.rescale.act)?;
        let n_outputs = self.len(step.output);
        let pointwise = config.pointwise.as_ref().and_then(|pw| {
            let dims = PointwiseDims::of(lin, n_outputs, pw.check_layout(config.dot.width()))?;
            Some((pw, dims))
        });
        match pointwise {
            Some((pw, dims)) => self.pointwise(step_index, step, lin, tag, pw, dims),
            None => self.direct(step_index, step, lin, tag),
        }
    }

    /// A convolution by the randomized check: its first phase here (the accumulators and their
    /// rescales), its second phase kept in `pending`.
    fn pointwise(
        &mut self,
        step_index: usize,
        step: &QStep,
        lin: &Linear,
        tag: u64,
        pw: &PointwiseConfig,
        dims: PointwiseDims,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let n_out = self.len(step.output);
        let input = &self.wires[step.inputs[0]];
        let wire = |i: usize| input.get(i).copied().ok_or(Error::Synthesis);
        // X: a convolution's im2col matrix (for a 1×1 convolution, the input itself), a padding
        // tap the constant zero; a Dense step's input read transposed (row p's value ci is X's
        // entry (ci, p)).
        let (weight, bias, x): (&[i64], &[i64], Vec<Option<Wire>>) = match &lin.kernel {
            LinearKernel::Conv {
                weight,
                bias,
                geometry,
                in_shape,
                out_shape,
            } => (
                weight,
                bias,
                crate::circuit::pointwise::conv_columns(geometry, in_shape, out_shape)
                    .ok_or(Error::Synthesis)?
                    .into_iter()
                    .map(|i| i.map(wire).transpose())
                    .collect::<Result<_, _>>()?,
            ),
            LinearKernel::Dense {
                n_in, weight, bias, ..
            } if dims.dense && dims.cin == *n_in => (
                weight,
                bias,
                (0..dims.cin * dims.hw)
                    .map(|e| wire((e % dims.hw) * n_in + e / dims.hw).map(Some))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(Error::Synthesis),
        };
        // With hidden weights the bias is committed: the fixed column keeps the rounding offset,
        // and W and B are copies of their committed cells (Conv's parameter order is W's OIHW
        // order, one bias per channel).
        let hidden = self.param_cells[step_index].as_ref();
        let channel_bias: Vec<i128> = (0..dims.cout)
            .map(|co| {
                let offset = lin.rescale.bias_offset(dims.flat_output(co, 0));
                match hidden {
                    Some(_) => offset,
                    None => bias[co] as i128 + offset,
                }
            })
            .collect();
        let committed_biases: Vec<(Cell, i128)> = match hidden {
            Some((_, bias_cells)) => (0..dims.cout)
                .map(|co| {
                    let b = lin
                        .bias_index(dims.flat_output(co, 0))
                        .ok_or(Error::Synthesis)?;
                    let cell = *bias_cells.get(b).ok_or(Error::Synthesis)?;
                    Ok((cell, *bias.get(b).ok_or(Error::Synthesis)? as i128))
                })
                .collect::<Result<_, Error>>()?,
            None => Vec::new(),
        };
        let committed = match hidden {
            Some((weight_cells, _)) if weight_cells.len() == weight.len() => {
                Some(CommittedParams {
                    weights: weight_cells,
                    biases: &committed_biases,
                })
            }
            Some(_) => return Err(Error::Synthesis),
            None => None,
        };
        // The accumulators the prover claims, channel-major (the chip's order): W·X + B, B with
        // the rounding offset (one per channel, as `PointwiseDims::of` checked).
        let y: Vec<Option<i128>> = match self.values {
            Some(v) => {
                let sums = lin
                    .check_sums(&step.name, n_out, &v[step.inputs[0]])
                    .ok()
                    .flatten()
                    .ok_or(Error::Synthesis)?;
                (0..n_out)
                    .map(|q| {
                        let o = dims.output_of(q);
                        let sum = *sums.get(o).ok_or(Error::Synthesis)?;
                        Ok(Some(sum as i128 + lin.rescale.bias_offset(o)))
                    })
                    .collect::<Result<_, Error>>()?
            }
            None => vec![None; n_out],
        };
        self.pending.push(pw.assign(
            self.region,
            self.links,
            &mut self.zero_cell,
            (self.dot_row, self.weight_row),
            dims,
            &x,
            &y,
            &channel_bias,
            weight,
            committed,
        )?);
        // Output q in the chip's order sits on row q; the step's output index is its own.
        let mut out: Vec<Option<Wire>> = vec![None; n_out];
        for (q, &acc) in y.iter().enumerate() {
            let o = dims.output_of(q);
            let y = self.value(step.output, o);
            let row = self.dot_row + q;
            let slot = out.get_mut(o).ok_or(Error::Synthesis)?;
            *slot = Some(rescale(config, self.region, lin, tag, o, row, acc, y)?);
        }
        self.dot_row += dims.rows(config.dot.width());
        self.weight_row += dims.weight_rows();
        out.into_iter().map(|w| w.ok_or(Error::Synthesis)).collect()
    }

    /// One dot product per output, rescaled on its last row.
    fn direct(
        &mut self,
        step_index: usize,
        step: &QStep,
        lin: &Linear,
        tag: u64,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let n_out = self.len(step.output);
        let mut out = Vec::with_capacity(n_out);
        let params = self.param_cells[step_index].as_ref();
        for o in 0..n_out {
            let mut bias = lin.terms(o, &mut self.terms) + lin.rescale.bias_offset(o);
            let ins: Vec<Wire> = self
                .terms
                .iter()
                .map(|t| self.wires[step.inputs[t.slot]][t.index])
                .collect();
            let ws: Vec<i64> = self.terms.iter().map(|t| t.weight).collect();
            let rows = DotConfig::rows_for(ins.len(), config.dot.width());
            let hidden = match params {
                Some((weight_cells, bias_cells)) => {
                    self.hidden_cells.clear();
                    for t in &self.terms {
                        self.hidden_cells.push(if t.param == Term::STRUCTURAL {
                            None
                        } else {
                            Some(*weight_cells.get(t.param).ok_or(Error::Synthesis)?)
                        });
                    }
                    let (_, biases) = lin.params().ok_or(Error::Synthesis)?;
                    let b = lin.bias_index(o).ok_or(Error::Synthesis)?;
                    bias -= biases[b] as i128;
                    Some(HiddenWeights {
                        weights: &self.hidden_cells,
                        bias: Some((bias_cells[b], biases[b])),
                    })
                }
                None => None,
            };
            let (_, acc) = config.dot.assign(
                self.region,
                self.links,
                self.dot_row,
                &ins,
                &ws,
                bias,
                hidden.as_ref(),
            )?;
            let y = self.values.map(|v| v[step.output][o]);
            let last = self.dot_row + rows - 1;
            out.push(rescale(config, self.region, lin, tag, o, last, acc, y)?);
            self.dot_row += rows;
        }
        Ok(out)
    }
}

/// The rescale (half-up or half-away-from-zero division) or fixed-point requantization of
/// output `o` of `lin`, reading the accumulator `acc` on `row`.
#[allow(clippy::too_many_arguments)]
fn rescale(
    config: &ModelConfig,
    region: &mut Region<Fr>,
    lin: &Linear,
    tag: u64,
    o: usize,
    row: usize,
    acc: Option<i128>,
    y: Option<i64>,
) -> Result<Wire, Error> {
    match &lin.rescale.rounding {
        Rounding::HalfUp { divisors } | Rounding::HalfAwayFromZero { divisors, .. } => {
            // The zero point of a raw sum rounded half away from zero; None: half up.
            let raw_zero_point = match &lin.rescale.rounding {
                Rounding::HalfAwayFromZero { zero_point, .. } => Some(*zero_point),
                _ => None,
            };
            config.rescale.as_ref().ok_or(Error::Synthesis)?.assign(
                region,
                row,
                acc,
                *divisors.get(o).ok_or(Error::Synthesis)?,
                raw_zero_point,
                lin.rescale.act,
                tag,
                y,
            )
        }
        Rounding::FixedPoint(fp) => {
            let Activation::Clip { lo, hi } = lin.rescale.act else {
                return Err(Error::Synthesis);
            };
            let params = RequantParams {
                multiplier: fp.multiplier(o),
                zp_in: fp.out_offset,
                zp_out: fp.out_zero_point,
                lo,
                hi,
                ties_up: fp.ties_up,
            };
            config
                .requant
                .as_ref()
                .ok_or(Error::Synthesis)?
                .assign(region, row, acc, &params, tag, y)
        }
    }
}
