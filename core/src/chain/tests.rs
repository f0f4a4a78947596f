//! The link between segments with real proofs, on the tiny residual chain (cut inside its
//! residual block, so the link carries the skip operand and the branch, one after the other):
//! the chain verifies with the whole model's output; a segment proven from another input's
//! activations, a link commitment changed in either proof, a flipped proof byte, and missing,
//! reordered or no segments are refused; the link commitment hides the activations. (The same checks at ImageNet scale, on the MobileNet
//! prefix, are the benchmark `tests/tests/segments.rs` keeps out of the suite's budget; the CLI's
//! MNIST chain is `prover-native/tests/cli.rs`.)

use super::*;
use crate::bundle::ProofBundle;
use crate::circuit::ModelConfig;
use crate::prove::Witness;
use crate::test_fixtures::{residual_chain, tiny_input, TinyChain};

/// Every tensor of the whole graph on the float input `x`.
fn whole_values(chain: &TinyChain, x: &[f32]) -> Vec<Vec<i64>> {
    let q = chain.graph.quantize_input(x).unwrap();
    chain.graph.evaluate(&q).unwrap()
}

/// Segment 1 proven, validly, from another input's activations.
fn segment_1_from_another_input(chain: &TinyChain) -> ProofBundle {
    let other: Vec<f32> = (0..8).map(|i| (7 - i) as f32 / 10.0).collect();
    let whole = whole_values(chain, &other);
    let (segment, compiled) = &chain.segments[1];
    let values = segment.values(&whole);
    assert_ne!(
        values[0],
        chain.segments[1]
            .0
            .values(&whole_values(chain, &tiny_input()))[0],
        "the other input must give other cut activations"
    );
    let (pk, _) = compiled.keygen(&chain.params, "dev").unwrap();
    // The chain's own link blinding: only the activations differ.
    compiled
        .prove_segment_witness(
            &chain.params,
            &pk,
            &chain.keys[1],
            Witness::of_segment(values, None),
            chain.blinding[1].clone(),
        )
        .unwrap()
}

/// Where each proof carries its link commitment, as the verifier reads it: segment 0's output
/// link and segment 1's input link, as byte ranges of the proofs.
fn link_commitment_bytes(chain: &TinyChain) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let (_, out_column) = ModelConfig::link_columns(&chain.keys[0].header.shape);
    let (in_column, _) = ModelConfig::link_columns(&chain.keys[1].header.shape);
    let at = |key, column: Option<usize>| {
        crate::verify::link_commitment_bytes(key, column.unwrap()).unwrap()
    };
    (
        at(&chain.keys[0], out_column),
        at(&chain.keys[1], in_column),
    )
}

#[test]
fn a_cut_inside_a_residual_block_links_both_live_tensors() {
    let chain = residual_chain();
    let live = live_after(&chain.graph, 0);
    assert_eq!(live.len(), 2, "the skip operand and the branch: {live:?}");
    let link: usize = live.iter().map(|&t| chain.graph.tensors[t].len()).sum();
    assert_eq!(chain.segments[1].0.graph.input_tensor().len(), link);
    let verified = verify_chain(&chain.keys, &chain.bundles).unwrap();
    let whole = whole_values(chain, &tiny_input());
    assert_eq!(verified.output.values, whole[chain.graph.output]);
    // The cut activations are not in the bundles, only their commitment, inside the proofs;
    // both sides commit alike, and the chain's own input is not linked.
    let header = &chain.bundles[0].header;
    assert!(header.output.values.is_empty() && header.output_hash.is_none());
    let first = verify_segment(&chain.keys[0], &chain.bundles[0]).unwrap();
    let second = verify_segment(&chain.keys[1], &chain.bundles[1]).unwrap();
    assert!(first.output_link.is_some() && first.input_link.is_none());
    assert_eq!(second.input_link, first.output_link);
    assert_eq!(verified.input_link, None);
}

#[test]
fn a_segment_proven_from_another_inputs_activations_does_not_link() {
    let chain = residual_chain();
    let other = segment_1_from_another_input(chain);
    verify_segment(&chain.keys[1], &other).unwrap();
    let err = verify_chain(&chain.keys, &[chain.bundles[0].clone(), other])
        .unwrap_err()
        .to_string();
    assert!(err.contains("link 0→1"), "{err}");
}

