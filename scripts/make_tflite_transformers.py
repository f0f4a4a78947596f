#!/usr/bin/env python3
"""Transformers as TensorFlow's converter writes them to float TFLite, for zkinfer's tests.

Usage: make_tflite_transformers.py OUT_DIR

Writes small Keras models with seeded random weights, converted by `tf.lite.TFLiteConverter`
with its defaults (float32, no optimization), and `expected.json`: for one seeded input each,
the input in zkinfer's layout (NCHW for an image, as zkinfer's TFLite loader takes it), and the
TFLite interpreter's output before the final SOFTMAX (the logits zkinfer proves).

- `vit_float.tflite`: a vision transformer with a dynamic batch: 4x4 patches by a strided Conv2D, a Reshape to 16
  tokens, two pre-norm encoder blocks (LayerNormalization as MEAN, SQUARED_DIFFERENCE, RSQRT and
  broadcast MUL/SUB; MultiHeadAttention as FULLY_CONNECTED over the sequence, RESHAPE, TRANSPOSE,
  BATCH_MATMUL and a SOFTMAX in the middle of the model; a GELU feed-forward, each Dense over
  the tokens a FULLY_CONNECTED between RESHAPEs whose shapes are computed at run time), a final
  LayerNormalization, GlobalAveragePooling1D (MEAN over the tokens) and a softmax head.
- `sequence_float.tflite`: a 1-D sequence model on a [32, 6] input (batch fixed to 1): a Dense embedding, one
  encoder block with causal attention and ReLU feed-forward, DIV by a learned norm, a Flatten
  and a Dense head.

Needs tensorflow-cpu 2.15 (a development tool: the tests read the committed files).
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

SEED = 20261207
L = tf.keras.layers


def encoder_block(x, heads, key_dim, hidden, act, causal=False):
    h = L.LayerNormalization(epsilon=1e-6)(x)
    h = L.MultiHeadAttention(num_heads=heads, key_dim=key_dim)(h, h, use_causal_mask=causal)
    x = L.Add()([x, h])
    h = L.LayerNormalization(epsilon=1e-6)(x)
    h = L.Dense(hidden, activation=act)(h)
    h = L.Dense(x.shape[-1])(h)
    return L.Add()([x, h])


def vit():
    # The batch left dynamic (Keras's default): the converter computes the Dense layers'
    # Tensordot reshapes at run time (SHAPE, GATHER, REDUCE_PROD, PACK, CONCATENATION).
    inp = L.Input((16, 16, 3))
    x = L.Conv2D(32, 4, strides=4)(inp)
    x = L.Reshape((16, 32))(x)
    for _ in range(2):
        x = encoder_block(x, 2, 16, 64, "gelu")
    x = L.LayerNormalization(epsilon=1e-6)(x)
    x = L.GlobalAveragePooling1D()(x)
    return tf.keras.Model(inp, L.Dense(10, activation="softmax")(x))


class RowNorm(L.Layer):
    """x / (|x|_1 + 1) per token: a DIV by a computed tensor."""

    def call(self, x):
        return x / (tf.reduce_mean(tf.abs(x), axis=-1, keepdims=True) + 1.0)


def sequence():
    inp = L.Input((32, 6), batch_size=1)
    x = L.Dense(24)(inp)
    x = encoder_block(x, 3, 8, 48, "relu", causal=True)
    x = RowNorm()(x)
    x = L.Flatten()(x)
    return tf.keras.Model(inp, L.Dense(5)(x))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    expected = {}
    for name, make, shape in [("vit_float.tflite", vit, (1, 16, 16, 3)),
                              ("sequence_float.tflite", sequence, (1, 32, 6))]:
        tf.keras.utils.set_random_seed(SEED)
        m = make()
        data = tf.lite.TFLiteConverter.from_keras_model(m).convert()
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        # The builtin kernels alone (no XNNPACK delegate), as zkinfer's other TFLite references.
        it = tf.lite.Interpreter(
            model_content=data,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.
            BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            experimental_preserve_all_tensors=True)
        it.allocate_tensors()
        ops = it._get_ops_details()
        target = it.get_output_details()[0]["index"]
        if ops[-1]["op_name"] == "SOFTMAX" and ops[-1]["outputs"][0] == target:
            target = ops[-1]["inputs"][0]
        x = np.random.default_rng(SEED).uniform(0, 1, shape).astype(np.float32)
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        out = it.get_tensor(target)
        ours = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x
        expected[name] = {
            "input": [float(v) for v in ours.flatten()],
            "input_shape": list(ours.shape),
            "output": [float(v) for v in out.flatten()],
            "output_shape": list(out.shape),
        }
        names = sorted({o["op_name"] for o in ops})
        print(f"{path}: {len(data)} bytes; operators {', '.join(names)}")
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
