//! Poseidon over BN254, natively: the hash the circuit computes for committed weights and hashed
//! inputs/outputs, so a consumer (or the WebAssembly verifier) can recompute it.
//!
//! The permutation is circomlib's standard instance (width 3, x^5 S-box, 8 full and 57 partial
//! rounds, constants from the reference Grain LFSR script), taken from the `light-poseidon` crate
//! (see `constants.rs`). On top of it sits a plain sponge with rate 2:
//! the capacity lane starts at the number of message elements (so messages of different lengths
//! never collide through padding), each pair of elements is added to lanes 1 and 2 (an odd
//! last element is paired with 0) followed by a permutation, and the digest is lane 1.
//!
//! Integers are packed into field elements before hashing: see [`pack_limbs`].

mod constants;

use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use std::sync::OnceLock;

pub const WIDTH: usize = 3;
pub const FULL_ROUNDS: usize = 8;
pub const PARTIAL_ROUNDS: usize = 57;
pub const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

/// The permutation's constants as field elements.
pub struct Spec {
    /// `round_constants[r][j]` is added to lane j before round r's S-boxes.
    pub round_constants: [[Fr; WIDTH]; ROUNDS],
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The constants, built once.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut round_constants = [[Fr::ZERO; WIDTH]; ROUNDS];
        for (r, row) in round_constants.iter_mut().enumerate() {
            for (j, c) in row.iter_mut().enumerate() {
                *c = Fr::from_raw(constants::ROUND_CONSTANTS[r * WIDTH + j]);
            }
        }
        let mut mds = [[Fr::ZERO; WIDTH]; WIDTH];
        for (i, row) in mds.iter_mut().enumerate() {
            for (j, m) in row.iter_mut().enumerate() {
                *m = Fr::from_raw(constants::MDS[i][j]);
            }
        }
        Spec {
            round_constants,
            mds,
        }
    })
}

/// Whether round `r` applies the S-box to every lane (the first and last four rounds).
pub fn is_full_round(r: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&r)
}

fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// One round: add constants, S-box(es), MDS.
pub fn round(spec: &Spec, r: usize, state: &[Fr; WIDTH]) -> [Fr; WIDTH] {
    let mut u = [Fr::ZERO; WIDTH];
    for j in 0..WIDTH {
        u[j] = state[j] + spec.round_constants[r][j];
    }
    if is_full_round(r) {
        u.iter_mut().for_each(|x| *x = pow5(*x));
    } else {
        u[0] = pow5(u[0]);
    }
    let mut out = [Fr::ZERO; WIDTH];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (0..WIDTH).map(|j| spec.mds[i][j] * u[j]).sum();
    }
    out
}

pub fn permute(state: &mut [Fr; WIDTH]) {
    let spec = spec();
    for r in 0..ROUNDS {
        *state = round(spec, r, state);
    }
}

/// The sponge digest of `messages` (see the module docs).
pub fn hash(messages: &[Fr]) -> Fr {
    let mut state = [Fr::from(messages.len() as u64), Fr::ZERO, Fr::ZERO];
    for pair in messages.chunks(2) {
        state[1] += pair[0];
        state[2] += pair.get(1).copied().unwrap_or(Fr::ZERO);
        permute(&mut state);
    }
    state[1]
}

/// How many signed limbs of `limb_bits` fit one field element without wrapping: the packed
/// value stays below 2^252 < p, so packing is injective.
pub fn limbs_per_element(limb_bits: u32) -> usize {
    (252 / limb_bits) as usize
}

/// Packs signed limbs, each in `[-2^(b-1), 2^(b-1))`, into field elements: chunks of
/// [`limbs_per_element`] limbs, each chunk read as the base-2^b number whose digits are
/// `limb + 2^(b-1)`, first limb most significant. Returns None if a limb is out of range.
pub fn pack_limbs(limbs: &[i64], limb_bits: u32) -> Option<Vec<Fr>> {
    let half = 1i64 << (limb_bits - 1);
    let mut out = Vec::with_capacity(limbs.len().div_ceil(limbs_per_element(limb_bits)));
    for chunk in limbs.chunks(limbs_per_element(limb_bits)) {
        // The chunk is below 2^252 < p: build it as a 256-bit integer and convert once (one
        // field multiplication per element instead of two per limb: a verifier packs a public
        // image's 150,528 values this way).
        let mut acc = [0u64; 4];
        for &l in chunk {
            if l < -half || l >= half {
                return None;
            }
            shift_in(&mut acc, limb_bits, (l + half) as u64);
        }
        out.push(Fr::from_raw(acc));
    }
    Some(out)
}

/// `acc = acc·2^bits + digit` on a little-endian 256-bit integer (`digit < 2^bits`, `bits < 64`,
/// no overflow past 256 bits).
fn shift_in(acc: &mut [u64; 4], bits: u32, digit: u64) {
    for i in (1..4).rev() {
        acc[i] = (acc[i] << bits) | (acc[i - 1] >> (64 - bits));
    }
    acc[0] = (acc[0] << bits) | digit;
}

/// Splits `v` into `n` signed base-2^b limbs, most significant first: `v = Σ l_i·2^(b·(n-1-i))`
/// with every `l_i` in `[-2^(b-1), 2^(b-1))`. None if `v` needs more than `n` limbs.
pub fn to_limbs(v: i64, n: usize, limb_bits: u32) -> Option<Vec<i64>> {
    let base = 1i128 << limb_bits;
    let half = base / 2;
    let mut rest = v as i128;
    let mut limbs = vec![0i64; n];
    for slot in limbs.iter_mut().rev() {
        let l = (rest + half).rem_euclid(base) - half;
        *slot = l as i64;
        rest = (rest - l) / base;
    }
    (rest == 0).then_some(limbs)
}

