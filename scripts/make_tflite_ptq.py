#!/usr/bin/env python3
"""Int8 TFLite models made the way users make them: a Keras model converted by TensorFlow's
post-training quantization (full integer, per-channel weights, int8 input and output).

Usage: make_tflite_ptq.py OUT_DIR [attention | encoder | vit | convnext | causal | kws | elu |
                                   decoder | prelu | extrema | abs_sum_tile | tails]

With `attention`, writes only `keras_mha_int8.tflite`: a Keras MultiHeadAttention over 8 tokens
(2 heads) and a classifier, which the converter writes as FULLY_CONNECTED over the tokens,
RESHAPE and TRANSPOSE into heads, BATCH_MATMUL, a SOFTMAX in the middle and BATCH_MATMUL again.

With `encoder`, writes only `keras_encoder_int8.tflite`: a pre-norm transformer encoder block
(LayerNormalization, MultiHeadAttention, a residual ADD, LayerNormalization, a GELU MLP, a
residual ADD, a final LayerNormalization) and a classifier. Each layer norm converts to MEAN
over the last axis, SQUARED_DIFFERENCE, MEAN, ADD of epsilon, RSQRT, three MULs, SUB and ADD.

With `vit`, writes only `keras_vit_int8.tflite`: the float ViT of make_tflite_transformers.py
(4x4 patches by a strided CONV_2D, two encoder blocks, a final LayerNormalization,
GlobalAveragePooling1D as a MEAN over the tokens, a softmax classifier; the batch left dynamic,
so the Dense layers reshape the tokens to rows and back) quantized to int8.

With `convnext`, writes only `keras_convnext_int8.tflite`: a small ConvNeXt (a 4x4 patch
convolution, a LayerNormalization over the channels, two blocks of a 7x7 depthwise
convolution, a LayerNormalization, Dense layers over each pixel's channels with GELU and a
residual ADD, global average pooling, a LayerNormalization and a classifier) quantized to int8.

With `causal`, writes only `keras_causal_int8.tflite`: a causal sequence model (Dense over 32
steps of 6 features, one encoder block of make_tflite_transformers.py with a causal mask, which
the converter writes as an ADD of a constant mask before the SOFTMAX, ReLU MLP; a classifier
over the flattened steps) quantized to int8.

With `kws`, writes only `keras_kws_int8.tflite`: a 1-D keyword-spotting CNN over 49 frames of
10 features (Conv1D, MaxPooling1D, GlobalMaxPooling1D as REDUCE_MAX, a softmax classifier).

With `elu`, writes only `keras_elu_int8.tflite`: SeparableConv2D, BatchNormalization, ELU,
GlobalMaxPooling2D and a classifier. Under TFLITE_BUILTINS_INT8 the converter leaves the ELU in
float: DEQUANTIZE, ELU, QUANTIZE (a float island).

With `decoder`, writes only `keras_decoder_int8.tflite`: a convolutional autoencoder whose
decoder upsamples by Conv2DTranspose (TRANSPOSE_CONV, strides 2, "same" with kernels 3 and 4,
and "valid"), with a skip CONCATENATION.

With `prelu`, writes only `keras_prelu_int8.tflite`: convolutions and Dense layers followed by
Keras's PReLU, which the converter writes as PRELU with an int8 slope tensor: one slope per
element (Keras's default, [12, 12, 8]), one per channel (`shared_axes=[1, 2]`, [1, 1, 8]) and
one per Dense unit ([10]); the slopes are seeded random values in [-0.5, 0.8], so some are
negative.

With `extrema`, writes only `keras_extrema_int8.tflite`: a causal, dilated Conv1D (a PAD of the
time axis of [1, T, C]), Keras's Maximum and Minimum layers of two tensors (MAXIMUM, MINIMUM),
a hard_sigmoid activation (its upper clip a MINIMUM by a scalar, then RELU),
GlobalAveragePooling1D and a classifier.

With `abs_sum_tile`, writes only `op_abs_int8.tflite`, `op_sum_rows_int8.tflite` (SUM over the
width, dropped), `op_sum_hw_int8.tflite` (SUM over height and width, kept) and
`op_tile_int8.tflite` (TILE by [1, 2, 1, 3]), each alone on the 256-value input below.

With `tails`, writes only `op_argmax_int8.tflite` (a classifier ending in ARG_MAX: the converter
drops the SOFTMAX the Keras model has before it)
and `op_log_softmax_int8.tflite` (one ending in LOG_SOFTMAX), on the same input.

Writes `keras_mbv3_int8.tflite`: a small MobileNetV3/SqueezeNet/U-Net mix whose layers make the
converter emit the int8 operators zkinfer must reproduce bit for bit: CONV_2D and
DEPTHWISE_CONV_2D with fused ReLU/ReLU6, HARD_SWISH, a squeeze-and-excite block (MEAN, 1x1
convolutions, a hard sigmoid, MUL of two tensors with broadcasting), LOGISTIC, TANH, SUB,
CONCATENATION, RESIZE_NEAREST_NEIGHBOR, a residual ADD, FULLY_CONNECTED and SOFTMAX.
Weights and calibration data are seeded random numbers, so the classes mean nothing; the model
exists to test fidelity against the TFLite interpreter. Also `keras_mbv3_float_io.tflite`
(the same network with a float input and output, QUANTIZE and DEQUANTIZE at the edges) and
`keras_mbv3_dynamic_range.tflite` and `keras_mbv3_float16.tflite` (the same network as TensorFlow
converts it without a representative dataset: float activations, weights as int8 with a scale or
as float16), `op_*_int8.tflite`, single-operator models whose 256-value input holds every int8 value, and
models of the rearranging operators (STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, UNPACK, PACK, GATHER,
SPACE_TO_DEPTH, DEPTH_TO_SPACE, SQUEEZE and EXPAND_DIMS as RESHAPE) on the same input, also as
float models (`op_*_float.tflite`), and SUB, MUL and ADD by constant tensors (one value per
channel, a spatial mask, a full-shape scale), and RESIZE_BILINEAR (half-pixel centres and
aligned corners; also as a float model).
Needs tensorflow-cpu 2.14 (the two weight-only models were written by 2.15.1; a
development tool only: tests read the committed file and run tflite-runtime).
"""
import os
import sys

