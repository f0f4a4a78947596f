"""Small Keras models converted to ONNX by tf2onnx, as a user of TensorFlow brings them, and
TensorFlow's own output for each: the fixtures of tests/tests/keras_exports.rs in
examples/keras-exports/. tf2onnx writes NHWC inputs with a Transpose, a Keras
LayerNormalization as statistics feeding a BatchNormalization (ReduceMean, ReduceSumSquare,
the element count as ReduceProd of a Shape), Conv1D as Unsqueeze/Conv/Squeeze, Dense as MatMul,
GlobalAveragePooling as ReduceMean or GlobalAveragePool with a Squeeze, MultiHeadAttention's
output projection as an Einsum, an int32 Embedding as a Gather at the input ids, and a
Conv2DTranspose as ConvTranspose.

Needs tensorflow-cpu 2.15, tf2onnx 1.17 and onnx 1.16 (a development tool only: the tests read
the committed files):
    python scripts/make_keras_exports.py
"""
import json
import os

import numpy as np
import tensorflow as tf
import tf2onnx

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "keras-exports")
L = tf.keras.layers


def cnn():
    """Conv/BatchNorm/ReLU, a depthwise convolution with ReLU6, swish, squeeze-and-excite, a
    strided residual, nearest upsampling with a concatenation, pooling and a softmax head."""
    i = L.Input((32, 32, 3))
    x = L.Conv2D(16, 3, padding="same")(i)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.MaxPooling2D()(x)
    x = L.DepthwiseConv2D(3, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    x = L.Conv2D(32, 1)(x)
    x = L.Activation("swish")(x)
    s = L.GlobalAveragePooling2D(keepdims=True)(x)
    s = L.Conv2D(8, 1, activation="relu")(s)
    s = L.Conv2D(32, 1, activation="sigmoid")(s)
    x = L.Multiply()([x, s])
    y = L.Conv2D(32, 3, strides=2, padding="same")(x)
    y = L.BatchNormalization()(y)
    x = L.Add()([L.Conv2D(32, 1, strides=2)(x), y])
    x = L.Activation("relu")(x)
    x = L.UpSampling2D()(x)
    x = L.Concatenate()([x, x])
    x = L.AveragePooling2D()(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.2)(x)
    return tf.keras.Model(i, L.Dense(10, activation="softmax")(x))


def layernorm_mlp():
    """Dense layers with tanh, a LayerNormalization (learned scale and offset), LeakyReLU, ELU
    and a softmax."""
    i = L.Input((20,))
    x = L.Dense(32, activation="tanh")(i)
    x = L.LayerNormalization()(x)
    x = L.Dense(16)(x)
    x = L.LeakyReLU(0.1)(x)
    x = L.Dense(16, activation="elu")(x)
    return tf.keras.Model(i, L.Dense(3, activation="softmax")(x))


def conv1d():
    """Conv1D with ReLU, MaxPooling1D, GlobalMaxPooling1D and a linear head."""
    i = L.Input((64, 8))
    x = L.Conv1D(16, 5, padding="same", activation="relu")(i)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(16, 3, activation="relu")(x)
    x = L.GlobalMaxPooling1D()(x)
    return tf.keras.Model(i, L.Dense(4)(x))


def encoder():
    """A transformer encoder block: MultiHeadAttention (tf2onnx writes its output projection as
    an Einsum with a constant), residual Adds, LayerNormalizations, a GELU feed-forward and a
    GlobalAveragePooling1D head."""
    i = L.Input((16, 32))
    a = L.MultiHeadAttention(num_heads=4, key_dim=8)(i, i)
    x = L.LayerNormalization()(L.Add()([i, a]))
    f = L.Dense(64, activation="gelu")(x)
    f = L.Dense(32)(f)
    x = L.LayerNormalization()(L.Add()([x, f]))
    x = L.GlobalAveragePooling1D()(x)
    return tf.keras.Model(i, L.Dense(5)(x))


def token_embedding():
    """Token ids (int32) through an Embedding, a Conv1D and average pooling."""
    i = L.Input((12,), dtype="int32")
    x = L.Embedding(100, 16)(i)
    x = L.Conv1D(16, 3, activation="relu")(x)
    x = L.GlobalAveragePooling1D()(x)
    return tf.keras.Model(i, L.Dense(2)(x))


def decoder():
    """Bilinear upsampling, a strided Conv2DTranspose, zero padding and cropping, Flatten."""
    i = L.Input((16, 16, 4))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    x = L.UpSampling2D(interpolation="bilinear")(x)
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = L.ZeroPadding2D(1)(x)
    x = L.Cropping2D(1)(x)
    x = L.Flatten()(x)
    return tf.keras.Model(i, L.Dense(3)(x))


def randomise(m, rng):
    """Statistics and affine parameters away from their initial values, so that what folds them
    is tested."""
    for layer in m.layers:
        if isinstance(layer, L.BatchNormalization):
            g, b, mu, var = layer.get_weights()
            layer.set_weights([g * rng.uniform(0.5, 1.5, g.shape), b + rng.normal(0, 0.1, b.shape),
                               rng.normal(0, 0.1, mu.shape), rng.uniform(0.5, 1.5, var.shape)])
        if isinstance(layer, L.LayerNormalization):
            g, b = layer.get_weights()
            layer.set_weights([g * rng.uniform(0.5, 1.5, g.shape), b + rng.normal(0, 0.1, b.shape)])


def main():
    os.makedirs(D, exist_ok=True)
    expected = {}
    models = [("k1_cnn", cnn), ("k2_layernorm_mlp", layernorm_mlp), ("k3_conv1d", conv1d),
              ("k4_encoder", encoder), ("k5_token_embedding", token_embedding), ("k6_decoder", decoder)]
    for name, make in models:
        tf.keras.utils.set_random_seed(20261206)
        rng = np.random.RandomState(20261206)
        m = make()
        randomise(m, rng)
        shape = (1,) + m.input_shape[1:]
        ids = m.inputs[0].dtype == tf.int32
        spec = (tf.TensorSpec(shape, tf.int32 if ids else tf.float32, name="input"),)
        tf2onnx.convert.from_keras(m, input_signature=spec, opset=13,
                                   output_path=os.path.join(D, name + ".onnx"))
        x = rng.randint(0, 100, shape).astype(np.int32) if ids else rng.uniform(0, 1, shape).astype(np.float32)
        y = m(x, training=False).numpy()
        expected[name + ".onnx"] = {"input": [float(v) for v in x.flatten()], "input_shape": list(shape),
                                    "output": [float(v) for v in y.flatten()], "output_shape": list(y.shape)}
        print(name)
    with open(os.path.join(D, "expected.json"), "w") as f:
        json.dump(expected, f)


main()
