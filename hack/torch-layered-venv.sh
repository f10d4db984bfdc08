#!/usr/bin/env bash
# Sourced by the venv scripts of the PyTorch peers (hack/opacus-venv.sh, hack/optuna-venv.sh): a venv layered on the
# torch venv (hack/torch-venv.sh, built first if needed) — a .pth file puts the torch venv's site-packages on this
# venv's path, so the GBs of torch and its CUDA wheels are not installed a second time, and pip here installs only the
# peer's pins. Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/<name>-<key>, the key hashing the calling script,
# torch-venv.sh and the Python version. Progress goes to stderr; the venv's python is the one line on stdout. --check
# only says whether it is built.

# torch_layered_venv NAME SCRIPT CHECK_PY [--check] -- PINS...: SCRIPT is the caller (its hash keys the cache),
# CHECK_PY a Python line that imports what the venv must have and prints their versions.
torch_layered_venv() {
  local name="$1" script="$2" check_py="$3" mode="$4"
  shift 5
  local pins=("$@")
  local cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  local key
  key="$( (cat "$script" "$here/torch-venv.sh"; python3 --version) | sha256sum | cut -c1-12)"
  local venv="$cache/venvs/$name-$key"
  log() { echo "$name-venv: $*" >&2; }

  if [ -f "$venv/.complete" ]; then
    echo "$venv/bin/python"
    return 0
  fi
  if [ "$mode" = "--check" ]; then
    log "the venv $venv is not built yet; run hack/$name-venv.sh"
    return 1
  fi
  local torch_python
  torch_python="$(bash "$here/torch-venv.sh")"
  mkdir -p "$cache/venvs"
  exec 9>"$cache/venvs/.$name-$key.lock"
  flock 9
  if [ -f "$venv/.complete" ]; then
    echo "$venv/bin/python"
    return 0
  fi

  log "creating $venv on top of $(dirname "$(dirname "$torch_python")")"
  rm -rf "$venv"
  python3 -m venv "$venv"
  local torch_site own_site
  torch_site="$("$torch_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  own_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$torch_site" >"$own_site/liftoff-torch-venv.pth"
  log "pip install ${pins[*]}"
  "$venv/bin/pip" install --progress-bar off "${pins[@]}" 2>&1 \
    | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u "s/^/$name-venv: /" >&2
  "$venv/bin/python" -c "$check_py" >&2
  touch "$venv/.complete"
  log "ready"
  echo "$venv/bin/python"
}
