#!/usr/bin/env bash
# Opacus (PyPI `opacus`, Meta's DP-SGD for PyTorch) in its own venv: the peer of Liftoff's DP-SGD. Its RDP
# accountant checks runtime/src/train/dp-accountant.ts (test/clients/dp-opacus.test.ts) and its training on digits
# is the accuracy reference of npm run bench:dp (bench/dp.ts). Layered on the torch venv (hack/torch-venv.sh, built
# first if needed): a .pth file puts the torch venv's site-packages on this venv's path, so the GBs of torch and
# its CUDA wheels are not installed a second time, and pip here installs only Opacus and what torch lacks.
# Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/opacus-<key>, the key hashing this file, torch-venv.sh and
# the Python version. Progress goes to stderr; the venv's python is the one line on stdout. --check only says
# whether it is built.
set -euo pipefail

# scikit-learn ships the digits data set and pyarrow reads the DataSet's Parquet: bench:dp's; the pins of bench:train.
PINS=("opacus==1.6.0" "scipy==1.17.1" "opt-einsum==3.4.0" "scikit-learn==1.9.1" "pyarrow==26.0.1")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
here="$(cd "$(dirname "$self")" && pwd)"
key="$( (cat "$self" "$here/torch-venv.sh"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/opacus-$key"
log() { echo "opacus-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/opacus-venv.sh"
  exit 1
fi
torch_python="$(bash "$here/torch-venv.sh")"
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.opacus-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

log "creating $venv on top of $(dirname "$(dirname "$torch_python")")"
rm -rf "$venv"
python3 -m venv "$venv"
torch_site="$("$torch_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
own_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$torch_site" >"$own_site/liftoff-torch-venv.pth"
log "pip install ${PINS[*]}"
"$venv/bin/pip" install --progress-bar off "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/opacus-venv: /' >&2
"$venv/bin/python" -c "import opacus, torch, scipy, sklearn, pyarrow; print('opacus', opacus.__version__, 'torch', torch.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
