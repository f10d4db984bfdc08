#!/usr/bin/env bash
# The Python venv the ONNX tests compute their references with (runtime/src/serve/model/onnx-real.test.ts):
# onnxruntime (the same engine, its Python build), numpy, the model's own tokenizer (HF `tokenizers`), Pillow (the
# declared image preprocessing's reference, test/clients/image-preprocess.test.ts) and scipy (WAV reading and
# resample_poly, the audio preprocessing's reference: test/clients/preprocess_reference.py), pinned
# from PyPI. Its own venv, so these pins move apart from the clients' (hack/test-venv.sh). Cached under
# ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/onnx-ref-<key>, the key hashing this file and the Python version.
# Progress goes to stderr; the venv's python is the one line on stdout. --check only says whether it is built.
set -euo pipefail

PINS=("onnxruntime==1.23.2" "numpy==2.4.6" "tokenizers==0.23.3" "pillow==13.0.0" "scipy==1.17.1")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/onnx-ref-$key"
log() { echo "onnx-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/onnx-venv.sh"
  exit 1
fi
# Setup and a test worker may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.onnx-ref-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

log "creating $venv (one time; later runs reuse it)"
rm -rf "$venv"
python3 -m venv "$venv"
log "pip install ${PINS[*]}"
"$venv/bin/pip" install --progress-bar off "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/onnx-venv: /' >&2
"$venv/bin/python" -c "import onnxruntime, numpy, tokenizers, PIL, scipy; print('onnxruntime', onnxruntime.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
