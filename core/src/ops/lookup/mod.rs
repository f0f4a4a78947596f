//! An 8-bit tensor mapped elementwise through an explicit table: how the TFLite interpreter
//! itself runs int8/uint8 LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, a standalone RELU/RELU6,
//! QUANTIZE between two scales, MUL by a scalar constant, and the rescaling of a CONCATENATION
//! input whose quantization differs from the output's.
//!
//! - Integer semantics: an 8-bit input holds one of 256 stored values, so any elementwise
//!   operator of one 8-bit input is a function of those 256 values. The front end computes the
//!   table once, with the interpreter's own arithmetic ([`crate::tflite::lut`]), and the step
//!   maps the centred input `x = stored - zp_in` to `outputs[x - in_min]`, a centred output.
//!   Bit-exactness against the interpreter is then a property of the table alone, tested over
//!   every input value.
//! - Circuit: one row per element, a lookup `(tag, x, y)` against this table's 256 rows of the
//!   shared lookup table (the same "map" row the TFLite ADD uses for its input rescaling). The
//!   table only holds the 256 valid inputs, so the lookup also proves `x` is one of them.
//! - Cost: 256 table rows per distinct table, one advice row per element.

use serde::{Deserialize, Serialize};

/// Inputs a table covers: every stored value of an 8-bit type.
pub const LOOKUP_INPUTS: usize = 256;

/// An elementwise map of a centred 8-bit tensor, by its values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ByteLookup {
    /// The smallest centred input (`qmin - zp_in`); the table covers `in_min..in_min + 256`.
    pub in_min: i64,
    /// The centred output for each input, in input order.
    pub outputs: Vec<i64>,
}

impl ByteLookup {
    /// The table of `f` over the stored range `[qmin, qmin + 255]` of an input with zero point
    /// `zp_in`, `f` taking and returning stored values; the output is centred on `zp_out`.
    pub fn from_stored(qmin: i64, zp_in: i64, zp_out: i64, mut f: impl FnMut(i64) -> i64) -> Self {
        ByteLookup {
            in_min: qmin - zp_in,
            outputs: (qmin..qmin + LOOKUP_INPUTS as i64)
                .map(|s| f(s) - zp_out)
                .collect(),
        }
    }

    /// The centred output for centred input `x`; None outside the table.
    pub fn apply(&self, x: i64) -> Option<i64> {
        let i = usize::try_from(x.checked_sub(self.in_min)?).ok()?;
        self.outputs.get(i).copied()
    }

    /// The table's `(input, output)` pairs, as the circuit's lookup table holds them.
    pub fn entries(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        (self.in_min..).zip(self.outputs.iter().copied())
    }

    /// Whether the table is well formed: 256 entries, inputs and outputs within `[lo, hi]`.
    pub fn check(&self, lo: i64, hi: i64) -> Result<(), String> {
        if self.outputs.len() != LOOKUP_INPUTS {
            return Err(format!(
                "a lookup table has {} entries, not {LOOKUP_INPUTS}",
                self.outputs.len()
            ));
        }
        let last = self.in_min + LOOKUP_INPUTS as i64 - 1;
        if self.in_min < lo || last > hi {
            return Err(format!(
                "a lookup table's inputs [{}, {last}] leave the domain [{lo}, {hi}]",
                self.in_min
            ));
        }
        if let Some(y) = self.outputs.iter().find(|&&y| y < lo || y > hi) {
            return Err(format!(
                "a lookup table's output {y} leaves the domain [{lo}, {hi}]"
            ));
        }
        Ok(())
    }
}

/// An 8-bit tensor mapped element by element through one of several explicit tables: TFLite's
/// int8/uint8 PRELU, whose slope is a tensor (Keras's `PReLU` learns one per element by
/// default), so each element's output is a function of its stored input for the stored slope
/// it meets. One table per distinct slope value (at most 256), and for every element the table
/// it reads.
///
/// Circuit: the same one row per element as [`ByteLookup`], the row's tag naming the element's
/// table, so an element can only be mapped by the table its position was given at compile time
/// (the tags are fixed, part of the key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ByteLookups {
    /// The distinct tables.
    pub tables: Vec<ByteLookup>,
    /// For each element, in the tensor's order, the index of its table in `tables`.
    pub table_of: Vec<u32>,
}

