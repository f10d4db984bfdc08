#!/usr/bin/env bash
# The Python venv with PyTorch (PyPI `torch`, its exporter `onnx` + `onnxscript`) that builds ONNX files the way
# users do: test/clients/torch-onnx.test.ts exports a small seeded net and compares Liftoff with torch's own
# outputs; hack/build-image-model.sh exports EfficientNet-Lite0 (model code `efficientnet-lite-pytorch`, Apache).
# onnxruntime + Pillow are the image classifier's Python reference (test/clients/image-model.test.ts).
# PyPI has no CPU-only torch: the Linux wheel is a CUDA build whose CUDA libraries come as pip dependencies
# (several GB, hack/models/candidates.md); it imports and runs on CPU once they are installed. Cached under
# ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/torch-<key>, the key hashing this file and the Python version.
# Progress goes to stderr; the venv's python is the one line on stdout. --check only says whether it is built.
set -euo pipefail

# onnx-ir is pinned too: with onnxscript it writes and optimises the exported graph, so the bytes of a pinned export
# (hack/build-image-model.sh) depend on it.
PINS=("torch==2.15.0" "onnx==1.23.2" "onnxscript==0.7.2" "onnx-ir==1.1.0" "numpy==2.4.6" "onnxruntime==1.23.2"
  "pillow==13.0.0" "efficientnet-lite-pytorch==0.1.0")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/torch-$key"
log() { echo "torch-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/torch-venv.sh"
  exit 1
fi
# Setup and a test worker may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.torch-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

log "creating $venv (one time, several GB; later runs reuse it)"
rm -rf "$venv"
python3 -m venv "$venv"
log "pip install ${PINS[*]}"
# No pip cache: the wheels are GBs and the venv is the cache.
"$venv/bin/pip" install --no-cache-dir --progress-bar off "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/torch-venv: /' >&2
"$venv/bin/python" -c "import torch, onnx, onnxscript, onnxruntime, PIL, efficientnet_lite_pytorch; print('torch', torch.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
