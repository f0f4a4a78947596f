//! Pack chip: turns integers into range-checked limbs and packs the limbs into field elements for
//! hashing, so that a hash of the packed elements binds the integers themselves.
//!
//! One row per limb (`B` = activation bits, limbs in `[-2^(B-1), 2^(B-1))`, checked by lookup in
//! the identity part of the activation table). Integers are split most significant limb first;
//! fixed flags mark where an integer and where a packed element start.
//! - `value = limb + (1 - value_start)·value[-1]·2^B`: on an integer's last row, `value` is the
//!   integer (equality-enabled: it is the cell the rest of the circuit copies);
//! - `packed = (limb + 2^(B-1)) + (1 - packed_start)·packed[-1]·2^B`: on a chunk's last row
//!   (every [`poseidon::limbs_per_element`] limbs, and the last limb), `packed` is the message
//!   element given to the Poseidon chip.
//!
//! Because each limb is range-checked and a chunk holds at most 252 bits, both maps are
//! injective: one hash value corresponds to one sequence of integers.

use super::poseidon::Message;
use super::table::TableConfig;
use super::{known, known_field, Links, Source};
use crate::poseidon;
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

#[derive(Clone, Debug)]
pub struct PackConfig {
    pub limb: Column<Advice>,
    pub value: Column<Advice>,
    pub packed: Column<Advice>,
    pub value_start: Column<Fixed>,
    pub packed_start: Column<Fixed>,
    pub q: Selector,
    pub limb_bits: u32,
}

/// An integer to pack: its value (None during keygen), its limb count and, if it already lives
/// somewhere in the circuit, the place it must equal.
#[derive(Clone, Copy, Debug)]
pub struct Packable {
    pub value: Option<i64>,
    pub limbs: usize,
    pub source: Option<Source>,
}

/// What a packing laid out: the integers' value cells and the packed message elements.
pub struct Packed {
    pub values: Vec<Cell>,
    pub messages: Vec<Message>,
    pub rows: usize,
}

