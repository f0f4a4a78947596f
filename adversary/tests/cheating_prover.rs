//! The log-derivative lookup argument (vendored halo2 patch 9) against a prover that cheats: built
//! with halo2's `zkinfer-adversary` feature, the prover closes a running sum that does not close
//! (an input outside its table) by moving the difference into the first inverse column, so that
//! only the inverse columns' constraint (`h_k (f_k + beta) = 1` on active rows) rejects the proof.
//! Without that constraint the proof verifies (checked by hand: see
//! vendor/halo2-axiom/ZKINFER-PATCH.md).

#[path = "../../core/tests/lookup_circuit/mod.rs"]
mod lookup_circuit;

use lookup_circuit::*;

#[test]
fn the_cheating_prover_is_honest_on_an_honest_witness() {
    let s = setup(true);
    let proof = prove(&s, &[honest(true)]);
    assert!(verifies(&s.params, s.pk.get_vk(), 1, &proof));
}

#[test]
fn a_running_sum_closed_through_an_inverse_column_is_rejected() {
    let s = setup(true);
    // An input with an inverse column, and the folded last input: either way the difference
    // lands in the first inverse column, whose constraint must fail.
    for (input, row, bad) in [(0usize, 3usize, [1u64, 5, 26]), (2, 17, [2, 4, 16])] {
        let mut circuit = honest(true);
        circuit.rows[row].0[input] = bad;
        let proof = prove(&s, &[circuit]);
        assert!(
            !verifies(&s.params, s.pk.get_vk(), 1, &proof),
            "a cheating proof with input {input} outside its table at row {row} verified"
        );
    }
}