import numpy as np
import tensorflow as tf

SEED = 20261203


def hard_sigmoid(x):
    return tf.keras.layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return tf.keras.layers.Multiply()([x, hard_sigmoid(x)])


def conv_bn(x, filters, kernel, stride=1, act=None, depthwise=False):
    L = tf.keras.layers
    if depthwise:
        x = L.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False)(x)
    else:
        x = L.Conv2D(filters, kernel, stride, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    if act == "relu":
        x = L.ReLU()(x)
    elif act == "relu6":
        x = L.ReLU(6.0)(x)
    elif act == "hswish":
        x = hard_swish(x)
    return x


def squeeze_excite(x, channels, reduced):
    L = tf.keras.layers
    s = L.GlobalAveragePooling2D(keepdims=True)(x)
    s = L.Conv2D(reduced, 1, activation="relu")(s)
    s = L.Conv2D(channels, 1)(s)
    return L.Multiply()([x, hard_sigmoid(s)])


def model():
    L = tf.keras.layers
    inp = L.Input((16, 16, 3), batch_size=1)
    x = conv_bn(inp, 16, 3, 2, "hswish")                     # 8x8x16
    # MobileNetV3 bottleneck with squeeze-and-excite and a residual.
    y = conv_bn(x, 32, 1, act="relu")
    y = conv_bn(y, 32, 3, act="hswish", depthwise=True)
    y = squeeze_excite(y, 32, 8)
    y = conv_bn(y, 16, 1)
    x = L.Add()([x, y])
    # SqueezeNet fire: squeeze, then two expands concatenated on channels.
    s = conv_bn(x, 8, 1, act="relu")
    e1 = conv_bn(s, 12, 1, act="relu")
    e3 = conv_bn(s, 12, 3, act="relu")
    x = L.Concatenate()([e1, e3])                            # 8x8x24
    # A gated unit: tanh(a) - sigmoid(b), as LSTM-like gates are written.
    a = L.Conv2D(16, 1, activation="tanh")(x)
    b = L.Conv2D(16, 1, activation="sigmoid")(x)
    g = L.Subtract()([a, b])
    # U-Net decoder step: downsample, upsample by nearest, concatenate the skip.
    d = conv_bn(g, 16, 3, 2, "relu6")                        # 4x4x16
    u = L.UpSampling2D(2, interpolation="nearest")(d)        # 8x8x16
    x = L.Concatenate()([u, g])                              # 8x8x32
    x = conv_bn(x, 24, 3, act="hswish")
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(10)(x)
    out = L.Softmax()(x)
    return tf.keras.Model(inp, out)


def unary(name, f, lo, hi):
    """A single-input model `f` on the [1, 16, 16, 1] input, calibrated on [lo, hi)."""
    inp = tf.keras.layers.Input((16, 16, 1), batch_size=1)
    return name, tf.keras.Model(inp, f(inp)), (lo, hi)


def one_op_models():
    """Single-operator models on a [1, 16, 16, 1] input (256 values: one input can hold every
    int8 value), each with its own calibration range so scales and zero points differ."""
    L = tf.keras.layers

    return [
        unary("logistic", tf.keras.activations.sigmoid, -7.0, 5.0),
        unary("tanh", tf.keras.activations.tanh, -3.0, 2.5),
        unary("hard_swish", hard_swish, -5.0, 6.5),
        unary("leaky_relu", lambda x: L.LeakyReLU(0.15)(x), -4.0, 9.0),
        unary("relu6", lambda x: L.ReLU(6.0)(x * 1.0 + 0.0), -3.0, 8.0),
        unary("mul_const", lambda x: x * -0.37, -2.0, 3.0),
        unary("sub_const", lambda x: x - 0.8, -2.0, 3.0),
        # A Keras Flatten of a feature map before a Dense layer: a RESHAPE that keeps NHWC order.
        unary("flatten_dense", lambda x: L.Dense(10)(L.Flatten()(L.Conv2D(4, 4, 4)(x))), -1.0, 1.0),
        # ResNet's stem: ZeroPadding2D before MaxPooling2D (a PAD no convolution can absorb).
        unary("pad_maxpool", lambda x: L.MaxPool2D(3, 2)(L.ZeroPadding2D(1)(L.Conv2D(4, 3)(x))),
              -1.0, 1.0),
        # Broadcasting: centring by the mean (SUB) and adding a global term (ADD).
        unary("sub_broadcast",
              lambda x: L.Subtract()([x, L.GlobalAveragePooling2D(keepdims=True)(x)]), -2.0, 3.0),
        unary("add_broadcast", lambda x: L.Add()([x, L.Conv2D(1, 16)(x)]), -2.0, 3.0),
    ]


def keras_block_models():
    """Blocks of Keras applications. A squeeze-and-excite block as they write it (EfficientNet's: the pooled
    vector reshaped to [1, 1, C] by a Reshape layer) on an input whose batch dimension is left
    dynamic: the converter computes the Reshape's shape at run time (SHAPE -> STRIDED_SLICE ->
    PACK)."""
    L = tf.keras.layers
    inp = L.Input((16, 16, 1))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    s = L.GlobalAveragePooling2D()(x)
    s = L.Reshape((1, 1, 8))(s)
    # No ReLU on the squeeze: with random weights it can be dead on every calibration input,
    # and TFLite then gives its output a scale of about 1e-8, whose requantization leaves the
    # 16 bits zkinfer proves before the clamp (refused at compile, BENCHMARKS.md).
    s = L.Conv2D(2, 1)(s)
    s = L.Conv2D(8, 1, activation="sigmoid")(s)
    x = L.Multiply()([x, s])
    se = tf.keras.Model(inp, L.Conv2D(1, 1)(x))
    # RegNet's grouped convolution: CONV_2D with a filter of 4 of the 8 input channels (2 groups).
    inp = L.Input((16, 16, 1), batch_size=1)
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = L.Conv2D(8, 3, padding="same", groups=2, activation="relu")(x)
    grouped = tf.keras.Model(inp, L.Conv2D(1, 1)(x))
    return [("se_reshape", se, (-1.0, 1.0)), ("grouped_conv", grouped, (-1.0, 1.0))]


def function_models():
    """Elementwise functions whose int8 kernels are tables the interpreter fills in float:
    EXP and GELU (exact and tanh-approximated), each alone on the 256-value input."""
    return [
        unary("exp", tf.math.exp, -3.0, 2.0),
        unary("gelu", lambda x: tf.nn.gelu(x, approximate=False), -4.0, 3.0),
        unary("gelu_tanh", lambda x: tf.nn.gelu(x, approximate=True), -3.5, 4.0),
    ]


def abs_sum_tile_models():
    """ABS, SUM over one axis and over height and width (kept), and TILE, each alone on the
    256-value input (written by `OUT abs_sum_tile`, TensorFlow 2.15.1)."""
    return [
        unary("abs", tf.math.abs, -3.0, 2.0),
        unary("sum_rows", lambda x: tf.reduce_sum(x, axis=2), -1.0, 2.0),
        unary("sum_hw", lambda x: tf.reduce_sum(x, axis=[1, 2], keepdims=True), -1.5, 1.0),
        unary("tile", lambda x: tf.tile(x, [1, 2, 1, 3]), -2.0, 2.0),
    ]


def tail_models():
    """Classifiers ending in what zkinfer leaves outside the proof: SOFTMAX then ARG_MAX (the
    class index), and LOG_SOFTMAX (written by `OUT tails`, TensorFlow 2.15.1)."""
    L = tf.keras.layers

    def classifier(name, tail):
        inp = L.Input((16, 16, 1), batch_size=1)
        logits = L.Dense(10)(L.Flatten()(L.Conv2D(4, 4, 4)(inp)))
        return name, tf.keras.Model(inp, tail(logits)), (-1.0, 1.0)

    return [
        classifier("argmax", lambda x: tf.argmax(L.Softmax()(x), axis=-1)),
        classifier("log_softmax", tf.nn.log_softmax),
    ]


def rearranging_models():
    """Rearranging operators (copies of stored values) after a convolution, so that the
    converter keeps them, each ending in one that mixes what they produced. Made after the
    other models, whose seeded weights therefore stay as they were."""
    L = tf.keras.layers

    def model_of(name, f):
        inp = L.Input((16, 16, 1), batch_size=1)
        return name, tf.keras.Model(inp, f(inp)), (-1.0, 1.0)

    return [
        model_of("strided_slice", strided_slice),
        model_of("split_concat", split_concat),
        model_of("unpack_pack", unpack_pack),
        model_of("space_depth_gather", space_depth_gather),
    ]


def per_channel_constants():
    """SUB, MUL and ADD by one constant per channel after a convolution."""
    L = tf.keras.layers
    inp = L.Input((16, 16, 1), batch_size=1)
    # After a ReLU, so that the converter cannot fold the scale into the convolution.
    y = L.ReLU()(L.Conv2D(4, 3, padding="same")(inp))
    z = (y - tf.constant([0.3, 0.1, 0.7, 0.2])) * tf.constant([0.5, -1.25, 2.0, 0.1])
    return inp, L.ReLU()(z) + tf.constant([-0.4, 0.25, 0.0, 0.6])


def tensor_constants():
    """MUL by constants that are not one value per channel: a spatial mask ([1, H, W, 1]) and
    a full-shape scale ([H, W, C]), each after a ReLU so that the converter keeps them apart."""
    L = tf.keras.layers
    rng = np.random.default_rng(SEED + 1)
    inp = L.Input((16, 16, 1), batch_size=1)
    y = L.ReLU()(L.Conv2D(4, 3, padding="same")(inp))
    mask = tf.constant(rng.uniform(0.0, 1.0, (1, 16, 16, 1)).astype(np.float32))
    scale = tf.constant(rng.uniform(-1.5, 1.5, (16, 16, 4)).astype(np.float32))
    return inp, L.ReLU()(y * mask) * scale


def bilinear_resizes():
    """RESIZE_BILINEAR as Keras and TensorFlow emit it: UpSampling2D(interpolation="bilinear")
    (half-pixel centres, 16 -> 32) and a v1 resize with aligned corners (32 -> 63)."""
    L = tf.keras.layers
    inp = L.Input((16, 16, 1), batch_size=1)
    y = L.ReLU()(L.Conv2D(4, 3, padding="same")(inp))
    y = L.UpSampling2D(2, interpolation="bilinear")(y)
    return inp, tf.compat.v1.image.resize_bilinear(y, (63, 63), align_corners=True)


def strided_slice(x):
    """STRIDED_SLICE with strides, begin/end masks and a shrunk axis; SLICE."""
    L = tf.keras.layers
    y = L.Conv2D(4, 3, padding="same")(x)                   # 16x16x4
    a = y[:, 1:15:2, ::3, :]                                 # 7x6x4
    b = tf.slice(y, [0, 2, 4, 1], [1, 7, 6, 2])              # SLICE: 7x6x2
    c = tf.expand_dims(y[:, 3, ::3, 1:3], 1)                 # row 3 shrunk: 1x6x2
    ab = L.Concatenate(axis=3)([a, b])                       # 7x6x6
    bc = L.Concatenate(axis=1)([b, c])                       # 8x6x2
    return L.Concatenate()([L.Flatten()(ab), L.Flatten()(bc)])


def split_concat(x):
    """SPLIT (equal pieces) and SPLIT_V (given sizes), recombined out of order."""
    L = tf.keras.layers
    y = L.Conv2D(3, 3, padding="same")(x)
    p = tf.split(y, 4, axis=2)
    q = tf.split(y, [5, 11], axis=1)
    left = L.Concatenate(axis=2)([p[3], p[1], p[0], p[2]])
    return L.Concatenate(axis=3)([left, L.Concatenate(axis=1)([q[1], q[0]])])


def unpack_pack(x):
    """UNPACK along rows, PACK back along columns in reverse, then a squeeze and expand."""
    L = tf.keras.layers
    y = L.Conv2D(2, 3, padding="same")(x)                   # 16x16x2
    rows = tf.unstack(y, axis=1)                             # 16 of 1x16x2
    z = tf.stack(rows[::-1], axis=2)                         # 1x16x16x2
    return tf.expand_dims(tf.squeeze(z[:, :, :, :1], axis=3), 1)


def space_depth_gather(x):
    """SPACE_TO_DEPTH, GATHER of channels, DEPTH_TO_SPACE."""
    L = tf.keras.layers
    y = L.Conv2D(3, 3, padding="same")(x)                   # 16x16x3
    s = tf.nn.space_to_depth(y, 2)                          # 8x8x12
    g = tf.gather(s, [11, 0, 5, 5, 2, 9, 7, 1, 3, 10, 4, 8], axis=3)
    return tf.nn.depth_to_space(g, 2)                       # 16x16x3


def convert(m, representative, float_interface=False):
    conv = tf.lite.TFLiteConverter.from_keras_model(m)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_interface:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def convert_weights_only(m, float16=False):
    """The converter asked to optimize without a representative dataset: activations stay float,
    weights are stored as int8 with a scale (dynamic-range quantization, read by the hybrid
    kernels) or, with float16, as FLOAT16 constants each read through a DEQUANTIZE."""
    conv = tf.lite.TFLiteConverter.from_keras_model(m)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if float16:
        conv.target_spec.supported_types = [tf.float16]
    return conv.convert()


def normal_samples(rng, shape, count=32):
    """A representative dataset of `count` standard normal inputs of `shape` (batch of one)."""
    def samples():
        for _ in range(count):
            yield [rng.normal(0, 1, (1,) + shape).astype(np.float32)]
    return samples


def write(out_dir, name, data):
    path = os.path.join(out_dir, name)
    with open(path, "wb") as f:
        f.write(data)
    it = tf.lite.Interpreter(model_content=data)
    ops = [o["op_name"] for o in it._get_ops_details()]
    print(f"{path}: {len(data)} bytes; operators {', '.join(ops)}")


def attention_model():
    """Self-attention as Keras writes it, then a classifier over the flattened tokens."""
    L = tf.keras.layers
    x = tf.keras.Input((8, 16), batch_size=1)
    a = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    return tf.keras.Model(x, L.Dense(10)(L.Flatten()(a)))


def encoder_model(rng):
    """A pre-norm transformer encoder block (as a ViT's), then a classifier over the tokens,
    its layer norms' scales and offsets drawn at random."""
    L = tf.keras.layers
    x0 = tf.keras.Input((8, 16), batch_size=1)
    h = L.LayerNormalization(epsilon=1e-6)(x0)
    h = L.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    x = L.Add()([x0, h])
    h = L.LayerNormalization(epsilon=1e-6)(x)
    h = L.Dense(32, activation="gelu")(h)
    h = L.Dense(16)(h)
    x = L.Add()([x, h])
    x = L.LayerNormalization(epsilon=1e-6)(x)
    m = tf.keras.Model(x0, L.Dense(10)(L.Flatten()(x)))
    randomize_layer_norms(m, rng)
    return m


def randomize_layer_norms(m, rng):
    """Draws every LayerNormalization's scale and offset at random (Keras initialises them to 1
    and 0, which would leave their multiplications untested)."""
    for layer in m.layers:
        if isinstance(layer, tf.keras.layers.LayerNormalization):
            gamma, beta = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0, 0.2, beta.shape).astype(np.float32),
            ])


