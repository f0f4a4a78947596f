#!/usr/bin/env python3
"""Quantized ONNX models as onnxruntime's static quantization writes them (the QDQ format: the
float graph with QuantizeLinear -> DequantizeLinear pairs on its activations and int8 weights read
through DequantizeLinear), made from examples/onnx-zoo/, with onnxruntime's outputs.

    ~/.cache/zkinfer/onnx-venv/bin/python scripts/make_onnx_quantized.py

For each model: `quantize_static` calibrated on 32 seeded standard-normal inputs (MinMax), then
`<name>_qdq.onnx` and `<name>_qdq.json` in examples/onnx-quantized/, the JSON in the zoo's schema
(the zoo's 4 inputs, onnxruntime's outputs of the quantized model for them). Two settings are
covered: onnxruntime's defaults (uint8 activations, int8 weights per tensor) and the one it
recommends for x86 (int8 activations and weights, weights per channel); three also in the
QOperator format (`<name>_qop.onnx`: QLinearConv, QGemm, QLinearAdd, ...), two through
`quantize_dynamic` (`<name>_dyn.onnx`: int8 or uint8 weights, activations quantized at run
time by DynamicQuantizeLinear for MatMulInteger and ConvInteger). Also `<name>_fp16.onnx`:
half-precision models as onnxconverter-common's `convert_float_to_float16` writes them (float16
weights and activations, float32 inputs and outputs kept: a Cast in and out). Weights are the
zoo's random ones, so the outputs mean nothing. onnxruntime is a test reference only.
Versions: scripts/requirements-onnx-zoo.txt, and onnxconverter-common 1.16.0 (with numpy 2.2.6).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxconverter_common import float16
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

REPO_ROOT = Path(__file__).resolve().parent.parent
ZOO = REPO_ROOT / "examples" / "onnx-zoo"
OUT_DIR = REPO_ROOT / "examples" / "onnx-quantized"
SEED = 20261207

# (zoo model, int8 activations and per-channel weights?)
MODELS = [
    ("resnet_bn", False),
    ("mobilenetv3_block", True),
    ("efficientnet_mbconv", True),
    ("vit_encoder", False),
]


# The same in the QOperator format (QLinearConv, QGemm, QLinearAdd, ...).
QOPERATOR = [
    ("resnet_bn", False),
    ("mobilenetv3_block", True),
    ("efficientnet_mbconv", True),
    ("squeezenet_fire", True),  # QLinearConcat
    ("kws_1d", False),  # QLinearSoftmax
]

# The same through dynamic quantization (DynamicQuantizeLinear, MatMulInteger, ConvInteger):
# (zoo model, operators quantized, weight type, weights per channel?). onnxruntime's CPU
# ConvInteger takes uint8 weights only, so a transformer is quantized as its users do (its
# MatMuls, int8) and the CNN with uint8 weights.
DYNAMIC = [
    ("vit_encoder", ["MatMul"], QuantType.QInt8, False),
    ("resnet_bn", None, QuantType.QUInt8, True),
]

# Zoo models converted to half precision.
HALF = ["resnet_bn", "vit_encoder"]


class Samples(CalibrationDataReader):
    def __init__(self, name, shape):
        rng = np.random.default_rng(SEED)
        self.samples = iter(
            [{name: rng.standard_normal(shape).astype(np.float32)} for _ in range(32)])

    def get_next(self):
        return next(self.samples, None)


def write_with_outputs(out, name, zoo, inp, precision):
    """`<out>.json` beside the model: the zoo's inputs and onnxruntime's outputs of `out`."""
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    outputs = []
    for x in zoo["inputs"]:
        x = np.asarray(x, dtype=np.float32).reshape(zoo["input_shape"])
        outputs.append(session.run(None, {inp: x})[0].reshape(-1).astype(float).tolist())
    ops = sorted({n.op_type for n in onnx.load(out).graph.node})
    meta = {
        "model": out.name,
        "from": f"examples/onnx-zoo/{name}.onnx",
        **precision,
        "input_shape": zoo["input_shape"],
        "output_shape": zoo["output_shape"],
        "inputs": zoo["inputs"],
        "outputs": outputs,
        "onnxruntime": ort.__version__,
        "onnx": onnx.__version__,
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{out}: {out.stat().st_size} bytes; operators {', '.join(ops)}")


def main():
    OUT_DIR.mkdir(exist_ok=True)
    runs = [(name, s8, "qdq") for name, s8 in MODELS]
    runs += [(name, s8, "qop") for name, s8 in QOPERATOR]
    for name, s8, form in runs:
        src = ZOO / f"{name}.onnx"
        zoo = json.loads((ZOO / f"{name}.json").read_text())
        inp = onnx.load(src).graph.input[0].name
        out = OUT_DIR / f"{name}_{form}.onnx"
        quantize_static(
            str(src), str(out), Samples(inp, zoo["input_shape"]),
            quant_format=QuantFormat.QDQ if form == "qdq" else QuantFormat.QOperator,
            per_channel=s8,
            activation_type=QuantType.QInt8 if s8 else QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        write_with_outputs(out, name, zoo, inp, {
            "format": "QDQ" if form == "qdq" else "QOperator",
            "activations": "int8" if s8 else "uint8",
            "weights": "int8 per channel" if s8 else "int8 per tensor",
        })
    for name, op_types, weight_type, per_channel in DYNAMIC:
        src = ZOO / f"{name}.onnx"
        zoo = json.loads((ZOO / f"{name}.json").read_text())
        inp = onnx.load(src).graph.input[0].name
        out = OUT_DIR / f"{name}_dyn.onnx"
        quantize_dynamic(str(src), str(out), op_types_to_quantize=op_types,
                         per_channel=per_channel, weight_type=weight_type)
        stored = "int8" if weight_type == QuantType.QInt8 else "uint8"
        write_with_outputs(out, name, zoo, inp, {
            "format": "dynamic",
            "activations": "uint8 at run time",
            "weights": f"{stored} per channel" if per_channel else f"{stored} per tensor",
        })
    for name in HALF:
        src = ZOO / f"{name}.onnx"
        zoo = json.loads((ZOO / f"{name}.json").read_text())
        model = onnx.load(src)
        inp = model.graph.input[0].name
        out = OUT_DIR / f"{name}_fp16.onnx"
        onnx.save(float16.convert_float_to_float16(model, keep_io_types=True), out)
        write_with_outputs(out, name, zoo, inp, {"activations": "float16", "weights": "float16"})


if __name__ == "__main__":
    main()
