//! Our integer evaluator against the TFLite interpreter, operator by operator and for each kind
//! of quantization: uint8 (per-tensor weights), int8 with per-tensor weights, and int8 with
//! per-channel weights. Each model is written by [`super::writer`] and run by TFLite 2.14's
//! builtin kernels (`scripts/tflite_reference.py`, as the MobileNet fidelity test runs it) on
//! seeded random inputs plus the two extremes of the stored range; every value must agree.
//! Scales are powers of two on some channels, so requantization multipliers are exact powers of
//! two there and rounding ties are common: ties are where TFLite's kernels round differently.
//!
//! Each case also reports how many values the previous rounding (gemmlowp's for every GEMM, half
//! up for every average pool) got wrong, which shows that the case reaches the ties.
//!
//! Without `ZKINFER_TFLITE_PYTHON` the tests skip; `ZKINFER_REQUIRE_TFLITE_REFERENCE=1` (set by
//! `.ci/run`) turns the skip into a failure.

use super::writer::flatbuffer;
use super::*;
use crate::qgraph::{QGraph, Rounding, StepKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// Random inputs per one-operator model (plus the all-minimum and all-maximum inputs).
const RANDOM_INPUTS: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    U8,
    I8PerTensor,
    I8PerChannel,
}

impl Kind {
    pub(super) fn label(self) -> &'static str {
        match self {
            Kind::U8 => "uint8",
            Kind::I8PerTensor => "int8 per-tensor",
            Kind::I8PerChannel => "int8 per-channel",
        }
    }

    fn activations(self) -> TfType {
        match self {
            Kind::U8 => TfType::U8,
            Kind::I8PerTensor | Kind::I8PerChannel => TfType::I8,
        }
    }

    /// A zero point off the middle of the stored range: `centre` moved into this kind's range.
    fn zp(self, centre: i64) -> i64 {
        match self {
            Kind::U8 => centre + 128,
            Kind::I8PerTensor | Kind::I8PerChannel => centre,
        }
    }
}

const GEMM_KINDS: [Kind; 3] = [Kind::U8, Kind::I8PerTensor, Kind::I8PerChannel];
/// Operators without weights: int8 per-tensor stands for int8.
const ACTIVATION_KINDS: [Kind; 2] = [Kind::U8, Kind::I8PerTensor];

/// A graph under construction, with its tensors' random contents drawn from one seed.
pub(super) struct Builder {
    kind: Kind,
    tensors: Vec<TfTensor>,
    ops: Vec<TfOp>,
    rng: ChaCha8Rng,
}

impl Builder {
    pub(super) fn new(kind: Kind, seed: u64) -> Self {
        Builder {
            kind,
            tensors: vec![],
            ops: vec![],
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn push(&mut self, t: TfTensor) -> usize {
        self.tensors.push(t);
        self.tensors.len() - 1
    }

    /// An activation tensor (NHWC) of this builder's type; `zp` is given for int8 and moved by
    /// 128 for uint8.
    pub(super) fn act(&mut self, name: &str, shape: &[usize], scale: f32, zp: i64) -> usize {
        let t = TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: self.kind.activations(),
            quant: Some(TfQuant {
                scales: vec![scale],
                zero_points: vec![self.kind.zp(zp)],
                dim: 0,
            }),
            data: None,
        };
        self.push(t)
    }

    /// A float activation tensor (inside a float island of an integer model).
    pub(super) fn float_act(&mut self, name: &str, shape: &[usize]) -> usize {
        self.push(TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: TfType::F32,
            quant: None,
            data: None,
        })
    }

