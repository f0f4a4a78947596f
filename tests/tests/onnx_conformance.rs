//! ONNX's own backend node tests, for every operator the loader claims: each case (rewritten by
//! scripts/onnx_conformance.py into a one-input model around the same node) either loads and its
//! float evaluation matches ONNX's expected output within ONNX's tolerances, or is refused with
//! a typed error before any evaluation. A case that loads and computes something else fails the
//! test, as does a panic: a claimed operator must never silently mean another function.
//!
//! The cases come from `ZKINFER_ONNX_CONFORMANCE` (the directory the script wrote; `.ci/run`
//! makes it). The table of passed/claimed per operator is printed and written to
//! `target/onnx-conformance.md` (BENCHMARKS.md quotes it).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use zkinfer_tests::shared_data::{repo, required, REQUIRE_VAR};

const DIR_VAR: &str = "ZKINFER_ONNX_CONFORMANCE";

fn cases_dir() -> Option<PathBuf> {
    match std::env::var_os(DIR_VAR) {
        Some(d) if Path::new(&d).join("manifest.json").exists() => Some(PathBuf::from(d)),
        other => {
            assert!(
                !required(),
                "{DIR_VAR} ({other:?}) names no prepared node tests (run scripts/onnx_conformance.py), \
                 and {REQUIRE_VAR} says this run needs them"
            );
            eprintln!(
                "SKIP: {DIR_VAR} is not set to a directory made by scripts/onnx_conformance.py"
            );
            None
        }
    }
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[derive(Debug)]
enum Outcome {
    Passed,
    /// The loader or the evaluator said no, with this message.
    Refused(String),
    /// Loaded, evaluated, and disagreed with ONNX.
    Wrong(String),
    Panicked(String),
}

fn run_variant(dir: &Path, entry: &serde_json::Value) -> Outcome {
    let field = |k: &str| dir.join(entry[k].as_str().expect("manifest field"));
    let input = read_f32(&field("input"));
    let expected = read_f32(&field("expected"));
    let expected_shape: Vec<usize> = entry["expected_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let (rtol, atol) = (
        entry["rtol"].as_f64().unwrap(),
        entry["atol"].as_f64().unwrap(),
    );
    let model_path = field("model");
    let run = catch_unwind(AssertUnwindSafe(|| {
        let model = match zkinfer_core::onnx::load_onnx(&model_path) {
            Ok(m) => m,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let values = match model.eval_float(&input) {
            Ok(v) => v,
            Err(e) => return Outcome::Refused(format!("evaluation: {e}")),
        };
        let got = &values[model.output];
        // A batch-1 model may carry the expected shape with a leading 1 or without a rank-0's 1.
        let strip = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
        if strip(&got.shape) != strip(&expected_shape) {
            return Outcome::Wrong(format!(
                "shape {:?}, ONNX expects {expected_shape:?}",
                got.shape
            ));
        }
        let worst = got
            .data
            .iter()
            .zip(&expected)
            .enumerate()
            .find(|(_, (g, e))| {
                let (g, e) = (**g as f64, **e as f64);
                !((g - e).abs() <= atol + rtol * e.abs() || (g.is_nan() && e.is_nan()))
            });
        match worst {
            None => Outcome::Passed,
            Some((i, (g, e))) => Outcome::Wrong(format!("element {i} is {g}, ONNX expects {e}")),
        }
    }));
    run.unwrap_or_else(|p| {
        Outcome::Panicked(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        )
    })
}

#[derive(Default)]
struct OpTally {
    claimed: usize,
    passed: usize,
    /// Why the cases that did not pass were refused (first line of each distinct reason).
    refusals: BTreeMap<String, usize>,
}

/// The refusal reason without the case's node and tensor names, so equal reasons group.
fn reason_kind(message: &str) -> String {
    let m = message.lines().next().unwrap_or_default();
    let m = m.split_once("): ").map_or(m, |(_, r)| r);
    let m = m.split_once(": ").map_or(m, |(_, r)| r);
    m.chars().take(90).collect()
}

#[test]
fn every_claimed_operator_matches_onnx_node_tests_or_refuses_them() {
    let Some(dir) = cases_dir() else { return };
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let claimed = zkinfer_core::onnx::supported_operators();
    let mut by_case: BTreeMap<String, (String, Vec<&serde_json::Value>)> = BTreeMap::new();
    for e in manifest["cases"].as_array().unwrap() {
        let Some(op) = e["op"].as_str() else { continue };
        if claimed.contains(&op) {
            let entry = by_case
                .entry(e["case"].as_str().unwrap().to_string())
                .or_insert_with(|| (op.to_string(), vec![]));
            entry.1.push(e);
        }
    }
    let mut tally: BTreeMap<String, OpTally> = claimed
        .iter()
        .map(|op| (op.to_string(), OpTally::default()))
        .collect();
    let mut failures = vec![];
    for (case, (op, entries)) in &by_case {
        let t = tally.get_mut(op).unwrap();
        t.claimed += 1;
        let mut passed_any = false;
        let mut refusals = vec![];
        for e in entries {
            if let Some(skip) = e["skip"].as_str() {
                refusals.push(format!("harness: {skip}"));
                continue;
            }
            let variant = format!("{case} ({}, output {})", e["variant"], e["output"]);
            match run_variant(&dir, e) {
                Outcome::Passed => passed_any = true,
                Outcome::Refused(m) => refusals.push(reason_kind(&m)),
                Outcome::Wrong(m) => failures.push(format!("{op}: {variant}: wrong answer: {m}")),
                Outcome::Panicked(m) => failures.push(format!("{op}: {variant}: panicked: {m}")),
            }
        }
        if passed_any {
            t.passed += 1;
        } else if let Some(r) = refusals.first() {
            *t.refusals.entry(r.clone()).or_default() += 1;
        }
    }
    let mut table = String::from(
        "| operator | node tests passed / claimed | why the others are refused |\n|---|---|---|\n",
    );
    let (mut passed, mut total) = (0, 0);
    for (op, t) in &tally {
        passed += t.passed;
        total += t.claimed;
        let why: Vec<String> = t
            .refusals
            .iter()
            .map(|(r, n)| format!("{n}× {}", r.replace('|', "/")))
            .collect();
        table += &format!(
            "| {op} | {} / {} | {} |\n",
            t.passed,
            t.claimed,
            why.join("; ")
        );
    }
    table += &format!(
        "| **all** | **{passed} / {total}** | onnx {} |\n",
        manifest["onnx_version"].as_str().unwrap_or("?")
    );
    println!("{table}");
    let _ = std::fs::write(repo().join("target/onnx-conformance.md"), &table);
    assert!(
        failures.is_empty(),
        "{} node-test variants loaded and disagreed with ONNX, or panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
