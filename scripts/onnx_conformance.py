#!/usr/bin/env python3
"""Prepares ONNX's own backend node tests for zkinfer's loader (tests/tests/onnx_conformance.rs).

    ~/.cache/zkinfer/onnx-venv/bin/python scripts/onnx_conformance.py OUT_DIR

The `onnx` package ships its node test cases (a one-node model.onnx with inputs and expected
outputs in test_data_set_*/); zkinfer's loader takes models with one float input of batch 1 and
one output, so each case is rewritten without changing the node under test:

- the node's float inputs are packed into one graph input of shape [1, total]; each is cut out
  with Slice and given its own shape back with Reshape, so the node sees exactly the tensors,
  shapes and attributes of the original case (shapes with a leading dimension other than 1
  included);
- "constants" variant: only the first input is packed, every other input becomes an initializer
  holding the case's values (how trained models carry weights, indices, pads and scales);
- "activations" variant, when the node has two or more float inputs: all of them are packed
  (a product or concatenation of computed tensors);
- one model per float output, that output being the only graph output.

Nothing is judged here: the Rust test loads every rewritten model, runs the float evaluator and
compares with the expected outputs at ONNX's tolerances. Cases this script cannot express (no
float input, a non-float output only, a sequence or optional type) are listed with the reason,
so the test counts them against the operator instead of dropping them. `_expanded` cases (the
operator's function body spelled out in other operators) are left out: the operator itself is
the claim under test.

Written for onnx 1.17.0 (scripts/requirements-onnx-zoo.txt); stdlib and numpy otherwise.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ONNX's backend runner (onnx/backend/test/runner) compares with these unless a case says more.
RTOL = 1e-3
ATOL = 1e-7
PACKED = "zkinfer_packed_input"


def node_data_dir():
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def read_tensor(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def rewrite(model, node, inputs, packed_names, out_index, opset):
    """The case's node fed from one packed input; `inputs` maps input names to arrays."""
    nodes, inits = [], []
    total = sum(int(np.prod(inputs[n].shape, dtype=np.int64)) for n in packed_names)
    offset = 0
    for i, name in enumerate(packed_names):
        arr = inputs[name]
        size = int(np.prod(arr.shape, dtype=np.int64))
        cut = PACKED
        if len(packed_names) > 1:
            cut = f"zkinfer_cut_{i}"
            if opset >= 10:
                for part, values in (("starts", [offset]), ("ends", [offset + size]), ("axes", [1])):
                    inits.append(numpy_helper.from_array(np.array(values, np.int64), f"{cut}_{part}"))
                nodes.append(helper.make_node(
                    "Slice", [PACKED, f"{cut}_starts", f"{cut}_ends", f"{cut}_axes"], [cut]))
            else:
                nodes.append(helper.make_node(
                    "Slice", [PACKED], [cut], starts=[offset], ends=[offset + size], axes=[1]))
        shape_name = f"zkinfer_shape_{i}"
        inits.append(numpy_helper.from_array(np.array(arr.shape, np.int64), shape_name))
        nodes.append(helper.make_node("Reshape", [cut, shape_name], [name]))
        offset += size
    for name, arr in inputs.items():
        if name not in packed_names:
            inits.append(numpy_helper.from_array(arr, name))
    out = node.output[out_index]
    out_info = next(o for o in model.graph.output if o.name == out)
    graph = helper.make_graph(
        nodes + [node], f"conformance_{out_index}",
        [helper.make_tensor_value_info(PACKED, TensorProto.FLOAT, [1, total])],
        [out_info], initializer=inits)
    rewritten = helper.make_model(graph, opset_imports=list(model.opset_import))
    rewritten.ir_version = model.ir_version
    packed = np.concatenate([inputs[n].astype(np.float32).ravel() for n in packed_names])
    return rewritten, packed.reshape(1, total)


def prepare_case(case_dir, out_dir, name):
    """Writes the case's variants; returns its manifest entries."""
    model = onnx.load(os.path.join(case_dir, "model.onnx"))
    if len(model.graph.node) != 1:
        return [{"case": name, "op": None, "skip": "not a single-node graph"}]
    node = model.graph.node[0]
    op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
    data_dir = os.path.join(case_dir, "test_data_set_0")
    graph_inputs = [i.name for i in model.graph.input]
    graph_outputs = [o.name for o in model.graph.output]
    try:
        inputs = {n: numpy_helper.to_array(read_tensor(os.path.join(data_dir, f"input_{i}.pb")))
                  for i, n in enumerate(graph_inputs)}
        outputs = [read_tensor(os.path.join(data_dir, f"output_{j}.pb"))
                   for j in range(len(graph_outputs))]
        expected = [numpy_helper.to_array(t) if t.data_type == TensorProto.FLOAT else None
                    for t in outputs]
    except Exception as e:  # sequences, optionals, segmented tensors: nothing to compare
        return [{"case": name, "op": op, "skip": f"inputs or outputs are not tensors ({type(e).__name__})"}]
    first = next((n for n in node.input if n), None)
    if first is None or first not in inputs or inputs[first].dtype != np.float32:
        return [{"case": name, "op": op, "skip": "the first input is not a float tensor"}]
    float_inputs = [n for n in node.input if n in inputs and inputs[n].dtype == np.float32]
    if any(inputs[n].size == 0 for n in float_inputs):
        return [{"case": name, "op": op, "skip": "an input tensor is empty"}]
    variants = [("constants", [first])]
    if len(float_inputs) > 1:
        variants.append(("activations", float_inputs))
    opset = default_opset(model) or 1
    entries = []
    for j, (out_name, expected_arr) in enumerate(zip(graph_outputs, expected)):
        if expected_arr is None:
            continue
        out_index = list(node.output).index(out_name)
        for variant, packed_names in variants:
            stem = f"{name}.{variant}.out{j}"
            rewritten, packed = rewrite(model, node, inputs, packed_names, out_index, opset)
            onnx.save(rewritten, os.path.join(out_dir, stem + ".onnx"))
            packed.astype("<f4").tofile(os.path.join(out_dir, stem + ".input.f32"))
            expected_arr.astype("<f4").tofile(os.path.join(out_dir, stem + ".expected.f32"))
            entries.append({
                "case": name, "op": op, "variant": variant, "output": j,
                "model": stem + ".onnx", "input": stem + ".input.f32",
                "expected": stem + ".expected.f32",
                "expected_shape": list(expected_arr.shape),
                "rtol": RTOL, "atol": ATOL,
            })
    if not entries:
        return [{"case": name, "op": op, "skip": "no float output"}]
    return entries


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    root = node_data_dir()
    manifest = []
    for name in sorted(os.listdir(root)):
        if "_expanded" in name:
            continue
        manifest.extend(prepare_case(os.path.join(root, name), out_dir, name))
    # Written last, under a temporary name first: a manifest on disk means a complete set.
    tmp = os.path.join(out_dir, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump({"onnx_version": onnx.__version__, "cases": manifest}, f, indent=0)
    os.replace(tmp, os.path.join(out_dir, "manifest.json"))
    cases = {e["case"] for e in manifest}
    print(f"{len(cases)} node test cases, {sum('model' in e for e in manifest)} models -> {out_dir}")


if __name__ == "__main__":
    main()