    /// A constant float tensor.
    pub(super) fn float_constant(&mut self, name: &str, shape: &[usize], values: &[f32]) -> usize {
        self.push(TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: TfType::F32,
            quant: None,
            data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        })
    }

    /// A constant int8 tensor of stored `values`, quantized per tensor.
    pub(super) fn int8_constant(
        &mut self,
        name: &str,
        shape: &[usize],
        (scale, zp): (f32, i64),
        values: &[i64],
    ) -> usize {
        self.constant(name, shape, TfType::I8, (scale, zp), values)
    }

    /// A constant of this builder's activation type quantized per tensor: `zp` and the stored
    /// `values` are given for int8 and moved by 128 for uint8, as [`Builder::act`]'s are.
    pub(super) fn act_constant(
        &mut self,
        name: &str,
        shape: &[usize],
        (scale, zp): (f32, i64),
        values: &[i64],
    ) -> usize {
        let stored: Vec<i64> = values.iter().map(|&v| self.kind.zp(v)).collect();
        let (dtype, zp) = (self.kind.activations(), self.kind.zp(zp));
        self.constant(name, shape, dtype, (scale, zp), &stored)
    }

    /// A constant of `dtype` holding the stored `values`, quantized per tensor.
    fn constant(
        &mut self,
        name: &str,
        shape: &[usize],
        dtype: TfType,
        (scale, zp): (f32, i64),
        values: &[i64],
    ) -> usize {
        self.push(TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype,
            quant: Some(TfQuant {
                scales: vec![scale],
                zero_points: vec![zp],
                dim: 0,
            }),
            data: Some(stored_bytes(values, dtype)),
        })
    }

    pub(super) fn ints(&mut self, name: &str, shape: &[usize], values: &[i32]) -> usize {
        let t = TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: TfType::I32,
            quant: None,
            data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        };
        self.push(t)
    }

    /// Random weights with channels along `dim`; `scale` (a power of two, for exact
    /// multipliers) is every channel's for per-tensor kinds and channel 0's for per-channel,
    /// whose other channels get scales around it. Returns the tensor and its scales.
    fn weights(
        &mut self,
        name: &str,
        shape: &[usize],
        dim: usize,
        scale: f32,
    ) -> (usize, Vec<f32>) {
        let n: usize = shape.iter().product();
        let channels = shape[dim];
        let (dtype, data, scales, zero_points): (_, Vec<u8>, Vec<f32>, Vec<i64>) = match self.kind {
            Kind::U8 => {
                let zp = self.rng.gen_range(100..=150);
                let data = (0..n).map(|_| self.rng.gen_range(0..=255u8)).collect();
                (TfType::U8, data, vec![scale], vec![zp])
            }
            Kind::I8PerTensor => {
                let data = (0..n)
                    .map(|_| self.rng.gen_range(-127..=127i8) as u8)
                    .collect();
                (TfType::I8, data, vec![scale], vec![0])
            }
            Kind::I8PerChannel => {
                let data = (0..n)
                    .map(|_| self.rng.gen_range(-127..=127i8) as u8)
                    .collect();
                let scales = (0..channels)
                    .map(|c| match c {
                        0 => scale,
                        _ => scale * self.rng.gen_range(0.3f32..1.9),
                    })
                    .collect();
                (TfType::I8, data, scales, vec![0; channels])
            }
        };
        let t = TfTensor {
            name: name.into(),
            shape: shape.to_vec(),
            dtype,
            quant: Some(TfQuant {
                scales: scales.clone(),
                zero_points,
                dim,
            }),
            data: Some(data),
        };
        (self.push(t), scales)
    }

    /// A random int32 bias quantized, as TFLite requires, at input scale times weight scale.
    fn bias(
        &mut self,
        name: &str,
        channels: usize,
        input_scale: f32,
        weight_scales: &[f32],
    ) -> usize {
        let values: Vec<i32> = (0..channels)
            .map(|_| self.rng.gen_range(-3000..=3000))
            .collect();
        let scales: Vec<f32> = weight_scales.iter().map(|s| input_scale * s).collect();
        let t = TfTensor {
            name: name.into(),
            shape: vec![channels],
            dtype: TfType::I32,
            quant: Some(TfQuant {
                zero_points: vec![0; scales.len()],
                scales,
                dim: 0,
            }),
            data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        };
        self.push(t)
    }

    pub(super) fn op(&mut self, kind: TfOpKind, inputs: &[usize], output: usize) {
        self.ops.push(TfOp {
            kind,
            inputs: inputs.iter().map(|&i| Some(i)).collect(),
            outputs: vec![output],
        });
    }

    /// A CONV_2D (or DEPTHWISE_CONV_2D when `depthwise`) of `x` with random weights and bias.
    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        name: &str,
        x: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: Padding,
        depthwise: bool,
        act: FusedActivation,
        out_scale: f32,
        out_zp: i64,
    ) -> usize {
        let xt = &self.tensors[x];
        let (h, w, cin) = (xt.shape[1], xt.shape[2], xt.shape[3]);
        let in_scale = xt.quant.as_ref().expect("quantized").scales[0];
        let out_hw = |n: usize| match padding {
            Padding::Same => n.div_ceil(stride),
            Padding::Valid => (n - kernel) / stride + 1,
        };
        let (shape, dim) = if depthwise {
            (vec![1, kernel, kernel, out_channels], 3)
        } else {
            (vec![out_channels, kernel, kernel, cin], 0)
        };
        let (filter, scales) = self.weights(&format!("{name}/weights"), &shape, dim, 1.0 / 64.0);
        let bias = self.bias(&format!("{name}/bias"), out_channels, in_scale, &scales);
        let y = self.act(
            name,
            &[1, out_hw(h), out_hw(w), out_channels],
            out_scale,
            out_zp,
        );
        let kind = if depthwise {
            TfOpKind::DepthwiseConv2d {
                padding,
                stride: [stride; 2],
                dilation: [1, 1],
                depth_multiplier: out_channels / cin,
                act,
            }
        } else {
            TfOpKind::Conv2d {
                padding,
                stride: [stride; 2],
                dilation: [1, 1],
                act,
            }
        };
        self.op(kind, &[x, filter, bias], y);
        y
    }

    pub(super) fn fully_connected(
        &mut self,
        name: &str,
        x: usize,
        n_out: usize,
        out_scale: f32,
        out_zp: i64,
    ) -> usize {
        let n_in = self.tensors[x].len();
        self.fully_connected_rows(name, x, n_in, n_out, out_scale, out_zp)
    }

    /// FULLY_CONNECTED over the input's rows of `n_in` values (a sequence's tokens): the output
    /// is declared `[1, rows, n_out]`, as Keras's `keep_num_dims` keeps it (the interpreter
    /// writes the same values in the same order either way).
    fn fully_connected_rows(
        &mut self,
        name: &str,
        x: usize,
        n_in: usize,
        n_out: usize,
        out_scale: f32,
        out_zp: i64,
    ) -> usize {
        let xt = &self.tensors[x];
        let rows = xt.len() / n_in;
        let in_scale = xt.quant.as_ref().expect("quantized").scales[0];
        let (filter, scales) =
            self.weights(&format!("{name}/weights"), &[n_out, n_in], 0, 1.0 / 64.0);
        let bias = self.bias(&format!("{name}/bias"), n_out, in_scale, &scales);
        let shape = if rows == 1 {
            vec![1, n_out]
        } else {
            vec![1, rows, n_out]
        };
        let y = self.act(name, &shape, out_scale, out_zp);
        let act = FusedActivation::None;
        self.op(TfOpKind::FullyConnected { act }, &[x, filter, bias], y);
        y
    }

    fn pool(
        &mut self,
        x: usize,
        average: bool,
        filter: usize,
        stride: usize,
        padding: Padding,
    ) -> usize {
        let xt = self.tensors[x].clone();
        let (h, w, c) = (xt.shape[1], xt.shape[2], xt.shape[3]);
        let out_hw = |n: usize| match padding {
            Padding::Same => n.div_ceil(stride),
            Padding::Valid => (n - filter) / stride + 1,
        };
        let q = xt.quant.expect("quantized");
        let y = self.push(TfTensor {
            name: "pool".into(),
            shape: vec![1, out_hw(h), out_hw(w), c],
            dtype: xt.dtype,
            quant: Some(q),
            data: None,
        });
        let (filter, stride) = ([filter; 2], [stride; 2]);
        let act = FusedActivation::None;
        self.op(
            TfOpKind::pool(average, padding, stride, filter, act),
            &[x],
            y,
        );
        y
    }

    pub(super) fn graph(self, name: &str, output: usize) -> TfGraph {
        TfGraph {
            name: name.into(),
            tensors: self.tensors,
            ops: self.ops,
            input: 0,
            output,
        }
    }
}

