"""HuggingFace transformers exported as users export them, and onnxruntime's outputs: the
fixtures of tests/tests/huggingface_exports.rs in examples/huggingface-exports/.

Each model is a small configuration of the library's own class with seeded random weights (the
hub's released weights cannot be downloaded here; the exported graph does not depend on the
values), exported by `torch.onnx.export` (TorchScript, opset 14) with dynamic `batch` and
`sequence` axes, as the transformers documentation and optimum do. `expected.json` gives, per
file, the compile choices a user passes (`--dim`, `--constant-input`, `--output-tensor`), token
ids for calibration and one test input, and onnxruntime's output for that input.

Needs torch, transformers, onnx and onnxruntime (torch 2.5.1, transformers 4.46.3 made these;
RoBERTa, Mistral and DINOv2 were added with torch 2.15, and BEiT, DeiT and Gemma too):
    python scripts/make_huggingface_exports.py [NAME ...]
With names, only those files are written and their entries of `expected.json` replaced.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch
from transformers import (BeitConfig, BeitForImageClassification, DeiTConfig,
                          DeiTForImageClassification, GemmaConfig, GemmaForCausalLM,
                          BertConfig, BertForSequenceClassification, DistilBertConfig,
                          RobertaConfig,
                          RobertaForSequenceClassification,
                          DistilBertForSequenceClassification, GPT2Config, GPT2LMHeadModel,
                          GPTNeoXConfig, GPTNeoXForCausalLM, LlamaConfig, LlamaForCausalLM,
                          MistralConfig, MistralForCausalLM,
                          OPTConfig, OPTForCausalLM, PhiConfig, PhiForCausalLM, ConvNextConfig,
                          ConvNextForImageClassification, Dinov2Config,
                          Dinov2ForImageClassification, ResNetConfig,
                          ResNetForImageClassification, SwinConfig, SwinForImageClassification,
                          ViTConfig, ViTForImageClassification)

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "huggingface-exports")
VOCAB, SEQUENCE, IMAGE = 256, 8, 32
SEQ_AXES = {0: "batch", 1: "sequence"}
# The files to write (all when empty).
ONLY = set(sys.argv[1:])


class Named(torch.nn.Module):
    """Calls the model with keyword arguments, as `model(**tokenizer(text))` does."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *args):
        return tuple(self.model(**dict(zip(self.names, args)), return_dict=False))


def export(name, model, inputs, outputs, choices, expected):
    if ONLY and name not in ONLY:
        return
    torch.manual_seed(0)
    model.eval()
    image = inputs == ["pixel_values"]
    ids = torch.randint(0, VOCAB, (1, SEQUENCE))
    feeds = {"input_ids": ids, "attention_mask": torch.ones(1, SEQUENCE, dtype=torch.long),
             "token_type_ids": torch.zeros(1, SEQUENCE, dtype=torch.long),
             "pixel_values": torch.randn(1, 3, IMAGE, IMAGE)}
    path = os.path.join(D, f"{name}.onnx")
    axes = {"pixel_values": {0: "batch"}} if image else {i: SEQ_AXES for i in inputs}
    with torch.no_grad():
        torch.onnx.export(Named(model, inputs), tuple(feeds[i] for i in inputs), path,
                          input_names=inputs, output_names=outputs, opset_version=14,
                          dynamic_axes=axes, dynamo=False)
    rng = np.random.default_rng(1)
    if image:
        # The test calibrates an image model on the input and its negation (kept small here).
        calibration = None
        test = rng.standard_normal((1, 3, IMAGE, IMAGE)).round(3).astype(np.float32)
    else:
        calibration = [rng.integers(0, VOCAB, SEQUENCE).tolist() for _ in range(8)]
        test = rng.integers(0, VOCAB, (1, SEQUENCE))
    session = ort.InferenceSession(path)
    feed = {i: (test if i in ("input_ids", "pixel_values") else feeds[i].numpy()) for i in inputs}
    feed = {i: v if i == "pixel_values" else v.astype(np.int64) for i, v in feed.items()}
    wanted = choices.get("output", outputs[0])
    out = session.run([wanted], feed)[0]
    expected[f"{name}.onnx"] = {
        "choices": choices,
        **({} if calibration is None else {"calibration": calibration}),
        "input": test.reshape(-1).tolist(),
        "output": [float(f"{v:.7g}") for v in out.reshape(-1)],
        "output_shape": list(out.shape),
    }
    print(name, os.path.getsize(path), "bytes", [i.name for i in session.get_inputs()],
          [o.name for o in session.get_outputs()])