#[test]
fn a_link_commitment_changed_in_either_proof_is_rejected() {
    let chain = residual_chain();
    let other = segment_1_from_another_input(chain);
    let (out_link, in_link) = link_commitment_bytes(chain);
    // Segment 0's output commitment changed to the one the other proof carries: the links
    // match, but segment 0's proof no longer verifies.
    let mut changed = vec![chain.bundles[0].clone(), other.clone()];
    changed[0].proof[out_link.clone()].copy_from_slice(&other.proof[in_link.clone()]);
    let err = verify_chain(&chain.keys, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 0"), "{err}");
    // The other proof's input commitment changed to segment 0's: the links match, but that
    // proof no longer verifies.
    let mut changed = vec![chain.bundles[0].clone(), other];
    changed[1].proof[in_link].copy_from_slice(&chain.bundles[0].proof[out_link]);
    let err = verify_chain(&chain.keys, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 1"), "{err}");
}

#[test]
fn a_flipped_proof_byte_in_any_segment_is_rejected_and_named() {
    let chain = residual_chain();
    for i in 0..2 {
        let mut bundles = chain.bundles.clone();
        let middle = bundles[i].proof.len() / 2;
        bundles[i].proof[middle] ^= 1;
        let err = verify_chain(&chain.keys, &bundles).unwrap_err().to_string();
        assert!(err.contains(&format!("segment {i}")), "{err}");
    }
}

#[test]
fn missing_reordered_or_no_segments_are_refused() {
    let chain = residual_chain();
    let (keys, bundles) = (&chain.keys, &chain.bundles);
    assert!(verify_chain(keys, &bundles[..1]).is_err());
    assert!(verify_chain(&keys[..1], &bundles[..1]).is_err());
    let keys_reversed = [keys[1].clone(), keys[0].clone()];
    let bundles_reversed = [bundles[1].clone(), bundles[0].clone()];
    assert!(verify_chain(&keys_reversed, bundles).is_err());
    assert!(verify_chain(&keys_reversed, &bundles_reversed).is_err());
    assert!(verify_chain(&[], &[]).is_err());
}

/// The link commitment reveals nothing about the cut activations: it is not the commitment to
/// the activations alone (which anyone holding a guess of them could compute and compare), and
/// two proofs of the same input, blinded afresh, link with other commitments. Without the
/// shared blinding rows (the link column is committed without halo2's own blinding) the first
/// comparison would confirm the guess.
#[test]
fn the_link_commitment_hides_the_activations_and_fresh_blinding_still_links() {
    use halo2_proofs::poly::commitment::Params;
    use halo2curves::group::{Curve, GroupEncoding};
    let chain = residual_chain();
    let (out_link, in_link) = link_commitment_bytes(chain);
    let link = &chain.bundles[0].proof[out_link.clone()];
    assert_eq!(link, &chain.bundles[1].proof[in_link.clone()]);
    // The guesser's commitment: the true cut activations, one after the other, as the column
    // holds them, and nothing else.
    let whole = whole_values(chain, &tiny_input());
    let activations = &chain.segments[1].0.values(&whole)[0];
    let n = chain.params.n() as usize;
    let mut column = vec![halo2curves::bn256::Fr::zero(); n];
    for (cell, &v) in column.iter_mut().zip(activations.iter()) {
        *cell = crate::circuit::fe(v as i128);
    }
    let domain = halo2_proofs::poly::EvaluationDomain::new(1, chain.params.k());
    let guess = chain
        .params
        .commit_lagrange(&domain.lagrange_from_vec(column), Default::default())
        .to_affine();
    assert_ne!(
        guess.to_bytes().as_ref(),
        link,
        "the link commitment confirms a guess"
    );

    // The same input proven again with fresh blinding: another link commitment, still a chain.
    let again = crate::circuit::LinkBlinding::for_chain(2, &mut rand::rngs::OsRng);
    let bundles: Vec<ProofBundle> = (0..2)
        .map(|i| {
            let (segment, compiled) = &chain.segments[i];
            let v = segment.values(&whole);
            let (pk, _) = compiled.keygen(&chain.params, "dev").unwrap();
            compiled
                .prove_segment_witness(
                    &chain.params,
                    &pk,
                    &chain.keys[i],
                    Witness::of_segment(v, None),
                    again[i].clone(),
                )
                .unwrap()
        })
        .collect();
    verify_chain(&chain.keys, &bundles).unwrap();
    assert_ne!(&bundles[0].proof[out_link.clone()], link);
    // Each side's blinding must be the other's: segment 1 of the first proving with segment 0
    // of the second does not link.
    let mixed = [bundles[0].clone(), chain.bundles[1].clone()];
    let err = verify_chain(&chain.keys, &mixed).unwrap_err().to_string();
    assert!(err.contains("link 0→1"), "{err}");
    // And a segment proven without its link's blinding is refused before any work.
    let (segment, compiled) = &chain.segments[1];
    let v = segment.values(&whole);
    let (pk, _) = compiled.keygen(&chain.params, "dev").unwrap();
    let unblinded = compiled.prove_witness(
        &chain.params,
        &pk,
        &chain.keys[1],
        Witness::of_segment(v, None),
    );
    assert!(unblinded.unwrap_err().to_string().contains("blinding"));
}

/// The count behind `LINK_BLINDING_ROWS`: each link column is queried once per proof (at
/// rotation 0, for the permutation), and the constant is twice what halo2's rule gives a column
/// queried so that only one proof reveals (max(3, its queries) + 2).
#[test]
fn link_columns_are_blinded_with_twice_halo2s_blinding_rows() {
    use halo2_proofs::plonk::{Circuit, ConstraintSystem};
    let chain = residual_chain();
    for key in &chain.keys {
        let shape = &key.header.shape;
        let mut cs = ConstraintSystem::<halo2curves::bn256::Fr>::default();
        crate::circuit::ModelCircuit::configure_with_params(&mut cs, shape.clone());
        let (input, output) = ModelConfig::link_columns(shape);
        for column in [input, output].into_iter().flatten() {
            let queries = cs
                .advice_queries()
                .iter()
                .filter(|(c, _)| c.index() == column)
                .count();
            assert_eq!(queries, 1, "link column {column}");
            assert!(crate::circuit::LINK_BLINDING_ROWS >= 2 * (queries.max(3) + 2));
        }
    }
}
