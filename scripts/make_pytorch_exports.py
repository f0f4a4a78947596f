"""Small models written by PyTorch's own ONNX exporters, as a user brings them (the patterns that
torchvision models and common idioms export to), and onnxruntime's output for each: the fixtures
of tests/tests/pytorch_exports.rs in examples/pytorch-exports/. Each is exported with the
classic TorchScript exporter (opset 17, batch 1), except the last, which uses torch.onnx.export's
default (the dynamo exporter: weights in NAME.onnx.data).

Needs torch (CPU; 2.15 made these), onnx and onnxruntime:
    python scripts/make_pytorch_exports.py
"""
import json
import os

import numpy as np
import onnxruntime as ort
import torch, torch.nn as nn, torch.nn.functional as F
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "pytorch-exports")
def ex(name, m, x, **kw):
    torch.manual_seed(0); m.eval()
    torch.onnx.export(m, (x,), f"{D}/{name}.onnx", opset_version=17, dynamo=False, input_names=["input"], output_names=["output"], **kw)
    print(name)

# 1. Identity on an initializer: the exporter dedups identical initializers (zero biases, LayerNorm ones/zeros, shared buffers)
class TwoLN(nn.Module):
    def __init__(s): super().__init__(); s.a = nn.Linear(4, 4); s.n1 = nn.LayerNorm(4); s.n2 = nn.LayerNorm(4)
    def forward(s, x): return s.n2(s.a(s.n1(x)))
torch.manual_seed(0); ex("r1_identity_dedup", TwoLN(), torch.randn(1, 4))
# 2. InstanceNormalization (nn.InstanceNorm2d; nn.GroupNorm exports to it too)
torch.manual_seed(0); ex("r2_instancenorm", nn.Sequential(nn.Conv2d(1, 2, 1), nn.InstanceNorm2d(2, affine=True)), torch.randn(1, 1, 4, 4))
torch.manual_seed(0); ex("r2b_groupnorm", nn.Sequential(nn.Conv2d(1, 4, 1), nn.GroupNorm(2, 4)), torch.randn(1, 1, 4, 4))
# 3. GlobalAveragePool on a rank-3 (N,C,L) tensor: nn.AdaptiveAvgPool1d(1)
torch.manual_seed(0); ex("r3_gap1d", nn.Sequential(nn.Conv1d(1, 2, 3), nn.AdaptiveAvgPool1d(1)), torch.randn(1, 1, 16))
# 4. Constant-only arithmetic left in the graph (Pow/Reciprocal of a traced shape value)
class ScaleFromShape(nn.Module):
    def __init__(s): super().__init__(); s.l = nn.Linear(8, 8)
    def forward(s, x): return s.l(x) * (1.0 / x.size(-1) ** 0.5)
torch.manual_seed(0); ex("r4_const_pow", ScaleFromShape(), torch.randn(1, 8))
# 5. Shape-dependent expand (cls token .expand(x.shape[0], -1, -1)): Shape/ConstantOfShape/Equal/Where/Expand
class ClsCat(nn.Module):
    def __init__(s): super().__init__(); s.cls = nn.Parameter(torch.randn(1, 1, 4)); s.l = nn.Linear(4, 4)
    def forward(s, x): return s.l(torch.cat([s.cls.expand(x.shape[0], -1, -1), x], dim=1))
torch.manual_seed(0); ex("r5_expand_shape", ClsCat(), torch.randn(1, 3, 4))
# 6. torch.triu computed in forward -> Trilu
class Triu(nn.Module):
    def __init__(s): super().__init__(); s.l = nn.Linear(4, 4)
    def forward(s, x):
        T = x.size(1); m = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        return F.softmax(s.l(x) + m, dim=-1)
torch.manual_seed(0); ex("r6_trilu", Triu(), torch.randn(1, 4, 4))
# 7. Concat of a learned constant (cls token parameter) with activations
class ClsCatB1(nn.Module):
    def __init__(s): super().__init__(); s.cls = nn.Parameter(torch.randn(1, 1, 4)); s.a = nn.Linear(4, 4); s.b = nn.Linear(4, 3)
    def forward(s, x): return s.b(torch.cat([s.cls, s.a(x)], dim=1))
torch.manual_seed(0); ex("r7_concat_const", ClsCatB1(), torch.randn(1, 3, 4))
# 9. nn.MultiheadAttention (TorchScript): its packed projection sliced to the end, Mod of sizes
class MHA(nn.Module):
    def __init__(s): super().__init__(); s.a = nn.MultiheadAttention(8, 2, batch_first=True)
    def forward(s, x): return s.a(x, x, x, need_weights=False)[0]
torch.manual_seed(0); ex("r9_multihead_attention", MHA(), torch.randn(1, 3, 8))
# 8. default torch.onnx.export (dynamo=True) writes weights to NAME.onnx.data (external data)
torch.manual_seed(0); m = nn.Conv2d(3, 8, 3).eval()  # small tensors stay inline; this 216-float weight goes to .onnx.data
torch.onnx.export(m, (torch.randn(1, 3, 8, 8),), f"{D}/r8_external_data.onnx", input_names=["input"], output_names=["output"]); print("r8_external_data")


# onnxruntime's output on one seeded standard-normal input per model.
rng = np.random.default_rng(7)
expected = {}
for f in sorted(n for n in os.listdir(D) if n.endswith(".onnx")):
    s = ort.InferenceSession(os.path.join(D, f))
    i = s.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in i.shape]
    x = rng.standard_normal(shape).astype(np.float32)
    y = s.run(None, {i.name: x})[0]
    expected[f] = {"input": x.flatten().tolist(), "input_shape": shape,
                   "output": y.flatten().tolist(), "output_shape": list(y.shape)}
with open(os.path.join(D, "expected.json"), "w") as out:
    json.dump(expected, out, indent=1)