/// One model and the stored inputs it runs on.
pub(super) struct Case {
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) graph: TfGraph,
    pub(super) inputs: Vec<Vec<i64>>,
}

impl Case {
    /// Random stored inputs for `graph`, preceded by the all-minimum and all-maximum ones.
    pub(super) fn new(name: &str, kind: Kind, graph: TfGraph, seed: u64) -> Self {
        let input = &graph.tensors[graph.input];
        let (lo, hi) = input.dtype.q_range().expect("quantized input");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut inputs = vec![vec![lo; input.len()], vec![hi; input.len()]];
        for _ in 0..RANDOM_INPUTS {
            inputs.push((0..input.len()).map(|_| rng.gen_range(lo..=hi)).collect());
        }
        Case {
            name: name.into(),
            kind,
            graph,
            inputs,
        }
    }
}

/// The Python with `tflite-runtime`, or None to skip (a failure when CI requires it).
pub(super) fn reference_python() -> Option<String> {
    match std::env::var("ZKINFER_TFLITE_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("ZKINFER_REQUIRE_TFLITE_REFERENCE").is_err(),
                "ZKINFER_REQUIRE_TFLITE_REFERENCE is set but ZKINFER_TFLITE_PYTHON is not"
            );
            eprintln!("SKIP: set ZKINFER_TFLITE_PYTHON to a Python with tflite-runtime");
            None
        }
    }
}

