//! zkinfer patch 5: Pippenger's multi-scalar multiplication with bucket sums in affine
//! coordinates, for the verifier's MSMs of a few hundred to a few thousand points.
//!
//! Upstream's `msm_serial` adds each point into its bucket with a complete mixed addition
//! (about 11 field products). Here every (window, bucket) pair first collects the points it is
//! to sum; then the lists are halved round by round, adding neighbours pairwise in affine
//! coordinates, all pairs of a round sharing one field inversion (Montgomery's trick):
//!
//!   x1 != x2:           lambda = (y2 - y1) / (x2 - x1)
//!   P1 == P2, y1 != 0:  lambda = (3 x1^2 + a) / (2 y1)    (the tangent)
//!   P1 == -P2:          the sum is the point at infinity and leaves the list (this includes
//!                       P1 == P2 with y1 = 0, a point of order 2)
//!   x3 = lambda^2 - x1 - x2,   y3 = lambda (x1 - x3) - y1
//!
//! about 6 products per addition, and a handful of inversions per MSM (one per round, over
//! every window at once). The buckets are then combined as upstream does (running sums with
//! signed Booth digits, `get_booth_index`). The result is the same group element as
//! `msm_serial`'s. Points at infinity and zero scalars are dropped first (they add nothing,
//! and the point at infinity has no affine coordinates). The formulas are those of a short
//! Weierstrass curve y^2 = x^3 + a x + b, which is what `CurveAffine` describes.

use crate::ff_ext::batch::batch_invert_public;
use crate::msm::{get_booth_index, window_bits};
use crate::CurveAffine;
use ff::{Field, PrimeField};
use group::Group;
use rayon::prelude::*;

/// Below this many points `msm_best` keeps upstream's MSM: a round's inversion is then not
/// shared by enough additions to pay for itself.
pub const MIN_POINTS: usize = 64;

#[derive(Clone, Copy)]
struct Affine<F> {
    x: F,
    y: F,
}

/// `Σ coeffs[i] · bases[i]`.
///
/// # Panics
/// If `coeffs` and `bases` differ in length (as upstream's MSMs do).
pub fn msm_batch_affine<C: CurveAffine>(coeffs: &[C::Scalar], bases: &[C]) -> C::Curve {
    assert_eq!(coeffs.len(), bases.len());
    let mut scalars = Vec::with_capacity(coeffs.len());
    let mut points = Vec::with_capacity(bases.len());
    for (coeff, base) in coeffs.iter().zip(bases) {
        // `coordinates` is no test of infinity: halo2curves encodes it as (0, 0) and gives
        // those back.
        if bool::from(base.is_identity()) || bool::from(coeff.is_zero()) {
            continue;
        }
        let coordinates: Option<crate::Coordinates<C>> = base.coordinates().into();
        if let Some(xy) = coordinates {
            scalars.push(coeff.to_repr());
            points.push(Affine {
                x: *xy.x(),
                y: *xy.y(),
            });
        }
    }
    if points.is_empty() {
        return C::Curve::identity();
    }
    let c = window_bits(points.len());
    let windows = C::Scalar::NUM_BITS as usize / c + 1;
    // Windows are independent until the final combination: split them between threads (one
    // group in a single-threaded build).
    let groups = rayon::current_num_threads().clamp(1, windows);
    let per_group = windows.div_ceil(groups);
    let window_sums: Vec<Vec<C::Curve>> = (0..groups)
        .into_par_iter()
        .map(|g| {
            let first = g * per_group;
            let last = windows.min(first + per_group);
            window_sums::<C>(&scalars, &points, c, first..last)
        })
        .collect();
    // Σ_w 2^(c·w) · S_w, from the highest window down.
    let mut acc = C::Curve::identity();
    for sum in window_sums.into_iter().flatten().rev() {
        for _ in 0..c {
            acc = acc.double();
        }
        acc += sum;
    }
    acc
}

