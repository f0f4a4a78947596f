//! Fidelity of the TFLite path: our integer evaluator against the TFLite interpreter on the
//! labelled ImageNet dev images (100 of the 500 in the suite, all 500 with
//! `ZKINFER_FIDELITY_IMAGES=500`), for Google's uint8 MobileNet v2 1.0/224: every logit equal.
//!
//! Both run on the same uint8 inputs (our preprocessing: 87.5% central crop, bilinear resize).
//! The interpreter runs through `scripts/tflite_reference.py` with the Python named by
//! `ZKINFER_TFLITE_PYTHON` (`.ci/run` makes a venv with `tflite-runtime`); without it the test
//! skips, and `ZKINFER_REQUIRE_TFLITE_REFERENCE=1` (set by `.ci/run`) turns that skip into a
//! failure.

mod common;

use std::process::Command;
use zkinfer_core::image_input::{load_rgb, CENTRAL_FRACTION};
use zkinfer_core::qgraph::QGraph;
use zkinfer_core::tflite::{load_tflite, Loaded};

const SIDE: usize = 224;
const CLASSES: usize = 1001;

fn reference_python() -> Option<String> {
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

/// Index of the largest value, and whether `class` is among the five largest.
fn top1_top5(v: &[i64], class: usize) -> (usize, bool) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    // Stable: ties go to the lower index, as numpy's argmax does.
    idx.sort_by(|&a, &b| v[b].cmp(&v[a]));
    (idx[0], idx[..5].contains(&class))
}

fn evaluate(g: &QGraph, pixels: &[u8]) -> Vec<i64> {
    let zp = g.input_tensor().affine.unwrap().zero_point;
    let mut input = vec![0i64; pixels.len()];
    for y in 0..SIDE {
        for x in 0..SIDE {
            for c in 0..3 {
                input[(c * SIDE + y) * SIDE + x] = pixels[(y * SIDE + x) * 3 + c] as i64 - zp;
            }
        }
    }
    let values = g.evaluate(&input).unwrap();
    let out_zp = g.output_tensor().affine.unwrap().zero_point;
    values[g.output].iter().map(|v| v + out_zp).collect()
}

#[test]
fn mobilenet_v2_uint8_matches_the_tflite_interpreter_bit_for_bit_on_dev_images() {
    let Some(dir) = common::imagenet_dir() else {
        return;
    };
    let Some(python) = reference_python() else {
        return;
    };
    let model = dir.join("mobilenet_v2_1.0_224_quant.tflite");
    let Loaded::Quantized(graph) = load_tflite(&model).unwrap() else {
        panic!("the uint8 model must load as a quantized graph")
    };
    assert_eq!(graph.input_tensor().shape, vec![1, 3, SIDE, SIDE]);
    assert_eq!(graph.output_tensor().len(), CLASSES);
    let all = common::dev_labels(&dir);
    assert_eq!(all.len(), 500);
    // The suite compares an evenly spaced 100 of the 500 images (every fifth); the benchmark
    // (BENCHMARKS.md) sets ZKINFER_FIDELITY_IMAGES=500 for the whole set.
    let wanted: usize = std::env::var("ZKINFER_FIDELITY_IMAGES")
        .ok()
        .map(|v| v.parse().expect("ZKINFER_FIDELITY_IMAGES is a number"))
        .unwrap_or(100)
        .clamp(1, all.len());
    let items: Vec<_> = (0..wanted)
        .map(|i| all[i * all.len() / wanted].clone())
        .collect();

    let tmp = std::env::temp_dir().join(format!("zkinfer-fidelity-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut inputs = Vec::with_capacity(items.len() * SIDE * SIDE * 3);
    for (file, _) in &items {
        inputs.extend(load_rgb(&dir.join("dev").join(file), SIDE, SIDE, CENTRAL_FRACTION).unwrap());
    }
    std::fs::write(tmp.join("inputs.bin"), &inputs).unwrap();
    let status = Command::new(&python)
        .arg(common::repo().join("scripts/tflite_reference.py"))
        .arg(&model)
        .arg(tmp.join("inputs.bin"))
        .arg(items.len().to_string())
        .arg(tmp.join("reference.bin"))
        .status()
        .unwrap();
    assert!(status.success(), "the TFLite reference run failed");
    let reference = std::fs::read(tmp.join("reference.bin")).unwrap();
    assert_eq!(reference.len(), items.len() * CLASSES);
    std::fs::remove_dir_all(&tmp).ok();

    // Our evaluator, on both cores.
    let per = SIDE * SIDE * 3;
    let count = items.len();
    let ours: Vec<Vec<i64>> = std::thread::scope(|s| {
        let workers = 2;
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (graph, inputs) = (&graph, &inputs);
                s.spawn(move || {
                    (w..count)
                        .step_by(workers)
                        .map(|i| (i, evaluate(graph, &inputs[i * per..(i + 1) * per])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Vec<i64>)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, v)| v).collect()
    });

    let (mut agree, mut max_diff, mut differing) = (0, 0i64, 0usize);
    let (mut ours_top1, mut ours_top5, mut ref_top1, mut ref_top5) = (0, 0, 0, 0);
    for (i, (_, class)) in items.iter().enumerate() {
        let r: Vec<i64> = reference[i * CLASSES..(i + 1) * CLASSES]
            .iter()
            .map(|&v| v as i64)
            .collect();
        let o = &ours[i];
        let d = o.iter().zip(&r).map(|(a, b)| (a - b).abs()).max().unwrap();
        max_diff = max_diff.max(d);
        differing += o.iter().zip(&r).filter(|(a, b)| a != b).count();
        // Index 0 is background: class c is TFLite index c + 1.
        let (o1, o5) = top1_top5(o, class + 1);
        let (r1, r5) = top1_top5(&r, class + 1);
        agree += usize::from(o1 == r1);
        ours_top1 += usize::from(o1 == class + 1);
        ours_top5 += usize::from(o5);
        ref_top1 += usize::from(r1 == class + 1);
        ref_top5 += usize::from(r5);
    }
    let n = items.len() as f64;
    let pct = |c: usize| 100.0 * c as f64 / n;
    eprintln!(
        "MobileNet v2 1.0/224 uint8 on {} dev images:\n\
         | pipeline | top-1 | top-5 |\n|---|---|---|\n\
         | zkinfer integer evaluator (TFLite semantics) | {:.1}% | {:.1}% |\n\
         | TFLite interpreter 2.14 (builtin kernels) | {:.1}% | {:.1}% |\n\
         top-1 agreement {:.1}%, largest output difference {max_diff} step(s), \
         {differing} of {} logits differ",
        items.len(),
        pct(ours_top1),
        pct(ours_top5),
        pct(ref_top1),
        pct(ref_top5),
        pct(agree),
        items.len() * CLASSES
    );
    // Bit-exact: not one logit may differ from the interpreter's.
    assert_eq!(
        differing, 0,
        "{differing} logits differ, by up to {max_diff} quantization steps (top-1 agreement {:.1}%)",
        pct(agree)
    );
}
