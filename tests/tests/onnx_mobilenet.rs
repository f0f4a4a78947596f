//! The ONNX path at ImageNet scale: Keras' float MobileNet v2 1.0/224 (opset 13), loaded by our
//! ONNX loader, calibrated and quantized by our quantizer (`quant::quantize`, what
//! `prove::compile` runs: power-of-two scales and half-up rescales, the steps the circuit
//! proves), against the float model on the labelled dev images (an evenly spaced 100 of the 500
//! in the suite, every fifth; all 500 with `ZKINFER_ONNX_IMAGES=500`, the benchmark in
//! BENCHMARKS.md). The quantized model must keep top-5 accuracy within one point of the float
//! model's, and agree with its top-1 on at least 95% of the images.
//!
//! Both see the same inputs: our image preprocessing (`ImagePreprocess::INCEPTION`: 87.5%
//! central crop, bilinear resize to 224, `p/127.5 - 1`, NCHW, which is the model's layout).
//! Calibration uses 32 of the 500 images, spread evenly over the list (index `i·500/32`). Activations are 16 bits (the circuit's widest domain, which `compile`
//! picks for a model this size) unless `ZKINFER_MOBILENET_ACT_BITS` says otherwise (how
//! BENCHMARKS.md measures narrower widths). Skips with a message when
//! `../shared/data/imagenet` is absent.

mod common;

use std::time::Instant;
use zkinfer_core::circuit::{plan_layout, Visibility};
use zkinfer_core::image_input::ImagePreprocess;
use zkinfer_core::ir::Model;
use zkinfer_core::loader::load_model;
use zkinfer_core::qgraph::{QGraph, Rounding, StepKind};
use zkinfer_core::quant::{quantize, Calibration, QuantOptions};
use zkinfer_core::tensor::argmax;
use zkinfer_core::tflite::Loaded;

const SIDE: usize = 224;
const CLASSES: usize = 1000;
const CALIBRATION_IMAGES: usize = 32;
/// The widest activation domain the circuit supports, and what `compile` picks for this model.
const ACT_BITS: u32 = 16;

/// Whether `class` is the largest value, and whether it is among the five largest (ties go to
/// the lower index).
fn hits(v: &[f64], class: usize) -> (bool, bool) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
    (idx[0] == class, idx[..5].contains(&class))
}

/// One image's outcome: top-1/top-5 hits of the float and the quantized model; the quantized
/// model's error if an intermediate value left the proven range (counted as a miss).
struct Outcome {
    float: (bool, bool),
    quantized: (bool, bool),
    top1_agrees: bool,
    out_of_range: Option<String>,
}

fn evaluate(model: &Model, g: &QGraph, input: &[f32], class: usize) -> Outcome {
    let float = model.eval_float(input).unwrap();
    let float: Vec<f64> = float[model.output].data.iter().map(|&v| v as f64).collect();
    let quantized = g
        .quantize_input(input)
        .and_then(|q| g.evaluate(&q))
        .map(|values| g.dequantize_output(&values[g.output]));
    let f = hits(&float, class);
    match quantized {
        Ok(q) => Outcome {
            float: f,
            quantized: hits(&q, class),
            top1_agrees: argmax(&q) == argmax(&float),
            out_of_range: None,
        },
        Err(e) => Outcome {
            float: f,
            quantized: (false, false),
            top1_agrees: false,
            out_of_range: Some(e.to_string()),
        },
    }
}

