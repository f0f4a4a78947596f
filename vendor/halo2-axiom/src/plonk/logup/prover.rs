//! The prover's side of the log-derivative lookup argument (zkinfer patch 9; the equations are
//! in `plonk/logup.rs`).

use super::super::{
    circuit::Expression,
    lookup::{prover::compress_values, Argument},
    ChallengeBeta, ChallengeTheta, ChallengeX, Error, ProvingKey,
};
use super::Group;
use crate::{
    arithmetic::{eval_polynomial, parallelize, CurveAffine},
    poly::{
        commitment::{Blind, Params},
        Coeff, LagrangeCoeff, Polynomial, ProverQuery, Rotation,
    },
    transcript::{EncodedChallenge, TranscriptWrite},
};
use group::{
    ff::{BatchInvert, Field},
    Curve,
};
use rand_core::RngCore;
use std::collections::HashMap;
use std::hash::Hash;
use std::iter;

/// A group after `theta`: its compressed inputs and table, and the committed multiplicities.
pub(in crate::plonk) struct Counted<C: CurveAffine> {
    inputs: Vec<Polynomial<C::Scalar, LagrangeCoeff>>,
    table: Polynomial<C::Scalar, LagrangeCoeff>,
    multiplicities: Polynomial<C::Scalar, LagrangeCoeff>,
    multiplicity_blind: Blind<C::Scalar>,
}

/// A group after `beta`: every polynomial it committed, in coefficient form.
#[derive(Debug)]
pub(in crate::plonk) struct Committed<C: CurveAffine> {
    pub(in crate::plonk) multiplicity_poly: Polynomial<C::Scalar, Coeff>,
    multiplicity_blind: Blind<C::Scalar>,
    pub(in crate::plonk) helper_polys: Vec<Polynomial<C::Scalar, Coeff>>,
    helper_blinds: Vec<Blind<C::Scalar>>,
    pub(in crate::plonk) sum_poly: Polynomial<C::Scalar, Coeff>,
    sum_blind: Blind<C::Scalar>,
}

/// Values for the rows `usable..n`, which no constraint reads: random, so the committed
/// polynomials reveal nothing beyond their openings.
fn blinded<F: Field, R: RngCore>(mut values: Vec<F>, usable: usize, mut rng: R) -> Vec<F> {
    for value in values[usable..].iter_mut() {
        *value = F::random(&mut rng);
    }
    values
}

impl Group {
    /// Compresses the group's inputs and table with `theta`, counts how often each table row's
    /// value occurs among the inputs over the usable rows, and commits those counts.
    ///
    /// An input value the table does not hold is counted nowhere: the running sum then does
    /// not return to zero and the proof fails to verify (as a wrong witness should).
    #[allow(clippy::too_many_arguments)]
    pub(in crate::plonk) fn commit_multiplicities<
        'params,
        C,
        P: Params<'params, C>,
        E: EncodedChallenge<C>,
        R: RngCore,
        T: TranscriptWrite<C, E>,
    >(
        &self,
        lookups: &[Argument<C::Scalar>],
        pk: &ProvingKey<C>,
        params: &P,
        theta: ChallengeTheta<C>,
        advice_values: &[Polynomial<C::Scalar, LagrangeCoeff>],
        fixed_values: &[Polynomial<C::Scalar, LagrangeCoeff>],
        instance_values: &[Polynomial<C::Scalar, LagrangeCoeff>],
        challenges: &[C::Scalar],
        mut rng: R,
        transcript: &mut T,
    ) -> Result<Counted<C>, Error>
    where
        C: CurveAffine,
        C::Scalar: Hash,
    {
        let n = params.n() as usize;
        let domain = &pk.vk.domain;
        let usable = n - (pk.vk.cs.blinding_factors() + 1);
        let compress = |expressions: &[Expression<C::Scalar>]| {
            compress_values(
                expressions,
                domain,
                *theta,
                advice_values,
                fixed_values,
                instance_values,
                challenges,
            )
        };
        let inputs: Vec<_> = self.inputs(lookups).map(compress).collect();
        let table = compress(self.table(lookups));

        // The first usable row holding each table value.
        let mut rows: HashMap<C::Scalar, usize> = HashMap::with_capacity(usable);
        for (row, value) in table.iter().take(usable).enumerate() {
            rows.entry(*value).or_insert(row);
        }
        let mut counts = vec![0u64; usable];
        for input in inputs.iter() {
            for value in input.iter().take(usable) {
                if let Some(&row) = rows.get(value) {
                    counts[row] += 1;
                }
            }
        }
        drop(rows);
        let mut multiplicities = vec![C::Scalar::ZERO; n];
        parallelize(&mut multiplicities[..usable], |chunk, start| {
            for (m, count) in chunk.iter_mut().zip(counts[start..].iter()) {
                *m = C::Scalar::from(*count);
            }
        });
        let multiplicities = domain.lagrange_from_vec(blinded(multiplicities, usable, &mut rng));
        let multiplicity_blind = Blind(C::Scalar::random(&mut rng));
        let commitment = params
            .commit_lagrange(&multiplicities, multiplicity_blind)
            .to_affine();
        transcript.write_point(commitment)?;

        Ok(Counted {
            inputs,
            table,
            multiplicities,
            multiplicity_blind,
        })
    }
}

