#!/usr/bin/env bash
# The Python venv the runtime's conformance and fuzz tests use: the official
# clients (tritonclient, tensorflow-serving-api) and schemathesis, from PyPI.
# Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/runtime-clients-<key>, where
# the key hashes this file, so changing a pin makes a fresh venv. Progress goes to
# stderr; the venv's python is the one line on stdout. --check only says whether it is built.
#
# tensorflow-serving-api requires `tensorflow` (the CUDA build, ~600 MB); it only
# needs TensorFlow's protobuf modules, which tensorflow-cpu carries too, so the
# API package is installed without its dependency list and tensorflow-cpu beside it.
set -euo pipefail

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/runtime-clients-$key"
log() { echo "test-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
# Test files run in parallel workers: one creates the venv, the others wait for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.runtime-clients-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/test-venv.sh"
  exit 1
fi

PINS=(
  "tritonclient[http,grpc]==2.73.0"
  "tensorflow-cpu==2.21.0"
  "schemathesis==4.32.5"
)
log "creating $venv (one time; later runs reuse it)"
rm -rf "$venv"
mkdir -p "$cache/venvs"
python3 -m venv "$venv"
# The libtensorflow installer may have cached the tensorflow-cpu wheel already.
links=()
tfwheels="$cache/libtensorflow-tensorflow-cpu-2.21.0/wheel"
[ -d "$tfwheels" ] && links=(--find-links "$tfwheels")
log "pip install ${PINS[*]}"
"$venv/bin/pip" install --progress-bar off "${links[@]}" "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Collecting|Successfully|ERROR)" | sed -u 's/^/test-venv: /' >&2
log "pip install --no-deps tensorflow-serving-api==2.21.0"
"$venv/bin/pip" install --progress-bar off --no-deps "tensorflow-serving-api==2.21.0" >&2
"$venv/bin/python" -c "import tritonclient.http, tritonclient.grpc, tensorflow_serving.apis.prediction_service_pb2_grpc" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
