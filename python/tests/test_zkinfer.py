"""The Python package end to end, as a notebook user runs it: the bundled MNIST example compiled
with the defaults (weights hidden, input hashed with a salt), a digit proven and verified from
Python, tampering rejected, and bad inputs refused with clear errors. `.ci/run` runs this in a
fresh virtual environment with only the wheel, numpy and pytest installed, from a directory
outside the repository: nothing here needs ../shared or the source tree's Python."""

import json
import os
import pathlib
import threading
import time

import numpy as np
import pytest

import zkinfer

REPO = pathlib.Path(os.environ.get("ZKINFER_REPO", pathlib.Path(__file__).resolve().parents[2]))
MNIST = REPO / "examples" / "mnist"


def digit(d):
    """A bundled digit, shaped as the model's input [1, 1, 28, 28]."""
    data = json.loads((MNIST / "digits" / f"digit_{d}.json").read_text())
    return np.asarray(data["input_data"][0], dtype=np.float32).reshape(1, 1, 28, 28)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """The MNIST example compiled once for the session, with its calibration set as an array."""
    calibration = json.loads((MNIST / "calibration.json").read_text())["input_data"]
    x = np.asarray(calibration, dtype=np.float32).reshape(-1, 1, 28, 28)
    out = tmp_path_factory.mktemp("mnist") / "model"
    steps = []
    model = zkinfer.compile(MNIST / "model.onnx", out, x, progress=lambda *e: steps.append(e))
    model["steps"] = steps
    return model


@pytest.fixture(scope="session")
def proven(compiled, tmp_path_factory):
    """Digit 7 proven once, with the steps reported and a count of what the interpreter did
    meanwhile (in another thread: proving must not hold the interpreter)."""
    out = tmp_path_factory.mktemp("proofs") / "digit_7.proof"
    steps = []
    ticks = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    t0 = time.monotonic()
    try:
        proof = zkinfer.prove(compiled["dir"], out, digit(7), progress=lambda *e: steps.append(e))
    finally:
        done.set()
        counter.join()
    return {"proof": proof, "steps": steps, "ticks": ticks[0], "seconds": time.monotonic() - t0}


def test_compiling_reports_its_steps_and_what_to_publish(compiled):
    assert len(compiled["model_id"]) == 64
    assert compiled["model_commitment"].startswith("0x"), "the defaults hide the weights"
    assert compiled["segments"] == 1
    steps = compiled["steps"]
    assert ("start", "generating keys", None) in steps
    assert any(e == "end" and s == "generating keys" and t > 0 for e, s, t in steps)
    assert any(e == "note" and s.startswith("layout: ") for e, s, _ in steps), steps
    assert zkinfer.commit(compiled["dir"])["model_commitment"] == compiled["model_commitment"]


def test_predict_gives_the_integer_models_answer_as_arrays(compiled):
    for d in (3, 7):
        p = zkinfer.predict(compiled["dir"], digit(d))
        assert p["predicted_class"] == d
        assert p["output"].shape == (1, 10) and p["output"].dtype == np.float64
        assert int(np.argmax(p["output"])) == d
        assert p["input_raw"].dtype == np.int64 and p["input_raw"].size == 784
        assert p["model_id"] == compiled["model_id"]
    # Any array of the right size, any dtype numpy can convert.
    flat = zkinfer.predict(compiled["dir"], digit(7).reshape(-1).astype(np.float64))
    assert flat["predicted_class"] == 7


def test_a_proof_verifies_against_the_pinned_model_and_input(compiled, proven):
    proof = proven["proof"]
    assert proof["predicted_class"] == 7
    assert len(proof["input_salt"]) == 66, "a salted input gets a fresh salt, returned"
    verdict = zkinfer.verify(
        pathlib.Path(compiled["dir"]) / "verifier-key",
        proof["proof"],
        model_id=compiled["model_id"],
        commitment=compiled["model_commitment"],
        input=digit(7),
        input_salt=proof["input_salt"],
    )
    assert verdict["valid"] and verdict["predicted_class"] == 7
    assert verdict["checked"] == {"commitment": True, "setup": False, "input": True}
    assert verdict["development_setup"], "the tests use the insecure development setup, and say so"
    assert int(np.argmax(verdict["output"])) == 7