fn stored_bytes(values: &[i64], dtype: TfType) -> Vec<u8> {
    values
        .iter()
        .map(|&v| match dtype {
            TfType::I8 => i8::try_from(v).expect("an int8 value") as u8,
            _ => u8::try_from(v).expect("a uint8 value"),
        })
        .collect()
}

/// The interpreter's outputs (stored values, NHWC) for every case's inputs, from one run of the
/// reference script.
fn interpreter_outputs(python: &str, tag: &str, cases: &[Case]) -> Vec<Vec<Vec<i64>>> {
    interpreter_outputs_with(python, tag, cases, "BUILTIN_WITHOUT_DEFAULT_DELEGATES")
}

/// [`interpreter_outputs`] from the interpreter's `resolver` kernels (an `OpResolverType`).
pub(super) fn interpreter_outputs_with(
    python: &str,
    tag: &str,
    cases: &[Case],
    resolver: &str,
) -> Vec<Vec<Vec<i64>>> {
    let dir =
        std::env::temp_dir().join(format!("zkinfer-interpreter-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |i: usize, what: &str| dir.join(format!("{i}.{what}"));
    let mut args: Vec<PathBuf> = vec![];
    for (i, case) in cases.iter().enumerate() {
        std::fs::write(file(i, "tflite"), flatbuffer(&case.graph)).unwrap();
        let dtype = case.graph.tensors[case.graph.input].dtype;
        let inputs: Vec<u8> = case
            .inputs
            .iter()
            .flat_map(|v| stored_bytes(v, dtype))
            .collect();
        std::fs::write(file(i, "in"), inputs).unwrap();
        args.extend([
            file(i, "tflite"),
            file(i, "in"),
            case.inputs.len().to_string().into(),
            file(i, "out"),
        ]);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/tflite_reference.py");
    let status = std::process::Command::new(python)
        .env("ZKINFER_TFLITE_RESOLVER", resolver)
        .arg(script)
        .args(&args)
        .status()
        .unwrap();
    assert!(status.success(), "the TFLite reference run failed");
    let outputs = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let out = &case.graph.tensors[case.graph.output];
            let bytes = std::fs::read(file(i, "out")).unwrap();
            assert_eq!(bytes.len(), case.inputs.len() * out.len(), "{}", case.name);
            let value = |b: u8| match out.dtype {
                TfType::I8 => b as i8 as i64,
                _ => b as i64,
            };
            bytes
                .chunks(out.len())
                .map(|c| c.iter().map(|&b| value(b)).collect())
                .collect()
        })
        .collect();
    std::fs::remove_dir_all(&dir).ok();
    outputs
}

/// NHWC to our NCHW order (other ranks are the same in both).
pub(super) fn nchw_order<T: Copy + Default>(v: &[T], nhwc: &[usize]) -> Vec<T> {
    reordered(v, nhwc, true)
}

/// Our NCHW order back to NHWC.
pub(super) fn nhwc_order<T: Copy + Default>(v: &[T], nhwc: &[usize]) -> Vec<T> {
    reordered(v, nhwc, false)
}

fn reordered<T: Copy + Default>(v: &[T], nhwc: &[usize], to_nchw: bool) -> Vec<T> {
    let [_, h, w, c] = nhwc[..] else {
        return v.to_vec();
    };
    let mut out = vec![T::default(); v.len()];
    for y in 0..h {
        for x in 0..w {
            for k in 0..c {
                let (n_hwc, n_chw) = ((y * w + x) * c + k, (k * h + y) * w + x);
                if to_nchw {
                    out[n_chw] = v[n_hwc];
                } else {
                    out[n_hwc] = v[n_chw];
                }
            }
        }
    }
    out
}

pub(super) fn quantized(g: &TfGraph) -> QGraph {
    match lower(g).unwrap_or_else(|e| panic!("{}: {e}", g.name)) {
        Loaded::Quantized(q) => q,
        Loaded::Float(_) => panic!("{}: a quantized model lowered as float", g.name),
    }
}

/// `q` with the rounding zkinfer used before it followed TFLite's int8 kernels: gemmlowp's for
/// every requantization, half up for every average pool.
fn with_previous_rounding(q: &QGraph) -> QGraph {
    let mut q = q.clone();
    for s in &mut q.steps {
        if let StepKind::Linear(lin) = &mut s.kind {
            match &mut lin.rescale.rounding {
                Rounding::FixedPoint(fp) => fp.ties_up = false,
                Rounding::HalfAwayFromZero { divisors, .. } => {
                    lin.rescale.rounding = Rounding::HalfUp {
                        divisors: std::mem::take(divisors),
                    }
                }
                Rounding::HalfUp { .. } => {}
            }
        }
        if let StepKind::MatMul(crate::ops::matmul::MatProduct {
            requant: Some(r), ..
        }) = &mut s.kind
        {
            r.ties_up = false;
        }
    }
    q
}

/// Our stored outputs (NHWC) for a stored input (NHWC), or the evaluator's error.
pub(super) fn evaluate(q: &QGraph, g: &TfGraph, stored: &[i64]) -> Vec<i64> {
    let zp_in = q.input_tensor().affine.expect("affine input").zero_point;
    let zp_out = q.output_tensor().affine.expect("affine output").zero_point;
    let input_shape = &g.tensors[g.input].shape;
    let centred: Vec<i64> = nchw_order(stored, input_shape)
        .iter()
        .map(|v| v - zp_in)
        .collect();
    let values = q
        .evaluate(&centred)
        .unwrap_or_else(|e| panic!("{}: {e}", g.name));
    let out: Vec<i64> = values[q.output].iter().map(|v| v + zp_out).collect();
    nhwc_order(&out, &g.tensors[g.output].shape)
}

/// (values compared, differing now, differing under the previous rounding) for one case.
pub(super) fn compare(case: &Case, reference: &[Vec<i64>]) -> (usize, usize, usize) {
    let ours = quantized(&case.graph);
    let before = with_previous_rounding(&ours);
    let (mut compared, mut differing, mut differing_before) = (0, 0, 0);
    for (input, want) in case.inputs.iter().zip(reference) {
        let count = |got: Vec<i64>| got.iter().zip(want).filter(|(a, b)| a != b).count();
        compared += want.len();
        differing += count(evaluate(&ours, &case.graph, input));
        differing_before += count(evaluate(&before, &case.graph, input));
    }
    (compared, differing, differing_before)
}

fn one_operator_cases() -> Vec<Case> {
    let mut cases = vec![];
    let mut seed = 0;
    let mut add = |name: &str, kind: Kind, graph: TfGraph| {
        seed += 1;
        cases.push(Case::new(name, kind, graph, seed));
    };
    let none = FusedActivation::None;
    for kind in GEMM_KINDS {
        // 2^-4 input and 2^-6 weight scales over a 2^-2 output: multiplier 2^-8.
        let mut b = Builder::new(kind, 1);
        let x = b.act("input", &[1, 5, 5, 3], 1.0 / 16.0, -5);
        let y = b.conv("conv", x, 4, 3, 2, Padding::Same, false, none, 0.25, 3);
        add("CONV_2D 3x3/2 SAME", kind, b.graph("conv", y));

        let mut b = Builder::new(kind, 2);
        let x = b.act("input", &[1, 4, 4, 5], 1.0 / 16.0, 7);
        let relu = FusedActivation::Relu;
        let y = b.conv("conv", x, 6, 1, 1, Padding::Valid, false, relu, 0.125, -20);
        add("CONV_2D 1x1 + RELU", kind, b.graph("conv", y));

        let mut b = Builder::new(kind, 3);
        let x = b.act("input", &[1, 5, 5, 4], 1.0 / 16.0, -2);
        let y = b.conv("dw", x, 4, 3, 1, Padding::Same, true, none, 1.0 / 16.0, 1);
        add("DEPTHWISE_CONV_2D 3x3 SAME", kind, b.graph("dw", y));

        let mut b = Builder::new(kind, 4);
        // FULLY_CONNECTED flattens its 4-D input in NHWC order.
        let x = b.act("input", &[1, 2, 2, 4], 1.0 / 16.0, 9);
        let y = b.fully_connected("fc", x, 6, 0.125, -4);
        add("FULLY_CONNECTED", kind, b.graph("fc", y));

        // Over the 4 tokens of a sequence, as a transformer's projections.
        let mut b = Builder::new(kind, 13);
        let x = b.act("input", &[1, 4, 6], 1.0 / 16.0, 9);
        let y = b.fully_connected_rows("fc", x, 6, 5, 0.125, -4);
        add("FULLY_CONNECTED over 4 rows", kind, b.graph("fc_rows", y));

        // A residual ADD of two scales (ratio 2) into a third.
        let mut b = Builder::new(kind, 5);
        let x = b.act("input", &[1, 3, 3, 4], 0.25, -6);
        let y = b.conv("dw", x, 4, 1, 1, Padding::Valid, true, none, 0.125, 2);
        let sum = b.act("add", &[1, 3, 3, 4], 0.5, -1);
        b.op(TfOpKind::Add { act: none }, &[x, y], sum);
        add("DEPTHWISE 1x1 + ADD", kind, b.graph("add", sum));

        // TFLite pads int8 with the zero point, as our centred folding assumes.
        let mut b = Builder::new(kind, 6);
        let x = b.act("input", &[1, 3, 3, 2], 1.0 / 16.0, -3);
        let paddings = b.ints("paddings", &[4, 2], &[0, 0, 1, 1, 1, 1, 0, 0]);
        let padded = b.act("pad", &[1, 5, 5, 2], 1.0 / 16.0, -3);
        b.op(TfOpKind::Pad, &[x, paddings], padded);
        let y = b.conv(
            "conv",
            padded,
            3,
            3,
            1,
            Padding::Valid,
            false,
            none,
            0.25,
            0,
        );
        add("PAD + CONV_2D 3x3 VALID", kind, b.graph("pad_conv", y));
    }
    for kind in ACTIVATION_KINDS {
        // zero point -128 is what int8 ReLU outputs have: raw sums are then mostly negative.
        for (what, filter, stride, padding, side, zp) in [
            ("AVERAGE_POOL_2D 2x2/2", 2, 2, Padding::Valid, 4, -128),
            ("AVERAGE_POOL_2D 3x3/2 SAME", 3, 2, Padding::Same, 5, -3),
            ("AVERAGE_POOL_2D global 4x4", 4, 1, Padding::Valid, 4, 0),
        ] {
            let mut b = Builder::new(kind, 7);
            let x = b.act("input", &[1, side, side, 3], 0.1, zp);
            let y = b.pool(x, true, filter, stride, padding);
            add(what, kind, b.graph("avgpool", y));
        }
        let mut b = Builder::new(kind, 8);
        let x = b.act("input", &[1, 4, 4, 3], 0.1, -40);
        let y = b.pool(x, false, 2, 2, Padding::Valid);
        add("MAX_POOL_2D 2x2/2", kind, b.graph("maxpool", y));

        // The shifted zero point 3·0.5/0.8 = 1.875 (uint8: 131·0.5/0.8 = 81.875) is rounded,
        // not truncated.
        let mut b = Builder::new(kind, 9);
        let x = b.act("input", &[1, 3, 4, 3], 0.5, 3);
        let axes = b.ints("axes", &[2], &[1, 2]);
        let y = b.act("mean", &[1, 1, 1, 3], 0.8, -7);
        b.op(TfOpKind::Mean { keep_dims: true }, &[x, axes], y);
        add("MEAN over H, W", kind, b.graph("mean", y));
    }
    cases
}

#[test]
fn every_operator_matches_the_tflite_interpreter_for_uint8_and_int8() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases = one_operator_cases();
    let reference = interpreter_outputs(&python, "ops", &cases);
    let counts = cases
        .iter()
        .zip(&reference)
        .map(|(case, reference)| compare(case, reference));
    assert_none_differ(
        "operator | quantization | values compared | differing | differing with the previous rounding",
        &cases,
        counts,
    );
}

