//! MockProver runs of an integer graph's public circuit on one input, for the tests of the
//! TFLite lowerings: the honest witness, and one value shifted with every later step
//! recomputed from it, so that only the tampered step's own constraints can tell.

use crate::qgraph::QGraph;
use std::sync::Arc;

pub(super) struct MockCheck {
    pub(super) q: Arc<QGraph>,
    pub(super) plan: crate::circuit::LayoutPlan,
    input: Vec<i64>,
}

impl MockCheck {
    /// The check of `q` on the centred `input`, and the evaluator's (honest) values.
    pub(super) fn of_graph(q: Arc<QGraph>, input: Vec<i64>) -> (Self, Vec<Vec<i64>>) {
        let plan = crate::circuit::plan_layout(&q, None, crate::circuit::Visibility::PUBLIC);
        let honest = q.evaluate(&input).unwrap();
        (MockCheck { q, plan, input }, honest)
    }

    pub(super) fn accepts(&self, values: &[Vec<i64>]) -> bool {
        let circuit = crate::circuit::ModelCircuit {
            shape: self.plan.shape.clone(),
            graph: self.q.clone(),
            values: Some(Arc::new(values.to_vec())),
            salt: Default::default(),
            input_salt: None,
            link_blinding: Default::default(),
        };
        let instance = circuit
            .instance(&self.input, &values[self.q.output])
            .unwrap();
        halo2_proofs::dev::MockProver::run(self.plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    }

    /// `honest` with element `index` of `tensor` one off towards zero (so in range) and every
    /// later step recomputed from it.
    pub(super) fn corrupted(
        &self,
        honest: &[Vec<i64>],
        tensor: usize,
        index: usize,
    ) -> Vec<Vec<i64>> {
        let delta = if honest[tensor][index] > 0 { -1 } else { 1 };
        self.shifted(honest, tensor, index, delta)
    }

    /// `honest` with `delta` added to element `index` of `tensor` and every later step
    /// recomputed from it.
    pub(super) fn shifted(
        &self,
        honest: &[Vec<i64>],
        tensor: usize,
        index: usize,
        delta: i64,
    ) -> Vec<Vec<i64>> {
        let mut values = honest.to_vec();
        values[tensor][index] += delta;
        let at = self
            .q
            .steps
            .iter()
            .position(|s| s.output == tensor)
            .unwrap();
        let mut terms = Vec::new();
        for s in &self.q.steps[at + 1..] {
            values[s.output] = self.q.evaluate_step(s, &values, &mut terms).unwrap();
        }
        values
    }
}
