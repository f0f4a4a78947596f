//! Test fixtures shared by the unit tests of the verification path: a tiny two-segment chain
//! (dense+ReLU, then dense; 8-bit activations, everything at one small k) with real keys and one
//! real proof of each segment, and a tiny residual chain cut inside its residual block (so its
//! link carries two tensors), each made once per test binary.

use crate::bundle::ProofBundle;
use crate::circuit::Visibility;
use crate::ir::{Dense, ModelBuilder, Op};
use crate::prove::{CompileOptions, Compiled};
use crate::qgraph::QGraph;
use crate::quant::{quantize, Calibration, QuantOptions};
use crate::segment::prover::{compile_segments, prove_segments_with, SegmentKeys};
use crate::segment::Segment;
use crate::tensor::Tensor;
use crate::verifier_key::VerifierKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::Bn256;
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
    /// The link blinding those proofs share.
    pub blinding: Vec<crate::circuit::LinkBlinding>,
}

/// The chain's own visibility: a packed public input, a public output, fixed weights.
pub(crate) const TINY_VISIBILITY: Visibility = Visibility::PUBLIC_PACKED_INPUT;

/// Parameters for `k` from `seed` (the development seed gives the development parameters):
/// halo2's `setup` point for point, made the fast way.
pub(crate) fn params(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    crate::srs::seeded_setup(k, seed)
}

fn weights(out: usize, inp: usize, salt: usize) -> Tensor {
    let values = (0..out * inp)
        .map(|i| (((i * 7 + salt) % 11) as f32 - 5.0) / 8.0)
        .collect();
    Tensor::new(vec![out, inp], values)
}

fn dense(weight: Tensor, n: usize) -> Op {
    Op::Dense(Dense {
        weight,
        bias: vec![0.125; n],
    })
}

/// Calibrates `model` on four fixed samples of 8 values and quantizes it to 8-bit activations.
fn quantize_tiny(model: &crate::ir::Model) -> QGraph {
    let samples: Vec<Vec<f32>> = (0..4)
        .map(|s| (0..8).map(|i| ((i + s) % 5) as f32 / 5.0).collect())
        .collect();
    let cal = Calibration::run(model, &samples).unwrap();
    let opts = QuantOptions {
        act_bits: 8,
        ..Default::default()
    };
    quantize(model, &cal, &opts).unwrap()
}

pub(crate) fn tiny_graph() -> QGraph {
    let mut b = ModelBuilder::new("tiny", "x", vec![1, 8]).unwrap();
    let t = b
        .add("d1", dense(weights(6, 8, 1), 6), vec![0], "h", None)
        .unwrap();
    let t = b.add("relu", Op::Relu, vec![t], "r", None).unwrap();
    let t = b
        .add("d2", dense(weights(4, 6, 3), 4), vec![t], "y", None)
        .unwrap();
    quantize_tiny(&b.finish(t).unwrap())
}

/// MockProver's verdict on `values` as the witness of `compiled` on the quantized input
/// `input`, with the public output taken from `values`.
pub(crate) fn mock_compiled(
    compiled: &Compiled,
    input: &[i64],
    values: Vec<Vec<i64>>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let out = values[compiled.graph.output].clone();
    let circuit = compiled.circuit(Some(values));
    let instance = circuit.instance(input, &out).unwrap();
    halo2_proofs::dev::MockProver::run(compiled.plan.k, &circuit, vec![instance])
        .unwrap()
        .verify()
}

/// x → dense to 256 + ReLU → dense to 4: the first step holds nearly all the weights (2,048),
/// so with hidden weights its commitment sets its segment's height.
pub(crate) fn wide_graph() -> QGraph {
    let mut b = ModelBuilder::new("tiny-wide", "x", vec![1, 8]).unwrap();
    let t = b
        .add("wide", dense(weights(256, 8, 1), 256), vec![0], "h", None)
        .unwrap();
    let t = b.add("relu", Op::Relu, vec![t], "r", None).unwrap();
    let t = b
        .add("head", dense(weights(4, 256, 3), 4), vec![t], "y", None)
        .unwrap();
    quantize_tiny(&b.finish(t).unwrap())
}

