#!/usr/bin/env python3
"""Reference outputs from the TFLite interpreter, for zkinfer's fidelity test only.

Usage: tflite_reference.py MODEL.tflite INPUTS.bin COUNT OUT.bin [MODEL INPUTS COUNT OUT ...]

INPUTS.bin holds COUNT inputs in the model's input type and NHWC layout, back to back. For each,
the interpreter (builtin kernels, no delegate, so TFLite's reference integer semantics) runs and
the input of a final SOFTMAX, LOG_SOFTMAX or ARG_MAX (the values zkinfer proves; each of them
keeps the class) is written to OUT.bin, or the model's output when it ends otherwise; a final
DEQUANTIZE is looked through (its 8-bit input is what zkinfer proves). Several models may be given in groups of four, to pay
for the interpreter's start once. The product never runs this; tests compare against it.

ZKINFER_TFLITE_RESOLVER names the interpreter's kernels (an OpResolverType):
BUILTIN_WITHOUT_DEFAULT_DELEGATES by default (the optimized builtin kernels), BUILTIN_REF for
the reference kernels (int8 SOFTMAX: the fixed-point one zkinfer proves).
ZKINFER_TFLITE_FINAL_SOFTMAX=proven writes a final SOFTMAX's output instead of its input (what
zkinfer proves with `compile --prove-softmax`).
"""
import os
import sys

import numpy as np
from tflite_runtime.interpreter import Interpreter, OpResolverType


def main():
    args = sys.argv[1:]
    if not args or len(args) % 4:
        sys.exit(__doc__)
    for i in range(0, len(args), 4):
        run(args[i], args[i + 1], int(args[i + 2]), args[i + 3])


def run(model, inputs, count, out):
    it = Interpreter(
        model_path=model,
        experimental_op_resolver_type=getattr(
            OpResolverType,
            os.environ.get("ZKINFER_TFLITE_RESOLVER", "BUILTIN_WITHOUT_DEFAULT_DELEGATES"),
        ),
        experimental_preserve_all_tensors=True,
    )
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    ops = it._get_ops_details()
    # The proven output: a final DEQUANTIZE's input, then a final SOFTMAX's input.
    target = it.get_output_details()[0]["index"]
    looked_through = ["DEQUANTIZE", "ARG_MAX"]
    if os.environ.get("ZKINFER_TFLITE_FINAL_SOFTMAX") != "proven":
        looked_through += ["SOFTMAX", "LOG_SOFTMAX"]
    for name in looked_through:
        if ops and ops[-1]["op_name"] == name and ops[-1]["outputs"][0] == target:
            target = ops[-1]["inputs"][0]
            ops = ops[:-1]
    data = np.fromfile(inputs, dtype=inp["dtype"])
    per = int(np.prod(inp["shape"]))
    if data.size != per * count:
        sys.exit(f"{inputs}: {data.size} values, expected {count} x {per}")
    with open(out, "wb") as f:
        for i in range(count):
            it.set_tensor(inp["index"], data[i * per:(i + 1) * per].reshape(inp["shape"]))
            it.invoke()
            f.write(np.ascontiguousarray(it.get_tensor(target)).tobytes())


if __name__ == "__main__":
    main()
