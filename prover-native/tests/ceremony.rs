//! A real setup, end to end: snarkjs (from npm, pinned in `tests/ceremony/`) runs a new powers-of-
//! tau ceremony as a ceremony coordinator would (a new accumulator, two contributions, a random
//! beacon, the phase-2 preparation), and `zkinfer` compiles, proves and verifies a model with
//! the resulting `.ptau` file, under the default visibility (hidden weights, hashed input). The
//! consumer pins the setup digest it computed from the ceremony file itself.
//!
//! snarkjs comes from `ZKINFER_SNARKJS` or `tests/ceremony/node_modules/.bin/snarkjs` (installed
//! by `.ci/run`). Without it the test says so and passes, unless `ZKINFER_REQUIRE_SNARKJS` is
//! set (as `.ci/run` sets it), where a missing snarkjs fails the test.

mod common;

use common::{repo, text, zkinfer};
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tract_onnx::pb;

/// The ceremony's size: powers for circuits of up to 2^10 rows. snarkjs takes about 25 s for
/// it on two cores (each power more doubles that), so the model below is made to fit.
const POWER: u32 = 10;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn succeeds(o: Output) -> String {
    assert!(o.status.success(), "failed ({:?}):\n{}", o.status, text(&o));
    text(&o)
}

fn fails_with(o: Output, needle: &str) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected a failure:\n{}",
        text(&o)
    );
    assert!(text(&o).contains(needle), "no {needle:?} in:\n{}", text(&o));
}

fn snarkjs() -> Option<PathBuf> {
    let path = std::env::var_os("ZKINFER_SNARKJS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("tests/ceremony/node_modules/.bin/snarkjs"));
    if path.exists() {
        return Some(path);
    }
    let missing = format!(
        "snarkjs not found at {} (npm ci in tests/ceremony, or set ZKINFER_SNARKJS)",
        path.display()
    );
    if std::env::var_os("ZKINFER_REQUIRE_SNARKJS").is_some() {
        panic!("{missing}");
    }
    eprintln!("skipped: {missing}");
    None
}

/// Runs a ceremony in `dir` as its coordinator would and returns the final, phase-2-ready file.
fn ceremony(snarkjs: &Path, dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let o = Command::new(snarkjs)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run snarkjs");
        assert!(o.status.success(), "snarkjs {args:?}:\n{}", text(&o));
    };
    run(&[
        "powersoftau",
        "new",
        "bn128",
        &POWER.to_string(),
        "pot_0.ptau",
    ]);
    run(&[
        "powersoftau",
        "contribute",
        "pot_0.ptau",
        "pot_1.ptau",
        "--name=first",
        "-e=entropy of the first contributor",
    ]);
    run(&[
        "powersoftau",
        "contribute",
        "pot_1.ptau",
        "pot_2.ptau",
        "--name=second",
        "-e=entropy of the second contributor",
    ]);
    run(&[
        "powersoftau",
        "beacon",
        "pot_2.ptau",
        "pot_beacon.ptau",
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "10",
        "-n=final beacon",
    ]);
    run(&[
        "powersoftau",
        "prepare",
        "phase2",
        "pot_beacon.ptau",
        "pot_final.ptau",
    ]);
    dir.join("pot_final.ptau")
}

/// A small classifier as exporters write it: x[1,16] -> Gemm(8, transB) -> Relu -> Gemm(4).
fn small_classifier_onnx() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut weights = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.8
            })
            .collect()
    };
    let init = |name: &str, dims: &[i64], values: Vec<f32>| pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        float_data: values,
        ..Default::default()
    };
    let node = |op: &str, inputs: &[&str], output: &str, trans_b: bool| pb::NodeProto {
        op_type: op.into(),
        name: format!("{output}_{op}"),
        input: inputs.iter().map(|i| i.to_string()).collect(),
        output: vec![output.into()],
        attribute: if trans_b {
            vec![pb::AttributeProto {
                name: "transB".into(),
                i: 1,
                r#type: pb::attribute_proto::AttributeType::Int as i32,
                ..Default::default()
            }]
        } else {
            vec![]
        },
        ..Default::default()
    };
    let value = |name: &str, dims: &[i64]| pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| pb::tensor_shape_proto::Dimension {
                            value: Some(pb::tensor_shape_proto::dimension::Value::DimValue(d)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let graph = pb::GraphProto {
        name: "small_classifier".into(),
        node: vec![
            node("Gemm", &["x", "w1", "b1"], "h", true),
            node("Relu", &["h"], "r", false),
            node("Gemm", &["r", "w2", "b2"], "y", true),
        ],
        initializer: vec![
            init("w1", &[8, 16], weights(8 * 16)),
            init("b1", &[8], weights(8)),
            init("w2", &[4, 8], weights(4 * 8)),
            init("b2", &[4], weights(4)),
        ],
        input: vec![value("x", &[1, 16])],
        output: vec![value("y", &[1, 4])],
        ..Default::default()
    };
    pb::ModelProto {
        ir_version: 8,
        producer_name: "zkinfer ceremony test".into(),
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

fn samples(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let row: Vec<String> = (0..16)
                .map(|j| format!("{:.3}", ((i * 7 + j * 3) % 11) as f32 / 10.0))
                .collect();
            format!("[{}]", row.join(","))
        })
        .collect();
    format!("{{\"input_data\": [{}]}}", rows.join(","))
}

fn line_after<'a>(output: &'a str, prefix: &str) -> &'a str {
    output
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{output}"))
        .trim()
}

