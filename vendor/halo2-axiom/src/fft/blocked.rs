//! zkinfer patch 10: a radix-2 decimation-in-time FFT that reads its twiddle factors from one
//! table and runs its first stages block by block.
//!
//! The same transform as [`super::parallel`] (input and output in natural order; the results are
//! equal element for element, since field arithmetic is exact), computed with fewer products and
//! fewer passes over memory:
//! - one product per butterfly: stage `s` (half-width `m = 2^s`) multiplies by
//!   `omega^(j·n/(2m)) = table[j << (log_n - 1 - s)]` for `j < m`, where `table[i] = omega^i`,
//!   `i < n/2`, is computed once per call (`n/2` products against the `(n/2)·log_n` of the
//!   butterflies), instead of advancing a running power with a second product per butterfly;
//! - the first `BLOCK_LOG` stages touch only blocks of `2^BLOCK_LOG` consecutive elements, so
//!   they run one block at a time while it sits in the core's cache (each thread takes a run of
//!   blocks); only the remaining `log_n - BLOCK_LOG` stages stream over the whole vector, each
//!   split into chunks of butterflies across the threads.
//!
//! Nothing here depends on the values transformed: the prover's polynomials and the verifier's
//! (which does not use FFTs) are treated alike. A wrong transform could only make the prover's
//! own proofs fail to verify. zkinfer's `core/tests/vendored_arithmetic.rs` checks it against
//! the transform's definition and against the implementation it replaces.

use crate::arithmetic::FftGroup;
use crate::multicore;
use ff::Field;

/// Blocks of 2^11 elements (64 KiB of 32-byte field elements) fit a core's L2 cache.
const BLOCK_LOG: u32 = 11;

/// Butterflies per task in the stages that span more than one block.
const CHUNK: usize = 1 << 12;

/// The FFT of `a` (length `2^log_n`) at the `2^log_n`-th root of unity `omega`, in place.
pub fn fft<Scalar: Field, G: FftGroup<Scalar>>(a: &mut [G], omega: Scalar, log_n: u32) {
    let n = a.len();
    assert_eq!(n, 1 << log_n);
    if log_n == 0 {
        return;
    }
    bit_reverse(a, log_n);
    let twiddles = twiddle_table(omega, n / 2);
    let twiddles = &twiddles[..];
    let threads = multicore::current_num_threads().max(1);

    // Stages 0..block_log: each block on its own, a run of blocks per thread.
    let block_log = log_n.min(BLOCK_LOG);
    let block = 1usize << block_log;
    let blocks = n / block;
    let blocks_per_task = (blocks + threads - 1) / threads;
    multicore::scope(|scope| {
        for run in a.chunks_mut(blocks_per_task * block) {
            scope.spawn(move |_| {
                for b in run.chunks_mut(block) {
                    for s in 0..block_log {
                        stage(b, s, log_n, twiddles);
                    }
                }
            });
        }
    });

    // The remaining stages over the whole vector.
    for s in block_log..log_n {
        let m = 1usize << s;
        let shift = log_n - 1 - s;
        multicore::scope(|scope| {
            for group in a.chunks_mut(2 * m) {
                let (lo, hi) = group.split_at_mut(m);
                for (c, (lo, hi)) in lo.chunks_mut(CHUNK).zip(hi.chunks_mut(CHUNK)).enumerate() {
                    scope.spawn(move |_| {
                        let j0 = c * CHUNK;
                        for (i, (x, y)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                            butterfly(x, y, &twiddles[(j0 + i) << shift]);
                        }
                    });
                }
            }
        });
    }
}

/// Stage `s` (half-width `2^s`) of a transform of size `2^log_n` on `a`, a whole number of
/// groups of `2^(s+1)` elements.
fn stage<Scalar: Field, G: FftGroup<Scalar>>(a: &mut [G], s: u32, log_n: u32, twiddles: &[Scalar]) {
    let m = 1usize << s;
    let shift = log_n - 1 - s;
    for group in a.chunks_mut(2 * m) {
        let (lo, hi) = group.split_at_mut(m);
        for (j, (x, y)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            butterfly(x, y, &twiddles[j << shift]);
        }
    }
}

#[inline(always)]
fn butterfly<Scalar: Field, G: FftGroup<Scalar>>(x: &mut G, y: &mut G, w: &Scalar) {
    let mut t = *y;
    t *= w;
    *y = *x;
    *y -= &t;
    *x += &t;
}

/// `omega^i` for `i < len`, computed in parallel from a power per thread.
fn twiddle_table<Scalar: Field>(omega: Scalar, len: usize) -> Vec<Scalar> {
    let mut table = vec![Scalar::ONE; len];
    let threads = multicore::current_num_threads().max(1);
    let chunk = ((len + threads - 1) / threads).max(1);
    multicore::scope(|scope| {
        for (c, part) in table.chunks_mut(chunk).enumerate() {
            scope.spawn(move |_| {
                let mut w = omega.pow_vartime([(c * chunk) as u64]);
                for t in part.iter_mut() {
                    *t = w;
                    w *= omega;
                }
            });
        }
    });
    table
}

/// Puts `a` in bit-reversed index order, the index range split across the threads.
fn bit_reverse<G: Copy + Send>(a: &mut [G], log_n: u32) {
    /// The vector's start, shared by the tasks: each swaps only the pairs `(k, rev(k))` with
    /// `k < rev(k)` and `k` in its own range, and since reversal is an involution no element
    /// belongs to two pairs, so no two tasks touch one element.
    #[derive(Clone, Copy)]
    struct Start<G>(*mut G);
    unsafe impl<G: Send> Send for Start<G> {}
    unsafe impl<G: Send> Sync for Start<G> {}

    let n = a.len();
    let threads = multicore::current_num_threads().max(1);
    let chunk = ((n + 4 * threads - 1) / (4 * threads)).max(1);
    let start = Start(a.as_mut_ptr());
    let bits = usize::BITS - log_n;
    multicore::scope(|scope| {
        for lo in (0..n).step_by(chunk) {
            scope.spawn(move |_| {
                let start = start;
                for k in lo..(lo + chunk).min(n) {
                    let rk = if log_n == 0 {
                        0
                    } else {
                        k.reverse_bits() >> bits
                    };
                    if k < rk {
                        // SAFETY: k and rk are below n, and this task is the only one that
                        // touches either (see `Start`).
                        unsafe { std::ptr::swap(start.0.add(k), start.0.add(rk)) };
                    }
                }
            });
        }
    });
}
