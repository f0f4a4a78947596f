//! The checks a chain's segment keys must pass, when a chain key is read and again before any
//! chain proof is verified (the keys of [`super::verify_chain`] may come from
//! elsewhere than a chain key file):
//!
//! - every segment at one k: equal link commitments mean equal columns only over one domain;
//! - each key fits its position: only the first segment's input and the last one's output are
//!   the chain's own, every other input and output is linked;
//! - every segment's weights alike: all fixed in their keys, or all hidden behind their own
//!   commitments (which [`super::verify_chain`] combines into the chain's commitment,
//!   [`crate::commitment::chain_commitment`], so that a consumer pins one value for the chain);
//! - every segment's KZG points (g[0], g2, s·g2) equal: one setup for the whole chain, so a
//!   consumer who trusts the setup of one segment trusts all of them;
//! - both sides of every link agree: segment i's output and segment i+1's input have the same
//!   number of values, the same scale, and the same activation bits;
//! - a text model's tokenizer is whole: its prompt rules in the first segment's key (which
//!   reads the prompt), its vocabulary as the last segment's labels (which name its outputs),
//!   and no rules anywhere else.

use crate::circuit::{TensorVisibility, Visibility};
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;

/// Checks that `keys`, in order, form a chain (module doc), and returns the chain's own
/// visibility: its input as the first segment's, its output as the last segment's, its weights
/// as every segment's.
pub(crate) fn check_chain_keys(keys: &[VerifierKey]) -> Result<Visibility> {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return Err(Error::Rejected("a chain of no segments".into()));
    };
    let n = keys.len();
    for (i, key) in keys.iter().enumerate() {
        let h = &key.header;
        let refuse = |reason: String| Err(Error::InvalidChain { segment: i, reason });
        let vis = h.shape.visibility;
        let linked_in = vis.input == TensorVisibility::Linked;
        let linked_out = vis.output == TensorVisibility::Linked;
        if linked_in != (i > 0) || linked_out != (i + 1 < n) {
            return refuse(format!(
                "does not fit position {i} of a chain of {n}: its input is {:?} and its output \
                 {:?}",
                vis.input, vis.output
            ));
        }
        if h.k != first.header.k {
            return refuse(format!(
                "is at k = {}, segment 0 at k = {}: links compare commitments over one domain",
                h.k, first.header.k
            ));
        }
        if vis.weights != first.header.shape.visibility.weights {
            return refuse(format!(
                "has {:?} weights, segment 0 {:?}: a chain's weights are all fixed or all hidden",
                vis.weights, first.header.shape.visibility.weights
            ));
        }
        if !crate::verify::same_srs(key, first) {
            return refuse(
                "was made with another setup than segment 0 (its KZG points g[0], g2, s·g2 \
                 differ); a chain has one setup"
                    .into(),
            );
        }
        if let Some(prev) = i.checked_sub(1).map(|p| &keys[p].header) {
            let (out, inp) = (&prev.output, &h.input);
            if out.len() != inp.len()
                || out.frac_bits != inp.frac_bits
                || prev.shape.act_bits != h.shape.act_bits
            {
                return refuse(format!(
                    "does not match link {}→{i}: it reads {} values at scale 2^{} with {}-bit \
                     activations, segment {} writes {} values at scale 2^{} with {}-bit \
                     activations",
                    i - 1,
                    inp.len(),
                    inp.frac_bits,
                    h.shape.act_bits,
                    i - 1,
                    out.len(),
                    out.frac_bits,
                    prev.shape.act_bits
                ));
            }
        }
    }
    if let Some(i) = keys.iter().skip(1).position(|k| k.header.text.is_some()) {
        return Err(Error::InvalidChain {
            segment: i + 1,
            reason: "carries prompt rules, which belong to the segment that reads the prompt"
                .into(),
        });
    }
    if let Some(rules) = first.header.text {
        let vocabulary = last.header.labels.as_deref().unwrap_or_default();
        if let Err(why) = crate::text_input::Tokenizer::from_key(vocabulary, rules) {
            return Err(Error::InvalidChain {
                segment: n - 1,
                reason: format!(
                    "names its outputs with labels that make no tokenizer with segment 0's \
                     prompt rules: {why}"
                ),
            });
        }
        if vocabulary.len() != last.header.output.len() {
            return Err(Error::InvalidChain {
                segment: n - 1,
                reason: format!(
                    "has {} labels, not one token per output ({})",
                    vocabulary.len(),
                    last.header.output.len()
                ),
            });
        }
    }
    Ok(Visibility {
        weights: first.header.shape.visibility.weights,
        input: first.header.shape.visibility.input,
        output: last.header.shape.visibility.output,
    })
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use crate::chain::verify_chain;
    use crate::chain::ChainKey;
    use crate::test_fixtures::{
        params, tiny_chain, tiny_hidden_chain, TINY_HIDDEN_VISIBILITY, TINY_VISIBILITY,
    };
    use crate::verifier_key::VerifierKey;

    /// A chain key file of the tiny chain's segment 0 and `second`.
    fn chain_file(second: &[u8]) -> Vec<u8> {
        ChainKey::file_bytes(
            "tiny",
            &[tiny_chain().key_files[0].clone(), second.to_vec()],
        )
    }

    /// Segment 1 of the tiny chain compiled with hidden weights beside a fixed-weight segment 0:
    /// its key is refused when the chain key is read and when a chain is verified.
    #[test]
    fn a_chain_mixing_fixed_and_hidden_weights_is_refused() {
        let chain = tiny_chain();
        let hidden = tiny_hidden_chain();
        let file = hidden.key_files[1].clone();
        let why = "segment 1 has Hidden weights, segment 0 Fixed";
        let err = ChainKey::from_bytes(&chain_file(&file))
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{err}");
        let keys = [
            chain.keys[0].clone(),
            VerifierKey::from_bytes(&file).unwrap(),
        ];
        let err = verify_chain(&keys, &chain.bundles).unwrap_err().to_string();
        assert!(err.contains(why), "{err}");
    }

    /// A chain with hidden weights: every segment commits to its own weights; the chain's
    /// result carries the chain commitment of those commitments in order, and `ChainKey`
    /// reads the hidden visibility. A segment proven with other weights (its own valid proof
    /// under the same key) changes the chain commitment, so a pinned commitment rejects it;
    /// swapping the two segments' proofs breaks the chain.
    #[test]
    fn a_chain_with_hidden_weights_binds_every_segment_s_commitment() {
        use crate::commitment::{chain_commitment, model_commitment};
        use crate::poseidon::to_hex;
        let chain = tiny_hidden_chain();
        let verified = verify_chain(&chain.keys, &chain.bundles).unwrap();
        assert_eq!(verified.visibility, TINY_HIDDEN_VISIBILITY);
        let own: Vec<_> = chain
            .segments
            .iter()
            .map(|(s, c)| model_commitment(&s.graph, c.salt()))
            .collect();
        let expected = to_hex(&chain_commitment(&own));
        assert_eq!(
            verified.model_commitment.as_deref(),
            Some(expected.as_str())
        );
        assert_ne!(own[0], own[1]);
        let file = ChainKey::file_bytes("tiny", &chain.key_files);
        assert!(ChainKey::from_bytes(&file)
            .unwrap()
            .visibility()
            .hidden_weights());

        // Segment 1 re-proven with one weight changed, under its own (unchanged) key.
        let (segment, compiled) = &chain.segments[1];
        let mut other = compiled.clone();
        let mut graph = segment.graph.clone();
        for s in &mut graph.steps {
            if let crate::qgraph::StepKind::Linear(l) = &mut s.kind {
                if let crate::qgraph::LinearKernel::Dense { weight, .. } = &mut l.kernel {
                    weight[0] += 1;
                    break;
                }
            }
        }
        other.graph = graph.clone();
        let (pk, _) = other.keygen(&chain.params, "dev").unwrap();
        let whole_values = chain
            .graph
            .evaluate(
                &chain
                    .graph
                    .quantize_input(&crate::test_fixtures::tiny_input())
                    .unwrap(),
            )
            .unwrap();
        let seg_values = segment.values(&whole_values);
        let input = seg_values[graph.input].clone();
        let values = graph.evaluate(&input).unwrap();
        let witness = crate::prove::Witness::of_segment(values, None);
        let bundle = other
            .prove_segment_witness(
                &chain.params,
                &pk,
                &chain.keys[1],
                witness,
                chain.blinding[1].clone(),
            )
            .unwrap();
        let bundles = [chain.bundles[0].clone(), bundle];
        // It is a valid chain proof, of another model: only the commitment tells.
        let v = verify_chain(&chain.keys, &bundles).unwrap();
        assert_ne!(
            v.model_commitment.as_deref(),
            Some(expected.as_str()),
            "other weights must not show the published chain commitment"
        );
        let swapped = [chain.bundles[1].clone(), chain.bundles[0].clone()];
        assert!(verify_chain(&chain.keys, &swapped).is_err());
    }

    /// The chain's result speaks for the whole chain: input side from the first segment,
    /// output side from the last, weights from every segment.
    #[test]
    fn a_chain_reports_its_own_visibility() {
        let chain = tiny_chain();
        let verified = verify_chain(&chain.keys, &chain.bundles).unwrap();
        assert_eq!(verified.visibility, TINY_VISIBILITY);
        let file = ChainKey::file_bytes("tiny", &chain.key_files);
        assert_eq!(
            ChainKey::from_bytes(&file).unwrap().visibility(),
            TINY_VISIBILITY
        );
        assert_eq!(verified.model_commitment, None);
        assert_eq!(verified.input_link, None);
        assert_eq!(verified.output_link, None);
    }

    /// Segment 1's key made with parameters of another secret: refused, whether or not its
    /// proofs would verify under their own setup.
    #[test]
    fn a_segment_from_another_setup_is_refused() {
        let chain = tiny_chain();
        let k = chain.keys[0].header.k;
        let other = params(k, crate::srs::DEV_SEED ^ 1);
        let file = chain.segments[1]
            .1
            .verifier_key_bytes(&other, "dev")
            .unwrap();
        let err = ChainKey::from_bytes(&chain_file(&file))
            .unwrap_err()
            .to_string();
        assert!(err.contains("segment 1") && err.contains("setup"), "{err}");
        let keys = [
            chain.keys[0].clone(),
            VerifierKey::from_bytes(&file).unwrap(),
        ];
        let err = verify_chain(&keys, &chain.bundles).unwrap_err().to_string();
        assert!(err.contains("segment 1") && err.contains("setup"), "{err}");
    }

    /// Segment 1's key with its linked input changed in length, in scale or in activation
    /// bits: the two sides of the link disagree, and the chain is refused.
    #[test]
    fn a_link_whose_sides_disagree_is_refused() {
        let chain = tiny_chain();
        let key = &chain.keys[1];
        type Change = fn(&mut crate::verifier_key::VkHeader);
        let changes: [(&str, Change); 3] = [
            ("length", |h| h.input.shape = vec![h.input.len() + 1]),
            ("scale", |h| h.input.frac_bits += 1),
            ("activation bits", |h| h.shape.act_bits += 1),
        ];
        for (what, change) in changes {
            let mut changed = key.clone();
            change(&mut changed.header);
            let keys = [chain.keys[0].clone(), changed.clone()];
            let err = verify_chain(&keys, &chain.bundles).unwrap_err().to_string();
            assert!(
                err.contains("segment 1") && err.contains("link"),
                "{what}: {err}"
            );
            // The changed key as a file in a chain key file.
            let file = VerifierKey::to_bytes(&changed.header, &key.params, &key.vk);
            match VerifierKey::from_bytes(&file) {
                Ok(_) => {
                    let err = ChainKey::from_bytes(&chain_file(&file))
                        .unwrap_err()
                        .to_string();
                    assert!(
                        err.contains("segment 1") && err.contains("link"),
                        "{what}: {err}"
                    );
                }
                // A 9-bit table does not fit the tiny chain's k: the key itself is refused.
                Err(e) => assert_eq!(what, "activation bits", "{e}"),
            }
        }
    }

    /// A text chain's tokenizer is whole only as segment 0's prompt rules with the last
    /// segment's labels: such a chain key reads back with that tokenizer; rules on a later
    /// segment, or labels that make no vocabulary for them, refuse the key.
    #[test]
    fn a_chains_tokenizer_is_segment_0s_rules_with_the_last_segments_labels() {
        use crate::text_input::PromptRules;
        let chain = tiny_chain();
        let rewritten = |i: usize, edit: &dyn Fn(&mut crate::verifier_key::VkHeader)| {
            let key = &chain.keys[i];
            let mut header = key.header.clone();
            edit(&mut header);
            VerifierKey::to_bytes(&header, &key.params, &key.vk)
        };
        let rules = PromptRules {
            context: chain.keys[0].header.input.len(),
            pad: 0,
            lowercase: false,
        };
        let outputs = chain.keys[1].header.output.len();
        let vocabulary: Vec<String> = (0..outputs).map(|i| format!("w{i} ")).collect();
        let first = rewritten(0, &|h| h.text = Some(rules));
        let last = |labels: Vec<String>, text: Option<PromptRules>| {
            rewritten(1, &|h| {
                h.labels = Some(labels.clone());
                h.text = text;
            })
        };
        let read = |second: Vec<u8>| {
            ChainKey::from_bytes(&ChainKey::file_bytes("tiny", &[first.clone(), second]))
        };
        let key = read(last(vocabulary.clone(), None)).unwrap();
        let t = key.tokenizer().unwrap();
        assert_eq!((t.rules(), t.vocabulary), (rules, vocabulary.clone()));
        let mut repeated = vocabulary.clone();
        repeated[1] = repeated[0].clone();
        for (second, why) in [
            (
                last(
                    vocabulary.clone(),
                    Some(PromptRules {
                        context: chain.keys[1].header.input.len(),
                        ..rules
                    }),
                ),
                "carries prompt rules",
            ),
            (last(repeated, None), "twice"),
            (last(vocabulary[1..].to_vec(), None), "one token per output"),
        ] {
            let err = read(second).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains(why) && err.contains("segment 1"), "{err}");
        }
        // A chain whose first key has no rules binds no tokenizer.
        let plain = ChainKey::file_bytes(
            "tiny",
            &[chain.key_files[0].clone(), last(vocabulary, None)],
        );
        assert_eq!(ChainKey::from_bytes(&plain).unwrap().tokenizer(), None);
    }
}