/// `1 / (values + beta)` on the usable rows (zero where `values + beta` is zero, which happens
/// with negligible probability and then fails verification).
fn inverses<F: Field>(values: &[F], beta: F, usable: usize, n: usize) -> Vec<F> {
    let mut out = vec![F::ZERO; n];
    parallelize(&mut out[..usable], |chunk, start| {
        for (o, v) in chunk.iter_mut().zip(values[start..].iter()) {
            *o = *v + beta;
        }
        chunk.iter_mut().batch_invert();
    });
    out
}

impl<C: CurveAffine> Counted<C> {
    /// Commits the inverse columns and the running sum, after `beta`.
    pub(in crate::plonk) fn commit_sum<
        'params,
        P: Params<'params, C>,
        E: EncodedChallenge<C>,
        R: RngCore,
        T: TranscriptWrite<C, E>,
    >(
        self,
        pk: &ProvingKey<C>,
        params: &P,
        beta: ChallengeBeta<C>,
        mut rng: R,
        transcript: &mut T,
    ) -> Result<Committed<C>, Error> {
        let n = params.n() as usize;
        let domain = &pk.vk.domain;
        let usable = n - (pk.vk.cs.blinding_factors() + 1);
        let beta = *beta;

        // Each row's term of the sum: sum_k 1/(f_k + beta) - m/(t + beta).
        let mut terms = inverses(&self.table, beta, usable, n);
        parallelize(&mut terms[..usable], |chunk, start| {
            for (term, m) in chunk.iter_mut().zip(self.multiplicities[start..].iter()) {
                *term = -(*term * m);
            }
        });
        let mut inverse_columns: Vec<Vec<C::Scalar>> = Vec::with_capacity(self.inputs.len());
        for input in self.inputs.iter() {
            let inverse = inverses(input, beta, usable, n);
            parallelize(&mut terms[..usable], |chunk, start| {
                for (term, inv) in chunk.iter_mut().zip(inverse[start..].iter()) {
                    *term += inv;
                }
            });
            inverse_columns.push(inverse);
        }
        #[cfg(feature = "zkinfer-adversary")]
        adversary::close_sum(&mut inverse_columns, &mut terms, usable);
        // The last input's inverses are folded into the running sum's constraint.
        inverse_columns.pop();
        let mut helper_polys = Vec::with_capacity(inverse_columns.len());
        let mut helper_blinds = Vec::with_capacity(inverse_columns.len());
        for inverse in inverse_columns {
            let helper = domain.lagrange_from_vec(blinded(inverse, usable, &mut rng));
            let blind = Blind(C::Scalar::random(&mut rng));
            transcript.write_point(params.commit_lagrange(&helper, blind).to_affine())?;
            helper_polys.push(domain.lagrange_to_coeff(helper));
            helper_blinds.push(blind);
        }

        // phi(omega^0) = 0, phi(omega^{i+1}) = phi(omega^i) + term_i up to the last row; the
        // blinding rows after it are random.
        let mut sum = vec![C::Scalar::ZERO; n];
        for i in 0..usable {
            sum[i + 1] = sum[i] + terms[i];
        }
        let sum = domain.lagrange_from_vec(blinded(sum, usable + 1, &mut rng));
        let sum_blind = Blind(C::Scalar::random(&mut rng));
        transcript.write_point(params.commit_lagrange(&sum, sum_blind).to_affine())?;

        Ok(Committed {
            multiplicity_poly: domain.lagrange_to_coeff(self.multiplicities),
            multiplicity_blind: self.multiplicity_blind,
            helper_polys,
            helper_blinds,
            sum_poly: domain.lagrange_to_coeff(sum),
            sum_blind,
        })
    }
}

