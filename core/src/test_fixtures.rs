//! Test fixtures shared by the unit tests of the verification path: a tiny two-segment chain
//! (dense+ReLU, then dense; 8-bit activations, everything at one small k) with real keys and one
//! real proof of each segment, made once per test binary.

use crate::bundle::ProofBundle;
use crate::circuit::{TensorVisibility, Visibility};
use crate::ir::{Dense, ModelBuilder, Op};
use crate::prove::{CompileOptions, Compiled};
use crate::qgraph::QGraph;
use crate::quant::{quantize, Calibration, QuantOptions};
use crate::segment::prover::{compile_segments, prove_segments, SegmentKeys};
use crate::segment::Segment;
use crate::tensor::Tensor;
use crate::verifier_key::VerifierKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::Bn256;
use rand_chacha::rand_core::SeedableRng;
use std::sync::OnceLock;

pub(crate) struct TinyChain {
    /// The whole graph the chain cuts.
    pub graph: QGraph,
    pub segments: Vec<(Segment, Compiled)>,
    pub params: ParamsKZG<Bn256>,
    /// Each segment's verifier key file, and the key parsed.
    pub key_files: Vec<Vec<u8>>,
    pub keys: Vec<VerifierKey>,
    /// One proof of each segment, on the same input: a valid chain.
    pub bundles: Vec<ProofBundle>,
}

/// The chain's own visibility: a packed public input, a public output, fixed weights.
pub(crate) const TINY_VISIBILITY: Visibility = Visibility {
    weights: crate::circuit::WeightVisibility::Fixed,
    input: TensorVisibility::Packed,
    output: TensorVisibility::Public,
};

/// Parameters for `k` from `seed` (the development seed gives the development parameters).
pub(crate) fn params(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed))
}

fn tiny_graph() -> QGraph {
    let weights = |out: usize, inp: usize, salt: usize| {
        let values = (0..out * inp)
            .map(|i| (((i * 7 + salt) % 11) as f32 - 5.0) / 8.0)
            .collect();
        Tensor::new(vec![out, inp], values)
    };
    let mut b = ModelBuilder::new("tiny", "x", vec![1, 8]).unwrap();
    let dense = |w, n: usize| {
        Op::Dense(Dense {
            weight: w,
            bias: vec![0.125; n],
        })
    };
    let t = b
        .add("d1", dense(weights(6, 8, 1), 6), vec![0], "h", None)
        .unwrap();
    let t = b.add("relu", Op::Relu, vec![t], "r", None).unwrap();
    let t = b
        .add("d2", dense(weights(4, 6, 3), 4), vec![t], "y", None)
        .unwrap();
    let model = b.finish(t).unwrap();
    let samples: Vec<Vec<f32>> = (0..4)
        .map(|s| (0..8).map(|i| ((i + s) % 5) as f32 / 5.0).collect())
        .collect();
    let cal = Calibration::run(&model, &samples).unwrap();
    let opts = QuantOptions {
        act_bits: 8,
        ..Default::default()
    };
    quantize(&model, &cal, &opts).unwrap()
}

/// The tiny chain, built on first use.
pub(crate) fn tiny_chain() -> &'static TinyChain {
    static CHAIN: OnceLock<TinyChain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let graph = tiny_graph();
        let cut = crate::segment::cut_points(&graph)[0];
        let opts = CompileOptions {
            visibility: TINY_VISIBILITY,
            dot_width: Some(4),
            ..CompileOptions::default()
        };
        let segments = compile_segments(&graph, &[cut], &opts).unwrap();
        let k = segments[0].1.plan.k;
        let params = params(k, crate::srs::DEV_SEED);
        let material: Vec<_> = segments
            .iter()
            .map(|(_, c)| c.keygen(&params, "dev").unwrap())
            .collect();
        let key_files: Vec<Vec<u8>> = material.iter().map(|(_, f)| f.clone()).collect();
        let keys: Vec<VerifierKey> = key_files
            .iter()
            .map(|f| VerifierKey::from_bytes(f).unwrap())
            .collect();
        let proving: Vec<SegmentKeys<'_>> = material
            .iter()
            .zip(&keys)
            .map(|((pk, _), key)| SegmentKeys {
                params: &params,
                pk,
                key,
            })
            .collect();
        let x: Vec<f32> = (0..8).map(|i| i as f32 / 10.0).collect();
        let q_in = graph.quantize_input(&x).unwrap();
        let bundles = prove_segments(&graph, &segments, &proving, &q_in).unwrap();
        TinyChain {
            graph,
            segments,
            params,
            key_files,
            keys,
            bundles,
        }
    })
}
