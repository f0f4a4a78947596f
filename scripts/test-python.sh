#!/usr/bin/env bash
# Builds the Python package's wheel (maturin, python/), installs it into a fresh virtual
# environment with only numpy and pytest, and runs its tests (python/tests) and the notebook
# example (examples/python/prove_mnist.py, on a small model) from a directory outside the
# checkout: the installed package must work without the source tree's Python or ../shared.
# maturin is installed once into a cached venv ($ZKINFER_CACHE_DIR or ~/.cache/zkinfer). The
# wheel is built into target/wheels, sharing target/ with the workspace build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${ZKINFER_CACHE_DIR:-$HOME/.cache/zkinfer}"

build_venv="$cache/python-build"
build_lock="$(sha256sum python/requirements-build.txt | cut -d' ' -f1)"
if [[ "$(cat "$build_venv/.zkinfer-requirements-sha256" 2>/dev/null || true)" != "$build_lock" ]]; then
    python3 -m venv "$build_venv"
    "$build_venv/bin/pip" install --quiet -r python/requirements-build.txt
    echo "$build_lock" > "$build_venv/.zkinfer-requirements-sha256"
fi

wheels="$root/target/wheels"
rm -rf "$wheels"
build_log="$(mktemp)"
"$build_venv/bin/maturin" build --release --strip -m python/Cargo.toml -o "$wheels" 2>&1 | tee "$build_log"
if grep -q "Compiling zkinfer-core" "$build_log"; then
    # Not an error (the wheel is right), but a fresh CI run pays minutes for it: see the feature
    # unification list in python/Cargo.toml.
    echo "WARNING: the wheel build recompiled zkinfer-core: python/Cargo.toml's feature unification with the workspace has drifted" >&2
fi
rm -f "$build_log"
wheel="$(ls "$wheels"/zkinfer-*.whl)"
ls -l "$wheel"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$wheel" -r python/requirements-test.txt
cd "$work"
# The tests read the bundled example model from the checkout (ZKINFER_REPO), as data only.
ZKINFER_REPO="$root" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider --import-mode=importlib "$root/python/tests"
# The example a notebook user copies, on a small zoo model with random calibration.
"$work/venv/bin/python" "$root/examples/python/prove_mnist.py" "$root/examples/onnx-zoo/mlp_activations.onnx"
