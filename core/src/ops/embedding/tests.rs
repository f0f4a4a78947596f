use super::fold::fold_one_hot_embeddings;
use super::EmbeddingTable;
use crate::qgraph::StepKind;

#[test]
fn a_table_selects_rows_by_id_and_refuses_what_is_no_id() {
    let t = EmbeddingTable {
        first_id: 0,
        id_step: 4,
        width: 2,
        values: vec![1, 2, 3, 4, 5, 6],
    };
    assert_eq!(t.rows(), 3);
    assert_eq!(t.apply_all(&[8, 0, 4]), Ok(vec![5, 6, 1, 2, 3, 4]));
    // Between two ids, before the first, past the last.
    assert_eq!(t.apply_all(&[0, 6]), Err((1, 6)));
    assert_eq!(t.apply_all(&[-4]), Err((0, -4)));
    assert_eq!(t.apply_all(&[12]), Err((0, 12)));
    assert_eq!(t.channels(1, 2).unwrap().values, vec![2, 4, 6]);
    assert!(t.check(-8, 8).is_ok());
    assert!(t.check(-8, 7).unwrap_err().contains("ids"));
    let wide = EmbeddingTable {
        values: vec![1, 2, 3, 40, 5, 6],
        ..t.clone()
    };
    assert!(wide.check(-8, 8).unwrap_err().contains("value 40"));
}

/// An ONNX `Gather` of a `[rows, width]` table at 4 token ids, its values seeded, not round.
fn embedding_model(rows: usize, width: usize) -> crate::ir::Model {
    use crate::onnx::tests::{init, int, load, node};
    let table: Vec<f32> = (0..rows * width)
        .map(|i| ((i * 37 + 11) % 101) as f32 / 40.0 - 1.2)
        .collect();
    load(
        &[1, 4],
        vec![node("Gather", &["wte", "x"], "y", vec![int("axis", 0)])],
        vec![init("wte", &[rows as i64, width as i64], &table)],
    )
    .unwrap()
}

fn calibration(rows: usize) -> Vec<Vec<f32>> {
    (0..10)
        .map(|s| (0..4).map(|i| ((s * 3 + i) % rows) as f32).collect())
        .collect()
}

/// A 40-token vocabulary embedded in 7 features (three chunks a token at dot width 4),
/// compiled with fixed weights (the default options).
fn compiled_embedding() -> crate::prove::Compiled {
    let opts = crate::prove::CompileOptions {
        dot_width: Some(4),
        ..Default::default()
    };
    crate::prove::compile(&embedding_model(40, 7), &calibration(40), &opts).unwrap()
}

#[test]
fn with_fixed_weights_the_one_hot_composition_folds_into_one_lookup_step_with_equal_integers() {
    let compiled = compiled_embedding();
    let g = &compiled.graph;
    let kinds: Vec<_> = g
        .steps
        .iter()
        .map(|s| std::mem::discriminant(&s.kind))
        .collect();
    let tables: Vec<_> = g
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Embedding(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tables.len(), 1, "{kinds:?}");
    assert_eq!((tables[0].rows(), tables[0].width), (40, 7));
    // The unfolded graph (what hidden weights keep) gives the same integers for every id.
    let hidden = crate::prove::compile(
        &embedding_model(40, 7),
        &calibration(40),
        &crate::prove::CompileOptions {
            visibility: crate::circuit::Visibility {
                weights: crate::circuit::WeightVisibility::Hidden,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert!(hidden
        .graph
        .steps
        .iter()
        .all(|s| !matches!(s.kind, StepKind::Embedding(_))));
    let refolded = fold_one_hot_embeddings(hidden.graph.clone());
    assert_eq!(refolded.steps.len() + 1, hidden.graph.steps.len());
    assert_eq!(refolded.tensors.len() + 1, hidden.graph.tensors.len());
    for first in (0..40).step_by(4) {
        let ids: Vec<f32> = (first..first + 4).map(|i| i as f32).collect();
        let q = hidden.graph.quantize_input(&ids).unwrap();
        let whole = hidden.graph.evaluate(&q).unwrap();
        let folded = refolded.evaluate(&q).unwrap();
        assert_eq!(whole[hidden.graph.output], folded[refolded.output]);
    }
    // An input that is no token id is refused by name before proving.
    let q = refolded.quantize_input(&[0.0, 2.5, 1.0, 1.0]).unwrap();
    let e = refolded.evaluate(&q).unwrap_err().to_string();
    assert!(e.contains("no token id"), "{e}");
}

#[test]
fn a_proven_lookup_embedding_rejects_a_changed_value_a_changed_id_and_another_rows_values() {
    let compiled = compiled_embedding();
    assert!(compiled.plan.shape.embedding_lookups);
    assert!(compiled.plan.embedding_table_rows > 5);
    let g = &compiled.graph;
    let (input, values) = compiled.witness(&[0.0, 33.0, 39.0, 1.0]).unwrap();
    let prove =
        |values: Vec<Vec<i64>>| crate::test_fixtures::mock_compiled(&compiled, &input, values);
    prove(values.clone()).unwrap();
    let step = g
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::Embedding(_)))
        .unwrap();
    let StepKind::Embedding(table) = &step.kind else {
        unreachable!()
    };
    // The step's output with `change` applied, in it and in the reshapes of it after it (the
    // public output among them), so that only the lookup can object.
    let tampered = |change: &dyn Fn(&mut Vec<i64>)| {
        let mut v = values.clone();
        let original = values[step.output].clone();
        for t in v.iter_mut().filter(|t| **t == original) {
            change(t);
        }
        v
    };
    // One value of each chunk of token 1's row, changed by one.
    for c in [0, 4, 6] {
        let changed = tampered(&|t| t[7 + c] += 1);
        assert!(prove(changed).is_err(), "a changed embedding value at {c}");
    }
    // Token 1's first two chunks (3 values each at dot width 4) swapped: each is a real chunk of
    // its row, in the other's place.
    let swapped = tampered(&|t| {
        let row: Vec<i64> = t[7..13].to_vec();
        t[7..10].copy_from_slice(&row[3..6]);
        t[10..13].copy_from_slice(&row[0..3]);
    });
    assert_ne!(values[step.output][7..10], values[step.output][10..13]);
    assert!(prove(swapped).is_err(), "chunks in each other's place");
    // Token 2's whole row replaced by row 0's (a real row, for another id).
    let other = tampered(&|t| t[14..21].copy_from_slice(table.row(0)));
    assert!(prove(other).is_err(), "another id's row");
    // The rows' ids are copies of the input's: another id at the input (the instance and every
    // tensor before the lookup agreeing) with token 2's rows unchanged is rejected.
    let mut id_values = values.clone();
    let mut id_input = input.clone();
    id_input[2] = table.id_of(0);
    for (t, tensor) in g.tensors.iter().enumerate() {
        if tensor.len() == 4 && id_values[t][2] == input[2] {
            id_values[t][2] = table.id_of(0);
        }
    }
    assert!(
        crate::test_fixtures::mock_compiled(&compiled, &id_input, id_values).is_err(),
        "another id"
    );
}

#[test]
fn a_dot_width_of_one_keeps_the_composition_and_a_shape_cannot_claim_the_chip_without_room() {
    let opts = crate::prove::CompileOptions {
        dot_width: Some(1),
        ..Default::default()
    };
    let compiled = crate::prove::compile(&embedding_model(40, 7), &calibration(40), &opts).unwrap();
    assert!(compiled
        .graph
        .steps
        .iter()
        .all(|s| !matches!(s.kind, StepKind::Embedding(_))));
    // A folded graph forced to width 1 is refused by name, not planned.
    let folded = compiled_embedding().graph;
    let e = crate::prove::compile_quantized(folded, &opts)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("dot width of 2"), "{e}");
    // A key's shape claiming the chip at width 1, or with hidden weights, is refused.
    let shape = compiled_embedding().plan.shape;
    assert!(shape.validate(16).is_ok());
    let narrow = crate::circuit::CircuitShape {
        dot_width: 1,
        ..shape.clone()
    };
    assert!(narrow.validate(16).is_err());
    let hidden = crate::circuit::CircuitShape {
        visibility: crate::circuit::Visibility {
            weights: crate::circuit::WeightVisibility::Hidden,
            ..shape.visibility
        },
        ..shape
    };
    assert!(hidden.validate(16).is_err());
}

