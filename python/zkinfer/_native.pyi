# Type stubs of the extension module (python/src/lib.rs). Results are JSON strings that
# zkinfer/__init__.py turns into dicts and numpy arrays; use the functions there.
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np
import numpy.typing as npt

class ZkinferError(Exception): ...
class InvalidInputError(ZkinferError): ...
class ModelError(ZkinferError): ...
class InvalidProofError(ZkinferError): ...

_Progress = Callable[[str, str, Optional[float]], Any]
_F32 = npt.NDArray[np.float32]

def compile(
    model: str,
    out: str,
    calibration: Optional[_F32] = None,
    *,
    calibrate_random: bool = False,
    activation_bits: Optional[int] = None,
    weight_bits: Optional[int] = None,
    dot_width: Optional[int] = None,
    headroom: Optional[float] = None,
    labels: Optional[Sequence[str]] = None,
    tokenizer: Optional[str] = None,
    image_preprocess: Optional[str] = None,
    weights: str = "hidden",
    input_visibility: str = "hashed",
    output_visibility: str = "public",
    salt: Optional[str] = None,
    memory_budget_gib: float = 20.0,
    params: Optional[str] = None,
    cache_dir: Optional[str] = None,
    progress: Optional[_Progress] = None,
    dims: Optional[Dict[str, int]] = None,
    constant_inputs: Optional[Dict[str, str]] = None,
    output_tensor: Optional[str] = None,
    prove_softmax: bool = False,
) -> str: ...
def predict(
    dir: str,
    input: Optional[_F32] = None,
    *,
    image: Optional[str] = None,
    text: Optional[str] = None,
) -> str: ...
def prove(
    dir: str,
    out: str,
    input: Optional[_F32] = None,
    *,
    image: Optional[str] = None,
    text: Optional[str] = None,
    input_salt: Optional[str] = None,
    params: Optional[str] = None,
    cache_dir: Optional[str] = None,
    progress: Optional[_Progress] = None,
) -> str: ...
def verify(
    verifier_key: str,
    proof: str,
    *,
    model_id: Optional[str] = None,
    commitment: Optional[str] = None,
    setup: Optional[str] = None,
    input: Optional[_F32] = None,
    text: Optional[str] = None,
    input_salt: Optional[str] = None,
) -> str: ...
def commit(dir: str) -> str: ...
def inspect_key(path: str) -> str: ...
def inspect_bundle(path: str) -> str: ...
