#!/usr/bin/env python3
"""Build the small ONNX test models in examples/onnx-zoo/ and their onnxruntime reference outputs.

    ~/.cache/zkinfer/onnx-venv/bin/python scripts/make_onnx_zoo.py

Each model is written node by node with onnx.helper (no torch, no tensorflow) in the shape that
torch.onnx.export gives (graph "main_graph", tensors and nodes named like "/layer1/layer1.0/conv1/Conv"
and "/layer1/layer1.0/conv1/Conv_output_0", parameters named like "layer1.0.conv1.weight", BatchNorm
left unfolded, SiLU as Sigmoid then Mul, every Conv attribute spelled out). Weights are random from a
fixed seed per family, He-scaled so activations stay O(1). For each model the script runs the ONNX
checker and shape inference, writes <name>.onnx (with the inferred value_info, as the exporter does)
and <name>.json with 4 seeded standard-normal inputs and the onnxruntime outputs for them, checked
against onnx's pure-numpy reference evaluator. onnxruntime is a test reference only.

Deterministic: running it twice gives byte-identical files. Versions: scripts/requirements-onnx-zoo.txt.
"""

import os

# One thread: reproducible float results, and modest CPU use. Set before numpy/onnxruntime load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "examples" / "onnx-zoo"
IR_VERSION = 8  # what torch.onnx.export writes for opsets 13 and 14
SAMPLES = 4
BN_EPS = 1e-5


# --------------------------------------------------------------------------
# Graph builder
# --------------------------------------------------------------------------