impl PackConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, table: &TableConfig) -> Self {
        let config = PackConfig {
            limb: meta.advice_column(),
            value: meta.advice_column(),
            packed: meta.advice_column(),
            value_start: meta.fixed_column(),
            packed_start: meta.fixed_column(),
            q: meta.complex_selector(),
            limb_bits: table.act_bits,
        };
        meta.enable_equality(config.value);
        meta.enable_equality(config.packed);
        let base = Expression::Constant(Fr::from(1u64 << table.act_bits));
        let off = Expression::Constant(Fr::from(table.offset()));
        let one = Expression::Constant(Fr::ONE);
        let c = config.clone();
        meta.create_gate("pack", |meta| {
            let q = meta.query_selector(c.q);
            let limb = meta.query_advice(c.limb, Rotation::cur());
            let value = meta.query_advice(c.value, Rotation::cur());
            let value_prev = meta.query_advice(c.value, Rotation::prev());
            let packed = meta.query_advice(c.packed, Rotation::cur());
            let packed_prev = meta.query_advice(c.packed, Rotation::prev());
            let value_start = meta.query_fixed(c.value_start, Rotation::cur());
            let packed_start = meta.query_fixed(c.packed_start, Rotation::cur());
            vec![
                q.clone()
                    * (value
                        - limb.clone()
                        - (one.clone() - value_start) * value_prev * base.clone()),
                q * (packed
                    - limb
                    - off.clone()
                    - (one.clone() - packed_start) * packed_prev * base.clone()),
            ]
        });
        let zero = Expression::Constant(Fr::ZERO);
        meta.lookup("pack: limb range", |meta| {
            let q = meta.query_selector(c.q);
            let limb = meta.query_advice(c.limb, Rotation::cur());
            let v = q * limb;
            vec![
                (zero.clone(), table.tag),
                (v.clone(), table.input),
                (v, table.output),
            ]
        });
        config
    }

    /// Rows for integers with these limb counts.
    pub fn rows_for(limbs: impl IntoIterator<Item = usize>) -> usize {
        limbs.into_iter().sum()
    }

    /// Lays out `items` from row `offset`. Fails (synthesis error) if a value does not fit its
    /// limbs; the prover checks this earlier with a clear message.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        offset: usize,
        items: &[Packable],
    ) -> Result<Packed, Error> {
        let b = self.limb_bits;
        let base = Fr::from(1u64 << b);
        let half = 1i64 << (b - 1);
        let per_element = poseidon::limbs_per_element(b);
        let total: usize = items.iter().map(|i| i.limbs).sum();
        let mut row = offset;
        let mut in_chunk = 0;
        let mut done = 0;
        let mut packed: Option<Fr> = Some(Fr::ZERO);
        let mut values = Vec::with_capacity(items.len());
        let mut messages = Vec::new();
        for item in items {
            let limbs = match item.value {
                Some(v) => Some(poseidon::to_limbs(v, item.limbs, b).ok_or(Error::Synthesis)?),
                None => None,
            };
            let mut value: Option<i128> = Some(0);
            for j in 0..item.limbs {
                self.q.enable(region, row)?;
                let limb = limbs.as_ref().map(|l| l[j]);
                let value_start = j == 0;
                let packed_start = in_chunk == 0;
                region.assign_fixed(self.value_start, row, Fr::from(value_start as u64));
                region.assign_fixed(self.packed_start, row, Fr::from(packed_start as u64));
                region.assign_advice(self.limb, row, known(limb));
                value = value.zip(limb).map(|(v, l)| {
                    if value_start {
                        l as i128
                    } else {
                        v * (1i128 << b) + l as i128
                    }
                });
                let value_cell = region.assign_advice(self.value, row, known(value)).cell();
                packed = packed.zip(limb).map(|(p, l)| {
                    let digit = Fr::from((l + half) as u64);
                    if packed_start {
                        digit
                    } else {
                        p * base + digit
                    }
                });
                let packed_cell = region
                    .assign_advice(self.packed, row, known_field(packed))
                    .cell();
                in_chunk += 1;
                done += 1;
                if in_chunk == per_element || done == total {
                    messages.push(Message {
                        cell: packed_cell,
                        value: packed,
                    });
                    in_chunk = 0;
                }
                if j + 1 == item.limbs {
                    if let Some(source) = item.source {
                        links.copy(region, value_cell, source);
                    }
                    values.push(value_cell);
                }
                row += 1;
            }
        }
        Ok(Packed {
            values,
            messages,
            rows: row - offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fe;
    use super::super::testing::{assert_rejected, mock_field, TestCircuit};
    use super::*;

    /// Packs the public inputs (each with `limbs` limbs, copied from the instance), hashes the
    /// packed elements and exposes the digest. `corrupt`: (column 0 = limb, 1 = value,
    /// 2 = packed, row, value).
    fn case(inputs: Vec<i64>, limbs: usize, corrupt: Option<(usize, usize, i64)>) -> TestCircuit {
        let n = inputs.len();
        TestCircuit::new(inputs, move |config, region, links, public| {
            let pack = config.pack.as_ref().expect("test shape packs");
            let items: Vec<Packable> = public
                .iter()
                .map(|w| Packable {
                    value: w.value,
                    limbs,
                    source: Some(w.source),
                })
                .collect();
            let packed = pack.assign(region, links, 0, &items)?;
            let hasher = config.poseidon.as_ref().expect("test shape hashes");
            let (digest, _) = hasher.assign(region, 0, &packed.messages)?;
            links.expose(digest, n);
            if let Some((col, row, v)) = corrupt {
                let column = [pack.limb, pack.value, pack.packed][col];
                region.assign_advice(column, row, known(Some(v)));
            }
            Ok(())
        })
    }

    fn public(inputs: &[i64], limbs: usize) -> Vec<Fr> {
        let mut p: Vec<Fr> = inputs.iter().map(|&v| fe(v as i128)).collect();
        // The test shape has 8-bit limbs.
        p.push(poseidon::hash_integers(inputs, limbs, 8).unwrap());
        p
    }

    #[test]
    fn packs_and_hashes_like_native_and_rejects_corruption() {
        // 8-bit limbs: 31 per element, so 40 one-limb values make two messages.
        let many: Vec<i64> = (0..40).map(|i| (i * 37) % 256 - 128).collect();
        mock_field(&case(many.clone(), 1, None), &public(&many, 1)).unwrap();
        let wide = vec![1000i64, -30000, 5, 127, -128];
        mock_field(&case(wide.clone(), 2, None), &public(&wide, 2)).unwrap();
        let p = public(&wide, 2);
        // A limb changed, a value changed (breaks its copy of the input), a packed element.
        for corrupt in [(0, 1, 3), (1, 3, 5), (2, 4, 7)] {
            assert_rejected(mock_field(&case(wide.clone(), 2, Some(corrupt)), &p));
        }
        // An out-of-range limb that still sums to the right value: 1000 = 3·256 + 232 with
        // signed limbs is (4, -24); (3, 232) has a limb outside [-128, 128).
        let forged = TestCircuit::new(vec![1000], |config, region, links, public| {
            let pack = config.pack.as_ref().unwrap();
            let packed = pack.assign(
                region,
                links,
                0,
                &[Packable {
                    value: public[0].value,
                    limbs: 2,
                    source: Some(public[0].source),
                }],
            )?;
            region.assign_advice(pack.limb, 0, known(Some(3)));
            region.assign_advice(pack.value, 0, known(Some(3)));
            region.assign_advice(pack.limb, 1, known(Some(232)));
            // Keep the packed chain consistent with the forged limbs.
            region.assign_advice(pack.packed, 0, known(Some(3 + 128)));
            region.assign_advice(pack.packed, 1, known(Some((3 + 128) * 256 + 232 + 128)));
            let hasher = config.poseidon.as_ref().unwrap();
            let (digest, _) = hasher.assign(region, 10, &packed.messages)?;
            links.expose(digest, 1);
            Ok(())
        });
        assert_rejected(mock_field(&forged, &public(&[1000], 2)));
    }

    /// Packed elements exposed as public values (a `Packed` tensor) bind each value: the values
    /// (v0 + 1, v1 - 2^8) pack to the element of (v0, v1), and the range check rejects them.
    #[test]
    fn an_exposed_packing_binds_each_value() {
        const HONEST: [i64; 2] = [5, -7];
        let circuit = |forge: bool| {
            TestCircuit::new(vec![], move |config, region, links, _| {
                let pack = config.pack.as_ref().expect("test shape packs");
                let items = HONEST.map(|v| Packable {
                    value: Some(v),
                    limbs: 1,
                    source: None,
                });
                let packed = pack.assign(region, links, 0, &items)?;
                links.expose(packed.messages[0].cell, 0);
                if forge {
                    let (a, b) = (HONEST[0] + 1, HONEST[1] - 256);
                    for (row, v) in [(0, a), (1, b)] {
                        region.assign_advice(pack.limb, row, known(Some(v)));
                        region.assign_advice(pack.value, row, known(Some(v)));
                    }
                    // The running packed value after the first limb; after the second it is
                    // the honest element again.
                    region.assign_advice(pack.packed, 0, known(Some(a + 128)));
                }
                Ok(())
            })
        };
        let element = poseidon::pack_limbs(&HONEST, 8).unwrap();
        assert_eq!(element.len(), 1);
        mock_field(&circuit(false), &element).unwrap();
        let failures = mock_field(&circuit(true), &element).unwrap_err();
        assert!(
            failures.iter().all(|f| matches!(
                f,
                halo2_proofs::dev::VerifyFailure::Lookup { name, .. } if name == "pack: limb range"
            )),
            "the forged packing should fail the range check alone: {failures:?}"
        );
    }
}
