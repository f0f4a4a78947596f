"""Keras's own applications (tf.keras.applications, seeded random weights, 10 classes, small
inputs) converted by tf2onnx as a TensorFlow user would, with TensorFlow's output for one
input: a probe of the ONNX front end on models nobody here wrote (BENCHMARKS.md, "Keras
applications"). Not fixtures: the files are tens of MB.

Needs tensorflow-cpu 2.15, tf2onnx 1.17 and onnx 1.16 (a development tool only):
    python scripts/probe_keras_applications.py OUT_DIR [NAME...]
writes OUT_DIR/NAME.onnx and OUT_DIR/expected.json ({"NAME.onnx": {"input", "output",
"output_shape"}}, the layout of examples/*-exports/expected.json).
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tf2onnx

D = sys.argv[1]
os.makedirs(D, exist_ok=True)
A = tf.keras.applications
apps = {
    "mobilenet_v3_small": lambda: A.MobileNetV3Small(input_shape=(96, 96, 3), weights=None, classes=10),
    "mobilenet_v3_large": lambda: A.MobileNetV3Large(input_shape=(64, 64, 3), weights=None, classes=10, minimalistic=True),
    "efficientnet_b0": lambda: A.EfficientNetB0(input_shape=(64, 64, 3), weights=None, classes=10),
    "efficientnet_v2_b0": lambda: A.EfficientNetV2B0(input_shape=(64, 64, 3), weights=None, classes=10),
    "densenet121": lambda: A.DenseNet121(input_shape=(64, 64, 3), weights=None, classes=10),
    "resnet50_v2": lambda: A.ResNet50V2(input_shape=(64, 64, 3), weights=None, classes=10),
    "xception": lambda: A.Xception(input_shape=(72, 72, 3), weights=None, classes=10),
    "inception_v3": lambda: A.InceptionV3(input_shape=(75, 75, 3), weights=None, classes=10),
    "nasnet_mobile": lambda: A.NASNetMobile(input_shape=(64, 64, 3), weights=None, classes=10),
    # Not ConvNeXtTiny or RegNetX002: tf2onnx 1.17 leaves their grouped convolutions as
    # TensorFlow's PartitionedCall, which is no ONNX operator (onnxruntime refuses the files too).
    "vgg16": lambda: A.VGG16(input_shape=(32, 32, 3), weights=None, classes=10),
    "mobilenet_v1": lambda: A.MobileNet(input_shape=(64, 64, 3), weights=None, classes=10, alpha=0.25),
}
only = sys.argv[2:] or list(apps)
exp = {}
p = os.path.join(D, "expected.json")
if os.path.exists(p):
    exp = json.load(open(p))
for name in only:
    try:
        tf.keras.utils.set_random_seed(7)
        m = apps[name]()
        shape = m.input_shape[1:]
        x = np.random.default_rng(3).uniform(0, 255, size=(1,) + shape).astype(np.float32)
        y = m(x, training=False).numpy()
        spec = (tf.TensorSpec((1,) + shape, tf.float32, name="x"),)
        tf2onnx.convert.from_keras(m, input_signature=spec, opset=13, output_path=os.path.join(D, name + ".onnx"))
        exp[name + ".onnx"] = {"input": x.flatten().tolist(), "output": y.flatten().tolist(), "output_shape": list(y.shape)}
        print("ok", name, flush=True)
    except Exception as e:
        print("FAIL", name, repr(e)[:300], flush=True)
    json.dump(exp, open(p, "w"))
