//! `zkinfer demo --example text`: the bundled character-level GPT (examples/text, trained by
//! scripts/train_text_model.py on Moby Dick) end to end: compile with the served defaults
//! (weights hidden behind their commitment, a salted input hash), measure how often the proven
//! integer model's next character is the float model's on held-out chapters, prove the next
//! character of a prompt, verify it, and reject a forged answer.

use crate::cli_util::step;
use crate::SrsArgs;
use anyhow::{Context, Result};
use std::path::PathBuf;
use zkinfer_core::prove::CompileOptions;
use zkinfer_core::text_input::Tokenizer;

const MODEL: &[u8] = include_bytes!("../../examples/text/model.onnx");
const TOKENIZER: &str = include_str!("../../examples/text/tokenizer.json");
const CALIBRATION: &str = include_str!("../../examples/text/calibration.json");
const HELDOUT: &str = include_str!("../../examples/text/heldout.txt");
/// Held-out positions the demo measures (spread evenly over chapters 121-135 and the epilogue).
const POSITIONS: usize = 400;
/// The activation domain the example is compiled at: the widest whose proof stays under a
/// minute on two cores (BENCHMARKS.md), with the proven next character equal to the float
/// model's on the held-out positions (examples/text/README.md).
pub(crate) const TEXT_ACT_BITS: u32 = 12;

pub fn run(dir: Option<PathBuf>, prompt: &str, srs: &SrsArgs) -> Result<()> {
    let tokenizer = Tokenizer::from_json(TOKENIZER, "examples/text/tokenizer.json")?;
    // Refuse a prompt the vocabulary cannot spell before any compiling.
    let x = tokenizer.window(prompt).context("--prompt")?;
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zkinfer-demo-text-{}", std::process::id()))
    });
    println!(
        "== zkinfer demo: character-level GPT on Moby Dick (examples/text), working in {}",
        dir.display()
    );
    let model = zkinfer_core::onnx::load_onnx_bytes(MODEL, "text", "examples/text/model.onnx")?;
    let cal = zkinfer_core::input::parse_samples(CALIBRATION, model.input_len())?;
    let opts = CompileOptions {
        act_bits: Some(TEXT_ACT_BITS),
        // Weights as wide as the activations: one committed limb each, so the commitment's hash
        // fits under the linear rows and the circuit is k = 16, not 17 (proving about 57 s
        // instead of about 100 s on a slow 2-core machine; BENCHMARKS.md).
        weight_bits: Some(TEXT_ACT_BITS),
        visibility: zkinfer_core::circuit::Visibility::SERVED,
        tokenizer: Some(tokenizer.clone()),
        ..Default::default()
    };
    let (compiled, _) = step(
        &format!(
            "1. quantizing ({} training windows, {TEXT_ACT_BITS}-bit activations)",
            cal.len()
        ),
        || Ok(zkinfer_core::prove::compile(&model, &cal, &opts)?),
    )?;
    println!("   layout: {}", compiled.plan);

    let windows = tokenizer.heldout_windows(HELDOUT.trim(), POSITIONS, 0)?;
    let q = zkinfer_core::prove::next_token_quality(&model, &compiled, windows)?;
    println!(
        "   held-out text, {} positions: the proven model's next character is the float model's \
         at {:.1}%; accuracy float {:.1}%, proven {:.1}%; perplexity float {:.2}, proven {:.2}",
        q.positions,
        100.0 * q.agreement,
        100.0 * q.float_accuracy,
        100.0 * q.quantized_accuracy,
        q.float_perplexity,
        q.quantized_perplexity
    );

    let shown = |id: usize| format!("{:?}", tokenizer.token(id).unwrap_or("?"));
    crate::demo::prove_and_verify(
        &crate::demo::Proving {
            model: &model,
            compiled: &compiled,
            source_file: "examples/text/model.onnx",
            dir: &dir,
            name: "prompt",
            what: &format!("the next character after {prompt:?}"),
        },
        &x,
        srs,
        |v| {
            format!(
                "the committed model's next character after {prompt:?} is {}",
                shown(v.predicted_class.unwrap_or_default())
            )
        },
        |id| format!("the next character {}", shown(id)),
    )
}
