//! zkinfer patch 9: a log-derivative lookup argument (Haböck, "Multivariate lookups based on
//! logarithmic derivatives", 2022), chosen per constraint system by
//! [`ConstraintSystem::use_log_derivative_lookups`](super::ConstraintSystem).
//!
//! The lookups whose table expressions are the same form one group and share one argument.
//! With the inputs `a_1..a_n` of a group and its table `s`, each compressed by `theta` as
//! halo2's lookups compress them (`f_k = theta^{m-1} a_k0 + ... + a_k(m-1)`, `t` likewise), the
//! prover commits, after `theta`:
//! - `m`, the multiplicity of each table row: how many times its value occurs among the inputs
//!   over the usable rows (a value the table holds twice is counted at its first row);
//!
//! and, after `beta`:
//! - `h_k = 1 / (f_k + beta)` for each input but the last (`k < n`);
//! - the running sum `phi`, `phi(omega^0) = 0` and
//!   `phi(omega^{i+1}) = phi(omega^i) + sum_k 1/(f_k + beta) - m/(t + beta)` on usable rows.
//!
//! Constraints (`active = 1 - (l_last + l_blind)`):
//! - `l_0(X) * phi(X) = 0` and `l_last(X) * phi(X) = 0` (degree 2): the sum over the usable
//!   rows is zero;
//! - for `k < n`: `active(X) * (h_k(X) * (f_k(X) + beta) - 1) = 0` (degree `2 + deg f_k`);
//! - `active(X) * ((phi(omega X) - phi(X) - sum_{k<n} h_k(X)) * (f_n(X) + beta) * (t(X) + beta)
//!   - (t(X) + beta) + m(X) * (f_n(X) + beta)) = 0` (degree `2 + deg f_n + deg t`).
//!
//! Together: `sum_i sum_k 1/(f_k(omega^i) + beta) = sum_i m(omega^i)/(t(omega^i) + beta)` over
//! the usable rows for a `beta` drawn after `m` and the inputs are committed. As rational
//! functions of `beta` the two sides are equal only if every input value is a table value
//! (the field's characteristic exceeds the number of terms), so a value outside the table
//! survives with probability at most about (rows x inputs) / p.
//!
//! Per group of `n` lookups this commits `n + 1` polynomials with no sorting, where halo2's
//! argument commits `3n` (a permuted input, a permuted table and a product per lookup) and
//! sorts two columns per lookup. The blinding rows of `m`, `h_k` and `phi` are random, as are
//! their commitments' blinds; `phi` is opened at two points, the others at one.

use super::circuit::Expression;
use super::lookup::Argument;
use ff::Field;

pub(crate) mod prover;
pub(crate) mod verifier;

/// The lookups (indices into the constraint system's list) proven by one log-derivative
/// argument: those whose table expressions are the same, in the order they were added.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) lookups: Vec<usize>,
}

/// The groups of `lookups`, in the order of each group's first lookup.
pub(crate) fn groups<F: Field>(lookups: &[Argument<F>]) -> Vec<Group> {
    let mut tables: Vec<String> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for (index, lookup) in lookups.iter().enumerate() {
        // Expressions have no `PartialEq`; their `Debug` form names every query and constant,
        // which is also what the pinned verifying key compares.
        let table = format!("{:?}", lookup.table_expressions);
        match tables.iter().position(|t| *t == table) {
            Some(g) => groups[g].lookups.push(index),
            None => {
                tables.push(table);
                groups.push(Group {
                    lookups: vec![index],
                });
            }
        }
    }
    groups
}

fn degree<F: Field>(expressions: &[Expression<F>]) -> usize {
    expressions.iter().map(|e| e.degree()).max().unwrap_or(1).max(1)
}

impl Group {
    /// The table expressions (those of the group's first lookup).
    pub(crate) fn table<'a, F: Field>(&self, lookups: &'a [Argument<F>]) -> &'a [Expression<F>] {
        &lookups[self.lookups[0]].table_expressions
    }

    /// Each input's expressions, in order; the last is the one folded into the running sum.
    pub(crate) fn inputs<'a, F: Field>(
        &'a self,
        lookups: &'a [Argument<F>],
    ) -> impl Iterator<Item = &'a [Expression<F>]> + 'a {
        self.lookups
            .iter()
            .map(move |&i| lookups[i].input_expressions.as_slice())
    }

    /// How many inverse columns the group commits (one per input but the last).
    pub(crate) fn helpers(&self) -> usize {
        self.lookups.len() - 1
    }

    /// The largest degree among the group's constraints (see the module's header).
    pub(crate) fn required_degree<F: Field>(&self, lookups: &[Argument<F>]) -> usize {
        let inputs: Vec<usize> = self.inputs(lookups).map(degree).collect();
        let last = inputs[inputs.len() - 1];
        let helpers = inputs[..inputs.len() - 1]
            .iter()
            .map(|d| 2 + d)
            .max()
            .unwrap_or(2);
        helpers.max(2 + last + degree(self.table(lookups)))
    }
}