/// x → dense to 8 + ReLU → dense to 256 + ReLU → dense to 8 + ReLU → dense to 256 + ReLU →
/// dense to 4: three steps of 2,048 weights each, the first and the third of them alike, down
/// to what they read and make across a cut (a step before them, so that neither reads the
/// model's input).
pub(crate) fn twin_wide_graph() -> QGraph {
    let mut b = ModelBuilder::new("tiny-twin-wide", "x", vec![1, 8]).unwrap();
    let mut t = 0;
    let layers = [(8, 8), (256, 8), (8, 256), (256, 8)];
    for (i, (n_out, n_in)) in layers.into_iter().enumerate() {
        let name = format!("wide{i}");
        let h = b
            .add(
                &name,
                dense(weights(n_out, n_in, 1), n_out),
                vec![t],
                format!("h{i}"),
                None,
            )
            .unwrap();
        t = b
            .add(format!("relu{i}"), Op::Relu, vec![h], format!("r{i}"), None)
            .unwrap();
    }
    let t = b
        .add("head", dense(weights(4, 256, 3), 4), vec![t], "y", None)
        .unwrap();
    quantize_tiny(&b.finish(t).unwrap())
}

/// x → dense+ReLU → dense → + x → dense: after the first step both x (the skip operand) and the
/// ReLU's output are live.
fn residual_graph() -> QGraph {
    let mut b = ModelBuilder::new("tiny-residual", "x", vec![1, 8]).unwrap();
    let h = b
        .add("d1", dense(weights(8, 8, 1), 8), vec![0], "h", None)
        .unwrap();
    let r = b.add("relu", Op::Relu, vec![h], "r", None).unwrap();
    let y = b
        .add("d2", dense(weights(8, 8, 2), 8), vec![r], "y", None)
        .unwrap();
    let z = b
        .add(
            "add",
            Op::Add(crate::ir::AddOperand::Tensor),
            vec![y, 0],
            "z",
            None,
        )
        .unwrap();
    let t = b
        .add("d3", dense(weights(4, 8, 3), 4), vec![z], "out", None)
        .unwrap();
    quantize_tiny(&b.finish(t).unwrap())
}

/// The input every fixture chain is proven on.
pub(crate) fn tiny_input() -> Vec<f32> {
    (0..8).map(|i| i as f32 / 10.0).collect()
}

/// The tiny chain, built on first use.
pub(crate) fn tiny_chain() -> &'static TinyChain {
    static CHAIN: OnceLock<TinyChain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let graph = tiny_graph();
        let cut = crate::segment::cut_points(&graph)[0];
        build_chain(graph, cut)
    })
}

/// The residual chain, cut after its first step (inside the residual block), built on first use.
pub(crate) fn residual_chain() -> &'static TinyChain {
    static CHAIN: OnceLock<TinyChain> = OnceLock::new();
    CHAIN.get_or_init(|| build_chain(residual_graph(), 0))
}

/// The tiny chain with every segment's weights hidden behind its own commitment.
pub(crate) fn tiny_hidden_chain() -> &'static TinyChain {
    static CHAIN: OnceLock<TinyChain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let graph = tiny_graph();
        let cut = crate::segment::cut_points(&graph)[0];
        build_chain_with(graph, cut, TINY_HIDDEN_VISIBILITY)
    })
}

pub(crate) const TINY_HIDDEN_VISIBILITY: Visibility = Visibility {
    weights: crate::circuit::WeightVisibility::Hidden,
    ..TINY_VISIBILITY
};

/// `graph` cut after step `cut`, compiled, keyed under the development parameters and proven on
/// [`tiny_input`].
fn build_chain(graph: QGraph, cut: usize) -> TinyChain {
    build_chain_with(graph, cut, TINY_VISIBILITY)
}

fn build_chain_with(graph: QGraph, cut: usize, visibility: Visibility) -> TinyChain {
    build_chain_at(graph, &[cut], visibility)
}

/// `graph` cut after each of `cuts`, compiled at dot width 4, keyed under the development
/// parameters and proven on [`tiny_input`].
pub(crate) fn build_chain_at(graph: QGraph, cuts: &[usize], visibility: Visibility) -> TinyChain {
    let opts = CompileOptions {
        visibility,
        dot_width: Some(4),
        ..CompileOptions::default()
    };
    let segments = compile_segments(&graph, cuts, &opts).unwrap();
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
    let q_in = graph.quantize_input(&tiny_input()).unwrap();
    let blinding = crate::circuit::LinkBlinding::for_chain(segments.len(), &mut rand::rngs::OsRng);
    let bundles = prove_segments_with(&graph, &segments, &proving, &q_in, None, &blinding).unwrap();
    TinyChain {
        graph,
        segments,
        params,
        key_files,
        keys,
        bundles,
        blinding,
    }
}
