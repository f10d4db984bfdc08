#!/usr/bin/env bash
# Optuna (PyPI `optuna`) in its own venv: the peer of Liftoff's TrainingSearch in npm run bench:search
# (bench/search.ts runs bench/search_optuna.py with it: the same random search over the same space, in one process,
# with Optuna's own pruner). The trials train a PyTorch MLP, so it is layered on the torch venv, cached by a hash of
# this file (hack/torch-layered-venv.sh); the venv's python is the one line on stdout; --check only says whether it
# is built.
set -euo pipefail

# Optuna and its own dependencies pinned; scikit-learn ships the digits data set (bench/lib/digits.ts writes it as
# CSV) and pyarrow reads the DataSet's Parquet: the pins of bench:train and bench:dp.
PINS=("optuna==5.0.0" "alembic==1.20.1" "sqlalchemy==2.1.9" "colorlog==6.12.0" "tqdm==4.70.1" "pyyaml==6.0.3"
  "packaging==26.3" "scikit-learn==1.9.1" "pyarrow==26.0.1")

# shellcheck source=hack/torch-layered-venv.sh
. "$(dirname "${BASH_SOURCE[0]}")/torch-layered-venv.sh"
torch_layered_venv optuna "${BASH_SOURCE[0]}" \
  "import optuna, torch, sklearn, pyarrow; print('optuna', optuna.__version__, 'torch', torch.__version__)" \
  "${1:-}" -- "${PINS[@]}"