#[test]
fn a_model_compiled_proven_and_verified_under_a_snarkjs_ceremony() {
    let Some(snarkjs) = snarkjs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ptau = ceremony(&snarkjs, tmp.path());

    // The consumer's pin, from the public ceremony file: checked, not the development setup.
    let checked = succeeds(zkinfer(&["setup-digest", s(&ptau)]));
    assert!(
        checked.contains(&format!("snarkjs powers of tau for k <= {POWER}")),
        "{checked}"
    );
    let digest = line_after(&checked, "setup: ").to_string();
    assert_eq!(digest.len(), 64, "{checked}");
    assert!(!checked.contains("INSECURE"), "{checked}");

    let model = tmp.path().join("small.onnx");
    std::fs::write(&model, small_classifier_onnx()).unwrap();
    let calibration = tmp.path().join("calibration.json");
    std::fs::write(&calibration, samples(6)).unwrap();
    // The input as a consumer sends it: with the salt of its (default, salted) input hash.
    let input = tmp.path().join("input.json");
    let mut sent: serde_json::Value = serde_json::from_str(&samples(1)).unwrap();
    sent["input_salt"] = serde_json::json!(format!("0x{:064x}", 0xc0ffee));
    std::fs::write(&input, sent.to_string()).unwrap();
    // The model compiled under a setup file into `out`.
    let compile = |params: &Path, out: &Path| {
        zkinfer(&[
            "compile",
            s(&model),
            "--calibration",
            s(&calibration),
            "--activation-bits",
            "8",
            "--params",
            s(params),
            "-o",
            s(out),
        ])
    };
    let dir = tmp.path().join("compiled");
    let compiled = succeeds(compile(&ptau, &dir));
    assert!(!compiled.contains("INSECURE"), "{compiled}");
    let commitment = line_after(
        &succeeds(zkinfer(&["commit", s(&dir)])),
        "model commitment: ",
    )
    .to_string();

    let proof = tmp.path().join("input.proof");
    succeeds(zkinfer(&[
        "prove",
        s(&dir),
        "--input",
        s(&input),
        "--params",
        s(&ptau),
        "-o",
        s(&proof),
    ]));
    let key = dir.join("verifier-key");
    let verdict = succeeds(zkinfer(&[
        "verify",
        s(&key),
        s(&proof),
        "--setup",
        &digest,
        "--commitment",
        &commitment,
        "--input",
        s(&input),
    ]));
    assert!(verdict.contains("VALID"), "{verdict}");
    assert!(verdict.contains(&digest), "{verdict}");
    assert!(!verdict.contains("INSECURE"), "{verdict}");

    // Pinned to the development setup, the same key is refused; proving with parameters other
    // than the ceremony's is refused before any proving work.
    fails_with(
        zkinfer(&[
            "verify",
            s(&key),
            s(&proof),
            "--setup",
            zkinfer_core::setup::DEVELOPMENT_SETUP_DIGEST,
        ]),
        "INVALID",
    );
    let cache = tmp.path().join("dev-cache");
    fails_with(
        zkinfer(&[
            "prove",
            s(&dir),
            "--input",
            s(&input),
            "--cache-dir",
            s(&cache),
            "-o",
            s(&tmp.path().join("dev.proof")),
        ]),
        &format!("its verifier key was made under the setup {digest}"),
    );
    assert!(!tmp.path().join("dev.proof").exists());

    // Each accumulator of the ceremony is a consistent setup of its own secret: the first
    // contributor's is checked and has another digest (the beacon changed τ). A file whose
    // powers were tampered with is refused, by `setup-digest` and by `compile` alike.
    let first = succeeds(zkinfer(&[
        "setup-digest",
        s(&tmp.path().join("pot_1.ptau")),
    ]));
    assert_ne!(line_after(&first, "setup: "), digest);
    assert!(first.contains("holds no Lagrange basis"), "{first}");
    assert!(
        checked.contains("its Lagrange basis for k = 10 is theirs"),
        "{checked}"
    );
    // The basis snarkjs computed (in its own order of the roots of unity) is the one zkinfer
    // computes from the powers: the same key from the beacon's file, which has none.
    let unprepared = tmp.path().join("compiled-unprepared");
    succeeds(compile(&tmp.path().join("pot_beacon.ptau"), &unprepared));
    assert_eq!(
        std::fs::read(unprepared.join("verifier-key")).unwrap(),
        std::fs::read(&key).unwrap()
    );
    let mut tampered = std::fs::read(&ptau).unwrap();
    let g1_of_tau_squared = find_g1_section(&tampered) + 2 * 64;
    tampered.copy_within(g1_of_tau_squared - 64..g1_of_tau_squared, g1_of_tau_squared);
    let tampered_path = tmp.path().join("tampered.ptau");
    std::fs::write(&tampered_path, &tampered).unwrap();
    fails_with(
        zkinfer(&["setup-digest", s(&tampered_path)]),
        "not the successive powers of one secret",
    );
    fails_with(
        compile(&tampered_path, &tmp.path().join("never")),
        "not the successive powers of one secret",
    );
    assert!(!tmp.path().join("never").exists());
}

/// Where section 2 (τ^i·G1) of a `.ptau` file starts.
fn find_g1_section(file: &[u8]) -> usize {
    let sections = u32::from_le_bytes(file[8..12].try_into().unwrap());
    let mut at = 12;
    for _ in 0..sections {
        let kind = u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
        let size = u64::from_le_bytes(file[at + 4..at + 12].try_into().unwrap()) as usize;
        if kind == 2 {
            return at + 12;
        }
        at += 12 + size;
    }
    panic!("no section 2");
}
