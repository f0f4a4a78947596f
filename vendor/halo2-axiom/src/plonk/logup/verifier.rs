//! The verifier's side of the log-derivative lookup argument (zkinfer patch 9; the equations
//! are in `plonk/logup.rs`).

use super::super::{
    circuit::Expression,
    lookup::{verifier::compress_evaluations, Argument},
    ChallengeBeta, ChallengeTheta, ChallengeX, Error, VerifyingKey,
};
use super::Group;
use crate::{
    arithmetic::CurveAffine,
    poly::{commitment::MSM, Rotation, VerifierQuery},
    transcript::{EncodedChallenge, TranscriptRead},
};
use ff::Field;
use std::iter;

/// A group's multiplicity commitment, read after `theta`.
pub struct Counted<C: CurveAffine> {
    multiplicity: C,
}

/// Every commitment of a group, read by `beta`.
pub struct Committed<C: CurveAffine> {
    multiplicity: C,
    helpers: Vec<C>,
    sum: C,
}

/// A group's commitments and their claimed evaluations.
pub struct Evaluated<C: CurveAffine> {
    committed: Committed<C>,
    multiplicity_eval: C::Scalar,
    helper_evals: Vec<C::Scalar>,
    sum_eval: C::Scalar,
    sum_next_eval: C::Scalar,
}

impl Group {
    pub(in crate::plonk) fn read_multiplicity<
        C: CurveAffine,
        E: EncodedChallenge<C>,
        T: TranscriptRead<C, E>,
    >(
        &self,
        transcript: &mut T,
    ) -> Result<Counted<C>, Error> {
        Ok(Counted {
            multiplicity: transcript.read_point()?,
        })
    }
}

impl<C: CurveAffine> Counted<C> {
    pub(in crate::plonk) fn read_sum<E: EncodedChallenge<C>, T: TranscriptRead<C, E>>(
        self,
        group: &Group,
        transcript: &mut T,
    ) -> Result<Committed<C>, Error> {
        let helpers = (0..group.helpers())
            .map(|_| transcript.read_point())
            .collect::<Result<Vec<_>, _>>()?;
        let sum = transcript.read_point()?;
        Ok(Committed {
            multiplicity: self.multiplicity,
            helpers,
            sum,
        })
    }
}

impl<C: CurveAffine> Committed<C> {
    pub(crate) fn evaluate<E: EncodedChallenge<C>, T: TranscriptRead<C, E>>(
        self,
        transcript: &mut T,
    ) -> Result<Evaluated<C>, Error> {
        let multiplicity_eval = transcript.read_scalar()?;
        let helper_evals = (0..self.helpers.len())
            .map(|_| transcript.read_scalar())
            .collect::<Result<Vec<_>, _>>()?;
        let sum_eval = transcript.read_scalar()?;
        let sum_next_eval = transcript.read_scalar()?;
        Ok(Evaluated {
            committed: self,
            multiplicity_eval,
            helper_evals,
            sum_eval,
            sum_next_eval,
        })
    }
}

impl<C: CurveAffine> Evaluated<C> {
    /// The group's constraints evaluated at `x`, in the order the prover's quotient adds them.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::plonk) fn expressions<'a>(
        &'a self,
        group: &'a Group,
        lookups: &'a [Argument<C::Scalar>],
        l_0: C::Scalar,
        l_last: C::Scalar,
        l_blind: C::Scalar,
        theta: ChallengeTheta<C>,
        beta: ChallengeBeta<C>,
        advice_evals: &'a [C::Scalar],
        fixed_evals: &'a [C::Scalar],
        instance_evals: &'a [C::Scalar],
        challenges: &'a [C::Scalar],
    ) -> impl Iterator<Item = C::Scalar> + 'a {
        let active_rows = C::Scalar::ONE - (l_last + l_blind);
        let compress = move |expressions: &[Expression<C::Scalar>]| {
            compress_evaluations(
                expressions,
                *theta,
                advice_evals,
                fixed_evals,
                instance_evals,
                challenges,
            ) + &*beta
        };
        let inputs: Vec<C::Scalar> = group.inputs(lookups).map(compress).collect();
        let table = compress(group.table(lookups));
        let last = inputs[inputs.len() - 1];
        let helper_sum = self
            .helper_evals
            .iter()
            .fold(C::Scalar::ZERO, |acc, h| acc + h);
        let sum = (self.sum_next_eval - self.sum_eval - helper_sum) * last * table - table
            + self.multiplicity_eval * last;

        iter::once(l_0 * self.sum_eval)
            .chain(iter::once(l_last * self.sum_eval))
            .chain(
                self.helper_evals
                    .iter()
                    .zip(inputs)
                    .map(move |(h, input)| (*h * input - C::Scalar::ONE) * active_rows),
            )
            .chain(iter::once(sum * active_rows))
    }

    pub(in crate::plonk) fn queries<'r, M: MSM<C> + 'r>(
        &'r self,
        vk: &'r VerifyingKey<C>,
        x: ChallengeX<C>,
    ) -> impl Iterator<Item = VerifierQuery<'r, C, M>> + Clone {
        let x_next = vk.domain.rotate_omega(*x, Rotation::next());
        iter::once(VerifierQuery::new_commitment(
            &self.committed.multiplicity,
            *x,
            self.multiplicity_eval,
        ))
        .chain(
            self.committed
                .helpers
                .iter()
                .zip(self.helper_evals.iter())
                .map(move |(commitment, eval)| {
                    VerifierQuery::new_commitment(commitment, *x, *eval)
                }),
        )
        .chain(iter::once(VerifierQuery::new_commitment(
            &self.committed.sum,
            *x,
            self.sum_eval,
        )))
        .chain(iter::once(VerifierQuery::new_commitment(
            &self.committed.sum,
            x_next,
            self.sum_next_eval,
        )))
    }
}
