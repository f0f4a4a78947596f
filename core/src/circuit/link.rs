//! The blinding of link columns: the rows of random values after a linked tensor, shared by
//! the two segments of a link (see [`LINK_BLINDING_ROWS`]).

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column};
use halo2curves::bn256::Fr;

/// How many rows of random values follow a linked tensor in its link column.
///
/// Why: a link column is committed without halo2's blinding (`unblinded_advice_column`, the
/// vendored patch) so that the two segments of a link carry equal commitments; unblinded, the
/// commitment and the column's evaluations in both proofs are functions of the activation
/// alone, so anyone holding a guess of it (a guessed input run through the public first
/// segment) could confirm the guess. Instead both segments put the same random values in these
/// rows, after the tensor: the commitments stay equal, and hide. halo2's rule gives a column
/// max(3, its queries) + 2 random rows so that one proof reveals nothing of it: 5 for a column
/// queried once, as a link column is (at rotation 0, for the permutation); a link column is
/// revealed by two proofs (one evaluation each) and one commitment, so it gets twice that
/// (`link_columns_are_blinded_with_twice_halo2s_blinding_rows`). The rows are no gate's, no
/// copy's and no lookup's.
pub const LINK_BLINDING_ROWS: usize = 10;

/// The random rows of a segment's link columns: for each linked side, the values shared with
/// the neighbouring segment of that link ([`LinkBlinding::for_chain`]). Absent for keygen, and
/// for a MockProver run, which fills zeros.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkBlinding {
    pub input: Option<[Fr; LINK_BLINDING_ROWS]>,
    pub output: Option<[Fr; LINK_BLINDING_ROWS]>,
}

impl LinkBlinding {
    /// Fresh random blinding for the links of a chain of `segments` segments: entry i is
    /// segment i's, whose output link shares its rows with segment i + 1's input link.
    #[cfg(feature = "prover")]
    pub fn for_chain(segments: usize, rng: &mut impl rand::RngCore) -> Vec<LinkBlinding> {
        use halo2curves::ff::Field;
        let cuts: Vec<[Fr; LINK_BLINDING_ROWS]> = (0..segments.saturating_sub(1))
            .map(|_| std::array::from_fn(|_| Fr::random(&mut *rng)))
            .collect();
        (0..segments)
            .map(|i| LinkBlinding {
                input: i.checked_sub(1).map(|cut| cuts[cut]),
                output: cuts.get(i).copied(),
            })
            .collect()
    }

    /// Assigns the blinding rows of one linked side in `column`, from row `first` on: `blind`'s
    /// values when given, zeros for a witness without them (a MockProver run), unknown at
    /// keygen.
    pub(super) fn assign(
        region: &mut Region<Fr>,
        column: Column<Advice>,
        first: usize,
        blind: Option<&[Fr; LINK_BLINDING_ROWS]>,
        witness: bool,
    ) {
        for r in 0..LINK_BLINDING_ROWS {
            let value = match blind {
                Some(b) => Value::known(b[r]),
                None if witness => Value::known(Fr::from(0u64)),
                None => Value::unknown(),
            };
            region.assign_advice(column, first + r, value);
        }
    }
}