/// Token ids' range is the vocabulary's, known rather than sampled, so the ids and their
/// offsets take no headroom: a 100-token vocabulary fits 8-bit activations (±127), which a
/// headroom of 2 (±198) refused. Both the lookup (fixed weights) and the one-hot composition
/// (hidden weights) then pick every id's row, and the circuit accepts the witness.
#[test]
fn token_ids_take_no_headroom_so_a_vocabulary_fills_the_activation_domain() {
    use crate::circuit::{Visibility, WeightVisibility};
    for weights in [WeightVisibility::Fixed, WeightVisibility::Hidden] {
        let opts = crate::prove::CompileOptions {
            act_bits: Some(8),
            visibility: Visibility {
                weights,
                ..Default::default()
            },
            ..Default::default()
        };
        let model = embedding_model(100, 3);
        let compiled = crate::prove::compile(&model, &calibration(100), &opts).unwrap();
        let g = &compiled.graph;
        assert_eq!(g.tensors[g.input].frac_bits, 0, "{weights:?}");
        let ids = [0.0, 57.0, 98.0, 99.0];
        let (input, values) = compiled.witness(&ids).unwrap();
        let out = g.dequantize_output(&values[g.output]);
        let want = &model.eval_float(&ids).unwrap()[model.output].data;
        for (o, w) in out.iter().zip(want) {
            assert!(
                (o - *w as f64).abs() <= 1.0 / 64.0,
                "{weights:?}: {out:?} vs {want:?}"
            );
        }
        crate::test_fixtures::mock_compiled(&compiled, &input, values).unwrap();
    }
}

/// A model of token ids calibrated on random inputs gets random ids of its vocabulary, not
/// uniform floats (ids of 0 after rounding), and compiles on them; a model of pixels keeps
/// the float samples.
#[test]
fn random_calibration_of_a_token_model_draws_ids_of_its_vocabulary() {
    let model = embedding_model(40, 3);
    assert_eq!(crate::quant::token_vocabulary(&model), Some(40));
    let samples = crate::quant::synthetic_calibration_for(&model);
    assert_eq!(samples.len(), 16);
    let ids: Vec<f32> = samples.concat();
    assert!(ids
        .iter()
        .all(|&v| v.fract() == 0.0 && (0.0..40.0).contains(&v)));
    let distinct: std::collections::BTreeSet<i64> = ids.iter().map(|&v| v as i64).collect();
    assert!(distinct.len() > 20, "{distinct:?}");
    crate::prove::compile(&model, &samples, &Default::default()).unwrap();
    let pixels = crate::onnx::tests::load(
        &[1, 4],
        vec![crate::onnx::tests::node("Relu", &["x"], "y", vec![])],
        vec![],
    )
    .unwrap();
    assert_eq!(crate::quant::token_vocabulary(&pixels), None);
    assert_eq!(
        crate::quant::synthetic_calibration_for(&pixels),
        crate::quant::synthetic_calibration(4)
    );
}