def convnext_model(rng):
    """ConvNeXt's shape in small: layer norms over channels (MEAN over the last axis of a 4-D
    tensor), Dense layers over each pixel's channels (FULLY_CONNECTED keeping the dimensions),
    a depthwise 7x7 convolution; γ and β of the layer norms drawn at random."""
    L = tf.keras.layers
    inp = L.Input((16, 16, 3), batch_size=1)
    x = L.Conv2D(16, 4, strides=4)(inp)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    for _ in range(2):
        h = L.DepthwiseConv2D(7, padding="same")(x)
        h = L.LayerNormalization(epsilon=1e-6)(h)
        h = L.Dense(64, activation="gelu")(h)
        h = L.Dense(16)(h)
        x = L.Add()([x, h])
    x = L.GlobalAveragePooling2D()(x)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    m = tf.keras.Model(inp, L.Dense(10)(x))
    randomize_layer_norms(m, rng)
    return m


def main():
    one_model = [["attention"], ["encoder"], ["vit"], ["convnext"], ["causal"], ["kws"], ["elu"],
                 ["decoder"], ["prelu"], ["extrema"], ["abs_sum_tile"], ["tails"]]
    if len(sys.argv) not in (2, 3) or (sys.argv[2:] and sys.argv[2:] not in one_model):
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    if sys.argv[2:] == ["extrema"]:
        L = tf.keras.layers
        tf.keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        inp = L.Input((32, 6), batch_size=1)
        x = L.Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu")(inp)
        a = L.Conv1D(8, 1)(x)
        x = L.Minimum()([L.Maximum()([x, a]), L.Conv1D(8, 1)(a)])
        x = L.Activation("hard_sigmoid")(L.Conv1D(8, 3, padding="causal")(x))
        m = tf.keras.Model(inp, L.Dense(4)(L.GlobalAveragePooling1D()(x)))
        write(out_dir, "keras_extrema_int8.tflite", convert(m, normal_samples(rng, (32, 6))))
        return
    if sys.argv[2:] == ["prelu"]:
        L = tf.keras.layers
        tf.keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        inp = L.Input((12, 12, 3), batch_size=1)
        x = L.PReLU()(L.Conv2D(8, 3, padding="same")(inp))
        x = L.PReLU(shared_axes=[1, 2])(L.Conv2D(8, 3, strides=2, padding="same")(x))
        x = L.PReLU()(L.Dense(10)(L.Flatten()(x)))
        m = tf.keras.Model(inp, L.Dense(4)(x))
        for layer in m.layers:
            if isinstance(layer, L.PReLU):
                (alpha,) = layer.get_weights()
                layer.set_weights([rng.uniform(-0.5, 0.8, alpha.shape).astype(np.float32)])
        write(out_dir, "keras_prelu_int8.tflite", convert(m, normal_samples(rng, (12, 12, 3))))
        return
    if sys.argv[2:] == ["decoder"]:
        L = tf.keras.layers
        tf.keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        inp = L.Input((16, 16, 3), batch_size=1)
        e1 = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
        e2 = L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(e1)
        d1 = L.Conv2DTranspose(8, 4, strides=2, padding="same", activation="relu")(e2)
        d1 = L.Concatenate()([d1, e1])
        d2 = L.Conv2DTranspose(6, 3, strides=2, padding="same", activation="relu")(d1)
        d3 = L.Conv2DTranspose(4, 3, strides=1, padding="valid")(d2)
        m = tf.keras.Model(inp, L.Conv2D(3, 3)(d3))

        def images():
            for _ in range(32):
                yield [rng.uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)]

        write(out_dir, "keras_decoder_int8.tflite", convert(m, images))
        return
    if sys.argv[2:] in (["kws"], ["elu"]):
        L = tf.keras.layers
        tf.keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        if sys.argv[2:] == ["kws"]:
            shape, name = (49, 10), "keras_kws_int8.tflite"
            inp = L.Input(shape, batch_size=1)
            x = L.Conv1D(8, 3, padding="same", activation="relu")(inp)
            x = L.MaxPooling1D(2)(L.Conv1D(16, 3, activation="relu")(x))
            out = L.Dense(12, activation="softmax")(L.GlobalMaxPooling1D()(x))
        else:
            shape, name = (16, 16, 3), "keras_elu_int8.tflite"
            inp = L.Input(shape, batch_size=1)
            x = L.BatchNormalization()(L.SeparableConv2D(16, 3, padding="same")(inp))
            out = L.Dense(5)(L.GlobalMaxPooling2D()(L.ELU()(x)))
        m = tf.keras.Model(inp, out)
        write(out_dir, name, convert(m, normal_samples(rng, shape)))
        return
    if sys.argv[2:] == ["causal"]:
        import make_tflite_transformers
        L = tf.keras.layers
        tf.keras.utils.set_random_seed(SEED)
        inp = L.Input((32, 6), batch_size=1)
        x = L.Dense(24)(inp)
        x = make_tflite_transformers.encoder_block(x, 3, 8, 48, "relu", causal=True)
        m = tf.keras.Model(inp, L.Dense(5)(L.Flatten()(x)))
        rng = np.random.default_rng(SEED)
        write(out_dir, "keras_causal_int8.tflite", convert(m, normal_samples(rng, (32, 6))))
        return
    if sys.argv[2:] == ["convnext"]:
        tf.keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        m = convnext_model(rng)

        def images():
            for _ in range(32):
                yield [rng.uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)]

        write(out_dir, "keras_convnext_int8.tflite", convert(m, images))
        return
    if sys.argv[2:] == ["vit"]:
        import make_tflite_transformers
        tf.keras.utils.set_random_seed(make_tflite_transformers.SEED)
        m = make_tflite_transformers.vit()
        rng = np.random.default_rng(SEED)

        def images():
            for _ in range(32):
                yield [rng.uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)]

        write(out_dir, "keras_vit_int8.tflite", convert(m, images))
        return
    tf.keras.utils.set_random_seed(SEED)
    if sys.argv[2:] in (["attention"], ["encoder"]):
        rng = np.random.default_rng(SEED)

        def tokens():
            for _ in range(32):
                yield [rng.normal(0, 1, (1, 8, 16)).astype(np.float32)]

        if sys.argv[2:] == ["attention"]:
            write(out_dir, "keras_mha_int8.tflite", convert(attention_model(), tokens))
        else:
            write(out_dir, "keras_encoder_int8.tflite", convert(encoder_model(rng), tokens))
        return

    def write_one_op(models):
        for name, m, (lo, hi) in models:
            rng = np.random.default_rng(SEED)

            def calibration():
                for _ in range(8):
                    yield [rng.uniform(lo, hi, (1, 16, 16, 1)).astype(np.float32)]

            write(out_dir, f"op_{name}_int8.tflite", convert(m, calibration))

    if sys.argv[2:] == ["abs_sum_tile"]:
        write_one_op(abs_sum_tile_models())
        return
    if sys.argv[2:] == ["tails"]:
        tf.keras.utils.set_random_seed(SEED)
        write_one_op(tail_models())
        return

    write_one_op(one_op_models())
    m = model()
    # Random but non-trivial batch-norm statistics, so folding them is tested.
    rng = np.random.default_rng(SEED)
    for layer in m.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0, 0.2, beta.shape).astype(np.float32),
                rng.normal(0, 0.2, mean.shape).astype(np.float32),
                rng.uniform(0.5, 1.5, var.shape).astype(np.float32),
            ])

    def representative():
        for _ in range(32):
            yield [rng.uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)]

    write(out_dir, "keras_mbv3_int8.tflite", convert(m, representative))
    # The same network with TensorFlow's default float interface: QUANTIZE first and
    # DEQUANTIZE last.
    write(out_dir, "keras_mbv3_float_io.tflite", convert(m, representative, True))
    # And with only its weights made small (no calibration, so no random numbers drawn).
    write(out_dir, "keras_mbv3_dynamic_range.tflite", convert_weights_only(m))
    write(out_dir, "keras_mbv3_float16.tflite", convert_weights_only(m, float16=True))
    write_one_op(rearranging_models())
    # The same rearranging models as float TFLite (no quantization at all).
    tf.keras.utils.set_random_seed(SEED)
    for name, m, _ in rearranging_models():
        write(out_dir, f"op_{name}_float.tflite",
              tf.lite.TFLiteConverter.from_keras_model(m).convert())
    # Per-channel constants (a standalone batch normalization or a Keras Normalization layer).
    write_one_op([("channel_constants", tf.keras.Model(*per_channel_constants()), (-1.0, 1.0))])
    # MUL by a constant tensor of any other broadcastable shape.
    write_one_op([("tensor_constants", tf.keras.Model(*tensor_constants()), (-1.0, 1.0))])
    # RESIZE_BILINEAR with both coordinate rules.
    write_one_op([("resize_bilinear", tf.keras.Model(*bilinear_resizes()), (-1.0, 1.0))])
    # And as a float model (no quantization).
    write(out_dir, "op_resize_bilinear_float.tflite",
          tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(*bilinear_resizes())).convert())

    # Table-driven functions.
    write_one_op(function_models())
    # A Reshape whose shape is computed at run time (dynamic batch), a grouped convolution;
    # seeded afresh so that they can be made alone.
    tf.keras.utils.set_random_seed(SEED)
    write_one_op(keras_block_models())


if __name__ == "__main__":
    main()