impl<C: CurveAffine> Committed<C> {
    /// Writes the evaluations at `x`: `m`, each `h_k`, `phi`, and `phi` at `omega x`.
    pub(in crate::plonk) fn evaluate<E: EncodedChallenge<C>, T: TranscriptWrite<C, E>>(
        &self,
        pk: &ProvingKey<C>,
        x: ChallengeX<C>,
        transcript: &mut T,
    ) -> Result<(), Error> {
        let x_next = pk.vk.domain.rotate_omega(*x, Rotation::next());
        for eval in iter::once(eval_polynomial(&self.multiplicity_poly, *x))
            .chain(self.helper_polys.iter().map(|h| eval_polynomial(h, *x)))
            .chain(iter::once(eval_polynomial(&self.sum_poly, *x)))
            .chain(iter::once(eval_polynomial(&self.sum_poly, x_next)))
        {
            transcript.write_scalar(eval)?;
        }
        Ok(())
    }

    /// The openings, in the order the verifier queries them.
    pub(in crate::plonk) fn open<'a>(
        &'a self,
        pk: &'a ProvingKey<C>,
        x: ChallengeX<C>,
    ) -> impl Iterator<Item = ProverQuery<'a, C>> + Clone {
        let x_next = pk.vk.domain.rotate_omega(*x, Rotation::next());
        iter::once(ProverQuery {
            point: *x,
            poly: &self.multiplicity_poly,
            blind: self.multiplicity_blind,
        })
        .chain(
            self.helper_polys
                .iter()
                .zip(self.helper_blinds.iter())
                .map(move |(poly, blind)| ProverQuery {
                    point: *x,
                    poly,
                    blind: *blind,
                }),
        )
        .chain(iter::once(ProverQuery {
            point: *x,
            poly: &self.sum_poly,
            blind: self.sum_blind,
        }))
        .chain(iter::once(ProverQuery {
            point: x_next,
            poly: &self.sum_poly,
            blind: self.sum_blind,
        }))
    }
}

/// A cheating prover for the tests of `adversary/` (feature `zkinfer-adversary`, which no
/// product crate enables): it makes a running sum that does not close (an input outside its
/// table) close anyway, by moving the difference into the first inverse column's first row, so
/// that only the inverse columns' constraint stands between it and an accepted proof.
#[cfg(feature = "zkinfer-adversary")]
mod adversary {
    use group::ff::Field;

    pub(super) fn close_sum<F: Field>(
        inverse_columns: &mut [Vec<F>],
        terms: &mut [F],
        usable: usize,
    ) {
        let total = terms[..usable].iter().fold(F::ZERO, |acc, t| acc + t);
        // A lone input has no inverse column to move the difference into.
        if bool::from(total.is_zero()) || inverse_columns.len() < 2 {
            return;
        }
        inverse_columns[0][0] -= total;
        terms[0] -= total;
    }
}