class Graph:
    """Collects nodes and initializers with PyTorch-exporter naming.

    A node of type OP in module scope "/a/b" is named "/a/b/OP" (then "/a/b/OP_1", ... when the
    scope repeats an op) and its output "/a/b/OP_output_0". Parameters are initializers named by
    their module path, "a.b.weight".
    """

    def __init__(self, seed, opset):
        self.rng = np.random.default_rng(seed)
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._seen = {}

    # -- plumbing -----------------------------------------------------------

    def param(self, name, array, dtype=np.float32):
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def node(self, op, inputs, scope="", output=None, **attrs):
        base = f"{scope}/{op}"
        count = self._seen.get(base, 0)
        self._seen[base] = count + 1
        name = base if count == 0 else f"{base}_{count}"
        out = output or f"{name}_output_0"
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=name, **attrs))
        return out

    def normal(self, shape, std):
        return self.rng.standard_normal(shape) * std

    def uniform(self, shape, lo, hi):
        return self.rng.uniform(lo, hi, shape)

    # -- layers -------------------------------------------------------------

    def conv(self, x, scope, prefix, cin, cout, k, stride=1, pad=None, group=1, bias=True, dims=2,
             gain=2.0, output=None):
        """Conv with He-scaled weight [cout, cin/group, k...] and optional bias, as nn.ConvNd exports."""
        pad = k // 2 if pad is None else pad
        fan_in = (cin // group) * k ** dims
        inputs = [x, self.param(f"{prefix}.weight",
                                self.normal((cout, cin // group) + (k,) * dims, np.sqrt(gain / fan_in)))]
        if bias:
            inputs.append(self.param(f"{prefix}.bias", self.uniform(cout, -0.1, 0.1)))
        return self.node("Conv", inputs, scope, output=output,
                         dilations=[1] * dims, group=group, kernel_shape=[k] * dims,
                         pads=[pad] * (2 * dims), strides=[stride] * dims)

    def bn(self, x, scope, prefix, c):
        """Unfolded eval-mode BatchNormalization with its own scale/bias/mean/var initializers."""
        inputs = [x,
                  self.param(f"{prefix}.weight", self.uniform(c, 0.5, 1.5)),
                  self.param(f"{prefix}.bias", self.uniform(c, -0.2, 0.2)),
                  self.param(f"{prefix}.running_mean", self.uniform(c, -0.2, 0.2)),
                  self.param(f"{prefix}.running_var", self.uniform(c, 0.5, 2.0))]
        attrs = {"epsilon": BN_EPS, "momentum": 0.9}
        if self.opset >= 14:
            attrs["training_mode"] = 0
        return self.node("BatchNormalization", inputs, scope, **attrs)

    def conv_bn(self, x, scope, prefix, cin, cout, k, conv_idx="0", bn_idx="1", **kw):
        """Conv (no bias) then BatchNormalization, as torchvision's Conv2dNormActivation exports."""
        y = self.conv(x, f"{scope}/{scope.rsplit('/', 1)[-1]}.{conv_idx}", f"{prefix}.{conv_idx}",
                      cin, cout, k, bias=False, **kw)
        return self.bn(y, f"{scope}/{scope.rsplit('/', 1)[-1]}.{bn_idx}", f"{prefix}.{bn_idx}", cout)

    def silu(self, x, scope):
        """nn.SiLU at opset 13/14: Sigmoid then Mul(x, sigmoid(x))."""
        s = self.node("Sigmoid", [x], scope)
        return self.node("Mul", [x, s], scope)

    def gemm(self, x, scope, prefix, fin, fout, gain=1.0, output=None):
        """nn.Linear: Gemm(x, W[fout, fin], b, transB=1)."""
        w = self.param(f"{prefix}.weight", self.normal((fout, fin), np.sqrt(gain / fin)))
        b = self.param(f"{prefix}.bias", self.uniform(fout, -0.1, 0.1))
        return self.node("Gemm", [x, w, b], scope, output=output, alpha=1.0, beta=1.0, transB=1)

    def head(self, x, c, classes, scope="", prefix="fc"):
        """GlobalAveragePool -> Flatten -> Gemm (the torchvision classifier tail)."""
        x = self.node("GlobalAveragePool", [x], "/avgpool")
        x = self.node("Flatten", [x], "", axis=1)
        return self.gemm(x, scope, prefix, c, classes, output="output")

    def linear(self, x, scope, prefix, fin, fout, gain=1.0, output=None):
        """nn.Linear on a [batch, tokens, features] tensor: MatMul by the transposed weight
        (stored [fin, fout], as torch.onnx.export writes it), then Add of the bias."""
        w = self.param(f"onnx::MatMul_{prefix}", self.normal((fin, fout), np.sqrt(gain / fin)))
        b = self.param(f"{prefix}.bias", self.uniform(fout, -0.1, 0.1))
        y = self.node("MatMul", [x, w], scope)
        return self.node("Add", [b, y], scope, output=output)

    def layer_norm(self, x, scope, prefix, d, eps):
        """nn.LayerNorm over the last axis: LayerNormalization at opset 17 and later, else the
        decomposition torch exports (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul,
        Add)."""
        gamma = self.param(f"{prefix}.weight", self.uniform(d, 0.8, 1.2))
        beta = self.param(f"{prefix}.bias", self.uniform(d, -0.1, 0.1))
        if self.opset >= 17:
            return self.node("LayerNormalization", [x, gamma, beta], scope, axis=-1, epsilon=eps)
        mean = self.node("ReduceMean", [x], scope, axes=[-1], keepdims=1)
        centred = self.node("Sub", [x, mean], scope)
        two = self.param(f"{scope}/Constant_attr::value", np.array(2.0))
        sq = self.node("Pow", [centred, two], scope)
        var = self.node("ReduceMean", [sq], scope, axes=[-1], keepdims=1)
        eps_c = self.param(f"{scope}/Constant_1_attr::value", np.array(eps))
        var = self.node("Add", [var, eps_c], scope)
        std = self.node("Sqrt", [var], scope)
        y = self.node("Div", [centred, std], scope)
        y = self.node("Mul", [y, gamma], scope)
        return self.node("Add", [y, beta], scope)

    def gelu_erf(self, x, scope):
        """nn.GELU() below opset 20: x·0.5·(1 + erf(x/√2)), as torch exports it."""
        c = lambda i, v: self.param(f"{scope}/Constant_{i}_attr::value", np.array(v))
        e = self.node("Erf", [self.node("Div", [x, c(0, np.sqrt(2.0))], scope)], scope)
        e = self.node("Add", [e, c(1, 1.0)], scope)
        y = self.node("Mul", [x, e], scope)
        return self.node("Mul", [y, c(2, 0.5)], scope)

    def attention(self, x, scope, prefix, tokens, d, heads, mask=None):
        """Multi-head self-attention as Hugging Face's BERT/ViT export it: separate query, key
        and value Linears, each Reshape [1, T, H, d/H] and Transpose to heads first (the key to
        [1, H, d/H, T]), MatMul(q, kᵀ), Div by √(d/H), an optional additive mask, Softmax over
        the keys, MatMul with v, Transpose and Reshape back, the output Linear."""
        dh = d // heads
        split = self.param(f"{scope}/Constant_attr::value", np.array([1, tokens, heads, dh]),
                           np.int64)
        merged = self.param(f"{scope}/Constant_1_attr::value", np.array([1, tokens, d]), np.int64)
        def project(name, perm):
            y = self.linear(x, f"{scope}/{name}", f"{prefix}.{name}", d, d)
            y = self.node("Reshape", [y, split], f"{scope}/{name}")
            return self.node("Transpose", [y], f"{scope}/{name}", perm=perm)
        q = project("query", [0, 2, 1, 3])
        k = project("key", [0, 2, 3, 1])
        v = project("value", [0, 2, 1, 3])
        scores = self.node("MatMul", [q, k], scope)
        root = self.param(f"{scope}/Constant_2_attr::value", np.array(np.sqrt(dh)))
        scores = self.node("Div", [scores, root], scope)
        if isinstance(mask, tuple):
            # GPT-2's export: Where(causal, scores, finfo(float32).min).
            causal, fill = mask
            scores = self.node("Where", [causal, scores, fill], scope)
        elif mask is not None:
            scores = self.node("Add", [scores, mask], scope)
        probs = self.node("Softmax", [scores], scope, axis=-1)
        ctx = self.node("MatMul", [probs, v], scope)
        ctx = self.node("Transpose", [ctx], scope, perm=[0, 2, 1, 3])
        ctx = self.node("Reshape", [ctx, merged], scope)
        return self.linear(ctx, f"{scope}/output", f"{prefix}.output", d, d)

    def gelu_tanh(self, x, scope):
        """GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as exported."""
        c = lambda i, v: self.param(f"{scope}/Constant_{i}_attr::value", np.array(v))
        h = self.node("Mul", [c(0, 0.5), x], scope)
        cube = self.node("Pow", [x, c(1, 3.0)], scope)
        inner = self.node("Add", [x, self.node("Mul", [c(2, 0.044715), cube], scope)], scope)
        t = self.node("Tanh", [self.node("Mul", [c(3, np.sqrt(2.0 / np.pi)), inner], scope)], scope)
        return self.node("Mul", [h, self.node("Add", [c(4, 1.0), t], scope)], scope)

    def encoder_layer(self, x, scope, prefix, tokens, d, heads, hidden, eps, mask=None,
                      gelu="erf"):
        """A pre-norm transformer layer (ViT, GPT-2): x + attn(ln1(x)), then + mlp(ln2(x))."""
        h = self.layer_norm(x, f"{scope}/ln1", f"{prefix}.ln1", d, eps)
        h = self.attention(h, f"{scope}/attn", f"{prefix}.attn", tokens, d, heads, mask)
        x = self.node("Add", [x, h], scope)
        h = self.layer_norm(x, f"{scope}/ln2", f"{prefix}.ln2", d, eps)
        h = self.linear(h, f"{scope}/mlp/fc1", f"{prefix}.mlp.fc1", d, hidden, gain=2.0)
        h = (self.gelu_erf if gelu == "erf" else self.gelu_tanh)(h, f"{scope}/mlp/act")
        h = self.linear(h, f"{scope}/mlp/fc2", f"{prefix}.mlp.fc2", hidden, d)
        return self.node("Add", [x, h], scope, output=None)

    # -- model --------------------------------------------------------------

    def model(self, input_shape, output_shape, input_type=TensorProto.FLOAT):
        graph = helper.make_graph(
            self.nodes, "main_graph",
            [helper.make_tensor_value_info("input", input_type, list(input_shape))],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(output_shape))],
            initializer=self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  ir_version=IR_VERSION, producer_name="zkinfer-make_onnx_zoo",
                                  producer_version="1")
        return model


# --------------------------------------------------------------------------
# Families
# --------------------------------------------------------------------------


def resnet_bn():
    """ResNet stem + one basic block, BatchNorm unfolded, plus a standalone BN after the Add."""
    g, c = Graph(seed=1001, opset=13), 8
    x = g.conv("input", "/conv1", "conv1", 3, c, 3, stride=2, bias=False)
    x = g.bn(x, "/bn1", "bn1", c)
    skip = x = g.node("Relu", [x], "/relu")
    s = "/layer1/layer1.0"
    x = g.conv(x, f"{s}/conv1", "layer1.0.conv1", c, c, 3, bias=False)
    x = g.bn(x, f"{s}/bn1", "layer1.0.bn1", c)
    x = g.node("Relu", [x], f"{s}/relu")
    x = g.conv(x, f"{s}/conv2", "layer1.0.conv2", c, c, 3, bias=False)
    x = g.bn(x, f"{s}/bn2", "layer1.0.bn2", c)
    x = g.node("Add", [x, skip], s)
    x = g.bn(x, f"{s}/bn3", "layer1.0.bn3", c)  # per-channel affine not preceded by a Conv
    x = g.node("Relu", [x], f"{s}/relu_1")
    x = g.head(x, c, 10, "/fc", "fc")
    return g.model([1, 3, 16, 16], [1, 10])


def squeezenet_fire():
    """SqueezeNet 1.1 shape: Conv stem, MaxPool(3, 2, ceil_mode), one Fire module, Conv classifier."""
    g = Graph(seed=1002, opset=13)
    x = g.conv("input", "/features/features.0", "features.0", 3, 8, 3)
    x = g.node("Relu", [x], "/features/features.1")
    x = g.node("MaxPool", [x], "/features/features.2", ceil_mode=1, dilations=[1, 1],
               kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[2, 2])  # 16x16 -> 8x8 (7x7 without ceil)
    f = "/features/features.3"
    sq = g.conv(x, f"{f}/squeeze", "features.3.squeeze", 8, 4, 1)
    sq = g.node("Relu", [sq], f"{f}/squeeze_activation")
    e1 = g.conv(sq, f"{f}/expand1x1", "features.3.expand1x1", 4, 8, 1)
    e1 = g.node("Relu", [e1], f"{f}/expand1x1_activation")
    e3 = g.conv(sq, f"{f}/expand3x3", "features.3.expand3x3", 4, 8, 3)
    e3 = g.node("Relu", [e3], f"{f}/expand3x3_activation")
    x = g.node("Concat", [e1, e3], f, axis=1)
    x = g.conv(x, "/classifier/classifier.1", "classifier.1", 16, 10, 1)
    x = g.node("Relu", [x], "/classifier/classifier.2")
    x = g.node("GlobalAveragePool", [x], "/classifier/classifier.3")
    g.node("Flatten", [x], "", output="output", axis=1)
    return g.model([1, 3, 16, 16], [1, 10])


def efficientnet_mbconv():
    """EfficientNet stem (Conv s2, BN, SiLU) + one MBConv with squeeze-and-excite and a residual Add."""
    g, c, e, r = Graph(seed=1003, opset=13), 8, 16, 4
    stem = "/features/features.0"
    x = g.conv_bn("input", stem, "features.0", 3, c, 3, stride=2)
    skip = x = g.silu(x, f"{stem}/features.0.2")
    b = "/features/features.1/features.1.0/block"
    p = "features.1.0.block"
    x = g.conv_bn(x, f"{b}/block.0", f"{p}.0", c, e, 1)                       # expand 1x1
    x = g.silu(x, f"{b}/block.0/block.0.2")
    x = g.conv_bn(x, f"{b}/block.1", f"{p}.1", e, e, 3, group=e)               # depthwise 3x3
    x = g.silu(x, f"{b}/block.1/block.1.2")
    se = f"{b}/block.2"
    s = g.node("GlobalAveragePool", [x], f"{se}/avgpool")
    s = g.conv(s, f"{se}/fc1", f"{p}.2.fc1", e, r, 1)
    s = g.silu(s, f"{se}/activation")
    s = g.conv(s, f"{se}/fc2", f"{p}.2.fc2", r, e, 1, gain=1.0)
    s = g.node("Sigmoid", [s], f"{se}/scale_activation")
    x = g.node("Mul", [x, s], se)                                              # [1,e,H,W] * [1,e,1,1]
    x = g.conv_bn(x, f"{b}/block.3", f"{p}.3", e, c, 1, gain=1.0)              # project 1x1, no act
    x = g.node("Add", [x, skip], "/features/features.1/features.1.0")
    x = g.head(x, c, 10, "/classifier/classifier.1", "classifier.1")
    return g.model([1, 3, 16, 16], [1, 10])


def mobilenetv3_block():
    """MobileNetV3 stem (Conv s2, BN, HardSwish) + one InvertedResidual (depthwise, SE, project, Add)."""
    g, c, r = Graph(seed=1004, opset=14), 16, 8
    stem = "/features/features.0"
    x = g.conv_bn("input", stem, "features.0", 3, c, 3, stride=2)
    skip = x = g.node("HardSwish", [x], f"{stem}/features.0.2")
    b = "/features/features.1/block"
    p = "features.1.block"
    x = g.conv_bn(x, f"{b}/block.0", f"{p}.0", c, c, 3, group=c)               # depthwise 3x3
    x = g.node("HardSwish", [x], f"{b}/block.0/block.0.2")
    se = f"{b}/block.1"
    s = g.node("GlobalAveragePool", [x], f"{se}/avgpool")
    s = g.conv(s, f"{se}/fc1", f"{p}.1.fc1", c, r, 1)
    s = g.node("Relu", [s], f"{se}/activation")
    s = g.conv(s, f"{se}/fc2", f"{p}.1.fc2", r, c, 1, gain=1.0)
    s = g.node("HardSigmoid", [s], f"{se}/scale_activation", alpha=1.0 / 6.0, beta=0.5)
    x = g.node("Mul", [s, x], se)             # torchvision's `scale * input`: [1,c,1,1] * [1,c,H,W]
    x = g.conv_bn(x, f"{b}/block.2", f"{p}.2", c, c, 1, gain=1.0)              # project 1x1, no act
    x = g.node("Add", [x, skip], "/features/features.1")
    x = g.head(x, c, 10, "/classifier/classifier.0", "classifier.0")
    return g.model([1, 3, 16, 16], [1, 10])


def kws_1d():
    """Keyword-spotting 1-D CNN over [1, 8 channels, 32 frames], softmax over 12 keywords."""
    g = Graph(seed=1005, opset=13)
    x = g.conv("input", "/conv1", "conv1", 8, 16, 3, pad=1, stride=1, dims=1)  # -> [1,16,32]
    x = g.node("Relu", [x], "/relu1")
    x = g.node("MaxPool", [x], "/pool", ceil_mode=0, dilations=[1], kernel_shape=[2], pads=[0, 0],
               strides=[2])                                                     # -> [1,16,16]
    x = g.conv(x, "/conv2", "conv2", 16, 16, 3, pad=1, stride=2, dims=1)        # -> [1,16,8]
    x = g.node("Relu", [x], "/relu2")
    x = g.node("ReduceMean", [x], "", axes=[2], keepdims=0)                     # -> [1,16]
    x = g.gemm(x, "/fc", "fc", 16, 12, gain=4.0)
    g.node("Softmax", [x], "", output="output", axis=-1)
    return g.model([1, 8, 32], [1, 12])


def unet_encoder(g):
    """The two U-Nets' encoder: Conv, Relu (the skip, [1,4,16,16]), MaxPool 2, Conv, Relu
    ([1,8,8,8]). Returns (skip, features)."""
    x = g.conv("input", "/enc1/conv", "enc1.conv", 3, 4, 3)
    skip = x = g.node("Relu", [x], "/enc1/relu")
    x = g.node("MaxPool", [x], "/pool", ceil_mode=0, dilations=[1, 1], kernel_shape=[2, 2],
               pads=[0, 0, 0, 0], strides=[2, 2])
    x = g.conv(x, "/enc2/conv", "enc2.conv", 4, 8, 3)
    return skip, g.node("Relu", [x], "/enc2/relu")


def unet_decoder():
    """Two-level U-Net: encoder, MaxPool, bottleneck, nearest 2x Resize, skip Concat, decoder, 1x1 head."""
    g = Graph(seed=1006, opset=13)
    skip, x = unet_encoder(g)
    scales = g.param("/up/Constant_output_0", [1.0, 1.0, 2.0, 2.0])
    x = g.node("Resize", [x, "", scales], "/up", coordinate_transformation_mode="asymmetric",
               cubic_coeff_a=-0.75, mode="nearest", nearest_mode="floor")       # [1,8,16,16]
    x = g.node("Concat", [skip, x], "", axis=1)                                 # [1,12,16,16]
    x = g.conv(x, "/dec1/conv", "dec1.conv", 12, 4, 3)
    x = g.node("Relu", [x], "/dec1/relu")
    g.conv(x, "/head", "head", 4, 2, 1, gain=1.0, output="output")              # [1,2,16,16]
    return g.model([1, 3, 16, 16], [1, 2, 16, 16])


def unet_upconv():
    """U-Net level with a learned up-convolution (ConvTranspose 2x2, stride 2, as nn.ConvTranspose2d
    exports it) and per-pixel class probabilities (Softmax over the channel axis)."""
    g = Graph(seed=1008, opset=13)
    skip, x = unet_encoder(g)
    w = g.param("up.weight", g.normal((8, 4, 2, 2), np.sqrt(2.0 / 32)))         # [C_in, C_out, k, k]
    b = g.param("up.bias", g.uniform(4, -0.1, 0.1))
    x = g.node("ConvTranspose", [x, w, b], "/up", dilations=[1, 1], group=1, kernel_shape=[2, 2],
               output_padding=[0, 0], pads=[0, 0, 0, 0], strides=[2, 2])        # [1,4,16,16]
    x = g.node("Concat", [skip, x], "", axis=1)                                 # [1,8,16,16]
    x = g.conv(x, "/dec1/conv", "dec1.conv", 8, 4, 3)
    x = g.node("Relu", [x], "/dec1/relu")
    x = g.conv(x, "/head", "head", 4, 2, 1, gain=1.0)                           # [1,2,16,16]
    g.node("Softmax", [x], "/softmax", output="output", axis=1)
    return g.model([1, 3, 16, 16], [1, 2, 16, 16])


def seg_bilinear():
    """Segmentation head as torchvision's FCN/DeepLab export it: features at 1/2 resolution,
    a 1x1 classifier, then F.interpolate(mode="bilinear", align_corners=False) back to the input
    size (Resize linear, pytorch_half_pixel, sizes given)."""
    g = Graph(seed=1009, opset=13)
    x = g.conv("input", "/backbone/conv1", "backbone.conv1", 3, 8, 3, stride=2)  # [1,8,8,8]
    x = g.node("Relu", [x], "/backbone/relu1")
    x = g.conv(x, "/backbone/conv2", "backbone.conv2", 8, 8, 3)
    x = g.node("Relu", [x], "/backbone/relu2")
    x = g.conv(x, "/classifier", "classifier", 8, 2, 1, gain=1.0)               # [1,2,8,8]
    sizes = g.param("/Concat_output_0", [1, 2, 16, 16], dtype=np.int64)
    g.node("Resize", [x, "", "", sizes], "/interpolate", output="output",
           coordinate_transformation_mode="pytorch_half_pixel", cubic_coeff_a=-0.75,
           mode="linear", nearest_mode="floor")                               # [1,2,16,16]
    return g.model([1, 3, 16, 16], [1, 2, 16, 16])


def mlp_activations():
    """MLP over 16 features with Tanh, Sigmoid and LeakyRelu between the Linear layers."""
    g = Graph(seed=1007, opset=13)
    x = g.gemm("input", "/net/net.0", "net.0", 16, 32)
    x = g.node("Tanh", [x], "/net/net.1")
    x = g.gemm(x, "/net/net.2", "net.2", 32, 32, gain=4.0)
    x = g.node("Sigmoid", [x], "/net/net.3")
    x = g.gemm(x, "/net/net.4", "net.4", 32, 16, gain=8.0)
    x = g.node("LeakyRelu", [x], "/net/net.5", alpha=0.1)
    g.gemm(x, "/net/net.6", "net.6", 16, 10, gain=2.0, output="output")
    return g.model([1, 16], [1, 10])


def vit_encoder():
    """Opset 17. A tiny ViT: 4x4 patches of a [1, 3, 16, 16] image (Conv stride 4 to 32
    features), Flatten to [1, 32, 16], Transpose to 16 tokens, a learned position embedding
    (Add), one pre-norm encoder layer with 2 heads (LayerNormalization, MatMul Q·Kᵀ, Softmax,
    MatMul ·V, GELU MLP), a final LayerNormalization, mean over tokens, Gemm to 10 classes."""
    g = Graph(seed=1010, opset=17)
    tokens, d = 16, 32
    x = g.conv("input", "/patch_embed/proj", "patch_embed.proj", 3, d, 4, stride=4, pad=0,
               gain=1.0)
    shape = g.param("/patch_embed/Constant_attr::value", np.array([1, d, tokens]), np.int64)
    x = g.node("Reshape", [x, shape], "/patch_embed")
    x = g.node("Transpose", [x], "/patch_embed", perm=[0, 2, 1])
    pos = g.param("pos_embed", g.normal((1, tokens, d), 0.02))
    x = g.node("Add", [x, pos], "")
    x = g.encoder_layer(x, "/blocks/blocks.0", "blocks.0", tokens, d, 2, 2 * d, 1e-6)
    x = g.layer_norm(x, "/norm", "norm", d, 1e-6)
    x = g.node("ReduceMean", [x], "", axes=[1], keepdims=0)
    g.gemm(x, "/head", "head", d, 10, output="output")
    return g.model([1, 3, 16, 16], [1, 10])


def gpt_decoder():
    """Opset 14. A tiny GPT-2-shaped decoder over 8 embedded tokens ([1, 8, 32] input): two
    pre-norm layers with LayerNorm decomposed as torch exports it below opset 17 (ReduceMean,
    Sub, Pow, Sqrt, Div), causal self-attention with an additive mask (a constant -10000 above
    the diagonal, Add before Softmax), GELU by Erf, a final LayerNorm and a Linear to 16 token
    logits at every position."""
    g = Graph(seed=1011, opset=14)
    tokens, d = 8, 32
    causal = np.triu(np.full((tokens, tokens), -10000.0), 1).reshape(1, 1, tokens, tokens)
    mask = g.param("attn.causal_mask", causal)
    x = "input"
    for i in range(2):
        x = g.encoder_layer(x, f"/h/h.{i}", f"h.{i}", tokens, d, 4, 4 * d, 1e-5, mask)
    x = g.layer_norm(x, "/ln_f", "ln_f", d, 1e-5)
    g.linear(x, "/lm_head", "lm_head", d, 16, output="output")
    return g.model([1, tokens, d], [1, tokens, 16])


VOCAB = 32


def gpt_tokens():
    """Opset 14. GPT-2's own front and back on 8 token ids ([1, 8] int64 input): token
    embedding Gather(wte, ids), position embedding Gather(wpe, constant positions), one layer
    with 4 heads, a Where causal mask (bool buffer, float32 min fill), the tanh GELU, a final
    LayerNorm and a Linear to the 32-token vocabulary at every position."""
    g = Graph(seed=1012, opset=14)
    tokens, d = 8, 32
    wte = g.param("wte.weight", g.normal((VOCAB, d), 0.5))
    wpe = g.param("wpe.weight", g.normal((16, d), 0.1))
    positions = g.param("/Constant_attr::value", np.arange(tokens).reshape(1, tokens), np.int64)
    x = g.node("Add", [g.node("Gather", [wte, "input"], "/wte"),
                       g.node("Gather", [wpe, positions], "/wpe")], "")
    causal = np.tril(np.ones((tokens, tokens), dtype=bool)).reshape(1, 1, tokens, tokens)
    g.initializers.append(numpy_helper.from_array(causal, "h.0.attn.bias"))
    fill = g.param("/h.0/attn/Constant_3_attr::value", np.array(np.finfo(np.float32).min))
    x = g.encoder_layer(x, "/h/h.0", "h.0", tokens, d, 4, 4 * d, 1e-5, ("h.0.attn.bias", fill),
                        gelu="tanh")
    x = g.layer_norm(x, "/ln_f", "ln_f", d, 1e-5)
    g.linear(x, "/lm_head", "lm_head", d, VOCAB, output="output")
    return g.model([1, tokens], [1, tokens, VOCAB], TensorProto.INT64)


# The text example's tokenizer (examples/text/tokenizer.json): 36 characters, a 16-character context.
TEXT_VOCAB = 36


def char_mlp():
    """Opset 14. A character-level neural language model in the shape of Bengio et al. (2003),
    over the text example's vocabulary and context, so its tokenizer fits (the browser suite's
    small text model): nn.Embedding as Gather(wte, ids) to [1, 16, 8], nn.Flatten, Linear
    128 -> 32, Tanh, Linear 32 -> 36: the next character's logits."""
    g = Graph(seed=1013, opset=14)
    context, d, hidden = 16, 8, 32
    wte = g.param("wte.weight", g.normal((TEXT_VOCAB, d), 1.0))
    x = g.node("Gather", [wte, "input"], "/wte")
    x = g.node("Flatten", [x], "/flatten", axis=1)
    x = g.gemm(x, "/fc1", "fc1", context * d, hidden)
    x = g.node("Tanh", [x], "/act")
    g.gemm(x, "/fc2", "fc2", hidden, TEXT_VOCAB, gain=4.0, output="output")
    return g.model([1, context], [1, TEXT_VOCAB], TensorProto.INT64)


FAMILIES = [
    ("resnet_bn", resnet_bn, 2001),
    ("squeezenet_fire", squeezenet_fire, 2002),
    ("efficientnet_mbconv", efficientnet_mbconv, 2003),
    ("mobilenetv3_block", mobilenetv3_block, 2004),
    ("kws_1d", kws_1d, 2005),
    ("unet_decoder", unet_decoder, 2006),
    ("mlp_activations", mlp_activations, 2007),
    ("unet_upconv", unet_upconv, 2008),
    ("seg_bilinear", seg_bilinear, 2009),
    ("vit_encoder", vit_encoder, 2010),
    ("gpt_decoder", gpt_decoder, 2011),
    ("gpt_tokens", gpt_tokens, 2012),
    ("char_mlp", char_mlp, 2013),
]

DESCRIPTIONS = {
    "resnet_bn": "ResNet stem (Conv 3x3 s2, BN, Relu) and one basic block (Conv, BN, Relu, Conv, BN, "
                 "Add skip), then a standalone BN after the Add (not preceded by a Conv), Relu, "
                 "GlobalAveragePool, Flatten, Gemm. BatchNorm unfolded, Convs without bias.",
    "squeezenet_fire": "SqueezeNet 1.1 shape: Conv stem, Relu, MaxPool 3x3 s2 with ceil_mode=1 (as "
                       "torchvision; 16x16 -> 8x8), a Fire module (squeeze 1x1, expand 1x1 and 3x3 "
                       "branches, Concat), Conv 1x1 classifier, Relu, GlobalAveragePool, Flatten.",
    "efficientnet_mbconv": "EfficientNet stem (Conv s2, BN, SiLU) and one MBConv: expand 1x1, BN, SiLU, "
                           "depthwise 3x3 (group=16), BN, SiLU, squeeze-and-excite (Mul(x, s) with s "
                           "[1,C,1,1]), project 1x1, BN, Add skip; then GlobalAveragePool, Flatten, Gemm. "
                           "SiLU is Sigmoid then Mul(x, sigmoid(x)), as exported at opset 13.",
    "mobilenetv3_block": "Opset 14. MobileNetV3 stem (Conv s2, BN, HardSwish) and one InvertedResidual: "
                         "depthwise 3x3, BN, HardSwish, SE (Relu, HardSigmoid alpha=1/6 beta=0.5, "
                         "Mul(s, x) as torchvision's `scale * input`), project 1x1, BN, Add skip; then "
                         "GlobalAveragePool, Flatten, Gemm.",
    "kws_1d": "Keyword-spotting 1-D CNN on [1, 8, 32] (channels x frames): Conv1d k3 p1, Relu, MaxPool1d 2, "
              "Conv1d k3 p1 s2, Relu, ReduceMean over time (axes attribute, keepdims 0), Gemm, Softmax. "
              "The output is the softmax.",
    "unet_decoder": "Two-level U-Net: Conv, Relu (skip), MaxPool 2, Conv, Relu, Resize nearest x2 (roi \"\", "
                    "scales initializer, asymmetric, floor), Concat(skip, up), Conv, Relu, Conv 1x1 to 2 "
                    "channels of per-pixel logits.",
    "unet_upconv": "U-Net level with a learned up-convolution: Conv, Relu (skip), MaxPool 2, Conv, Relu, "
                   "ConvTranspose 2x2 stride 2 (nn.ConvTranspose2d), Concat(skip, up), Conv, Relu, Conv "
                   "1x1 to 2 channels, Softmax over the channel axis (per-pixel probabilities).",
    "seg_bilinear": "Segmentation head as torchvision exports FCN/DeepLab: Conv s2, Relu, Conv, Relu, Conv "
                    "1x1 to 2 classes at half resolution, Resize linear (bilinear, pytorch_half_pixel, "
                    "sizes) back to 16x16: per-pixel logits.",
    "vit_encoder": "Opset 17. ViT: Conv 4x4 stride 4 patch embedding, Reshape, Transpose to [1, 16, 32] "
                   "tokens, Add position embedding, a pre-norm layer (LayerNormalization; query, key and "
                   "value MatMul+Add, Reshape, Transpose to 2 heads, MatMul Q·Kᵀ, Div √16, Softmax, "
                   "MatMul ·V, Transpose, Reshape, output MatMul+Add, Add residual; LayerNormalization, "
                   "MatMul+Add, GELU as Div/Erf/Add/Mul/Mul, MatMul+Add, Add residual), "
                   "LayerNormalization, ReduceMean over tokens, Gemm to 10 classes.",
    "gpt_decoder": "Opset 14. GPT-2 shape on [1, 8, 32] embedded tokens: two pre-norm layers with 4 heads, "
                   "LayerNorm decomposed (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul, "
                   "Add), causal attention (MatMul Q·Kᵀ, Div, Add of a constant -10000 upper-triangle "
                   "mask, Softmax, MatMul ·V), GELU by Erf; final LayerNorm and a Linear to 16 logits "
                   "per position.",
    "gpt_tokens": "Opset 14. GPT-2's ends on [1, 8] int64 token ids (vocabulary 32): Gather(wte, ids) token "
                  "embedding, Gather(wpe, constant positions), one pre-norm layer of 4 heads with the causal "
                  "mask as GPT-2 exports it (Where(bool buffer, scores, float32 min)), the tanh GELU "
                  "(Mul, Pow 3, Mul, Add, Mul, Tanh, Add, Mul), a final LayerNorm and a Linear to 32 logits "
                  "per position.",
    "mlp_activations": "MLP on [1, 16]: Gemm, Tanh, Gemm, Sigmoid, Gemm, LeakyRelu(0.1), Gemm to [1, 10].",
    "char_mlp": "Opset 14. A character-level neural language model (Bengio et al., 2003) on [1, 16] int64 "
                "ids of the text example's 36-character vocabulary: Gather(wte, ids) embedding, Flatten "
                "to [1, 128], Gemm, Tanh, Gemm to the next character's 36 logits. The browser suite's "
                "small text model (examples/text/tokenizer.json fits it).",
}


# --------------------------------------------------------------------------
# Checks, references and output
# --------------------------------------------------------------------------


def shapes(model):
    """Static shape of every tensor in the (shape-inferred) model."""
    out = {}
    for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        out[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        out[init.name] = list(init.dims)
    return out


def macs(model):
    """Multiply-accumulates of the Conv, Gemm and MatMul nodes."""
    sh, total = shapes(model), 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            w = sh[n.input[1]]
            total += int(np.prod(sh[n.output[0]])) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            total += int(np.prod(sh[n.output[0]])) * sh[n.input[0]][-1]
    return total


def floats(array):
    return [float(v) for v in np.asarray(array, dtype=np.float32).ravel()]


class InferenceBatchNormalization(OpRun):
    """BatchNormalization for onnx's reference evaluator: onnx 1.17's BatchNormalization-9 (used up
    to opset 13) always mixes in the batch statistics, since the schema's default momentum is never
    None; at inference it is the plain per-channel affine on the running statistics."""

    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon)
        return ((y * scale.reshape(shape) + bias.reshape(shape)).astype(x.dtype),)


InferenceBatchNormalization.__name__ = "BatchNormalization"


def token_vocabulary(model):
    """A token model's vocabulary: the rows of the embedding its input ids Gather from."""
    tables = {t.name: t for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Gather" and n.input[1] == "input" and n.input[0] in tables:
            return tables[n.input[0]].dims[0]
    sys.exit("a model of token ids without a Gather of its input from an embedding")


def build(name, make, input_seed):
    model = make()
    onnx.checker.check_model(model, full_check=True)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    onnx.checker.check_model(model, full_check=True)
    sh = shapes(model)
    in_shape, out_shape = sh["input"], sh["output"]
    missing = [o for n in model.graph.node for o in n.output if not sh.get(o) or 0 in sh[o]]
    if missing:
        sys.exit(f"{name}: shape inference left {missing} without a static shape")

    data = model.SerializeToString()
    (OUT_DIR / f"{name}.onnx").write_bytes(data)

    rng = np.random.default_rng(input_seed)
    integer_input = model.graph.input[0].type.tensor_type.elem_type == TensorProto.INT64
    if integer_input:
        vocab = token_vocabulary(model)
        inputs = [rng.integers(0, vocab, in_shape).astype(np.int64) for _ in range(SAMPLES)]
    else:
        inputs = [rng.standard_normal(in_shape).astype(np.float32) for _ in range(SAMPLES)]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    reference = ReferenceEvaluator(model, new_ops=[InferenceBatchNormalization])
    outputs = []
    for x in inputs:
        (y,) = session.run(["output"], {"input": x})
        (y_ref,) = reference.run(None, {"input": x})
        if list(y.shape) != out_shape or not np.allclose(y, y_ref, rtol=1e-4, atol=1e-5):
            sys.exit(f"{name}: onnxruntime and the onnx reference evaluator disagree "
                     f"(max diff {np.max(np.abs(y - y_ref))})")
        outputs.append(y)

    lines = ["{",
             f'  "model": {json.dumps(name + ".onnx")},',
             f'  "input_shape": {json.dumps(in_shape)},',
             f'  "output_shape": {json.dumps(out_shape)},',
             f'  "opset": {model.opset_import[0].version},',
             *([f'  "token_ids_below": {vocab},'] if integer_input else []),
             '  "inputs": [',
             ",\n".join("    " + json.dumps(floats(x)) for x in inputs),
             "  ],",
             '  "outputs": [',
             ",\n".join("    " + json.dumps(floats(y)) for y in outputs),
             "  ],",
             f'  "onnxruntime": {json.dumps(ort.__version__)},',
             f'  "onnx": {json.dumps(onnx.__version__)}',
             "}"]
    (OUT_DIR / f"{name}.json").write_text("\n".join(lines) + "\n")

    y = np.stack(outputs)
    ops = [n.op_type for n in model.graph.node]
    print(f"{name}: opset {model.opset_import[0].version}, {in_shape} -> {out_shape}, "
          f"{len(ops)} nodes, {macs(model):,} MACs, output mean {y.mean():+.3f} std {y.std():.3f} "
          f"max|y| {np.abs(y).max():.3f}")
    return {"name": name, "ops": ops, "macs": macs(model), "in": in_shape, "out": out_shape,
            "opset": model.opset_import[0].version}


def readme(rows):
    lines = [
        "# ONNX zoo: small exporter-shaped test models",
        "",
        "Small float models in the shape `torch.onnx.export` gives them (graph `main_graph`,",
        "nodes and tensors named like `/layer1/layer1.0/conv1/Conv` and",
        "`/layer1/layer1.0/conv1/Conv_output_0`, parameters as initializers named like",
        "`layer1.0.conv1.weight`, BatchNormalization left unfolded, SiLU as Sigmoid then Mul),",
        "for testing the ONNX loader and compiler. They are sized to prove quickly. The weights are",
        "random (fixed seed per family, He-scaled so activations stay O(1); BatchNorm variances in",
        "[0.5, 2]), so the outputs mean nothing; they are not trained models.",
        "",
        "| model | opset | input | output | MACs | nodes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| `{r['name']}.onnx` | {r['opset']} | {r['in']} | {r['out']} | {r['macs']:,} | "
                     f"{' → '.join(r['ops'])} |")
    lines += ["", "## Models", ""]
    for r in rows:
        lines.append(f"- `{r['name']}`: {DESCRIPTIONS[r['name']]}")
    lines += [
        "",
        "## Files",
        "",
        "Each `<name>.onnx` has one graph input `input` and one graph output `output`, batch 1,",
        "float32, static shapes, with the value_info from ONNX shape inference. Each `<name>.json`",
        "holds `model`, `input_shape`, `output_shape`, `opset`, 4 seeded standard-normal `inputs`",
        "(for a model of int64 token ids, uniform ids below its `token_ids_below`)",
        "and the matching `outputs`, each a flat row-major list of float32 values written in full",
        "(they parse back to the exact float32), and the `onnxruntime` and `onnx` versions used.",
        "",
        "## How they were made",
        "",
        "`scripts/make_onnx_zoo.py` writes every node with `onnx.helper` (no torch or tensorflow),",
        "runs the ONNX checker and shape inference, and runs each input through onnxruntime (CPU,",
        "one thread, default graph optimizations), checking it against onnx's pure-numpy reference",
        "evaluator. It is deterministic: rerunning it rewrites these files byte for byte. To",
        "regenerate (the venv is made once with the versions in",
        "`scripts/requirements-onnx-zoo.txt`):",
        "",
        "    python3 -m venv ~/.cache/zkinfer/onnx-venv",
        "    ~/.cache/zkinfer/onnx-venv/bin/pip install -r scripts/requirements-onnx-zoo.txt",
        "    ~/.cache/zkinfer/onnx-venv/bin/python scripts/make_onnx_zoo.py",
        "",
        "onnxruntime is a test reference only: zkinfer never runs it; its float outputs are the",
        "reference that tests compare zkinfer's results to.",
    ]
    return "\n".join(lines) + "\n"


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rows = [build(name, make, seed) for name, make, seed in FAMILIES]
    (OUT_DIR / "README.md").write_text(readme(rows))


if __name__ == "__main__":
    main()