#[test]
fn mobilenet_v2_onnx_quantized_keeps_top5_within_one_point_of_float() {
    let Some(dir) = common::imagenet_dir() else {
        return;
    };
    let start = Instant::now();
    let Loaded::Float(model) = load_model(dir.join("mobilenet_v2_1.0_224_float.onnx")).unwrap()
    else {
        panic!("the float ONNX model must load as a float graph")
    };
    assert_eq!(model.input_shape(), &[1, 3, SIDE, SIDE]);
    assert_eq!(model.output_shape(), &[1, CLASSES]);
    let items = common::dev_labels(&dir);
    assert_eq!(items.len(), 500);
    let wanted: usize = std::env::var("ZKINFER_ONNX_IMAGES")
        .ok()
        .map(|v| v.parse().expect("ZKINFER_ONNX_IMAGES is a number"))
        .unwrap_or(100)
        .clamp(1, items.len());
    let evaluated: Vec<usize> = (0..wanted).map(|i| i * items.len() / wanted).collect();
    let pre = ImagePreprocess::INCEPTION;
    let image = |i: usize| {
        pre.load(&dir.join("dev").join(&items[i].0), SIDE, SIDE)
            .unwrap()
    };

    let cal_idx: Vec<usize> = (0..CALIBRATION_IMAGES)
        .map(|i| i * items.len() / CALIBRATION_IMAGES)
        .collect();
    let calibration: Vec<Vec<f32>> = cal_idx.iter().map(|&i| image(i)).collect();
    let cal = Calibration::run(&model, &calibration).unwrap();
    let act_bits = std::env::var("ZKINFER_MOBILENET_ACT_BITS").map_or(ACT_BITS, |v| {
        v.parse()
            .expect("ZKINFER_MOBILENET_ACT_BITS must be a number")
    });
    let opts = QuantOptions {
        act_bits,
        ..QuantOptions::default()
    };
    let g = &quantize(&model, &cal, &opts).unwrap();
    let quantize_time = start.elapsed();
    // What the circuit proves: power-of-two scales and half-up rescales only.
    for s in &g.steps {
        if let StepKind::Linear(lin) = &s.kind {
            assert!(matches!(lin.rescale.rounding, Rounding::HalfUp { .. }));
        }
        assert!(!matches!(s.kind, StepKind::QuantizedAdd(_)));
    }
    // The layout the circuit would use. (Proving a model this size is out of reach for now:
    // `compile` refuses it on its memory estimate.)
    let plan = plan_layout(g, None, Visibility::default());

    // Both models on the chosen dev images, on all cores (at most 4).
    let count = evaluated.len();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let eval_start = Instant::now();
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (model, items, image, evaluated) = (&model, &items, &image, &evaluated);
                s.spawn(move || {
                    (w..count)
                        .step_by(workers)
                        .map(|j| {
                            let i = evaluated[j];
                            (j, evaluate(model, g, &image(i), items[i].1))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Outcome)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, o)| o).collect()
    });
    let eval_time = eval_start.elapsed();

    let n = count as f64;
    let pct =
        |f: &dyn Fn(&Outcome) -> bool| 100.0 * outcomes.iter().filter(|o| f(o)).count() as f64 / n;
    let (f1, f5) = (pct(&|o| o.float.0), pct(&|o| o.float.1));
    let (q1, q5) = (pct(&|o| o.quantized.0), pct(&|o| o.quantized.1));
    let agree = pct(&|o| o.top1_agrees);
    let out_of_range: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.out_of_range.as_deref())
        .collect();
    let cal_files: Vec<&str> = cal_idx.iter().map(|&i| items[i].0.as_str()).collect();
    eprintln!(
        "MobileNet v2 1.0/224 (float ONNX) on {count} dev images\n\
         calibration: {} images, indices {cal_idx:?}:\n  {}\n\
         | model | top-1 | top-5 |\n|---|---|---|\n\
         | float (ONNX) | {f1:.1}% | {f5:.1}% |\n\
         | zkinfer quantized ({act_bits}-bit activations) | {q1:.1}% | {q5:.1}% |\n\
         top-1 agreement {agree:.1}%; {} image(s) out of the proven range; {} steps; \
         circuit layout (plan_layout): k={}, dot width {}, {} dot rows\n\
         wall time: load + calibrate + quantize {:.1} s; both models on {count} images {:.1} s \
         on {workers} thread(s); total {:.1} s",
        cal_idx.len(),
        cal_files.join(", "),
        out_of_range.len(),
        g.steps.len(),
        plan.k,
        plan.shape.dot_width,
        plan.dot_rows,
        quantize_time.as_secs_f64(),
        eval_time.as_secs_f64(),
        start.elapsed().as_secs_f64(),
    );
    for e in &out_of_range {
        eprintln!("out of range: {e}");
    }
    assert!(
        q5 >= f5 - 1.0,
        "quantized top-5 {q5:.1}% is more than one point below float top-5 {f5:.1}%"
    );
    assert!(
        agree >= 95.0,
        "the quantized model's top-1 agrees with the float model's on only {agree:.1}%"
    );
}