def main():
    os.makedirs(D, exist_ok=True)
    expected = {}
    dims = {"sequence": SEQUENCE}
    gpt2 = dict(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=4)
    torch.manual_seed(0)
    # The library's default attention (scaled_dot_product_attention) with the mask input.
    model = GPT2LMHeadModel(GPT2Config(**gpt2, use_cache=False))
    export("gpt2", model, ["input_ids", "attention_mask"], ["logits"],
           {"dims": dims, "constants": {"attention_mask": "ones"}}, expected)
    # Eager attention: the causal Where, then the attention mask added.
    torch.manual_seed(0)
    model = GPT2LMHeadModel._from_config(GPT2Config(**gpt2, use_cache=False),
                                         attn_implementation="eager")
    export("gpt2_eager", model, ["input_ids", "attention_mask"], ["logits"],
           {"dims": dims, "constants": {"attention_mask": "ones"}}, expected)
    # With the key/value cache: five outputs, the logits chosen.
    torch.manual_seed(0)
    model = GPT2LMHeadModel._from_config(GPT2Config(**gpt2, use_cache=True),
                                         attn_implementation="eager")
    present = [f"present.{i}.{kv}" for i in range(2) for kv in ("key", "value")]
    export("gpt2_cache", model, ["input_ids"], ["logits"] + present,
           {"dims": dims, "output": "logits"}, expected)
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=32, num_labels=3))
    export("bert", model, ["input_ids", "attention_mask", "token_type_ids"], ["logits"],
           {"dims": dims, "constants": {"attention_mask": "ones", "token_type_ids": "zeros"}},
           expected)
    torch.manual_seed(0)
    model = DistilBertForSequenceClassification(DistilBertConfig(
        vocab_size=VOCAB, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
        max_position_embeddings=32, num_labels=3))
    export("distilbert", model, ["input_ids", "attention_mask"], ["logits"],
           {"dims": dims, "constants": {"attention_mask": "ones"}}, expected)
    # RoBERTa: position ids computed from the token ids (padding id 1: Equal, Not, CumSum).
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(RobertaConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=40, num_labels=3))
    export("roberta", model, ["input_ids", "attention_mask"], ["logits"],
           {"dims": dims, "constants": {"attention_mask": "ones"}}, expected)
    # Decoders of other families: LLaMA (RMSNorm, rotary embeddings, grouped key/value heads,
    # SiLU-gated MLP, a causal mask written by ScatterND), GPT-NeoX and Phi (partial rotary
    # embeddings), OPT (learned positions from the attention mask's cumulative sum).
    small = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=64, max_position_embeddings=32)
    decoders = [
        ("llama", lambda: LlamaForCausalLM(LlamaConfig(**small, num_key_value_heads=2))),
        # Mistral: LLaMA's blocks with a sliding-window causal mask (LessOrEqual of constants).
        ("mistral", lambda: MistralForCausalLM(MistralConfig(**small, num_key_value_heads=2,
                                                             sliding_window=4))),
        # Gemma: RMSNorm of weight 1 + w, its embeddings scaled by sqrt(d), GELU-gated MLP.
        ("gemma", lambda: GemmaForCausalLM(GemmaConfig(**small, num_key_value_heads=2,
                                                       head_dim=8))),
        ("gpt_neox", lambda: GPTNeoXForCausalLM(GPTNeoXConfig(**small))),
        ("phi", lambda: PhiForCausalLM(PhiConfig(**small))),
        ("opt", lambda: OPTForCausalLM(OPTConfig(
            vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            ffn_dim=64, max_position_embeddings=32, word_embed_proj_dim=32))),
    ]
    for name, make in decoders:
        torch.manual_seed(0)
        # Their key/value cache comes out beside the logits (use_cache defaults to true).
        export(name, make(), ["input_ids", "attention_mask"], ["logits"],
               {"dims": dims, "constants": {"attention_mask": "ones"}, "output": "logits"},
               expected)
    # Image classifiers (32×32 inputs, 5 classes): ViT, Swin (shifted windows: its attention
    # mask sliced from constants, rolls), ResNet and ConvNeXt.
    encoder = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                   intermediate_size=64, image_size=IMAGE, patch_size=8, num_labels=5)
    vision = [
        ("vit", lambda: ViTForImageClassification(ViTConfig(**encoder))),
        # DINOv2: its position embeddings bicubically resized to the patch grid (their own).
        ("dinov2", lambda: Dinov2ForImageClassification(Dinov2Config(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2,
            image_size=IMAGE, patch_size=8, num_labels=5))),
        # BEiT (relative position bias, layer scale) and DeiT (class and distillation tokens at
        # their zero initialisation): rows of very different variance reach their layer norms.
        ("beit", lambda: BeitForImageClassification(BeitConfig(**encoder))),
        ("deit", lambda: DeiTForImageClassification(DeiTConfig(**encoder))),
        ("swin", lambda: SwinForImageClassification(SwinConfig(
            image_size=IMAGE, patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[2, 2],
            window_size=4, num_labels=5))),
        ("resnet", lambda: ResNetForImageClassification(ResNetConfig(
            hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], embedding_size=8,
            num_labels=5))),
        ("convnext", lambda: ConvNextForImageClassification(ConvNextConfig(
            hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], num_labels=5,
            image_size=IMAGE))),
    ]
    for name, make in vision:
        torch.manual_seed(0)
        export(name, make(), ["pixel_values"], ["logits"], {}, expected)
    path = os.path.join(D, "expected.json")
    if ONLY:
        with open(path) as f:
            expected = {**json.load(f), **expected}
    with open(path, "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
