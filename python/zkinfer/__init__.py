"""zkinfer for Python: prove, with a zk-SNARK, that a committed neural network produced a
prediction, and verify such proofs.

Bring an exported model (ONNX from ``torch.onnx.export``, TFLite from Keras' converter) and a
calibration set as a numpy array::

    import numpy as np
    import zkinfer

    model = zkinfer.compile("model.onnx", "compiled", calibration=x_train[:64])
    proof = zkinfer.prove("compiled", "digit.proof", x_test[0])
    verdict = zkinfer.verify("compiled/verifier-key", "digit.proof",
                             model_id=model["model_id"], commitment=model["model_commitment"],
                             input=x_test[0], input_salt=proof["input_salt"])

Everything is the CLI's (``zkinfer compile``, ``prove``, ``verify``, ...): the same checks, the
same files and the same error messages, raised as :class:`ZkinferError` subclasses. Proving and
compiling release the interpreter, and report progress to an optional callback
``progress(event, text, seconds)``: ``("start", step, None)`` when a slow step starts,
``("end", step, seconds)`` when it ends, ``("note", line, None)`` for a line worth showing (the
layout, the quantization's error, each segment of a chain proven).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import InvalidInputError, InvalidProofError, ModelError, ZkinferError

__all__ = [
    "compile",
    "predict",
    "prove",
    "verify",
    "commit",
    "inspect_key",
    "inspect_bundle",
    "ZkinferError",
    "InvalidInputError",
    "ModelError",
    "InvalidProofError",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[str, str, Optional[float]], Any]


def _floats(values: Any, what: str) -> Optional[np.ndarray]:
    """`values` as a C-ordered float32 array (None stays None)."""
    if values is None:
        return None
    try:
        array = np.ascontiguousarray(values, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{what} is not an array of numbers: {e}") from None
    if array.ndim == 0:
        array = array.reshape(1)
    return array


def compile(
    model: PathLike,
    out: PathLike,
    calibration: Any = None,
    *,
    calibrate_random: bool = False,
    activation_bits: Optional[int] = None,
    weight_bits: Optional[int] = None,
    dot_width: Optional[int] = None,
    headroom: Optional[float] = None,
    labels: Optional[Sequence[str]] = None,
    tokenizer: Optional[PathLike] = None,
    image_preprocess: Optional[str] = None,
    weights: str = "hidden",
    input_visibility: str = "hashed",
    output_visibility: str = "public",
    salt: Optional[str] = None,
    memory_budget_gib: float = 20.0,
    params: Optional[PathLike] = None,
    cache_dir: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
    dims: Optional[Dict[str, int]] = None,
    constant_inputs: Optional[Dict[str, str]] = None,
    output_tensor: Optional[str] = None,
    prove_softmax: bool = False,
) -> Dict[str, Any]:
    """Quantize (a float model), lay out and generate keys into the directory ``out``.

    ``dims``: values for an ONNX input's symbolic dimensions by name (``{"sequence": 16}``): a
    proof is of one shape; a symbolic first (batch) dimension is 1 without it.
    ``constant_inputs``: an ONNX model's inputs besides the proven one held constant, by name:
    ``"ones"``, ``"zeros"`` or ``"range"`` (``{"attention_mask": "ones"}``).
    ``output_tensor``: the ONNX tensor the proof shows, by name, when the graph has several outputs (a
    language model's ``"logits"`` beside its key/value cache) or to prove a tensor inside it.
    ``prove_softmax``: prove a TFLite model's final SOFTMAX (an integer model's by TFLite's reference
    kernel) and show its probabilities instead of the logits it reads (an ONNX model's Softmax is
    always proven).

    ``calibration``: a float model's calibration inputs, one per row (``[samples, *input_shape]``);
    a TFLite model quantized by TFLite takes none. The defaults are the CLI's: weights hidden
    behind a Poseidon commitment, the input hashed with the consumer's salt, the output public,
    a 20 GiB memory budget (a larger model becomes a chain of segments), and the insecure
    development setup unless ``params`` names a powers-of-tau or KZG parameters file.

    Returns ``{"dir", "model_id", "model_commitment", "segments", "verifier_key_bytes",
    "params_seconds", "keygen_seconds"}``: publish the model id and the commitment.
    """
    result = _native.compile(
        os.fspath(model),
        os.fspath(out),
        _floats(calibration, "calibration"),
        calibrate_random=calibrate_random,
        activation_bits=activation_bits,
        weight_bits=weight_bits,
        dot_width=dot_width,
        headroom=headroom,
        labels=None if labels is None else [str(l) for l in labels],
        tokenizer=None if tokenizer is None else os.fspath(tokenizer),
        image_preprocess=image_preprocess,
        weights=weights,
        input_visibility=input_visibility,
        output_visibility=output_visibility,
        salt=salt,
        memory_budget_gib=float(memory_budget_gib),
        params=None if params is None else os.fspath(params),
        cache_dir=None if cache_dir is None else os.fspath(cache_dir),
        progress=progress,
        dims=None if dims is None else {str(k): int(v) for k, v in dims.items()},
        constant_inputs=None
        if constant_inputs is None
        else {str(k): str(v) for k, v in constant_inputs.items()},
        output_tensor=None if output_tensor is None else str(output_tensor),
        prove_softmax=bool(prove_softmax),
    )
    return json.loads(result)


def predict(
    dir: PathLike,
    input: Any = None,
    *,
    image: Optional[PathLike] = None,
    text: Optional[str] = None,
) -> Dict[str, Any]:
    """The compiled integer model's answer for one input (an array of the model's input size, an
    image file for a model compiled with ``image_preprocess``, or a prompt for a text model),
    without keys or a proof.

    Returns ``{"model_id", "output" (float64 array, the model's output shape), "predicted_class",
    "predicted_label", "input_raw", "output_raw" (the integers a proof is about)}``.
    """
    result = json.loads(
        _native.predict(
            os.fspath(dir),
            _floats(input, "input"),
            image=None if image is None else os.fspath(image),
            text=text,
        )
    )
    result["output"] = np.asarray(result["output"], dtype=np.float64).reshape(result.pop("output_shape"))
    result["input"] = np.asarray(result["input"], dtype=np.float32)
    result["input_raw"] = np.asarray(result["input_raw"], dtype=np.int64)
    result["output_raw"] = np.asarray(result["output_raw"], dtype=np.int64)
    return result


def prove(
    dir: PathLike,
    out: PathLike,
    input: Any = None,
    *,
    image: Optional[PathLike] = None,
    text: Optional[str] = None,
    input_salt: Optional[str] = None,
    params: Optional[PathLike] = None,
    cache_dir: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
) -> Dict[str, Any]:
    """Run the compiled model on one input and prove it, writing the proof bundle to ``out``
    (a chain bundle for a chain, proven segment by segment).

    For a model whose input hash is salted, ``input_salt`` is the consumer's salt (64 hex
    digits); without one a fresh salt is drawn and returned: keep it, checking the proof against
    the input needs it.

    Returns ``{"proof", "model_id", "input_salt", "output", "predicted_class", "bundle_bytes",
    "segments", "prove_seconds"}``.
    """
    result = json.loads(
        _native.prove(
            os.fspath(dir),
            os.fspath(out),
            _floats(input, "input"),
            image=None if image is None else os.fspath(image),
            text=text,
            input_salt=input_salt,
            params=None if params is None else os.fspath(params),
            cache_dir=None if cache_dir is None else os.fspath(cache_dir),
            progress=progress,
        )
    )
    result["output"] = np.asarray(result["output"], dtype=np.float64)
    return result


def verify(
    verifier_key: PathLike,
    proof: PathLike,
    *,
    model_id: Optional[str] = None,
    commitment: Optional[str] = None,
    setup: Optional[str] = None,
    input: Any = None,
    text: Optional[str] = None,
    input_salt: Optional[str] = None,
) -> Dict[str, Any]:
    """Check a proof bundle (or chain bundle) against a verifier key you trust, and against
    what you pin: the model id, the published weight commitment, the setup's digest, and the
    input you sent (values, or a prompt spelled with the tokenizer the key binds; with the salt
    you kept for a salted input).

    Raises :class:`InvalidProofError` when the proof must not be believed. Returns what it
    proves: ``{"valid": True, "model_id", "output" (float64 array), "predicted_class",
    "predicted_label", "input_hash", "model_commitment", "setup_digest", "development_setup",
    "checked": {"commitment", "setup", "input"}, ...}``. A key under the development setup
    (``development_setup``) proves nothing against a forger.
    """
    result = json.loads(
        _native.verify(
            os.fspath(verifier_key),
            os.fspath(proof),
            model_id=model_id,
            commitment=commitment,
            setup=setup,
            input=_floats(input, "input"),
            text=text,
            input_salt=input_salt,
        )
    )
    result["output"] = np.asarray(result["output"], dtype=np.float64)
    return result


def commit(dir: PathLike) -> Dict[str, Any]:
    """A compiled model's id and weight commitment (None for weights fixed in the key): what a
    provider publishes. ``{"model_id", "model_commitment", "visibility"}``."""
    return json.loads(_native.commit(os.fspath(dir)))


def inspect_key(path: PathLike) -> Dict[str, Any]:
    """What a verifier key (or chain key) says: its model id, setup digest, and header (input
    and output shapes and scales, labels, visibility, image preprocessing, tokenizer rules)."""
    return json.loads(_native.inspect_key(os.fspath(path)))


def inspect_bundle(path: PathLike) -> Dict[str, Any]:
    """What a proof bundle (or chain bundle) makes public, read without verifying it: the model
    id it claims, its public input and output (or their hashes), the weight commitment."""
    return json.loads(_native.inspect_bundle(os.fspath(path)))