/// The sums `Σ_i digit_w(scalar_i) · point_i` of the windows `range`, in window order.
fn window_sums<C: CurveAffine>(
    scalars: &[<C::Scalar as PrimeField>::Repr],
    points: &[Affine<C::Base>],
    c: usize,
    range: std::ops::Range<usize>,
) -> Vec<C::Curve> {
    let buckets = 1usize << (c - 1);
    let slots = range.len() * buckets;
    // The signed digit of every (point, window): a counting sort puts each slot's points in one
    // contiguous run of `items`.
    let mut digits = Vec::with_capacity(points.len() * range.len());
    let mut len = vec![0usize; slots];
    for scalar in scalars {
        for (w_local, w) in range.clone().enumerate() {
            let digit = get_booth_index(w, c, scalar.as_ref());
            if digit != 0 {
                len[w_local * buckets + digit.unsigned_abs() as usize - 1] += 1;
            }
            digits.push(digit);
        }
    }
    let mut start = Vec::with_capacity(slots);
    let mut total = 0;
    for l in &len {
        start.push(total);
        total += l;
    }
    let mut fill = start.clone();
    let mut items = vec![points[0]; total];
    for (i, point) in points.iter().enumerate() {
        for w_local in 0..range.len() {
            let digit = digits[i * range.len() + w_local];
            if digit != 0 {
                let slot = w_local * buckets + digit.unsigned_abs() as usize - 1;
                items[fill[slot]] = if digit > 0 {
                    *point
                } else {
                    Affine {
                        x: point.x,
                        y: -point.y,
                    }
                };
                fill[slot] += 1;
            }
        }
    }
    reduce_slots(&mut items, &start, &mut len, C::a());

    // Each slot now holds its bucket's sum (or nothing): weight bucket b by b + 1 with running
    // sums, from the top bucket down.
    range
        .clone()
        .enumerate()
        .map(|(w_local, _)| {
            let mut running = C::Curve::identity();
            let mut sum = C::Curve::identity();
            for b in (0..buckets).rev() {
                let slot = w_local * buckets + b;
                if len[slot] == 1 {
                    let p = items[start[slot]];
                    // The sum of curve points is on the curve; from_xy checks it anyway.
                    running += C::from_xy(p.x, p.y).unwrap();
                }
                sum += running;
            }
            sum
        })
        .collect()
}

/// How a pair of one round is added.
#[derive(Clone, Copy, PartialEq)]
enum PairKind {
    /// Distinct x: the chord through both points.
    Chord,
    /// The same point twice: the tangent.
    Tangent,
    /// A point and its negation: the point at infinity, dropped.
    Cancels,
}

/// Sums each slot's run `items[start[s]..start[s] + len[s]]` into its first item (len 1), or
/// empties it (len 0) when the points cancel.
fn reduce_slots<F: Field>(items: &mut [Affine<F>], start: &[usize], len: &mut [usize], a: F) {
    let mut kinds = Vec::new();
    let mut denominators = Vec::new();
    loop {
        kinds.clear();
        denominators.clear();
        for (&s, &l) in start.iter().zip(len.iter()) {
            for j in 0..l / 2 {
                let (p, q) = (items[s + 2 * j], items[s + 2 * j + 1]);
                let (kind, denominator) = if p.x != q.x {
                    (PairKind::Chord, q.x - p.x)
                } else if p.y == q.y && !bool::from(p.y.is_zero()) {
                    (PairKind::Tangent, p.y.double())
                } else {
                    // Same x, other y (q = -p), or a point of order 2 doubled: the point at
                    // infinity. The placeholder keeps the batch invertible.
                    (PairKind::Cancels, F::ONE)
                };
                kinds.push(kind);
                denominators.push(denominator);
            }
        }
        if kinds.is_empty() {
            return;
        }
        // Every denominator is non-zero: distinct x, or 2y with y != 0, or the placeholder 1.
        batch_invert_public(&mut denominators);
        let mut pair = 0;
        for (&s, l) in start.iter().zip(len.iter_mut()) {
            let mut kept = 0;
            for j in 0..*l / 2 {
                let (p, q) = (items[s + 2 * j], items[s + 2 * j + 1]);
                let (kind, inverse) = (kinds[pair], denominators[pair]);
                pair += 1;
                let lambda = match kind {
                    PairKind::Cancels => continue,
                    PairKind::Chord => (q.y - p.y) * inverse,
                    PairKind::Tangent => {
                        let x2 = p.x.square();
                        (x2.double() + x2 + a) * inverse
                    }
                };
                let x = lambda.square() - p.x - q.x;
                let y = lambda * (p.x - x) - p.y;
                // Positions below 2j were read in earlier iterations: writing there is safe.
                items[s + kept] = Affine { x, y };
                kept += 1;
            }
            if *l % 2 == 1 {
                items[s + kept] = items[s + *l - 1];
                kept += 1;
            }
            *l = kept;
        }
    }
}