impl ByteLookups {
    /// The table element `o` reads; None past the tensor's end.
    pub fn table(&self, o: usize) -> Option<&ByteLookup> {
        self.tables.get(*self.table_of.get(o)? as usize)
    }

    /// The centred output of element `o` for its centred input `x`; None outside its table.
    pub fn apply(&self, o: usize, x: i64) -> Option<i64> {
        self.table(o)?.apply(x)
    }

    /// Whether the step is well formed: one table index per element of a tensor of `len`
    /// elements, every index naming a table, every table well formed ([`ByteLookup::check`]).
    pub fn check(&self, len: usize, lo: i64, hi: i64) -> Result<(), String> {
        if self.table_of.len() != len {
            return Err(format!(
                "a lookup step names tables for {} elements of a tensor of {len}",
                self.table_of.len()
            ));
        }
        if let Some(&i) = self
            .table_of
            .iter()
            .find(|&&i| i as usize >= self.tables.len())
        {
            return Err(format!(
                "a lookup step names table {i} of {}",
                self.tables.len()
            ));
        }
        self.tables.iter().try_for_each(|t| t.check(lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_maps_each_centred_input_and_nothing_outside_its_range() {
        // int8 in with zero point 3, out with zero point -2: stored y = min(-stored x, 127).
        let t = ByteLookup::from_stored(-128, 3, -2, |s| (-s).min(127));
        assert_eq!(t.outputs.len(), LOOKUP_INPUTS);
        assert_eq!(t.in_min, -131);
        assert_eq!(
            t.apply(-131),
            Some(127 + 2),
            "stored -128 negates to 128, clamped"
        );
        assert_eq!(t.apply(0), Some(-3 + 2), "stored 3 gives stored -3");
        assert_eq!(t.apply(124), Some(-127 + 2), "stored 127");
        assert_eq!(t.apply(125), None, "stored 128 is not an int8 value");
        assert_eq!(t.apply(-132), None);
        assert_eq!(t.apply(i64::MIN), None);
        assert_eq!(t.entries().count(), LOOKUP_INPUTS);
    }

    #[test]
    fn a_malformed_table_is_refused() {
        let mut t = ByteLookup::from_stored(0, 128, 128, |s| s);
        assert!(t.check(-32768, 32767).is_ok());
        assert!(t.check(-100, 100).is_err(), "inputs leave the domain");
        t.outputs[7] = 1 << 20;
        assert!(
            t.check(-32768, 32767).is_err(),
            "an output leaves the domain"
        );
        t.outputs.pop();
        assert!(t.check(-32768, 32767).is_err(), "255 entries");
    }
    #[test]
    fn each_element_reads_the_table_it_was_given() {
        let double = ByteLookup::from_stored(-128, 0, 0, |s| s * 2);
        let negate = ByteLookup::from_stored(-128, 0, 0, |s| -s);
        let t = ByteLookups {
            tables: vec![double, negate],
            table_of: vec![0, 1, 1],
        };
        assert_eq!(t.apply(0, 5), Some(10));
        assert_eq!(t.apply(1, 5), Some(-5));
        assert_eq!(t.apply(2, -7), Some(7));
        assert_eq!(t.apply(3, 5), None, "past the tensor");
        assert_eq!(t.apply(1, 128), None, "outside the table");
        assert!(t.check(3, -32768, 32767).is_ok());
        assert!(t.check(4, -32768, 32767).is_err(), "one index per element");
        let dangling = ByteLookups {
            table_of: vec![0, 2, 1],
            ..t.clone()
        };
        assert!(dangling.check(3, -32768, 32767).is_err(), "no table 2");
        assert_eq!(dangling.apply(1, 5), None);
        assert!(t.check(3, -100, 100).is_err(), "a table leaves the domain");
    }
}
