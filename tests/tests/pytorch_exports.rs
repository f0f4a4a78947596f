//! Models written by PyTorch's own exporters (`torch.onnx.export`, torch 2.15:
//! `scripts/make_pytorch_exports.py`, onnxruntime's outputs in `expected.json`), as a user
//! brings them: weights shared through `Identity` nodes, constants computed at run time (a
//! `Pow` of a size, `torch.triu`, an expanded class token concatenated with activations),
//! GroupNorm and InstanceNorm,
//! `AdaptiveAvgPool1d`, and the default exporter's weights in a separate `.onnx.data` file.
//! Each loads from its file, its float evaluation matches onnxruntime, and it compiles with the
//! default options into a circuit that accepts its honest witness and rejects a changed output.

mod common;

use common::exports::{check_export, expected};

#[test]
fn pytorch_exports_load_match_onnxruntime_and_prove() {
    let expected = expected("pytorch-exports");
    let models = [
        "r1_identity_dedup.onnx",
        "r2_instancenorm.onnx",
        "r2b_groupnorm.onnx",
        "r3_gap1d.onnx",
        "r4_const_pow.onnx",
        "r5_expand_shape.onnx",
        "r6_trilu.onnx",
        "r7_concat_const.onnx",
        "r8_external_data.onnx",
        "r9_multihead_attention.onnx",
    ];
    for name in models {
        check_export("pytorch-exports", name, &expected[name]);
    }
}
