//! The vendored halo2-axiom's patch 9: the log-derivative lookup argument
//! (`vendor/halo2-axiom/src/plonk/logup.rs`). A circuit with two tables proves four lookups:
//! three into a tagged table `(tag, v, v^2)`, batched into one argument (two inverse columns and
//! the last input folded into the running sum), and one into a byte-range table, an argument of
//! its own with no inverse column. Real proofs, not MockProver: MockProver checks lookups by
//! membership and never runs the argument.
//!
//! - an honest witness proves and verifies, alone and as two proofs in one transcript;
//! - a witness with one input outside its table still yields a proof (the prover counts it
//!   nowhere) and that proof is rejected, for an input of each kind: one with an inverse
//!   column, the folded last one, and the lone input of the other group;
//! - every 32-byte word of a proof, flipped in one bit, makes it fail;
//! - the argument is pinned in the verifying key: a proof made with one argument fails against
//!   the other's key, and a key without the patch pins what it pinned before.

mod lookup_circuit;

use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::LookupArgument;
use lookup_circuit::*;

#[test]
fn an_honest_witness_proves_and_verifies_with_batched_log_derivative_lookups() {
    let s = setup(true);
    assert_eq!(
        s.pk.get_vk().cs().lookup_argument(),
        LookupArgument::LogDerivative
    );
    let proof = prove(&s, &[honest(true)]);
    assert!(verifies(&s.params, s.pk.get_vk(), 1, &proof));
    // Two circuits in one transcript: each its own multiplicities and running sums.
    let mut other = honest(true);
    other.rows.reverse();
    other.rows.truncate(ROWS / 2);
    let proof = prove(&s, &[honest(true), other]);
    assert!(verifies(&s.params, s.pk.get_vk(), 2, &proof));
    assert!(!verifies(&s.params, s.pk.get_vk(), 1, &proof));
}

#[test]
fn an_input_outside_its_table_is_rejected_for_every_kind_of_input() {
    let s = setup(true);
    // (which triple or the byte, row, value): a first input (an inverse column), the folded
    // last one, a wrong tag, and the byte group's lone input.
    let cases: [(usize, usize, [u64; 3]); 4] = [
        (0, 3, [1, 5, 26]),
        (2, 17, [2, 4, 16]),
        (1, 0, [3, 2, 4]),
        (3, 59, [256, 0, 0]),
    ];
    for (input, row, bad) in cases {
        let mut circuit = honest(true);
        if input < 3 {
            circuit.rows[row].0[input] = bad;
        } else {
            circuit.rows[row].1 = bad[0];
        }
        let mock = MockProver::run(K, &circuit, vec![]).unwrap();
        assert!(
            mock.verify().is_err(),
            "MockProver accepted case {input}/{row}"
        );
        let proof = prove(&s, &[circuit]);
        assert!(
            !verifies(&s.params, s.pk.get_vk(), 1, &proof),
            "a proof with input {input} outside its table at row {row} verified"
        );
    }
}

#[test]
fn every_word_of_a_log_derivative_proof_is_bound() {
    let s = setup(true);
    let proof = prove(&s, &[honest(true)]);
    assert!(verifies(&s.params, s.pk.get_vk(), 1, &proof));
    for word in 0..proof.len() / 32 {
        let mut bad = proof.clone();
        // A low bit of the word's first byte: little-endian scalars and compressed points alike.
        bad[word * 32] ^= 1;
        assert!(
            !verifies(&s.params, s.pk.get_vk(), 1, &bad),
            "a proof with word {word} changed verified"
        );
    }
}

#[test]
fn the_lookup_argument_is_pinned_in_the_verifying_key() {
    let log = setup(true);
    let perm = setup(false);
    let (log_vk, perm_vk) = (log.pk.get_vk(), perm.pk.get_vk());
    assert_ne!(log_vk.transcript_repr(), perm_vk.transcript_repr());
    let perm_pinned = format!("{:?}", perm_vk.pinned());
    assert!(
        !perm_pinned.contains("lookup_argument"),
        "an unpatched key's pinning changed"
    );
    assert!(format!("{:?}", log_vk.pinned()).contains("LogDerivative"));

    let log_proof = prove(&log, &[honest(true)]);
    let perm_proof = prove(&perm, &[honest(false)]);
    assert!(verifies(&perm.params, perm_vk, 1, &perm_proof));
    assert!(!verifies(&log.params, log_vk, 1, &perm_proof));
    assert!(!verifies(&perm.params, perm_vk, 1, &log_proof));
    // Fewer commitments and evaluations: 3 + 1 against 3 x 4 and 5 x 4.
    assert!(log_proof.len() < perm_proof.len());
    // The batched argument's constraints are no higher than halo2's own.
    assert!(log_vk.cs().degree() <= perm_vk.cs().degree());
}
