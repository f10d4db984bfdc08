#!/usr/bin/env bash
# Optuna (PyPI `optuna`) in its own venv: the peer of Liftoff's TrainingSearch in npm run bench:search
# (bench/search.ts runs bench/search_optuna.py with it: the same random search over the same space, in one process,
# with Optuna's own pruner). The trials train a PyTorch MLP, so it is layered on the torch venv (hack/torch-venv.sh,
# built first if needed): a .pth file puts the torch venv's site-packages on this venv's path, so the GBs of torch
# and its CUDA wheels are not installed a second time, and pip here installs only Optuna and what torch lacks.
# Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/optuna-<key>, the key hashing this file, torch-venv.sh and
# the Python version. Progress goes to stderr; the venv's python is the one line on stdout. --check only says
# whether it is built.
set -euo pipefail

# Optuna and its own dependencies pinned; scikit-learn ships the digits data set (bench/lib/digits.ts writes it as
# CSV) and pyarrow reads the DataSet's Parquet: the pins of bench:train and bench:dp.
PINS=("optuna==5.0.0" "alembic==1.20.1" "sqlalchemy==2.1.9" "colorlog==6.12.0" "tqdm==4.70.1" "pyyaml==6.0.3"
  "packaging==26.3" "scikit-learn==1.9.1" "pyarrow==26.0.1")

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
here="$(cd "$(dirname "$self")" && pwd)"
key="$( (cat "$self" "$here/torch-venv.sh"; python3 --version) | sha256sum | cut -c1-12)"
venv="$cache/venvs/optuna-$key"
log() { echo "optuna-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/optuna-venv.sh"
  exit 1
fi
torch_python="$(bash "$here/torch-venv.sh")"
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.optuna-$key.lock"
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
  | grep --line-buffered -E "^(Successfully|ERROR)" | sed -u 's/^/optuna-venv: /' >&2
"$venv/bin/python" -c "import optuna, torch, sklearn, pyarrow; print('optuna', optuna.__version__, 'torch', torch.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"
