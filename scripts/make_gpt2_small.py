"""GPT-2 small's architecture with seeded random weights, as an ONNX file shaped as exporters
write it (issue 21's benchmark: the released weights cannot be downloaded here, and the cost of
proving does not depend on their values).

12 pre-norm layers, d = 768, 12 heads, MLP 3072 with the tanh GELU, a 50,257-token vocabulary,
learned position embeddings, a Where causal mask; over a 16-token context ([1, 16] int64 ids),
returning the next token's logits ([1, 50257]: the last position, taken before the final
LayerNorm as inference code does with `logits[:, -1]`). About 163M float32 parameters (the
output projection is the token embedding transposed, stored as its own initializer as the
TorchScript exporter writes a tied MatMul weight): a 650 MB file.

    scripts/make_gpt2_small.py OUT.onnx [--layers N] [--calibration OUT.json]

Uses the `onnx` package (scripts/requirements-onnx-zoo.txt) and the zoo's graph builder.
"""

import argparse
import json
import pathlib
import sys

import numpy as np
from onnx import TensorProto, numpy_helper, save

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_onnx_zoo import Graph  # noqa: E402

VOCAB, CONTEXT, D, HEADS, HIDDEN, POSITIONS = 50257, 16, 768, 12, 3072, 1024


def gpt2_small(layers):
    g = Graph(seed=2124, opset=14)
    wte = g.normal((VOCAB, D), 0.02).astype(np.float32)
    g.param("wte.weight", wte)
    wpe = g.param("wpe.weight", g.normal((POSITIONS, D), 0.01))
    positions = g.param("/Constant_attr::value", np.arange(CONTEXT).reshape(1, CONTEXT), np.int64)
    x = g.node("Add", [g.node("Gather", ["wte.weight", "input"], "/wte"),
                       g.node("Gather", [wpe, positions], "/wpe")], "")
    causal = np.tril(np.ones((CONTEXT, CONTEXT), dtype=bool)).reshape(1, 1, CONTEXT, CONTEXT)
    fill = g.param("/attn/Constant_fill_attr::value", np.array(np.finfo(np.float32).min))
    for i in range(layers):
        bias = f"h.{i}.attn.bias"
        g.initializers.append(numpy_helper.from_array(causal, bias))
        x = g.encoder_layer(x, f"/h/h.{i}", f"h.{i}", CONTEXT, D, HEADS, HIDDEN, 1e-5,
                            (bias, fill), gelu="tanh")
    last = g.param("/Constant_last_attr::value", np.array(CONTEXT - 1), np.int64)
    x = g.node("Gather", [x, last], "/last", axis=1)
    x = g.layer_norm(x, "/ln_f", "ln_f", D, 1e-5)
    head = g.param("onnx::MatMul_lm_head", wte.T.copy())
    g.node("MatMul", [x, head], "/lm_head", output="output")
    return g.model([1, CONTEXT], [1, VOCAB], TensorProto.INT64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--calibration", help="also write a calibration JSON of 4 seeded 16-token id windows here")
    args = ap.parse_args()
    model = gpt2_small(args.layers)
    save(model, args.out)
    if args.calibration:
        rng = np.random.default_rng(7)
        ids = rng.integers(0, VOCAB, (4, CONTEXT)).tolist()
        pathlib.Path(args.calibration).write_text(json.dumps({"input_data": ids}))


if __name__ == "__main__":
    main()
