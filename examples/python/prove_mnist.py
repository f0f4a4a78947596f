"""Prove a model's prediction from Python, as a notebook user would: load an exported model,
calibrate, compile, prove one input, verify the proof, and look at what is public.

    pip install zkinfer-*.whl          # built with maturin (README: "Python")
    python examples/python/prove_mnist.py [MODEL.onnx|MODEL.tflite [CALIBRATION.json]]

With no arguments it uses the bundled MNIST example. With your own model: export it to ONNX
(torch.onnx.export) or TFLite (Keras' converter) and keep a few dozen real inputs as a numpy
array; nothing here needs PyTorch or TensorFlow.
"""

import json
import pathlib
import re
import sys
import tempfile

import numpy as np

import zkinfer

here = pathlib.Path(__file__).resolve().parent
if len(sys.argv) > 1:
    model_path = pathlib.Path(sys.argv[1])
    calibration_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
else:
    model_path = here.parent / "mnist" / "model.onnx"
    calibration_path = here.parent / "mnist" / "calibration.json"

# Calibration inputs as one numpy array, one input per row. Yours may come straight from your
# training data loader: x_train[:64]. Without any, the scales are fitted to random inputs
# (calibrate_random): fine to try a model, not to serve it.
if calibration_path is not None:
    calibration = np.asarray(json.loads(calibration_path.read_text())["input_data"], dtype=np.float32)
else:
    calibration = None

class Bar:
    """A progress bar for zkinfer's progress callback, which is called with ("start", step,
    None), then ("end", step, seconds), and ("note", line, None) between. Each step shows as an
    empty bar, then a full one with its time; a chain is proven segment by segment ("segment
    2/5: ..." notes), and those fill one bar."""

    width = 24

    def __call__(self, event, text, seconds):
        if event == "start":
            print(f"  [{' ' * self.width}] {text} ...", flush=True)
        elif event == "end":
            print(f"  [{'#' * self.width}] {text}: {seconds:.1f} s", flush=True)
        elif (m := re.match(r"segment (\d+)/(\d+)", text)) is not None:
            filled = round(self.width * int(m[1]) / int(m[2]))
            print(f"  [{'#' * filled}{' ' * (self.width - filled)}] {text}", flush=True)
        else:
            print(f"  {text}")


work = pathlib.Path(tempfile.mkdtemp(prefix="zkinfer-"))
print(f"compiling {model_path.name} (weights hidden behind a commitment, input hashed with your salt)")
model = zkinfer.compile(
    model_path, work / "model", calibration, calibrate_random=calibration is None, progress=Bar()
)
print(f"model id {model['model_id']}\nmodel commitment {model['model_commitment']}  <- publish both")

# One input to prove: the first calibration input, or random values of the model's input shape.
# (A model too large for one circuit becomes a chain: its key lists a header per segment.)
key = zkinfer.inspect_key(work / "model" / "verifier-key")
shape = (key.get("header") or key["segment_headers"][0])["input"]["shape"]
if calibration is not None:
    x = calibration[0].reshape(shape)
else:
    x = np.random.default_rng(0).random(shape, dtype=np.float32)

answer = zkinfer.predict(work / "model", x)
print(f"integer model's answer: class {answer['predicted_class']}")

print("proving")
proof = zkinfer.prove(work / "model", work / "input.proof", x, progress=Bar())
print(f"proof: {proof['bundle_bytes']} bytes in {proof['prove_seconds']:.1f} s; keep the input salt {proof['input_salt']}")

# The consumer's side: the key it trusts, the ids it pinned, the input it sent and its salt.
verdict = zkinfer.verify(
    work / "model" / "verifier-key",
    proof["proof"],
    model_id=model["model_id"],
    commitment=model["model_commitment"],
    input=x,
    input_salt=proof["input_salt"],
)
print(f"VALID: class {verdict['predicted_class']}, output {np.round(verdict['output'], 3)}")
if verdict["development_setup"]:
    print("  (under the insecure development setup: fine for a demo, proves nothing against a forger)")

bundle_info = zkinfer.inspect_bundle(proof["proof"])
public = bundle_info.get("header") or bundle_info["segment_headers"][0]
print(f"what the proof shows: the input's hash {public['input_hash']}, the output, the weight commitment;")
print("the weights and the input themselves stay private.")

bundle = bytearray(pathlib.Path(proof["proof"]).read_bytes())
bundle[len(bundle) // 2] ^= 1
(work / "tampered.proof").write_bytes(bytes(bundle))
try:
    zkinfer.verify(work / "model" / "verifier-key", work / "tampered.proof")
    sys.exit("a tampered proof verified")
except zkinfer.InvalidProofError as e:
    print(f"a tampered proof is rejected: {e}")
