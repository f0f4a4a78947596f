//! HuggingFace transformers exported as users export them (`torch.onnx.export` with dynamic
//! `batch` and `sequence` axes: `scripts/make_huggingface_exports.py`, onnxruntime's outputs in
//! `examples/huggingface-exports/expected.json`): GPT-2 with the library's default attention
//! and with eager attention (a causal `Where`, then the attention mask added), GPT-2 with its
//! key/value cache (five outputs), BERT and DistilBERT classifiers (their masks and token
//! types) and RoBERTa (position ids computed from the token ids), and the LLaMA, Mistral,
//! GPT-NeoX, Phi and OPT decoders (RMSNorm, rotary embeddings, grouped key/value heads, causal
//! masks built by ScatterND or compared positions, positions from a cumulative sum), and the
//! ViT, DINOv2, Swin, ResNet and ConvNeXt image classifiers. Each
//! compiles with the choices a user passes (`--dim sequence=8`, the extra inputs held
//! constant, the logits chosen), its float evaluation matches onnxruntime, and its proven
//! integer output agrees with onnxruntime's; eager GPT-2 and LLaMA prove under MockProver and
//! reject a changed output.

mod common;

use common::exports::{expected, float_matches, floats, mock_verify};
use zkinfer_core::onnx::{load_onnx_with, OnnxChoices};
use zkinfer_core::prove::{compile, CompileOptions};

fn choices(case: &serde_json::Value) -> OnnxChoices {
    let c = &case["choices"];
    let map = |key: &str| -> Vec<(String, serde_json::Value)> {
        c[key]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    OnnxChoices {
        dims: map("dims")
            .into_iter()
            .map(|(k, v)| (k, v.as_u64().unwrap() as usize))
            .collect(),
        constants: map("constants")
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap().parse().unwrap()))
            .collect(),
        output: c["output"].as_str().map(str::to_string),
    }
}

/// The argmax of each row of `len` values.
fn argmaxes(values: &[f32], len: usize) -> Vec<usize> {
    values
        .chunks(len)
        .map(|row| {
            (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap()
        })
        .collect()
}

#[test]
fn huggingface_exports_load_match_onnxruntime_and_prove() {
    let expected = expected("huggingface-exports");
    let dir = common::repo().join("examples/huggingface-exports");
    for name in [
        "gpt2.onnx",
        "gpt2_eager.onnx",
        "gpt2_cache.onnx",
        "bert.onnx",
        "distilbert.onnx",
        "roberta.onnx",
        "llama.onnx",
        "mistral.onnx",
        "gemma.onnx",
        "gpt_neox.onnx",
        "phi.onnx",
        "opt.onnx",
        "vit.onnx",
        "dinov2.onnx",
        "beit.onnx",
        "deit.onnx",
        "swin.onnx",
        "resnet.onnx",
        "convnext.onnx",
    ] {
        let case = &expected[name];
        let m = load_onnx_with(dir.join(name), &choices(case))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Shape and values against onnxruntime's (the input: token ids or pixels).
        let x = float_matches(name, &m, case);
        let want = floats(&case["output"]);
        let len = *m.shapes[m.output].last().unwrap();
        // Token ids as the file gives them; an image model on the input and its negation.
        let calibration: Vec<Vec<f32>> = match case["calibration"].as_array() {
            Some(rows) => rows.iter().map(floats).collect(),
            None => vec![x.clone(), x.iter().map(|v| -v).collect()],
        };
        let compiled = compile(&m, &calibration, &CompileOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (input, values) = compiled.witness(&x).unwrap();
        let proven: Vec<f32> = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output])
            .iter()
            .map(|&v| v as f32)
            .collect();
        let range = want.iter().fold(f32::MIN, |a, &b| a.max(b))
            - want.iter().fold(f32::MAX, |a, &b| a.min(b));
        let err = proven
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // Per position for a language model (the next token at each), the class otherwise.
        let agree = argmaxes(&proven, len) == argmaxes(&want, len);
        println!(
            "{name}: {}; proven output within {err:.5} of onnxruntime's (range {range:.3}), \
             argmax agrees: {agree}",
            compiled.plan
        );
        // Within 3% of the output's range (random weights give narrow outputs: ViT's 0.27 wide
        // is off by 2.2%, the others by at most 0.5%), and the same argmax.
        assert!(err <= 0.03 * range, "{name}: off by {err} of {range}");
        assert!(
            agree,
            "{name}: the proven argmax differs from onnxruntime's"
        );
        if matches!(name, "gpt2_eager.onnx" | "llama.onnx") {
            mock_verify(&compiled, &input, values.clone())
                .unwrap_or_else(|e| panic!("{name}: honest witness rejected: {:?}", &e[..1]));
            let mut changed = values;
            changed[compiled.graph.output][0] += 1;
            assert!(
                mock_verify(&compiled, &input, changed).is_err(),
                "{name}: a changed output was accepted"
            );
        }
    }
}

/// Without the choices, each export is refused naming what to pass.
#[test]
fn huggingface_exports_name_the_choices_they_need() {
    let dir = common::repo().join("examples/huggingface-exports");
    let refusal = |name: &str, choices: OnnxChoices| {
        load_onnx_with(dir.join(name), &choices)
            .unwrap_err()
            .to_string()
    };
    let sequence = || vec![("sequence".to_string(), 8)];
    let err = refusal(
        "gpt2.onnx",
        OnnxChoices {
            constants: vec![("attention_mask".into(), "ones".parse().unwrap())],
            ..Default::default()
        },
    );
    assert!(err.contains("--dim sequence=N"), "{err}");
    let err = refusal(
        "bert.onnx",
        OnnxChoices {
            dims: sequence(),
            ..Default::default()
        },
    );
    assert!(
        err.contains("\"attention_mask\"")
            && err.contains("\"token_type_ids\"")
            && err.contains("--constant-input"),
        "{err}"
    );
    let err = refusal(
        "gpt2_cache.onnx",
        OnnxChoices {
            dims: sequence(),
            ..Default::default()
        },
    );
    assert!(
        err.contains("\"present.1.value\"") && err.contains("--output-tensor"),
        "{err}"
    );
}