def test_proving_reports_progress_and_releases_the_interpreter(proven):
    steps = proven["steps"]
    assert ("start", "proving", None) in steps
    assert any(e == "end" and s == "proving" and t > 0 for e, s, t in steps), steps
    assert any(e == "note" and s.startswith("prediction (integer model): class 7") for e, s, _ in steps)
    # A thread counting every millisecond kept counting while the proof ran (at least ten times
    # a second, against about a thousand when idle; holding the interpreter would stop it).
    assert proven["ticks"] > 10 * proven["seconds"], proven


def test_a_tampered_bundle_another_input_or_another_commitment_is_invalid(compiled, proven, tmp_path):
    key = pathlib.Path(compiled["dir"]) / "verifier-key"
    proof = proven["proof"]
    bundle = bytearray(pathlib.Path(proof["proof"]).read_bytes())
    bundle[len(bundle) // 2] ^= 1
    tampered = tmp_path / "tampered.proof"
    tampered.write_bytes(bytes(bundle))
    with pytest.raises(zkinfer.InvalidProofError):
        zkinfer.verify(key, tampered)
    with pytest.raises(zkinfer.InvalidProofError, match="another input"):
        zkinfer.verify(key, proof["proof"], input=digit(3), input_salt=proof["input_salt"])
    other = "0x" + "0" * 63 + "1"
    with pytest.raises(zkinfer.InvalidProofError, match="not the pinned commitment"):
        zkinfer.verify(key, proof["proof"], commitment=other)
    with pytest.raises(zkinfer.InvalidProofError, match="not the pinned model"):
        zkinfer.verify(key, proof["proof"], model_id="00" * 32)
    # Every error is a ZkinferError, so one except clause catches them all.
    assert issubclass(zkinfer.InvalidProofError, zkinfer.ZkinferError)


def test_inspecting_shows_what_is_public(compiled, proven):
    key = zkinfer.inspect_key(pathlib.Path(compiled["dir"]) / "verifier-key")
    assert key["model_id"] == compiled["model_id"]
    assert key["header"]["input"]["shape"] == [1, 1, 28, 28]
    assert key["header"]["shape"]["visibility"]["weights"] == "hidden"
    bundle = zkinfer.inspect_bundle(proven["proof"]["proof"])
    assert bundle["header"]["model_id"] == compiled["model_id"]
    assert bundle["header"]["input_hash"], "the input is hashed, not public"


def test_bad_inputs_are_clear_errors_before_any_work(compiled, tmp_path):
    d = compiled["dir"]
    with pytest.raises(zkinfer.InvalidInputError, match="784"):
        zkinfer.predict(d, np.zeros(10, dtype=np.float32))
    nan = digit(7)
    nan[0, 0, 5, 5] = np.nan
    with pytest.raises(zkinfer.InvalidInputError, match="not a finite number"):
        zkinfer.prove(d, tmp_path / "nan.proof", nan)
    assert not (tmp_path / "nan.proof").exists(), "nothing half-written"
    with pytest.raises(zkinfer.InvalidInputError, match="not an array of numbers"):
        zkinfer.predict(d, "seven")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        zkinfer.compile(tmp_path / "missing.onnx", tmp_path / "out", calibrate_random=True)
    with pytest.raises(FileNotFoundError):
        zkinfer.predict(tmp_path / "no-such-dir", digit(7))
    with pytest.raises(zkinfer.ModelError, match="Hardmax"):
        zkinfer.compile(
            REPO / "prover-native" / "tests" / "fixtures" / "unsupported_hardmax.onnx",
            tmp_path / "hardmax",
            calibrate_random=True,
        )
    assert not (tmp_path / "hardmax").exists()
    with pytest.raises(zkinfer.InvalidInputError, match="float model"):
        zkinfer.compile(MNIST / "model.onnx", tmp_path / "uncalibrated")
    with pytest.raises(zkinfer.InvalidInputError, match="weights"):
        zkinfer.compile(MNIST / "model.onnx", tmp_path / "w", calibrate_random=True, weights="secret")
    with pytest.raises(zkinfer.InvalidInputError, match="exactly one"):
        zkinfer.predict(d)
    with pytest.raises(zkinfer.InvalidInputError, match="tokenizer"):
        zkinfer.predict(d, text="seven")


def test_a_text_models_prompt_is_proven_and_checked_with_the_keys_tokenizer(tmp_path):
    """A next-character model (the zoo's char_mlp at 8-bit activations, seconds to prove) with
    the text example's tokenizer: prompts in, the proven next character out; verifying against
    the typed prompt spells it with the tokenizer the verifier key binds."""
    text = REPO / "examples" / "text"
    calibration = json.loads((text / "calibration.json").read_text())["input_data"]
    model = zkinfer.compile(
        REPO / "examples" / "onnx-zoo" / "char_mlp.onnx",
        tmp_path / "chars",
        np.asarray(calibration, dtype=np.float32),
        tokenizer=text / "tokenizer.json",
        activation_bits=8,
    )
    rules = zkinfer.inspect_key(tmp_path / "chars" / "verifier-key")["header"]["text"]
    assert rules == {"context": 16, "pad": 0, "lowercase": True}
    prompt = "Call me Ishmael. Some years ago"
    answer = zkinfer.predict(model["dir"], text=prompt)
    assert answer["predicted_label"] is not None and len(answer["predicted_label"]) == 1
    proof = zkinfer.prove(model["dir"], tmp_path / "next.proof", text=prompt)
    key = tmp_path / "chars" / "verifier-key"
    verdict = zkinfer.verify(key, proof["proof"], text=prompt.upper(), input_salt=proof["input_salt"])
    assert verdict["predicted_label"] == answer["predicted_label"] and verdict["checked"]["input"]
    with pytest.raises(zkinfer.InvalidProofError, match="another input"):
        zkinfer.verify(key, proof["proof"], text=prompt + "s", input_salt=proof["input_salt"])
    with pytest.raises(zkinfer.InvalidInputError, match="not in this model's vocabulary"):
        zkinfer.predict(model["dir"], text="Room 101")


def test_a_symbolic_input_dimension_is_given_by_name(tmp_path):
    """A model exported with dynamic axes ([batch, sequence, 4]) needs its sequence length: named
    in the error without it, taken from ``dims``."""
    model = REPO / "prover-native" / "tests" / "fixtures" / "dynamic_sequence.onnx"
    with pytest.raises(zkinfer.ModelError, match="sequence"):
        zkinfer.compile(model, tmp_path / "none", calibrate_random=True, weights="fixed")
    assert not (tmp_path / "none").exists()
    compiled = zkinfer.compile(
        model, tmp_path / "three", calibrate_random=True, weights="fixed", dims={"sequence": 3}
    )
    answer = zkinfer.predict(compiled["dir"], np.zeros((1, 3, 4), dtype=np.float32))
    assert np.asarray(answer["output"]).size == 9


def test_an_extra_input_is_held_constant_by_name(tmp_path):
    """An attention mask beside the input: refused naming it, held constant with
    ``constant_inputs``."""
    model = REPO / "prover-native" / "tests" / "fixtures" / "masked_sequence.onnx"
    common = dict(calibrate_random=True, weights="fixed", dims={"sequence": 3})
    with pytest.raises(zkinfer.ModelError, match="attention_mask"):
        zkinfer.compile(model, tmp_path / "none", **common)
    with pytest.raises(zkinfer.InvalidInputError, match="ones, zeros or range"):
        zkinfer.compile(model, tmp_path / "bad", constant_inputs={"attention_mask": "twos"}, **common)
    # A tensor no node writes cannot be the one proven.
    with pytest.raises(zkinfer.InvalidInputError, match="'nope': no node writes it"):
        zkinfer.compile(model, tmp_path / "nope", output_tensor="nope", **common)
    compiled = zkinfer.compile(
        model, tmp_path / "ones", constant_inputs={"attention_mask": "ones"}, **common
    )
    answer = zkinfer.predict(compiled["dir"], np.ones((1, 3, 4), dtype=np.float32))
    assert np.asarray(answer["output"]).size == 9