/// Prints the table of `counts` (values compared, differing, a third count) per case under
/// `header`, and fails naming the cases with values differing.
pub(super) fn assert_none_differ(
    header: &str,
    cases: &[Case],
    counts: impl Iterator<Item = (usize, usize, usize)>,
) {
    let mut table = format!("| {header} |\n|---|---|---|---|---|\n");
    let mut wrong = vec![];
    for (case, (compared, differing, third)) in cases.iter().zip(counts) {
        let label = case.kind.label();
        table += &format!(
            "| {} | {label} | {compared} | {differing} | {third} |\n",
            case.name
        );
        if differing > 0 {
            wrong.push(format!("{} ({label})", case.name));
        }
    }
    eprintln!("{table}");
    assert!(wrong.is_empty(), "differ: {wrong:?}\n{table}");
}

/// A small int8 per-channel ResNet-style network, as TensorFlow's post-training quantization
/// writes one: CONV_2D + RELU, CONV_2D, residual ADD + RELU (zero point −128), global
/// AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX; int8 input with zero point 0.
fn int8_resnet() -> TfGraph {
    let mut b = Builder::new(Kind::I8PerChannel, 11);
    let relu = FusedActivation::Relu;
    let x = b.act("input", &[1, 8, 8, 3], 1.0 / 64.0, 0);
    let a = b.conv("conv1", x, 8, 3, 1, Padding::Same, false, relu, 0.125, -128);
    let none = FusedActivation::None;
    let c = b.conv("conv2", a, 8, 3, 1, Padding::Same, false, none, 1.0, 0);
    let sum = b.act("add", &[1, 8, 8, 8], 1.0, -128);
    b.op(TfOpKind::Add { act: relu }, &[a, c], sum);
    let pooled = b.pool(sum, true, 8, 1, Padding::Valid);
    let shape = b.ints("shape", &[2], &[1, 8]);
    let flat = b.act("flat", &[1, 8], 1.0, -128);
    b.op(TfOpKind::Reshape, &[pooled, shape], flat);
    let logits = b.fully_connected("logits", flat, 10, 4.0, 0);
    let probs = b.act("probs", &[1, 10], 1.0 / 256.0, -128);
    b.op(
        TfOpKind::Softmax {
            beta: crate::ops::unary::Param::new(1.0),
        },
        &[logits],
        probs,
    );
    b.graph("int8_resnet", probs)
}

