#!/usr/bin/env bash
# The Python venv with checkov (PyPI), the policy scanner test/unit/checkov.test.ts runs on the chart, the kustomize
# output and the objects the operator builds for the samples. Its own venv, not the clients' one (hack/test-venv.sh):
# a checkov pin change then does not reinstall TensorFlow, and checkov's many dependencies cannot clash with the
# clients'. Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/checkov-<key>, the key hashing this file and the
# Python version. Progress goes to stderr; the venv's checkov is the one line on stdout. --check only says whether
# it is built.
set -euo pipefail

PIN="checkov==3.3.30"

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/checkov-$key"
log() { echo "checkov-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/checkov"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/checkov-venv.sh"
  exit 1
fi
# Setup and a test worker may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.checkov-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/checkov"
  exit 0
fi

log "creating $venv (one time; later runs reuse it)"
rm -rf "$venv"
python3 -m venv "$venv"
log "pip install $PIN"
"$venv/bin/pip" install --progress-bar off "$PIN" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/checkov-venv: /' >&2
"$venv/bin/checkov" --version >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/checkov"
