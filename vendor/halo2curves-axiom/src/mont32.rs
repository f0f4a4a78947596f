//! zkinfer patch 4: Montgomery multiplication on 32-bit words, for WebAssembly.
//!
//! WebAssembly has a 64-bit multiply but no instruction for the high half of a 64 x 64-bit
//! product, so upstream's 64-bit limb products (`(a as u128) * (b as u128)`) become calls to
//! the `__multi3` routine: half of a verification's time in V8 was spent there. A product of
//! two 32-bit words fits one 64-bit multiply exactly, so the same Montgomery product computed
//! on eight 32-bit words needs no call at all.
//!
//! The result is bit for bit upstream's: a * b * 2^-256 mod p, fully reduced, for a, b < p
//! held as four little-endian 64-bit limbs (R = 2^256 either way). The algorithm is CIOS
//! without the final carry word (EdMSM, https://eprint.iacr.org/2022/1400.pdf, Algorithm 2),
//! which holds when the modulus' top 32-bit word is below 2^31 - 1; `fits` says whether a
//! modulus qualifies, and the field macro falls back to upstream's code otherwise.

/// Whether `modulus` allows the carry-free CIOS below (its most significant 32-bit word is
/// below (2^32 - 1) / 2 - 1).
pub const fn fits(modulus: &[u64; 4]) -> bool {
    (modulus[3] >> 32) < 0x7fff_fffe
}

const fn split(x: &[u64; 4]) -> [u32; 8] {
    [
        x[0] as u32,
        (x[0] >> 32) as u32,
        x[1] as u32,
        (x[1] >> 32) as u32,
        x[2] as u32,
        (x[2] >> 32) as u32,
        x[3] as u32,
        (x[3] >> 32) as u32,
    ]
}

/// a * b * 2^-256 mod `modulus`, for a, b < modulus, `inv` = -modulus^-1 mod 2^64 (upstream's
/// `INV`; its low word is -modulus^-1 mod 2^32) and a modulus for which `fits` holds.
#[inline(always)]
pub const fn montgomery_mul(a: &[u64; 4], b: &[u64; 4], modulus: &[u64; 4], inv: u64) -> [u64; 4] {
    let a = split(a);
    let b = split(b);
    let p = split(modulus);
    let inv = inv as u32;
    let mut t = [0u32; 8];
    let mut i = 0;
    while i < 8 {
        let bi = b[i] as u64;
        // Every sum below is at most (2^32 - 1) + (2^32 - 1)^2 + (2^32 - 1) = 2^64 - 1.
        let uv = t[0] as u64 + a[0] as u64 * bi;
        let mut carry_ab = uv >> 32;
        let t0 = uv as u32;
        let m = t0.wrapping_mul(inv) as u64;
        // t0 + m * p[0] is 0 modulo 2^32 by the choice of m: only its carry is kept.
        let mut carry_mp = (t0 as u64 + m * p[0] as u64) >> 32;
        let mut j = 1;
        while j < 8 {
            let uv = t[j] as u64 + a[j] as u64 * bi + carry_ab;
            carry_ab = uv >> 32;
            let uv = (uv as u32) as u64 + m * p[j] as u64 + carry_mp;
            carry_mp = uv >> 32;
            t[j - 1] = uv as u32;
            j += 1;
        }
        // No carry out of this sum: that is what `fits` guarantees.
        t[7] = (carry_ab + carry_mp) as u32;
        i += 1;
    }
    let r = [
        t[0] as u64 | (t[1] as u64) << 32,
        t[2] as u64 | (t[3] as u64) << 32,
        t[4] as u64 | (t[5] as u64) << 32,
        t[6] as u64 | (t[7] as u64) << 32,
    ];
    // r < 2 * modulus: one conditional subtraction reduces it fully.
    if crate::arithmetic::bigint_geq(&r, modulus) {
        let (d0, borrow) = crate::arithmetic::sbb(r[0], modulus[0], 0);
        let (d1, borrow) = crate::arithmetic::sbb(r[1], modulus[1], borrow);
        let (d2, borrow) = crate::arithmetic::sbb(r[2], modulus[2], borrow);
        let (d3, _) = crate::arithmetic::sbb(r[3], modulus[3], borrow);
        [d0, d1, d2, d3]
    } else {
        r
    }
}