/// Real image content for the 8×8×3 int8 input: three 8×8 crops of a held-out MNIST digit
/// (pixel − 128), one per channel.
fn digit_inputs(count: usize) -> Vec<Vec<i64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mnist/heldout.bin");
    let digits = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (0..count)
        .map(|i| {
            let digit = &digits[i * 784..(i + 1) * 784];
            let mut v = vec![0; 8 * 8 * 3];
            for y in 0..8 {
                for x in 0..8 {
                    for c in 0..3 {
                        let pixel = digit[(10 + y) * 28 + 6 + 4 * c + x] as i64;
                        v[(y * 8 + x) * 3 + c] = pixel - 128;
                    }
                }
            }
            v
        })
        .collect()
}

#[test]
fn an_int8_resnet_matches_the_interpreter_and_its_circuit_proves_those_values() {
    use crate::circuit::{plan_layout, Visibility};
    use halo2_proofs::dev::MockProver;
    use std::sync::Arc;

    let Some(python) = reference_python() else {
        return;
    };
    let graph = int8_resnet();
    let mut case = Case::new("int8 ResNet block", Kind::I8PerChannel, graph, 12);
    case.inputs.extend(digit_inputs(40));
    let reference = interpreter_outputs(&python, "resnet", std::slice::from_ref(&case));
    let (compared, differing, before) = compare(&case, &reference[0]);
    eprintln!(
        "int8 ResNet block: {compared} logits on {} inputs ({} random, 40 digits), {differing} \
         differ from the interpreter ({before} with the previous rounding)",
        case.inputs.len(),
        case.inputs.len() - 40
    );
    assert_eq!(differing, 0, "logits differ from the interpreter");
    assert!(
        before > 0,
        "the inputs reach no tie where the roundings differ"
    );

    // The circuit proves the interpreter's values, and neither previous rounding: for each, the
    // first input where it changes any value gives a witness (and public output) that must be
    // rejected.
    let q = Arc::new(quantized(&case.graph));
    let plan = plan_layout(&q, None, Visibility::PUBLIC);
    assert!(plan.shape.ties_up && plan.shape.raw_ties);
    let input_shape = &case.graph.tensors[case.graph.input].shape;
    let zp_in = q.input_tensor().affine.expect("affine").zero_point;
    let centred = |stored: &[i64]| -> Vec<i64> {
        nchw_order(stored, input_shape)
            .iter()
            .map(|v| v - zp_in)
            .collect()
    };
    let accepts = |values: Vec<Vec<i64>>, input: &[i64]| {
        let circuit = public_circuit(&plan.shape, &q, &values);
        let instance = circuit.instance(input, &values[q.output]).unwrap();
        MockProver::run(plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    };
    let honest_input = centred(&case.inputs[2]);
    let honest = q.evaluate(&honest_input).unwrap();
    assert!(
        accepts(honest, &honest_input),
        "the honest witness is rejected"
    );
    let gemmlowp = {
        let mut g = (*q).clone();
        for s in &mut g.steps {
            if let StepKind::Linear(lin) = &mut s.kind {
                if let Rounding::FixedPoint(fp) = &mut lin.rescale.rounding {
                    fp.ties_up = false;
                }
            }
        }
        g
    };
    let half_up = {
        let mut g = (*q).clone();
        for s in &mut g.steps {
            if let StepKind::Linear(lin) = &mut s.kind {
                if let Rounding::HalfAwayFromZero { divisors, .. } = &lin.rescale.rounding {
                    let divisors = divisors.clone();
                    lin.rescale.rounding = Rounding::HalfUp { divisors };
                }
            }
        }
        g
    };
    for (what, other) in [("gemmlowp's ties", gemmlowp), ("half-up pooling", half_up)] {
        let (input, values) = case
            .inputs
            .iter()
            .map(|stored| centred(stored))
            .find_map(|input| {
                let values = other.evaluate(&input).unwrap();
                (values != q.evaluate(&input).unwrap()).then_some((input, values))
            })
            .unwrap_or_else(|| panic!("no input where {what} change a value"));
        assert!(
            !accepts(values, &input),
            "a witness with {what} is accepted"
        );
    }
}

/// The circuit of `graph` under `shape` (public input and output, fixed weights) proving
/// `values`.
pub(super) fn public_circuit(
    shape: &crate::circuit::CircuitShape,
    graph: &std::sync::Arc<QGraph>,
    values: &[Vec<i64>],
) -> crate::circuit::ModelCircuit {
    crate::circuit::ModelCircuit {
        shape: shape.clone(),
        graph: graph.clone(),
        values: Some(std::sync::Arc::new(values.to_vec())),
        salt: Default::default(),
        input_salt: None,
        link_blinding: Default::default(),
    }
}

/// The int8 ResNet as a file, for the command-line tests (`prover-native/tests/cli.rs`), which
/// cannot reach this builder: the committed file must be what the builder writes, so a change
/// to either is seen. `ZKINFER_BLESS=1` rewrites it.
#[test]
fn the_committed_int8_resnet_file_is_the_one_the_builder_writes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/int8/resnet_int8.tflite");
    let bytes = super::writer::flatbuffer(&int8_resnet());
    if std::env::var_os("ZKINFER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        committed == bytes,
        "{} is not the builder's int8 ResNet: rerun with ZKINFER_BLESS=1",
        path.display()
    );
}
