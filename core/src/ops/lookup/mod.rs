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
}
