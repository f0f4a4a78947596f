//! How the input, the hidden weights and the output enter and leave the model's region: a
//! public input is read from the instance column, a linked one from its link column, any other
//! is packed into range-checked cells (and hashed, salted or not, or its packing exposed); hidden
//! weights are packed and committed before the first step; the output is exposed, packed,
//! hashed or written to its link column after the last.
//!
//! The pack and Poseidon chips fill their columns from row 0: `rows` is (next pack row, next
//! Poseidon row), advanced as each of these is laid out.

use super::pack::{Packable, Packed};
use super::poseidon::Message;
use super::{known, known_field, LinkBlinding, Links, ModelCircuit, ModelConfig, Source};
use super::{TensorVisibility, Wire};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

/// Each step's parameter cells (weights, biases) when the weights are hidden.
pub(super) type ParamCells = Vec<Option<(Vec<Cell>, Vec<Cell>)>>;

impl ModelCircuit {
    /// The input's wires: instance rows, link-column cells, or packed (and maybe hashed) cells.
    pub(super) fn layout_input(
        &self,
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        hash_rows: &mut (usize, usize),
    ) -> Result<Vec<Wire>, Error> {
        let g = &self.graph;
        let values = self.values.as_deref();
        let value = |t: usize, i: usize| values.map(|v| v[t][i]);
        let vis = self.shape.visibility;
        let n_in = g.input_tensor().len();
        Ok(match vis.input {
            TensorVisibility::Linked => {
                // The previous segment range-checked these values; equal link commitments make
                // them the same values.
                let column = config.link_in.ok_or(Error::Synthesis)?;
                let blind = self.link_blinding.input.as_ref();
                LinkBlinding::assign(region, column, n_in, blind, values.is_some());
                (0..n_in)
                    .map(|i| {
                        let v = value(g.input, i);
                        let cell = region.assign_advice(column, i, known(v)).cell();
                        Wire {
                            source: Source::Advice(cell),
                            value: v,
                        }
                    })
                    .collect()
            }
            TensorVisibility::Public => (0..n_in)
                .map(|i| Wire {
                    source: Source::Instance(i),
                    value: value(g.input, i),
                })
                .collect(),
            TensorVisibility::Packed
            | TensorVisibility::Hashed
            | TensorVisibility::Salted
            | TensorVisibility::Hidden => {
                // The input lives in range-checked advice cells (its packing public, hashed, or
                // neither).
                let items: Vec<Packable> = (0..n_in)
                    .map(|i| Packable {
                        value: value(g.input, i),
                        limbs: 1,
                        source: None,
                    })
                    .collect();
                let cells = if vis.input == TensorVisibility::Packed {
                    Self::pack_and_expose(config, region, links, hash_rows, &items, 0)?
                } else {
                    let expose = vis.input.is_hashed().then_some(0);
                    // The salt's cell is a free witness: unknown at key generation.
                    let salt = (vis.input == TensorVisibility::Salted)
                        .then(|| values.and(self.input_salt));
                    Self::pack_and_hash(config, region, links, hash_rows, &items, salt, expose)?
                };
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(i, cell)| Wire {
                        source: Source::Advice(cell),
                        value: value(g.input, i),
                    })
                    .collect()
            }
        })
    }

    /// With hidden weights, lays out every parameter in the pack chip and exposes their
    /// commitment at instance row `commitment_row`: each step's (weight cells, bias cells),
    /// which its dot products copy. Without, no cells.
    pub(super) fn layout_params(
        &self,
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        hash_rows: &mut (usize, usize),
        commitment_row: usize,
    ) -> Result<ParamCells, Error> {
        let g = &self.graph;
        let vis = self.shape.visibility;
        let mut param_cells: Vec<Option<(Vec<Cell>, Vec<Cell>)>> = vec![None; g.steps.len()];
        if vis.hidden_weights() {
            let tensors = crate::commitment::param_tensors(g);
            let mut items = Vec::new();
            for t in &tensors {
                items.extend(t.values.iter().map(|&v| Packable {
                    value: Some(v),
                    limbs: t.limbs,
                    source: None,
                }));
            }
            let salt = self.values.as_ref().map(|_| self.salt);
            let cells = Self::pack_and_hash(
                config,
                region,
                links,
                hash_rows,
                &items,
                Some(salt),
                Some(commitment_row),
            )?;
            let mut at = 0;
            for t in &tensors {
                let these = cells[at..at + t.values.len()].to_vec();
                at += t.values.len();
                let entry = param_cells[t.step].get_or_insert_with(|| (vec![], vec![]));
                if t.is_bias {
                    entry.1 = these;
                } else {
                    entry.0 = these;
                }
            }
        }
        Ok(param_cells)
    }

    /// Exposes the output's wires at instance rows `in_len`.. (or packs, hashes or links them).
    pub(super) fn layout_output(
        &self,
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        hash_rows: &mut (usize, usize),
        outputs: &[Wire],
        in_len: usize,
    ) -> Result<(), Error> {
        let values = self.values.as_deref();
        let vis = self.shape.visibility;
        if vis.output != TensorVisibility::Linked
            && outputs
                .iter()
                .any(|w| matches!(w.source, Source::Instance(_)))
        {
            // An output that is the public input itself (no computing step): not a model.
            return Err(Error::Synthesis);
        }
        match vis.output {
            TensorVisibility::Public => {
                for (j, w) in outputs.iter().enumerate() {
                    if let Source::Advice(cell) = w.source {
                        links.expose(cell, in_len + j);
                    }
                }
            }
            TensorVisibility::Packed | TensorVisibility::Hashed => {
                let items: Vec<Packable> = outputs
                    .iter()
                    .map(|w| Packable {
                        value: w.value,
                        limbs: 1,
                        source: Some(w.source),
                    })
                    .collect();
                if vis.output == TensorVisibility::Packed {
                    Self::pack_and_expose(config, region, links, hash_rows, &items, in_len)?;
                } else {
                    Self::pack_and_hash(
                        config,
                        region,
                        links,
                        hash_rows,
                        &items,
                        None,
                        Some(in_len),
                    )?;
                }
            }
            // Refused by `CircuitShape::validate`: only the consumer, who sends the input, can
            // choose a salt.
            TensorVisibility::Salted => return Err(Error::Synthesis),
            TensorVisibility::Linked => {
                let column = config.link_out.ok_or(Error::Synthesis)?;
                for (j, w) in outputs.iter().enumerate() {
                    let cell = region.assign_advice(column, j, known(w.value)).cell();
                    links.copy(region, cell, w.source);
                }
                let blind = self.link_blinding.output.as_ref();
                LinkBlinding::assign(region, column, outputs.len(), blind, values.is_some());
            }
            TensorVisibility::Hidden => {}
        }
        Ok(())
    }

    /// Packs `items` (and hashes them if `hash`), exposing the digest at instance `row`.
    #[allow(clippy::too_many_arguments)]
    fn pack_and_hash(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
        salt: Option<Option<Fr>>,
        expose_at: Option<usize>,
    ) -> Result<Vec<Cell>, Error> {
        let packed = Self::pack(config, region, links, rows, items)?;
        if let Some(row) = expose_at {
            let pack = config.pack.as_ref().ok_or(Error::Synthesis)?;
            let hasher = config.poseidon.as_ref().ok_or(Error::Synthesis)?;
            let mut messages = Vec::with_capacity(packed.messages.len() + 1);
            if let Some(salt) = salt {
                // The salt is a free witness in a row of the packed column that no gate reads.
                let cell = region
                    .assign_advice(pack.packed, rows.0, known_field(salt))
                    .cell();
                rows.0 += 1;
                messages.push(Message { cell, value: salt });
            }
            messages.extend(packed.messages);
            let (digest, _) = hasher.assign(region, rows.1, &messages)?;
            rows.1 += hasher.rows(messages.len());
            links.expose(digest, row);
        }
        Ok(packed.values)
    }

    /// Lays out `items` in the pack chip from its next free row (`rows.0`).
    fn pack(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
    ) -> Result<Packed, Error> {
        let pack = config.pack.as_ref().ok_or(Error::Synthesis)?;
        let packed = pack.assign(region, links, rows.0, items)?;
        rows.0 += packed.rows;
        Ok(packed)
    }

    /// Packs `items` and exposes the packed elements at instance rows `first`..
    fn pack_and_expose(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
        first: usize,
    ) -> Result<Vec<Cell>, Error> {
        let packed = Self::pack(config, region, links, rows, items)?;
        for (j, message) in packed.messages.iter().enumerate() {
            links.expose(message.cell, first + j);
        }
        Ok(packed.values)
    }
}
