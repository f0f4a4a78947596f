//! Mutation campaign: a real MNIST proof bundle and its verifier key are mutated in every way we
//! can think of (seeded, reproducible), and each mutant is verified natively and through the
//! WebAssembly verifier's Rust API. Nothing may be accepted.
//!
//! Run with `cargo test --release -p zkinfer-tests --test mutation_campaign -- --nocapture` to
//! see the table.

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use zkinfer_core::{ProofBundle, VerifierKey};

const SEED: u64 = 0x6d75_7461_6e74;

/// A mutant: the key and bundle bytes to check.
struct Mutant {
    class: &'static str,
    key: Vec<u8>,
    bundle: Vec<u8>,
}

fn mutants(rng: &mut impl Rng, key: &[u8], bundle: &ProofBundle) -> Vec<Mutant> {
    let bytes = bundle.to_bytes();
    let mut out = vec![];
    let mut push = |class, key: Vec<u8>, bundle: Vec<u8>| out.push(Mutant { class, key, bundle });
    for _ in 0..300 {
        let mut b = bundle.clone();
        let pos = rng.gen_range(0..b.proof.len());
        b.proof[pos] ^= 1 << rng.gen_range(0..8);
        push("proof byte (bit flip)", key.to_vec(), b.to_bytes());
    }
    for _ in 0..100 {
        let mut b = bundle.clone();
        let i = rng.gen_range(0..b.header.output.values.len());
        b.header.output.values[i] += if rng.gen() {
            rng.gen_range(1..50)
        } else {
            -rng.gen_range(1..50)
        };
        push("output value", key.to_vec(), b.to_bytes());
    }
    for _ in 0..100 {
        let mut b = bundle.clone();
        let i = rng.gen_range(0..b.header.input.values.len());
        b.header.input.values[i] += if rng.gen() { 1 } else { -1 };
        push("input value", key.to_vec(), b.to_bytes());
    }
    for _ in 0..50 {
        let mut b = bundle.clone();
        let mut id: Vec<u8> = b.header.model_id.bytes().collect();
        let i = rng.gen_range(0..id.len());
        id[i] = if id[i] == b'0' { b'1' } else { b'0' };
        b.header.model_id = String::from_utf8(id).unwrap();
        push("model id", key.to_vec(), b.to_bytes());
    }
    for _ in 0..50 {
        let mut b = bundle.clone();
        if rng.gen() {
            b.header.output.frac_bits += rng.gen_range(1..4);
        } else {
            b.header.input.frac_bits -= rng.gen_range(1..4);
        }
        push("scale (frac bits)", key.to_vec(), b.to_bytes());
    }
    for _ in 0..150 {
        // Any byte of the key file; the bundle is relabelled with the mutated key's id when it
        // parses, so only the SNARK check can reject it.
        let mut k = key.to_vec();
        let pos = rng.gen_range(0..k.len());
        k[pos] ^= 1 << rng.gen_range(0..8);
        let mut b = bundle.clone();
        b.header.model_id = zkinfer_core::verifier_key::model_id(&k);
        push("verifier key byte", k, b.to_bytes());
    }
    for _ in 0..50 {
        let mut m = bytes.clone();
        let pos = rng.gen_range(0..12);
        m[pos] ^= 1 << rng.gen_range(0..8);
        push("bundle magic/version", key.to_vec(), m);
    }
    let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    for _ in 0..100 {
        let mut m = bytes.clone();
        let pos = 16 + rng.gen_range(0..header_len);
        m[pos] = rng.gen();
        if m == bytes {
            m[pos] ^= 1;
        }
        push("bundle header byte", key.to_vec(), m);
    }
    for _ in 0..75 {
        let cut = rng.gen_range(0..bytes.len());
        push("bundle truncation", key.to_vec(), bytes[..cut].to_vec());
    }
    for _ in 0..25 {
        let mut b = bundle.clone();
        let cut = rng.gen_range(0..b.proof.len());
        b.proof.truncate(cut);
        push("proof truncation", key.to_vec(), b.to_bytes());
    }
    for _ in 0..25 {
        let mut m = bytes.clone();
        m.extend((0..rng.gen_range(1..64)).map(|_| rng.gen::<u8>()));
        push("bundle extension", key.to_vec(), m);
    }
    for _ in 0..25 {
        let mut b = bundle.clone();
        b.proof
            .extend((0..rng.gen_range(1..64)).map(|_| rng.gen::<u8>()));
        push("proof extension", key.to_vec(), b.to_bytes());
    }
    out
}

#[test]
fn no_mutant_of_a_real_proof_is_accepted() {
    let (MnistKeys { key_bytes, key, .. }, bundle) = mnist_digit_proof(3);
    assert!(zkinfer_core::verify(&key, &bundle.to_bytes()).is_ok());
    assert!(zkinfer_verifier::verify_bytes(&key, &bundle.to_bytes()).valid);

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SEED);
    let all = mutants(&mut rng, &key_bytes, &bundle);
    assert!(all.len() >= 1000);
    // class -> (tried, rejected natively, rejected by the wasm API)
    let mut table: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for m in &all {
        let row = table.entry(m.class).or_default();
        row.0 += 1;
        let native_ok = match VerifierKey::from_bytes(&m.key) {
            Ok(k) => zkinfer_core::verify(&k, &m.bundle).is_ok(),
            Err(_) => false,
        };
        let wasm_ok = match zkinfer_verifier::load_key(&m.key) {
            Ok(k) => zkinfer_verifier::verify_bytes(&k, &m.bundle).valid,
            Err(_) => false,
        };
        row.1 += !native_ok as usize;
        row.2 += !wasm_ok as usize;
    }
    println!("| mutation class | tried | rejected (native) | rejected (wasm API) |");
    println!("|---|---|---|---|");
    let (mut t, mut n, mut w) = (0, 0, 0);
    for (class, (tried, rn, rw)) in &table {
        println!("| {class} | {tried} | {rn} | {rw} |");
        t += tried;
        n += rn;
        w += rw;
    }
    println!("| all (seed {SEED:#x}) | {t} | {n} | {w} |");
    assert_eq!((n, w), (t, t), "some mutants were accepted");
}
