#!/usr/bin/env bash
# The AWS CLI (v1, PyPI `awscli`, pinned) in its own venv: the peer of npm run bench:storage (`aws s3 cp` against
# the same S3 server as Liftoff's storage layer). Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/awscli-<key>,
# the key hashing this file and the Python version.
# Progress goes to stderr; the venv's `aws` is the one line on stdout. --check only says whether it is built.
set -euo pipefail

PINS=("awscli==1.46.3")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/awscli-$key"
log() { echo "awscli-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/aws"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/awscli-venv.sh"
  exit 1
fi
# Setup and a bench may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.awscli-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/aws"
  exit 0
fi

log "creating $venv (one time; later runs reuse it)"
rm -rf "$venv"
python3 -m venv "$venv"
log "pip install ${PINS[*]}"
"$venv/bin/pip" install --progress-bar off "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/awscli-venv: /' >&2
"$venv/bin/aws" --version >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/aws"