/// Limbs of `limb_bits` needed so every value of `values` is representable.
pub fn limbs_needed(values: &[i64], limb_bits: u32) -> usize {
    let mut n = 1;
    while values.iter().any(|&v| to_limbs(v, n, limb_bits).is_none()) {
        n += 1;
    }
    n
}

/// Hash of a sequence of integers, each split into `limbs` limbs of `limb_bits`.
pub fn hash_integers(values: &[i64], limbs: usize, limb_bits: u32) -> Option<Fr> {
    let mut all = Vec::with_capacity(values.len() * limbs);
    for &v in values {
        all.extend(to_limbs(v, limbs, limb_bits)?);
    }
    Some(hash(&pack_limbs(&all, limb_bits)?))
}

/// A field element as 0x-prefixed big-endian hex, the form commitments and hashes are shown in.
pub fn to_hex(f: &Fr) -> String {
    let mut bytes = f.to_repr();
    bytes.as_mut().reverse();
    format!("0x{}", hex::encode(bytes.as_ref()))
}

/// Parses [`to_hex`]'s form (with or without 0x; must be canonical, below the modulus).
pub fn from_hex(s: &str) -> Option<Fr> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() != 64 {
        return None;
    }
    let mut bytes = hex::decode(s).ok()?;
    bytes.reverse();
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(&bytes);
    Option::from(Fr::from_repr(repr))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer packing equals the field arithmetic it stands for, `Σ digit·2^(b·i)`, at
    /// every limb width a model can have, including full chunks.
    #[test]
    fn packing_as_integers_matches_field_arithmetic() {
        for bits in [4u32, 8, 12, 16, 24] {
            let half = 1i64 << (bits - 1);
            let base = Fr::from(1u64 << bits);
            let in_field = |chunk: &[i64]| {
                chunk
                    .iter()
                    .fold(Fr::ZERO, |acc, &l| acc * base + Fr::from((l + half) as u64))
            };
            let per = limbs_per_element(bits);
            let limbs: Vec<i64> = (0..3 * per + 5)
                .map(|i| ((i as i64 * 7919 + 13) % (2 * half)) - half)
                .collect();
            let expected: Vec<Fr> = limbs.chunks(per).map(in_field).collect();
            assert_eq!(pack_limbs(&limbs, bits).unwrap(), expected, "{bits} bits");
            for chunk in [vec![-half; per], vec![half - 1; per]] {
                assert_eq!(pack_limbs(&chunk, bits).unwrap(), vec![in_field(&chunk)]);
            }
        }
    }

    /// circomlib's test vector: poseidon([1, 2]) with the same constants (capacity lane 0,
    /// digest lane 0).
    #[test]
    fn permutation_matches_circomlib_vector() {
        let mut state = [Fr::ZERO, Fr::from(1), Fr::from(2)];
        permute(&mut state);
        assert_eq!(
            to_hex(&state[0]),
            "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
        );
    }

    #[test]
    fn constants_match_light_poseidon() {
        use ark_ff::{BigInteger, PrimeField as _};
        let theirs =
            light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<ark_bn254::Fr>(
                WIDTH as u8,
            )
            .unwrap();
        assert_eq!(
            (theirs.full_rounds, theirs.partial_rounds, theirs.alpha),
            (FULL_ROUNDS, PARTIAL_ROUNDS, 5)
        );
        let ours = spec();
        let convert = |f: &ark_bn254::Fr| {
            let le = f.into_bigint().to_bytes_le();
            let mut repr = <Fr as PrimeField>::Repr::default();
            repr.as_mut().copy_from_slice(&le);
            Fr::from_repr(repr).unwrap()
        };
        for r in 0..ROUNDS {
            for j in 0..WIDTH {
                assert_eq!(
                    ours.round_constants[r][j],
                    convert(&theirs.ark[r * WIDTH + j])
                );
            }
        }
        for i in 0..WIDTH {
            for j in 0..WIDTH {
                assert_eq!(ours.mds[i][j], convert(&theirs.mds[i][j]));
            }
        }
    }

    #[test]
    fn limbs_round_trip_and_reject_overflow() {
        for &v in &[
            0i64,
            1,
            -1,
            2047,
            -2048,
            2048,
            -2049,
            1 << 30,
            -(1 << 35) + 7,
        ] {
            let n = limbs_needed(&[v], 12);
            let l = to_limbs(v, n, 12).unwrap();
            let back = l.iter().fold(0i128, |a, &x| a * 4096 + x as i128);
            assert_eq!(back, v as i128);
            assert!(l.iter().all(|&x| (-2048..2048).contains(&x)));
        }
        assert_eq!(limbs_needed(&[2047, -2048], 12), 1);
        assert_eq!(limbs_needed(&[2048], 12), 2);
        assert!(to_limbs(1 << 12, 1, 12).is_none());
        assert!(pack_limbs(&[2048], 12).is_none());
    }

    #[test]
    fn hash_depends_on_length_and_every_element() {
        let a = hash(&[Fr::from(1), Fr::from(2), Fr::from(3)]);
        assert_ne!(a, hash(&[Fr::from(1), Fr::from(2), Fr::from(3), Fr::ZERO]));
        assert_ne!(a, hash(&[Fr::from(1), Fr::from(2), Fr::from(4)]));
        assert_eq!(a, hash(&[Fr::from(1), Fr::from(2), Fr::from(3)]));
        assert_eq!(from_hex(&to_hex(&a)), Some(a));
        assert_eq!(from_hex("0x12"), None);
    }
}
