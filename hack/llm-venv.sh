#!/usr/bin/env bash
# The Python venv of the OpenAI-API tests (test/clients/openai.test.ts, the GGUF integration test): the official
# `openai` client, pinned from PyPI, unchanged, against the runtime's /v1 routes. Its own venv, so this pin moves
# apart from the clients' (hack/test-venv.sh). Cached under
# ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/llm-client-<key>, the key hashing this file and the Python version.
# Progress goes to stderr; the venv's python is the one line on stdout. --check only says whether it is built.
set -euo pipefail

PINS=("openai==3.63.0")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/llm-client-$key"
log() { echo "llm-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/llm-venv.sh"
  exit 1
fi
# Setup and a test worker may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.llm-client-$key.lock"
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
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/llm-venv: /' >&2
"$venv/bin/python" -c "import openai; print('openai', openai.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
